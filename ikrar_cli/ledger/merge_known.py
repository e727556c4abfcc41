"""Fast path of a ledger merge for a log whose entries are all known (issue 20).

A daily sync re-sends logs the centre already holds. When the export's signed checkpoint at its
full size carries the same root as a checkpoint stored (and verified) by an earlier merge, the
entries are known: the file is still read whole and every entry must be byte-identical to the
stored one (the stored leaves read in index order, BLOCK rows at a time; a receipt line must be
exactly the line the export writes for the stored leaf, checked by strictly decoding its Base45
text and comparing the bytes with the leaf, which is cheaper in Python than encoding the leaf; a
whole block of lines at once when every line of it is such a line, :func:`_same_receipts`),
and the stored leaves' hashes go into the Merkle root, which must equal the signed root at each of
the export's checkpoints — so a changed entry is still refused — but no signature is re-verified,
no receipt is parsed and no entry is looked up one by one. Any line that is not byte-identical
takes the general check of the first version of this path. Nothing of the log's entries is written.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from itertools import repeat
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

    A line that is byte for byte the export's line of the stored receipt (:func:`_same_receipt`, or
    for a run of lines at once :func:`_known_lines`) is taken as read; any other line (a session
    record, anything changed) goes through :func:`_entry`, the general check, which refuses whatever
    differs from the stored entry. The lines of a block are read before they are checked."""
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
        raws = [fh.readline() for _leaf in leaves]
        block = b"".join(raws)
        # the usual case: the block is the stored one, byte for byte (None: every line is taken as read)
        known = None if _same_receipts(block, len(raws), lo, leaves) else _known_lines(raws, lo, leaves)
        if whole and known is None:
            reader.line_no += len(raws)
            digest.update(block)
            idx = hi
        else:
            for k, (raw, leaf) in enumerate(zip(raws, leaves, strict=True)):  # each line checked in order
                if known is None or known[k] or _same_receipt(raw, idx, leaf):
                    reader.line_no += 1
                    digest.update(raw)
                elif _entry(reader, raw, idx, leaf, size):
                    records = True
                idx += 1
                if not whole:  # a checkpoint within: its root is checked before the next line is taken
                    stream.add(sha256(b"\x00" + leaf).digest())
                    if idx in checkpoints and stream.root() != checkpoints[idx].root:
                        raise _mismatch(reader, idx)
        if whole:  # an aligned block of 2**BLOCK_HEIGHT leaves with no checkpoint inside: one subtree
            stream.add_subtree(BLOCK_HEIGHT, perfect_root([sha256(b"\x00" + leaf).digest() for leaf in leaves]))
            if idx in checkpoints and stream.root() != checkpoints[idx].root:
                raise _mismatch(reader, idx)
    return records


def _known_lines(raws: list[bytes], first: int, leaves: list[bytes]) -> list[bool]:
    """Per line of ``raws`` (entries ``first`` on, holding ``leaves``), whether it is taken as read:
    each run of lines between the stored session records is checked at once (:func:`_same_receipts`),
    and a run is taken whole or not at all (its lines then go one by one, as a record's line does)."""
    known = [False] * len(leaves)
    start = 0
    for end in [k for k, leaf in enumerate(leaves) if leaf.startswith(RECORD_PREFIX)] + [len(leaves)]:
        if end > start and _same_receipts(b"".join(raws[start:end]), end - start, first + start, leaves[start:end]):
            known[start:end] = [True] * (end - start)
        start = end + 1
    return known


_RECEIPT_LINE = re.compile(rb'\{"i":([0-9]+),"receipt":"IKR1:([0-9A-Z $%*+\-./:]*)"\}\n')
DECODE_GROUPS = 16384  # Base45 groups (48 KB of text) decoded at a time by _same_receipts
_FRAME = len(b'{"i":,"receipt":"IKR1:"}\n')


def _same_receipts(block: bytes, lines: int, first: int, leaves: list[bytes]) -> bool:
    """Whether ``block`` is ``lines`` lines, line ``k`` being :func:`_same_receipt` of entry
    ``first + k`` holding ``leaves[k]``, decided for the whole block at once (line by line, the
    Base45 decoding and the frame checks cost more than the rest of a re-merge).

    The lines must be, back to back, one export receipt line each (``{"i":IDX,"receipt":"IKR1:TEXT"}``
    and a newline: one pattern matched over the joined lines, whose matches must cover every byte),
    with IDX the entry's index written as the export writes it; no leaf may be a session record; and
    each TEXT must have the length of its leaf's encoding. Base45 decodes each 3-character group on
    its own into two bytes; an odd leaf's last byte ``x`` is the 2-character group ``x % 45, x // 45``,
    which with a third character ``0`` appended is the 3-character group of the pair ``0, x``. So the
    joined TEXTs (each odd one with ``0`` appended) decode strictly to the joined leaves (each odd one
    with a zero byte put before its last byte) exactly when each TEXT decodes strictly to its own
    leaf: the groups line up with the lines, and a group equal to ``0, x`` is the 2-character group's
    value ``x`` (at most 255, as the strict decoder requires). False when any of this does not hold:
    the caller then checks line by line."""
    found = _RECEIPT_LINE.findall(block)
    if not found or len(found) != lines or any(map(bytes.startswith, leaves, repeat(RECORD_PREFIX))):
        return False
    idxs, found_texts = zip(*found, strict=True)
    if list(idxs) != [b"%d" % i for i in range(first, first + lines)]:
        return False
    if sum(map(len, idxs)) + sum(map(len, found_texts)) + _FRAME * lines != len(block):
        return False  # something between the matches
    texts = [t + b"0" if len(t) % 3 else t for t in found_texts]
    wanted = [leaf[:-1] + b"\x00" + leaf[-1:] if len(leaf) % 2 else leaf for leaf in leaves]
    if list(map(len, texts)) != [len(w) // 2 * 3 for w in wanted]:
        return False
    text, leaf_bytes, step = b"".join(texts), b"".join(wanted), 3 * DECODE_GROUPS
    try:  # in pieces of DECODE_GROUPS groups: a decoding's big integers stay small enough to be fast
        return len(text) // 3 * 2 == len(leaf_bytes) and all(
            b45decode_bytes(text[at : at + step]) == leaf_bytes[at // 3 * 2 : (at + step) // 3 * 2]
            for at in range(0, len(text), step)
        )
    except Base45Error:
        return False


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
