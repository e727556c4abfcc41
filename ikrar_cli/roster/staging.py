"""The staging step of a roster import: checked rows in a temporary table, repeats sorted out.

Rows are appended to an unkeyed temporary table (sequential inserts; on PostgreSQL a plain COPY),
and only when the whole file is in is it indexed: a unique index on the identifier when no
identifier repeats (the usual sheet: building the index is the check), else one index over
(identifier, row) and one GROUP BY find the identifiers that occur more than once. The first row
of an identifier stays; a later identical row is merged with a note, a later different one is a
conflict that names the fields that differ.
Memory stays bounded: nothing per identifier is held in Python.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..i18n import _
from .fields import field_label

if TYPE_CHECKING:
    from .importer import ImportReport

# staging columns after (officer_id, row), in order; all but id_type/name/unit may be NULL
STAGED = ("id_type", "name", "gelar_depan", "gelar_belakang", "position", "unit", "sub_unit", "rank", "status",
          "nik", "email")  # fmt: skip
_INSERT = "INSERT INTO staging VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
# SQLite: an empty optional field may come as "" (``RowChecker.empty``) and is stored as NULL, as None is
_INSERT_SQLITE = ("INSERT INTO staging VALUES (?,?,?,?,NULLIF(?,''),NULLIF(?,''),NULLIF(?,''),?,NULLIF(?,''),"
                  "NULLIF(?,''),NULLIF(?,''),NULLIF(?,''),NULLIF(?,''))")  # fmt: skip
_CHUNK = 500  # identifiers per IN (...) query


class Staging:
    """``staging`` (one row per good file row) and ``staging_joined`` (HR's joining dates)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.rows = 0
        conn.execute("DROP TABLE IF EXISTS temp.staging")
        conn.execute(
            "CREATE TEMP TABLE staging (officer_id TEXT NOT NULL, row INTEGER NOT NULL, id_type TEXT, name TEXT, "
            "gelar_depan TEXT, gelar_belakang TEXT, position TEXT, unit TEXT, sub_unit TEXT, rank TEXT, "
            "status TEXT, nik TEXT, email TEXT)"
        )
        conn.execute("DROP TABLE IF EXISTS temp.staging_joined")
        conn.execute("CREATE TEMP TABLE staging_joined (officer_id TEXT PRIMARY KEY, joined TEXT NOT NULL)")
        conn.execute("DROP TABLE IF EXISTS temp.staging_conflicts")
        conn.execute("CREATE TEMP TABLE staging_conflicts (row INTEGER PRIMARY KEY, reason TEXT NOT NULL)")

    def add(self, rows: list[tuple[Any, ...]], joined: list[tuple[str, str]]) -> None:
        """Append checked rows (file order); the first joining date of an identifier wins."""
        # SQLite outside a transaction would commit each row on its own: one transaction per chunk
        # (of the temporary tables only: the workspace's own database is neither locked nor read)
        own = isinstance(self.conn, sqlite3.Connection) and not self.conn.in_transaction
        if own:
            self.conn.execute("BEGIN")
        try:
            if rows:
                self.conn.executemany(_INSERT_SQLITE if isinstance(self.conn, sqlite3.Connection) else _INSERT, rows)
                self.rows += len(rows)
            if joined:
                self.conn.executemany("INSERT INTO staging_joined VALUES (?, ?) ON CONFLICT DO NOTHING", joined)
        except BaseException:
            if own:
                self.conn.execute("ROLLBACK")
            raise
        if own:
            self.conn.execute("COMMIT")

    def finish(self, report: ImportReport, id_header: str) -> int:
        """Index the table and sort out repeated identifiers into ``report.merged`` and
        ``report.duplicates``; returns the number of conflicts (their rows: ``conflicts()``)."""
        conn = self.conn
        repeated: list[str] = []
        try:  # the usual sheet repeats no identifier: a unique index says so, and no GROUP BY is needed
            conn.execute("CREATE UNIQUE INDEX staging_id ON staging (officer_id)")
        except sqlite3.IntegrityError:  # some identifier is repeated (no index was made): find which
            conn.execute("CREATE INDEX staging_id ON staging (officer_id, row)")
            repeated = [
                r[0] for r in conn.execute("SELECT officer_id FROM staging GROUP BY officer_id HAVING COUNT(*) > 1")
            ]
        from ..store.dialects import engine_of_connection, staging_rowid_index

        by_row = staging_rowid_index(engine_of_connection(conn))
        if by_row:  # the apply step reads staging in ranges of file rows (apply._stream_new)
            conn.execute(by_row)
        n = 0
        for i in range(0, len(repeated), _CHUNK):
            n += self._sort_out(repeated[i : i + _CHUNK], report, id_header)
        return n

    def _sort_out(self, ids: list[str], report: ImportReport, id_header: str) -> int:
        from .importer import RowProblem

        marks = ",".join("?" * len(ids))
        first: dict[str, tuple[Any, ...]] = {}
        later: list[int] = []
        conflicts: list[tuple[int, str]] = []
        sql = f"SELECT * FROM staging WHERE officer_id IN ({marks}) ORDER BY officer_id, row"
        for r in self.conn.execute(sql, ids):
            staged = first.setdefault(r[0], r)
            if staged is r:
                continue
            later.append(r[1])
            differ = [f for f, old, new in zip(STAGED, staged[2:], r[2:], strict=True) if old != new]
            if not differ:
                why = _("identical to row {row}; kept once", row=staged[1])
                report.merged.append(RowProblem(r[1], id_header, r[0], why))
                continue
            detail = "; ".join(
                f"{field_label(f)} {staged[2 + STAGED.index(f)] or '-'!r} ≠ {r[2 + STAGED.index(f)] or '-'!r}"
                for f in differ
            )
            why = _("same identifier as row {row}, but these differ: {fields}", row=staged[1], fields=detail)
            report.duplicates.append(RowProblem(r[1], id_header, r[0], why))
            conflicts.append((r[1], why))
        for i in range(0, len(later), _CHUNK):
            part = later[i : i + _CHUNK]
            self.conn.execute(f"DELETE FROM staging WHERE row IN ({','.join('?' * len(part))})", part)
        self.rows -= len(later)
        if conflicts:
            self.conn.executemany("INSERT INTO staging_conflicts VALUES (?, ?)", conflicts)
        return len(conflicts)

    def conflicts(self) -> Iterator[tuple[int, str]]:
        """The conflicting rows (row number, reason), in row order, read in chunks."""
        last = 0
        while True:
            chunk = self.conn.execute(
                "SELECT row, reason FROM staging_conflicts WHERE row > ? ORDER BY row LIMIT 1000", (last,)
            ).fetchall()
            if not chunk:
                return
            yield from chunk
            last = chunk[-1][0]
