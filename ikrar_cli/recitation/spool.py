"""The new attestations of one command kept on disk, not in memory, until its documents are written.

``ikrar attest --attendance … --pdf`` writes its slips (or PNGs) only after every batch has been
committed; holding the recorded attestations in a list until then cost about 1 KB each (100 MB for
100,000 officers). :class:`AttestationSpool` appends each committed batch to an anonymous temporary
file (``tempfile.TemporaryFile``: no name on disk on Linux, so nothing with officers' names is left
behind however the process ends) and reads them back, one at a time and in the same order, as
often as a writer iterates over it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from .attest import Attestation

_FIELDS = (
    "session_id",
    "officer_id",
    "id_type",
    "officer_name",
    "unit_code",
    "method",
    "attested_at",
    "ledger_idx",
    "receipt",
    "unlisted",
    "existing",
)


class AttestationSpool:
    """Attestations appended in order, read back (re-iterable) from an anonymous temporary file."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._count = 0

    def extend(self, attestations: Iterable[Attestation]) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="ikrar-attest-")  # noqa: SIM115 - closed in close()
        self._file.seek(0, 2)
        for a in attestations:
            line = json.dumps([getattr(a, f) for f in _FIELDS], ensure_ascii=False, separators=(",", ":"))
            self._file.write(line.encode() + b"\n")
            self._count += 1

    def append(self, attestation: Attestation) -> None:
        self.extend((attestation,))

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Attestation]:
        fh = self._file
        if fh is None:
            return
        fh.flush()
        fh.seek(0)
        end = self._count
        for _n, line in zip(range(end), fh, strict=False):
            yield Attestation(*json.loads(line))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._count = 0

    def __enter__(self) -> AttestationSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
