"""Settings for the big jobs of a national season (issue 20): more page cache while they run.

Random-key inserts into several indexes outgrow SQLite's default page cache (2 MB) once a roster
passes a few hundred thousand officers; a larger cache for the length of one big job keeps the
per-row cost flat (issue 20: 1M rows from 19.9 s to 16.3 s with 256 MB). The cache is given back
afterwards, and only jobs whose input is large get it, so small jobs keep their small footprint.
PostgreSQL sizes its own buffers (server settings): nothing changes there.
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


@contextlib.contextmanager
def big_job_cache(store: Store, input_bytes: int) -> Iterator[bool]:
    """Within the block, a 256 MB page cache on SQLite when the input is big; yields whether it did."""
    if store.engine != "sqlite" or input_bytes < BIG_INPUT_BYTES:
        yield False
        return
    conn = store.conn
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{BIG_CACHE_KIB}")
    try:
        yield True
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute(f"PRAGMA cache_size = {int(before)}")
