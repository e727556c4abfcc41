"""Fast path of a ledger merge for a log whose entries are all known (issue 20).

A daily sync re-sends logs the centre already holds. When the export's signed checkpoint at its
full size carries the same root as a checkpoint stored (and verified) by an earlier merge, the
entries are known: the file is still read whole and every entry must be byte-identical to the
stored one (the stored leaves read in index order, BLOCK rows at a time; a receipt line must be
exactly the line the export writes for the stored leaf, checked by strictly decoding its Base45
text and comparing the bytes with the leaf, which is cheaper in Python than encoding the leaf),
and the stored leaves' hashes go into the Merkle root, which must equal the signed root at each of
the export's checkpoints — so a changed entry is still refused — but no signature is re-verified,
no receipt is parsed and no entry is looked up one by one. Any line that is not byte-identical
takes the general check of the first version of this path. Nothing of the log's entries is written.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import TYPE_CHECKING

from ..i18n import _
from ..receipts.base45 import Base45Error, b45decode_bytes, b45encode
from ..receipts.receipt import PREFIX
from ..recitation.sessions import RECORD_PREFIX
from .merkle import StreamingRoot, perfect_root

BLOCK_HEIGHT = 12
BLOCK = 1 << BLOCK_HEIGHT  # stored leaves read per query; a whole aligned block is hashed as one subtree

if TYPE_CHECKING:
    from ..errors import VerificationError
    from .checkpoint import Checkpoint
    from .export import _Reader


def is_known(local_cps: dict[int, bytes], local_size: int, size: int, checkpoints: dict[int, Checkpoint]) -> bool:
    """True when every entry of the export's log is already merged: a stored checkpoint at the
    export's full size with the same root (its signature was checked when it was stored and the
    export's own note at that size was just checked again)."""
    return 0 < size <= local_size and size in checkpoints and local_cps.get(size) == checkpoints[size].root


def consume_known_entries(
    reader: _Reader, size: int, checkpoints: dict[int, Checkpoint], conn: sqlite3.Connection, log_id: str
) -> bool:
    """Read the log's ``size`` entries, checking order, shape, identity with the stored leaves (the
    rows of ``ledger_entries`` in index order, read BLOCK at a time) and the Merkle root at every
    signed checkpoint; returns whether any entry is a signed session record.

    A line that is byte for byte the export's line of the stored receipt (:func:`_same_receipt`) is
    taken as read; any other line (a session record, anything changed) goes through
    :func:`_entry`, the general check, which refuses whatever differs from the stored entry."""
    stream = StreamingRoot()
    records = False
    fh, digest, sha256 = reader.fh, reader.digest, hashlib.sha256
    inner = sorted(checkpoints)
    last, idx = -1, 0
    while idx < size:
        rows = conn.execute(
            "SELECT idx, leaf FROM ledger_entries WHERE log_id = ? AND idx > ? AND idx < ? ORDER BY idx LIMIT ?",
            (log_id, last, size, min(BLOCK, size - idx)),
        ).fetchall()
        if not rows:  # the store holds fewer entries: the next line is refused (no stored leaf)
            _entry(reader, fh.readline(), idx, None, size)
        last = rows[-1][0]
        leaves = [bytes(r[1]) for r in rows]
        lo, hi = idx, idx + len(leaves)
        whole = len(leaves) == BLOCK and not any(lo < c < hi for c in inner)
        for leaf in leaves:  # each line read and checked as it comes, in order
            raw = fh.readline()
            if _same_receipt(raw, idx, leaf):
                reader.line_no += 1
                digest.update(raw)
            elif _entry(reader, raw, idx, leaf, size):
                records = True
            idx += 1
            if not whole:  # a checkpoint within: its root is checked before the next line is read
                stream.add(sha256(b"\x00" + leaf).digest())
                if idx in checkpoints and stream.root() != checkpoints[idx].root:
                    raise _mismatch(reader, idx)
        if whole:  # an aligned block of 2**BLOCK_HEIGHT leaves with no checkpoint inside: one subtree
            stream.add_subtree(BLOCK_HEIGHT, perfect_root([sha256(b"\x00" + leaf).digest() for leaf in leaves]))
            if idx in checkpoints and stream.root() != checkpoints[idx].root:
                raise _mismatch(reader, idx)
    return records


def _same_receipt(raw: bytes, idx: int, leaf: bytes) -> bool:
    """Whether ``raw`` is exactly the line the export writes for entry ``idx`` holding the receipt
    ``leaf``: ``{"i":IDX,"receipt":"IKR1:TEXT"}`` and a newline, TEXT the Base45 of ``leaf``. The
    decoding is strict (one text per byte string), so TEXT decoding to ``leaf`` means TEXT is
    ``leaf``'s one encoding: the line is byte-identical to the stored entry's export line."""
    head = b'{"i":%d,"receipt":"IKR1:' % idx
    if not raw.startswith(head) or not raw.endswith(b'"}\n') or len(raw) < len(head) + 3:
        return False
    if leaf.startswith(RECORD_PREFIX):
        return False  # a stored session record is exported as a record line: the general check decides
    try:
        return b45decode_bytes(raw[len(head) : -3]) == leaf
    except Base45Error:
        return False


def _entry(reader: _Reader, raw: bytes, idx: int, leaf: bytes | None, size: int) -> bool:
    """The general check of one entry line, ``raw``, against the stored ``leaf`` (None: the store
    holds none): whether it is a session record; refused (``gap``, ``root_mismatch``, the reader's
    errors) unless it is the stored entry as the export writes it."""
    from .export import _bad_log, _field, _keys

    e = reader.take(raw)
    if e.get("i") != idx:
        raise _bad_log(reader, "gap", _("expected entry {index}, found {found}", index=idx, found=e.get("i")))
    stored = b"" if leaf is None else leaf
    record = "record" in e
    if record:
        _keys(reader, e, {"i", "record"})
        same = _field(reader, e, "record", str).encode("utf-8") == stored
    else:
        _keys(reader, e, {"i", "receipt"})
        same = _field(reader, e, "receipt", str) == PREFIX + b45encode(stored)
    if not same or leaf is None:
        raise _mismatch(reader, size)
    return record


def _mismatch(reader: _Reader, size: int) -> VerificationError:
    from .export import _bad_log

    return _bad_log(
        reader, "root_mismatch", _("the entries do not match the signed checkpoint at size {size}", size=size)
    )
