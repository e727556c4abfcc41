"""Roster snapshot files stored uncompressed on PostgreSQL (``STORAGE EXTERNAL``), so that a
report reads a national snapshot (about 1 GB) in 1 MiB slices at the cost of each slice:
``substr`` of a compressed value decompresses everything before the slice, every time
(``roster/snapshot_stream.py``). Files stored before keep their storage until stored again.
SQLite reads blobs incrementally already: nothing to do there."""

from __future__ import annotations

import sqlite3
from typing import Any

NAME = "0015_snapshot_storage"


def up(conn: Any) -> None:
    if isinstance(conn, sqlite3.Connection):
        return
    conn.execute("ALTER TABLE roster_snapshots ALTER COLUMN file SET STORAGE EXTERNAL")
