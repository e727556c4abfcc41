"""Fast path of a ledger merge for a log whose entries are all known (issue 20).

A daily sync re-sends logs the centre already holds. When the export's signed checkpoint at its
full size carries the same root as a checkpoint stored (and verified) by an earlier merge, the
entries are known: the file is still read whole and every entry's leaf hash is recomputed into the
Merkle root, which must equal the signed root at each of the export's checkpoints — so a changed
entry is still refused — but no receipt is CBOR-decoded, no signature is re-verified and no entry
is looked up in the database. Nothing of the log's entries is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base45 import Base45Error, b45decode
from .i18n import _
from .merkle import StreamingRoot, leaf_hash
from .receipt import PREFIX
from .sessions import RECORD_PREFIX

if TYPE_CHECKING:
    from .checkpoint import Checkpoint
    from .ledger_export import _Reader


def is_known(local_cps: dict[int, bytes], local_size: int, size: int, checkpoints: dict[int, Checkpoint]) -> bool:
    """True when every entry of the export's log is already merged: a stored checkpoint at the
    export's full size with the same root (its signature was checked when it was stored and the
    export's own note at that size was just checked again)."""
    return 0 < size <= local_size and size in checkpoints and local_cps.get(size) == checkpoints[size].root


def consume_known_entries(reader: _Reader, size: int, checkpoints: dict[int, Checkpoint]) -> bool:
    """Read the log's ``size`` entries, checking order, shape and the Merkle root at every signed
    checkpoint; returns whether any entry is a signed session record."""
    from .ledger_export import _bad_log, _field, _keys

    stream = StreamingRoot()
    records = False
    for idx in range(size):
        e = reader.next()
        if e.get("i") != idx:
            raise _bad_log(reader, "gap", _("expected entry {index}, found {found}", index=idx, found=e.get("i")))
        if "record" in e:
            _keys(reader, e, {"i", "record"})
            leaf = _field(reader, e, "record", str).encode("utf-8")
            if not leaf.startswith(RECORD_PREFIX):
                raise _bad_log(reader, "bad_entry", _("entry {index} is not a session record", index=idx))
            records = True
        else:
            _keys(reader, e, {"i", "receipt"})
            text = _field(reader, e, "receipt", str)
            if not text.startswith(PREFIX):
                raise _bad_log(reader, "bad_entry", _("entry {index} is not a receipt", index=idx))
            try:
                leaf = b45decode(text[len(PREFIX) :])
            except Base45Error:
                raise _bad_log(reader, "bad_entry", _("entry {index} is not a receipt", index=idx)) from None
        stream.add(leaf_hash(leaf))
        if idx + 1 in checkpoints and stream.root() != checkpoints[idx + 1].root:
            raise _bad_log(
                reader,
                "root_mismatch",
                _("the entries do not match the signed checkpoint at size {size}", size=idx + 1),
            )
    return records
