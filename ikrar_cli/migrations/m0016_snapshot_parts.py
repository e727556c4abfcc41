"""Roster snapshot files stored in parts (issue 17, issue 20): a national snapshot (4.8 million
officers, about 810 MB) no longer fits comfortably in one value — SQLite's largest blob is
1,000,000,000 bytes, a PostgreSQL ``bytea`` at most 1 GB and cannot be appended to — and the
file is written and read as a stream (``roster/snapshot_write.py``, ``roster/snapshot_stream.py``).

``roster_snapshot_parts`` holds the file's bytes in order, about 1 MiB a row, under a random
``file_id``; ``roster_snapshots.parts`` names it and ``size`` is the file's length. Snapshots
stored before keep their single ``file`` blob (``parts`` is NULL) and stay readable; new rows
leave ``file`` empty. The parts are stored uncompressed on PostgreSQL (as m0015 for ``file``)."""

from __future__ import annotations

import sqlite3
from typing import Any

NAME = "0016_snapshot_parts"


def up(conn: Any) -> None:
    conn.execute(
        "CREATE TABLE roster_snapshot_parts (file_id TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, "
        "PRIMARY KEY (file_id, part))"
    )
    conn.execute("ALTER TABLE roster_snapshots ADD COLUMN parts TEXT")
    conn.execute("ALTER TABLE roster_snapshots ADD COLUMN size INTEGER")
    if not isinstance(conn, sqlite3.Connection):
        conn.execute("ALTER TABLE roster_snapshot_parts ALTER COLUMN data SET STORAGE EXTERNAL")
