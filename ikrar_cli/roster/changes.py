"""The change summary of a roster import, in the order HR acts on it, with bounded memory.

Every change goes to a spool file (JSON lines in an anonymous temporary file) as it is found,
so a million changes cost disk, not memory, and ``--json`` can list all of them. In memory
stay only the counts and the first few of each kind, for the text summary.

Kinds, in the order they are reported: ``new`` (new staff), ``transfer`` (unit from -> to),
``retired`` (marked inactive by ``--retire-missing``) or ``missing`` (active, not in the file),
``reactivated`` (inactive, back in the file), then ``field`` (one field of one officer).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

KINDS = ("new", "transfer", "retired", "missing", "reactivated", "field")
COLUMNS = {
    "new": ("officer_id", "name", "unit"),
    "transfer": ("officer_id", "name", "from", "to"),
    "retired": ("officer_id", "name", "unit"),
    "missing": ("officer_id", "name", "unit"),
    "reactivated": ("officer_id", "name", "unit", "inactive_since"),
    "field": ("officer_id", "field", "old", "new"),
}
SHOWN = 10  # per kind, kept in memory for the text summary


class ChangeLog:
    def __init__(self) -> None:
        self._spool: IO[bytes] | None = None
        self.counts: Counter[str] = Counter()
        self.field_counts: Counter[str] = Counter()
        self.first: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}

    def add_rows(self, kind: str, rows: list[tuple[Any, ...]]) -> None:
        """Record many changes of one kind; the spool holds one JSON line per chunk."""
        if not rows:
            return
        self.counts[kind] += len(rows)
        cols = COLUMNS[kind]
        if kind == "field":
            for r in rows:
                self.field_counts[r[1]] += 1
        room = SHOWN - len(self.first[kind])
        if room > 0:
            self.first[kind].extend(self._dict(kind, cols, r) for r in rows[:room])
        if self._spool is None:
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._spool.write(json.dumps([kind, rows], ensure_ascii=False, default=str).encode() + b"\n")

    def add_json(self, kind: str, n: int, rows_json: str) -> None:
        """Record ``n`` changes given as a JSON array of rows (made by SQLite, see roster_apply)."""
        self.counts[kind] += n
        room = SHOWN - len(self.first[kind])
        if room > 0:
            cols = COLUMNS[kind]
            head = json.loads(rows_json) if n <= 5 * SHOWN else json.loads(_first_rows(rows_json, room))
            self.first[kind].extend(self._dict(kind, cols, r) for r in head[:room])
        if self._spool is None:
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._spool.write(b'["' + kind.encode() + b'",' + rows_json.encode() + b"]\n")

    @staticmethod
    def _dict(kind: str, cols: tuple[str, ...], row: Any) -> dict[str, Any]:
        return {"kind": kind, **dict(zip(cols, row, strict=True))}

    def __len__(self) -> int:
        return sum(self.counts.values())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every change, in the order found (kinds in the order of ``KINDS``)."""
        if self._spool is None:
            return
        self._spool.flush()
        self._spool.seek(0)
        for line in self._spool:
            kind, rows = json.loads(line)
            cols = COLUMNS[kind]
            for r in rows:
                yield self._dict(kind, cols, r)
        self._spool.seek(0, 2)

    def summary(self) -> dict[str, Any]:
        return {
            "new": self.counts["new"],
            "transfers": self.counts["transfer"],
            "retired": self.counts["retired"],
            "missing": self.counts["missing"],
            "reactivated": self.counts["reactivated"],
            "field_changes": dict(sorted(self.field_counts.items())),
        }

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def _first_rows(rows_json: str, n: int) -> str:
    """The first ``n`` rows of a JSON array of arrays of scalars, as a JSON array (no full parse)."""
    decoder = json.JSONDecoder()
    out: list[object] = []
    pos = 1
    while len(out) < n and pos < len(rows_json) - 1:
        row, pos = decoder.raw_decode(rows_json, pos)
        out.append(row)
        pos += 1  # the comma
    return json.dumps(out, ensure_ascii=False)
