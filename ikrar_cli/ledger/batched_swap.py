"""The swap of a verified file: one transaction for a small file, bounded batches published at once
for a large one (issue 20; docs/ledger-export.md, "One large file: batches, published at once").

A file whose staged entries fit in one batch (``batch_rows()``, 20,000 rows by default) is swapped
in as before, in one write transaction (:func:`staging.apply_staged`). A larger one:

1. waits for the batched-merge lock (``store/swaplock.py``: one batched merge at a time); deletes
   the rows of any batched merge that died before publishing (they were never shown), a bounded
   batch per transaction;
2. **claims** its logs in one short write transaction: every log is still as the verification saw
   it (else :class:`~.staging.Stale`, verified again), a new id in ``merges_pending`` and a row per
   log it adds entries to in ``merge_pending_logs`` with the log's size (migration 0019: the views every reader reads
   leave out the log's entries and attestations from there on); the log rows of new logs and the
   new session rows are written with ``pending_merge`` = that id (the views leave those out too);
3. copies the staged entries and attestations log by log in index ranges, each range its own
   write transaction of at most ``batch_rows()`` rows, sized to hold the write lock about
   ``TARGET_S`` seconds (:class:`~.batch_sizer.BatchSizer`); each batch notes the duplicate keys of
   its rows (counting every stored row, published or not); before each batch, SQLite's write-ahead
   log is checkpointed and restarted (``Store.restart_log``), else readers coming and going between
   the batches keep it from restarting and it grows by every batch's pages;
4. **publishes** in one short write transaction: replays the session plan on the rows every reader
   sees, stores the checkpoints and the run, and deletes its ``merges_pending`` row: at that commit
   every row of the file appears to every reader at once.

A small merge (or a claim) that finds one of its logs claimed by a batched merge waits for the
batched-merge lock (the claimant finished, or it died and its rows are deleted), then verifies
again. Other writers (roster import, kiosk, small merges of other logs) get the write lock between
the batches.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ..store.core import now
from ..store.pgmergelock import swap_locks
from ..testpoints import pause_point
from .batch_sizer import BatchSizer
from .duplicates import note_staged
from .staging import COPY_ATTESTATIONS, COPY_ENTRIES, Stale, add_checkpoints, apply_staged, local_state

if TYPE_CHECKING:
    import sqlite3

    from ..store.core import Store
    from .log import Ledger
    from .staging import StagedLog

ENV = "IKRAR_MERGE_BATCH"  # the most rows in one write transaction (tests set it small)
BATCH_ROWS = 20_000
CLAIMS = "merge_pending_logs"
clock = time.monotonic  # the holds the batch sizes follow (tests give their own)


def batch_rows() -> int:
    try:
        return max(1, int(os.environ.get(ENV, "") or BATCH_ROWS))
    except ValueError:
        return BATCH_ROWS


def staged_entries(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM merge_stage_entries").fetchone()[0])


def swap(
    store: Store, ledger: Ledger, logs: list[StagedLog], digests: dict[tuple[str, int], bytes],
    finish: Callable[[sqlite3.Connection], None],
) -> None:  # fmt: skip
    """Swap the staged file in; ``finish(conn)`` runs inside the transaction that makes it visible.
    Raises :class:`Stale` when the file must be verified again."""
    with store.read() as conn:
        entries = staged_entries(conn)
    if entries <= batch_rows():  # fits in one batch: one transaction
        with store.transaction() as conn:
            # PostgreSQL: a swap's own locks before any statement, else the exclusive write lock is taken
            # and swaps of other logs could not run beside it (store/pgmergelock.py)
            swap_locks(conn, [log.info.log_id for log in logs])
            claimed = _claimed(conn, logs)
            leftovers = conn.execute("SELECT 1 FROM merges_pending LIMIT 1").fetchone() is not None
            if not claimed:
                apply_staged(conn, ledger, logs, digests)
                finish(conn)
        if claimed:
            wait_and_clean(store)
            raise Stale(claimed)
        if leftovers:  # a batched merge runs (its lock is taken: nothing to do) or one died: clean
            with _swap_lock(store, wait=False) as free:
                if free:
                    _clean(store)
        return
    with _swap_lock(store):
        _clean(store)
        _batched(store, ledger, logs, digests, finish)


def _swap_lock(store: Store, wait: bool = True) -> contextlib.AbstractContextManager[bool]:
    from ..store.swaplock import held

    return held(store, wait=wait)


def _claimed(conn: sqlite3.Connection, logs: list[StagedLog]) -> str:
    """A log of the file that a batched merge (live or dead) has claimed, or ''."""
    for log in logs:
        if conn.execute(f"SELECT 1 FROM {CLAIMS} WHERE log_id = ?", (log.info.log_id,)).fetchone():
            return log.info.log_id
    return ""


def wait_and_clean(store: Store) -> None:
    """Wait until no batched merge runs, then delete what dead ones left."""
    with _swap_lock(store):
        _clean(store)


def _clean(store: Store) -> None:
    """Under the batched-merge lock: every listed pending merge is dead (its process would hold the
    lock); delete its rows, a bounded batch per transaction, then its listing (nothing was shown).
    Its entries and attestations are those of its claimed logs from the claimed sizes on (migration
    0019), its sessions and new logs' rows those marked with its id."""
    with store.read() as conn:
        dead = [int(r[0]) for r in conn.execute("SELECT id FROM merges_pending ORDER BY id")]
        claims = [(int(r[0]), str(r[1]), int(r[2]))
                  for r in conn.execute("SELECT merge_id, log_id, from_idx FROM merge_pending_logs")]  # fmt: skip
    sizer = BatchSizer(batch_rows())  # deletes too: bounded in rows and in time
    by_range = (
        "DELETE FROM attestation_rows WHERE id IN "
        "(SELECT id FROM attestation_rows WHERE log_id = ? AND ledger_idx >= ? LIMIT ?)",
        "DELETE FROM ledger_entry_rows WHERE log_id = ? AND idx IN "
        "(SELECT idx FROM ledger_entry_rows WHERE log_id = ? AND idx >= ? LIMIT ?)",
    )
    by_id = (
        "DELETE FROM session_rows WHERE id IN (SELECT id FROM session_rows WHERE pending_merge = ? LIMIT ?)",
        "DELETE FROM log_rows WHERE log_id IN (SELECT log_id FROM log_rows WHERE pending_merge = ? LIMIT ?)",
    )
    for mid in dead:
        steps: list[tuple[str, tuple[object, ...]]] = [  # the parameters but the last, the batch's rows
            (sql, (log_id, lo) if sql.count("?") == 3 else (log_id, log_id, lo))
            for owner, log_id, lo in claims if owner == mid for sql in by_range
        ]  # fmt: skip
        steps += [(sql, (mid,)) for sql in by_id]
        for sql, params in steps:
            while True:
                n = sizer.next()
                with store.transaction() as conn:
                    got = clock()
                    removed = conn.execute(sql, (*params, n)).rowcount
                sizer.took(removed, clock() - got)
                if removed < n:
                    break
        with store.transaction() as conn:
            conn.execute(f"DELETE FROM {CLAIMS} WHERE merge_id = ?", (mid,))
            conn.execute("DELETE FROM merges_pending WHERE id = ?", (mid,))


def _batched(
    store: Store, ledger: Ledger, logs: list[StagedLog], digests: dict[tuple[str, int], bytes],
    finish: Callable[[sqlite3.Connection], None],
) -> None:  # fmt: skip
    with store.read() as conn:  # the staged rows read by (log, index) range: seeks, not scans
        conn.execute("CREATE INDEX IF NOT EXISTS merge_stage_entries_key ON merge_stage_entries (log_id, idx)")
        conn.execute("CREATE INDEX IF NOT EXISTS merge_stage_attestations_key ON merge_stage_attestations "
                     "(log_id, ledger_idx)")  # fmt: skip
    mid = _claim(store, ledger, logs, digests)
    sizer = BatchSizer(batch_rows())
    for log in logs:
        for lo, hi in ranges(log.local.size, log.size, sizer):
            store.restart_log()  # SQLite: the log about one batch long, whoever reads meanwhile (Store.restart_log)
            with store.transaction() as conn:
                got = clock()  # the write lock is held from here to the end of the commit
                _copy_range(conn, log.info.log_id, lo, hi)
                pause_point("merge.batch")  # test-only (IKRAR_TEST_PAUSE_AT): inside a batch
            sizer.took(hi - lo, clock() - got)
            pause_point("merge.between")  # test-only: a batch committed, the file not yet shown
    store.restart_log()
    with store.transaction() as conn:  # publish
        for log in logs:
            log.sessions.apply(conn, digests)  # the updates of rows readers see (the rows are there)
            add_checkpoints(conn, log)
        finish(conn)
        conn.execute(f"DELETE FROM {CLAIMS} WHERE merge_id = ?", (mid,))
        if conn.execute("DELETE FROM merges_pending WHERE id = ?", (mid,)).rowcount != 1:
            raise Stale("")  # cannot happen while the lock is held; never publish what was deleted


def ranges(lo: int, end: int, sizer: BatchSizer) -> Iterator[tuple[int, int]]:
    """The index ranges [lo, hi) that cover [lo, end), each as long as ``sizer`` says when it is
    asked (after the caller told it how long the one before held the lock)."""
    while lo < end:
        hi = min(lo + sizer.next(), end)
        yield lo, hi
        lo = hi


def _claim(store: Store, ledger: Ledger, logs: list[StagedLog], digests: dict[tuple[str, int], bytes]) -> int:
    with store.transaction() as conn:
        for log in logs:
            if local_state(conn, ledger, log.info.log_id) != log.local:
                raise Stale(log.info.log_id)
        if _claimed(conn, logs):  # only dead merges' claims, and _clean removed those: cannot happen
            raise Stale("")
        row = conn.execute("SELECT value FROM meta WHERE key = 'pending_merge_last'").fetchone()
        mid = (int(row[0]) if row else 0) + 1  # never reused: a published merge's rows keep its id
        store.set_meta(conn, "pending_merge_last", str(mid))
        conn.execute("INSERT INTO merges_pending (id, started_at) VALUES (?, ?)", (mid, now()))
        session_rows: list[tuple[str, int, int]] = []
        for log in logs:
            if log.size > log.local.size:  # only logs it adds to: from their sizes on, its rows are hidden
                conn.execute(f"INSERT INTO {CLAIMS} (merge_id, log_id, from_idx) VALUES (?, ?, ?)",
                             (mid, log.info.log_id, log.local.size))  # fmt: skip
            if not log.local.existed:
                i = log.info
                conn.execute(
                    "INSERT INTO log_rows (log_id, origin, public_key, key_name, created_at, pending_merge) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (i.log_id, i.origin, i.public_key, i.key_name, now(), mid),
                )
            for number, sid in log.sessions.apply(conn, digests, pending=mid).items():
                session_rows.append((log.info.log_id, number, sid))
        conn.execute("DELETE FROM merge_stage_sessions")
        conn.executemany("INSERT INTO merge_stage_sessions VALUES (?, ?, ?)", session_rows)
    pause_point("merge.between")  # test-only: claimed, nothing shown
    return mid


def _copy_range(conn: sqlite3.Connection, log_id: str, lo: int, hi: int) -> None:
    conn.execute(COPY_ENTRIES + " WHERE log_id = ? AND idx >= ? AND idx < ?", (log_id, lo, hi))
    # in index order (the file's), so that of one officer's two receipts in a log the first is kept
    conn.execute(
        COPY_ATTESTATIONS + " AND a.log_id = ? AND a.ledger_idx >= ? AND a.ledger_idx < ? ORDER BY a.ledger_idx "
        "ON CONFLICT DO NOTHING",
        (log_id, lo, hi),
    )
    note_staged(conn, "s.log_id = ? AND s.ledger_idx >= ? AND s.ledger_idx < ?", (log_id, lo, hi))
