"""Settings for the big jobs of a national season (issue 20): more page cache while they run.

Random-key inserts into several indexes outgrow SQLite's default page cache (2 MB) once a roster
passes a few hundred thousand officers; a larger cache for the length of one big job keeps the
per-row cost flat (issue 20: 1M rows from 19.9 s to 16.3 s with 256 MB). The cache is given back
afterwards, and only jobs whose input is large get it, so small jobs keep their small footprint.
On PostgreSQL the job gets more session memory instead (``PG_BIG_SETTINGS``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .core import Store

BIG_INPUT_BYTES = 16 << 20  # about 130,000 roster rows
BIG_CACHE_KIB = 256 * 1024


def input_size(path: Path) -> int:
    """Bytes of an input file, 0 when it cannot be read (the job itself then says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


# PostgreSQL: the session's own memory for one big job (server memory, not the ikrar process's).
# A temporary table lives in the session's local buffers (temp_buffers, 8 MB by default): a national
# staging table (about 1 GB) and its index would go through 8 MB; sorts and hashes of work_mem (4 MB)
# spill to disk. ``temp_buffers`` can only change before the session first touches a temporary
# table; a session that already has is left as it is. A setting is only ever raised.
PG_BIG_SETTINGS = (("temp_buffers", "256MB"), ("work_mem", "64MB"), ("maintenance_work_mem", "256MB"))


@contextlib.contextmanager
def big_job_cache(store: Store, input_bytes: int) -> Iterator[bool]:
    """Within the block, more memory for a big input: a 256 MB page cache on SQLite, the session
    settings ``PG_BIG_SETTINGS`` on PostgreSQL; yields whether it did."""
    if input_bytes < BIG_INPUT_BYTES:
        yield False
        return
    if store.engine != "sqlite":
        with _pg_settings(store):
            yield True
        return
    with _sqlite_cache(store.conn, BIG_CACHE_KIB):
        yield True


@contextlib.contextmanager
def _sqlite_cache(conn: sqlite3.Connection, kib: int) -> Iterator[None]:
    """SQLite's page cache at ``kib`` KiB within the block, its own size again after it."""
    before = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute(f"PRAGMA cache_size = {before}")


@contextlib.contextmanager
def _pg_settings(store: Store) -> Iterator[None]:
    conn = store.conn
    changed: list[tuple[str, str]] = []
    for name, value in PG_BIG_SETTINGS:
        before, lower = conn.execute(
            "SELECT current_setting(?), pg_size_bytes(current_setting(?)) < pg_size_bytes(?)", (name, name, value)
        ).fetchone()
        if not lower:  # a server configured for more keeps its own figure
            continue
        try:
            conn.execute(f"SET {name} = '{value}'")
        except sqlite3.Error:  # temp_buffers after the session's first temporary table: kept as it is
            continue
        changed.append((name, before))
    try:
        yield
    finally:
        for name, before in changed:
            with contextlib.suppress(sqlite3.Error):
                conn.execute(f"SET {name} = '{before}'")


INDEX_SORT_KIB = 64 * 1024


@contextlib.contextmanager
def index_build_memory(conn: sqlite3.Connection) -> Iterator[None]:
    """Around a ``CREATE INDEX`` of a big job on SQLite: the page cache down to 64 MB. SQLite's
    sorter may use as much memory as the page cache is allowed; with the big job's 256 MB cache
    both together took a 4.8 M-officer import from 326 MB to 456 MB. The cache size is given back
    afterwards; nothing changes on PostgreSQL (``maintenance_work_mem`` there)."""
    if not isinstance(conn, sqlite3.Connection):
        yield
        return
    before = int(conn.execute("PRAGMA cache_size").fetchone()[0])  # < 0: KiB, else pages
    kib = -before if before < 0 else before * int(conn.execute("PRAGMA page_size").fetchone()[0]) // 1024
    if kib <= INDEX_SORT_KIB:
        yield
        return
    with _sqlite_cache(conn, INDEX_SORT_KIB):
        yield
