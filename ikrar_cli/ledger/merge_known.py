"""Fast path of a ledger merge for a log whose entries are all known (issue 20).

A daily sync re-sends logs the centre already holds. When the export's signed checkpoint at its
full size carries the same root as a checkpoint stored (and verified) by an earlier merge, the
entries are known: the file is still read whole and every entry must be byte-identical to the
stored one (read in one ordered scan; a receipt is compared as the text the export writes,
``PREFIX + Base45(leaf)``), and the stored leaves' hashes go into the Merkle root, which must equal
the signed root at each of the export's checkpoints — so a changed entry is still refused — but no
receipt is decoded, no signature is re-verified and no entry is looked up one by one. Nothing of
the log's entries is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..i18n import _
from ..receipts.base45 import b45encode
from ..receipts.receipt import PREFIX
from .merkle import StreamingRoot, leaf_hash

if TYPE_CHECKING:
    from .checkpoint import Checkpoint
    from .export import _Reader


def is_known(local_cps: dict[int, bytes], local_size: int, size: int, checkpoints: dict[int, Checkpoint]) -> bool:
    """True when every entry of the export's log is already merged: a stored checkpoint at the
    export's full size with the same root (its signature was checked when it was stored and the
    export's own note at that size was just checked again)."""
    return 0 < size <= local_size and size in checkpoints and local_cps.get(size) == checkpoints[size].root


def consume_known_entries(
    reader: _Reader, size: int, checkpoints: dict[int, Checkpoint], stored: Iterable[tuple[bytes]]
) -> bool:
    """Read the log's ``size`` entries, checking order, shape, identity with the ``stored`` leaves
    (rows of one leaf, in index order) and the Merkle root at every signed checkpoint; returns
    whether any entry is a signed session record."""
    from .export import _bad_log, _field, _keys

    stream = StreamingRoot()
    records = False
    leaves = iter(stored)
    for idx in range(size):
        e = reader.next()
        if e.get("i") != idx:
            raise _bad_log(reader, "gap", _("expected entry {index}, found {found}", index=idx, found=e.get("i")))
        row = next(leaves, None)
        leaf = bytes(row[0]) if row is not None else b""
        if "record" in e:
            _keys(reader, e, {"i", "record"})
            same = _field(reader, e, "record", str).encode("utf-8") == leaf
            records = True
        else:
            _keys(reader, e, {"i", "receipt"})
            same = _field(reader, e, "receipt", str) == PREFIX + b45encode(leaf)
        if not same or row is None:
            raise _bad_log(
                reader,
                "root_mismatch",
                _("the entries do not match the signed checkpoint at size {size}", size=size),
            )
        stream.add(leaf_hash(leaf))
        if idx + 1 in checkpoints and stream.root() != checkpoints[idx + 1].root:
            raise _bad_log(
                reader,
                "root_mismatch",
                _("the entries do not match the signed checkpoint at size {size}", size=idx + 1),
            )
    return records
