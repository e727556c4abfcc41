"""``Store.restart_log`` (SQLite): a long job's write-ahead log stays about one batch long while
readers come and go between its batches (issue 20: a 4.32 M merge with roster imports beside it
filled the disk; the log grew by a batch's pages at every batch).

The pattern, deterministic: a reader opens a snapshot while a batch is written and closes it after
that batch's commit, so the commit's own checkpoint cannot copy the batch's frames and the log does
not restart at the next batch. Without ``restart_log`` between batches the log grows with every
batch (checked here too, so the test shows the scenario is real); with it, it stays bounded."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ikrar_cli.store.core import Store

ROWS = 2_000  # per batch: about 2 MB of pages
BATCHES = 12


def _wal(path: Path) -> int:
    return os.path.getsize(str(path) + "-wal")


def _check_sizes(sizes: list[int], bounded: bool) -> None:
    """The log's sizes after each batch: about two batches at most when ``bounded``, else growing by
    every batch (the scenario is real)."""
    if bounded:
        assert max(sizes) <= 2.5 * sizes[1], sizes
    else:
        assert sizes[-1] > 5 * sizes[1], sizes


def _batches(store: Store, path: Path, restart: bool) -> list[int]:
    """The log's size after each batch, a reader holding a snapshot across each batch's commit."""
    reader = sqlite3.connect(path, isolation_level=None)
    sizes = []
    for b in range(BATCHES):
        if restart:
            assert store.restart_log()  # the reader of the batch before has closed: nothing holds it
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM t").fetchone()  # its snapshot: before this batch
        with store.transaction() as conn:
            conn.executemany("INSERT INTO t (k, v) VALUES (?, randomblob(800))",
                             ((b * ROWS + i,) for i in range(ROWS)))  # fmt: skip
        reader.execute("COMMIT")
        sizes.append(_wal(path))
    reader.close()
    return sizes


def test_the_log_grows_with_every_batch_without_a_restart_and_stays_bounded_with_one(tmp_path: Path) -> None:
    for restart in (False, True):
        path = tmp_path / f"{restart}.db"
        store = Store(path, migrate=False)
        store.conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)")
        sizes = _batches(store, path, restart)
        store.close()
        _check_sizes(sizes, bounded=restart)  # restarted: the batch held back plus the batch written


def test_a_reader_that_holds_on_is_waited_for_briefly_then_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    store = Store(path, migrate=False)
    store.conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM t").fetchone()
    with store.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
    t0 = time.monotonic()
    assert store.restart_log(wait_ms=50) is False  # the reader still needs the log: not restarted
    assert time.monotonic() - t0 < 5  # bounded by the wait (generous: only a hang fails)
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000  # the store's own wait again
    with store.transaction() as conn:  # and the store goes on writing
        conn.execute("INSERT INTO t VALUES (2)")
    reader.execute("COMMIT")
    assert store.restart_log() is True
    with store.transaction():
        assert store.restart_log() is False  # never inside a transaction
    store.close()
    reader.close()


def test_a_log_that_grew_is_cut_back_when_it_restarts(tmp_path: Path) -> None:
    """A long read snapshot while others write makes the log long (a merge verifying a large file
    beside roster imports: 6.3 GB); once it restarts it is cut back to ``WAL_SIZE_LIMIT``."""
    from ikrar_cli.store import core

    path = tmp_path / "g.db"
    store = Store(path, migrate=False)
    store.conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM t").fetchone()  # pins the log from here
    assert store.conn.execute("PRAGMA journal_size_limit").fetchone()[0] == core.WAL_SIZE_LIMIT
    b = 0
    while _wal(path) <= 1.5 * core.WAL_SIZE_LIMIT:  # about 100 MB of pages
        with store.transaction() as conn:
            conn.executemany("INSERT INTO t VALUES (?, randomblob(4000))", ((b * 2000 + i,) for i in range(2000)))
        b += 1
    reader.execute("COMMIT")
    assert store.restart_log()
    with store.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (-1, x'00')")
    assert _wal(path) <= core.WAL_SIZE_LIMIT
    store.close()
    reader.close()


def _long_read(path: Path, renew: bool) -> list[int]:
    """The log's size after each batch another connection commits while one read runs throughout
    (a large file's verification), renewing its snapshot after each batch or not."""
    reader, writer = Store(path, migrate=False), Store(path, migrate=False)
    sizes = []
    with reader.read() as conn:
        conn.execute("SELECT COUNT(*) FROM t").fetchone()
        for b in range(BATCHES):
            with writer.transaction() as w:
                w.executemany("INSERT INTO t (k, v) VALUES (?, randomblob(800))",
                              ((b * ROWS + i,) for i in range(ROWS)))  # fmt: skip
            if renew:
                reader.renew_read()
                assert conn.in_transaction  # still inside the read, in a new snapshot
                assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == (b + 1) * ROWS  # which sees the batch
            sizes.append(_wal(path))
    reader.close()
    writer.close()
    return sizes


def test_a_long_read_renewed_between_others_commits_does_not_hold_the_log_back(tmp_path: Path) -> None:
    for renew in (False, True):
        path = tmp_path / f"read-{renew}.db"
        with Store(path, migrate=False) as store:
            store.conn.executescript("CREATE TABLE schema_migrations (name TEXT); "
                                     "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);")  # fmt: skip
        _check_sizes(_long_read(path, renew), bounded=renew)  # renewed: restarted after each batch


def test_renewing_keeps_what_the_read_wrote_to_temporary_tables(tmp_path: Path) -> None:
    path = tmp_path / "temp.db"
    store = Store(path, migrate=False)
    store.conn.execute("CREATE TABLE schema_migrations (name TEXT)")
    with store.read() as conn:
        conn.execute("CREATE TEMP TABLE staged (k INTEGER)")
        conn.execute("INSERT INTO staged VALUES (1)")
        store.renew_read()
        conn.execute("INSERT INTO staged VALUES (2)")
        assert conn.execute("SELECT COUNT(*) FROM staged").fetchone()[0] == 2
    assert not store.conn.in_transaction
    store.renew_read()  # outside a read: nothing to renew, and no transaction is left open
    assert not store.conn.in_transaction
    store.close()
