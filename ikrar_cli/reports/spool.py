"""A report's working set on disk: the officers of the verified snapshot who are on the roster
on the report's day, and each officer's first counted receipt. A private temporary SQLite file
(a 0700 folder, removed when the report is closed or collected), whatever the workspace's
engine, so that memory holds only per-unit aggregates and one unit's list at a time."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Spool"]

BATCH = 5000

_SCHEMA = """
CREATE TABLE officer (id TEXT PRIMARY KEY, unit TEXT NOT NULL, name TEXT NOT NULL, joined TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE first (id TEXT PRIMARY KEY, at INTEGER NOT NULL, log TEXT NOT NULL, idx INTEGER NOT NULL,
                    method TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE unit_day (unit TEXT PRIMARY KEY, day TEXT NOT NULL);
"""


def _cleanup(conn: sqlite3.Connection, folder: str) -> None:
    conn.close()
    shutil.rmtree(folder, ignore_errors=True)


class Spool:
    def __init__(self, day: str) -> None:
        self.day = day
        self.folder = tempfile.mkdtemp(prefix="ikrar-report-")  # 0700: names are personal data
        # check_same_thread off: ``ikrar serve`` computes in one worker thread and streams the JSON
        # from others, one piece after the other (never two at once); the connection is private
        self.conn = sqlite3.connect(Path(self.folder) / "report.db", isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -32768", "temp_store = FILE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.executescript(_SCHEMA)
        self._officers: list[tuple[str, str, str, str]] = []
        self._firsts: list[tuple[str, int, str, int, str]] = []
        self._finalizer = weakref.finalize(self, _cleanup, self.conn, self.folder)
        self.conn.execute("BEGIN")

    def close(self) -> None:
        self._finalizer()

    # ---- filling
    def officer(self, o: dict[str, Any]) -> None:
        """One snapshot officer (in the snapshot's order, by id); kept when on the roster on the day."""
        if o["joined"] <= self.day and (o["left"] is None or o["left"] > self.day):
            self._officers.append((o["id"], o["unit"], o["name"], o["joined"]))
            if len(self._officers) >= BATCH:
                self._flush_officers()

    def _flush_officers(self) -> None:
        self.conn.executemany("INSERT INTO officer (id, unit, name, joined) VALUES (?, ?, ?, ?)", self._officers)
        self._officers.clear()

    def discard_officers(self) -> None:
        """Forget what a failed read spooled (nothing of an unverified snapshot stays)."""
        self._officers.clear()
        self.conn.execute("DELETE FROM officer")

    def first(self, officer_id: str, at: int, log: str, idx: int, method: str) -> None:
        """A counted receipt; the earliest (time, log, index) per officer is kept."""
        self._firsts.append((officer_id, at, log, idx, method))
        if len(self._firsts) >= BATCH:
            self._flush_firsts()

    def _flush_firsts(self) -> None:
        self.conn.executemany(
            "INSERT INTO first (id, at, log, idx, method) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "at = excluded.at, log = excluded.log, idx = excluded.idx, method = excluded.method "
            "WHERE (excluded.at, excluded.log, excluded.idx) < (first.at, first.log, first.idx)",
            self._firsts,
        )
        self._firsts.clear()

    def finish(self, unit_day: dict[str, str | None]) -> None:
        self._flush_officers()
        self._flush_firsts()
        self.conn.executemany("INSERT INTO unit_day (unit, day) VALUES (?, ?)",
                              [(u, d) for u, d in unit_day.items() if d is not None])  # fmt: skip
        self.conn.execute("CREATE INDEX officer_unit ON officer (unit, id)")
        self.conn.execute("COMMIT")

    # ---- reading
    def aggregates(self) -> Iterator[tuple[str, int, int, int, int]]:
        """Per unit: (code, active, individual, collective, joined later)."""
        return iter(self.conn.execute(
            "SELECT o.unit, COUNT(*), "
            "SUM(CASE WHEN f.method = 'individual' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN f.id IS NOT NULL AND f.method <> 'individual' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN f.id IS NULL AND d.day IS NOT NULL AND o.joined > d.day THEN 1 ELSE 0 END) "
            "FROM officer o LEFT JOIN first f ON f.id = o.id LEFT JOIN unit_day d ON d.unit = o.unit GROUP BY o.unit"
        ))  # fmt: skip

    def unlisted(self) -> int:
        """Officers with a counted receipt who are not on the roster on the day."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM first f WHERE NOT EXISTS (SELECT 1 FROM officer o WHERE o.id = f.id)"
        ).fetchone()
        return int(row[0])

    def unit_officers(self, unit: str) -> Iterator[tuple[str, str, str, int | None, str | None, str | None]]:
        """(id, name, joined, receipt index, log, method) of one unit's officers, by id."""
        return iter(self.conn.execute(
            "SELECT o.id, o.name, o.joined, f.idx, f.log, f.method FROM officer o LEFT JOIN first f ON f.id = o.id "
            "WHERE o.unit = ? ORDER BY o.id", (unit,),
        ))  # fmt: skip

    def unpledged(self, unit: str) -> list[tuple[str, str, str]]:
        """(id, name, joined) of one unit's officers without a counted receipt."""
        return self.conn.execute(
            "SELECT o.id, o.name, o.joined FROM officer o WHERE o.unit = ? "
            "AND NOT EXISTS (SELECT 1 FROM first f WHERE f.id = o.id)", (unit,),
        ).fetchall()  # fmt: skip
