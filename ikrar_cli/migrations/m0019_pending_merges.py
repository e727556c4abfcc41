"""A large merge is applied in bounded batches and published at once (issue 20;
docs/ledger-export.md, "Staging and locks": "One large file: batches, published at once").

The four tables a merge adds rows to are renamed (``logs`` -> ``log_rows``, ``ledger_entries`` ->
``ledger_entry_rows``, ``sessions`` -> ``session_rows``, ``attestations`` -> ``attestation_rows``)
and views under the old names show what every reader may see. ``merges_pending`` lists the batched
merges that have not published yet, ``merge_pending_logs`` the logs each of them claimed and the
log's size when it claimed it (``from_idx``). A batched merge writes only to the logs it claimed
and only at or after those sizes, so:

* ``ledger_entries`` and ``attestations`` (the large tables) hide the rows of a claimed log from its
  claimed size on: ``NOT EXISTS (SELECT 1 FROM merge_pending_logs) OR NOT EXISTS (a claim of the
  row's log at or below the row's index)``. The test needs only the log and the index, which the
  tables' keys hold, so a count or a size is still read from an index alone; with no batched merge
  listed (nearly always) the first test, evaluated once per statement, passes every row.
* ``logs`` and ``sessions`` (small tables) get a column ``pending_merge``: NULL for a row written
  whole in one transaction (the kiosk, a small merge), else the id of the batched merge that made
  it; their views leave out the rows of a listed merge.

Every reader sees a batched merge's rows all at once, when the one small transaction that deletes
its claims and its ``merges_pending`` row commits, or never (a merge that died stays listed until
the next merge deletes its rows). Indexes, keys and identities stay with the renamed tables;
writers write to them (``ledger/batched_swap.py``).

SQLite views are read-only: INSTEAD OF triggers pass an INSERT, UPDATE or DELETE on a view to its
table (a row the view shows), so a statement written for the old tables still works; an INSERT that
leaves out a NOT NULL column with a default gets the table's default. PostgreSQL's views of one
table are updatable as they are (a column left out gets the table's default).
"""

from __future__ import annotations

import sqlite3
from typing import Any

NAME = "0019_pending_merges"

# old name -> (table, key columns, the row's index in its log: hidden by range; else by pending_merge)
TABLES = {
    "logs": ("log_rows", ("log_id",), ""),
    "ledger_entries": ("ledger_entry_rows", ("log_id", "idx"), "idx"),
    "sessions": ("session_rows", ("id",), ""),
    "attestations": ("attestation_rows", ("id",), "ledger_idx"),
}
BY_MERGE = "pending_merge IS NULL OR pending_merge NOT IN (SELECT id FROM merges_pending)"
BY_RANGE = (
    "NOT EXISTS (SELECT 1 FROM merge_pending_logs) OR NOT EXISTS (SELECT 1 FROM merge_pending_logs p "
    "WHERE p.log_id = {table}.log_id AND {table}.{index} >= p.from_idx)"
)


def visible(table: str, index: str) -> str:
    """The condition of the view of ``table`` (see the module's text)."""
    return BY_RANGE.format(table=table, index=index) if index else BY_MERGE


def _columns(conn: Any, table: str, sqlite: bool) -> list[str]:
    if sqlite:
        return [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema() "
        "ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _defaults(conn: Any, table: str) -> dict[str, str]:
    """SQLite: the default of each NOT NULL column that has one (``PRAGMA table_info``'s SQL text)."""
    return {str(r[1]): str(r[4]) for r in conn.execute(f'PRAGMA table_info("{table}")') if r[3] and r[4] is not None}


def _triggers(view: str, table: str, cols: list[str], key: tuple[str, ...], defaults: dict[str, str]) -> list[str]:
    """An INSERT into a view gives NULL for every column it leaves out (a view has no defaults): a NOT
    NULL column with a default in the table gets that default, as an INSERT into the table would."""
    names = ", ".join(cols)
    new = ", ".join(f"COALESCE(NEW.{c}, {defaults[c]})" if c in defaults else f"NEW.{c}" for c in cols)
    sets = ", ".join(f"{c} = NEW.{c}" for c in cols)
    where = " AND ".join(f"{k} = OLD.{k}" for k in key)
    return [
        f"CREATE TRIGGER {view}_insert INSTEAD OF INSERT ON {view} BEGIN "
        f"INSERT INTO {table} ({names}) VALUES ({new}); END",
        f"CREATE TRIGGER {view}_update INSTEAD OF UPDATE ON {view} BEGIN UPDATE {table} SET {sets} WHERE {where}; END",
        f"CREATE TRIGGER {view}_delete INSTEAD OF DELETE ON {view} BEGIN DELETE FROM {table} WHERE {where}; END",
    ]


def up(conn: Any) -> None:
    sqlite = isinstance(conn, sqlite3.Connection)
    conn.execute("CREATE TABLE merges_pending (id INTEGER NOT NULL PRIMARY KEY, started_at INTEGER NOT NULL)")
    conn.execute("CREATE TABLE merge_pending_logs (log_id TEXT NOT NULL PRIMARY KEY, merge_id INTEGER NOT NULL, "
                 "from_idx INTEGER NOT NULL)")  # fmt: skip
    for view, (table, key, index) in TABLES.items():
        cols = _columns(conn, view, sqlite)
        conn.execute(f"ALTER TABLE {view} RENAME TO {table}")
        if not index:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN pending_merge INTEGER")
            conn.execute(f"CREATE INDEX {table}_pending ON {table} (pending_merge) WHERE pending_merge IS NOT NULL")
        conn.execute(f"CREATE VIEW {view} AS SELECT {', '.join(cols)} FROM {table} WHERE {visible(table, index)}")
        if sqlite:
            for statement in _triggers(view, table, cols, key, _defaults(conn, table)):
                conn.execute(statement)
