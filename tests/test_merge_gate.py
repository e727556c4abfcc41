"""Several merges of overlapping files in parallel processes (issue 20): on SQLite they queue at the
write gate for the lock (ikrar_cli/store/writegate.py), on PostgreSQL at the advisory lock; every
process succeeds and every record is in the store exactly once, whatever order they ran in.
No step waits for a duration: the processes are started together and waited for.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from engines import connect_db
from test_merge_staging import N, child_env, held_merge, let_go, merge_cmd, rows, world  # noqa: F401 - the fixture

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)


def test_parallel_merges_of_overlapping_files_lose_and_duplicate_nothing(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, (e1, e2), _roster = world
    orders = [[e1], [e2], [e1, e2], [e2, e1], [e1]]
    procs = [subprocess.Popen(merge_cmd(central.home, *files), env=child_env(central.home), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for files in orders]  # fmt: skip
    added = 0
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err.decode()
        report = json.loads(out)
        assert all(f["accepted"] for f in report["files"])
        added += sum(f["added"] for f in report["files"])
    assert added == 2 * N  # each receipt added by exactly one of the processes
    # both logs whole (a session record and N receipts each), one attestation row per receipt
    assert rows(central.home) == (2 * N + 2, 2 * N, 2 * N, 0)
    central("ledger", "verify")


def _lock_waits(home: Path) -> list[tuple[str, int, int]] | None:
    """PostgreSQL: the locks sessions of the workspace's database wait for now, as (type, classid,
    objid) — an advisory lock's two keys, or its bigint key's two halves; None on SQLite."""
    conn: Any = connect_db(home)
    try:
        if isinstance(conn, sqlite3.Connection):
            return None
        rows = conn.raw.execute(
            "SELECT locktype, COALESCE(classid::bigint, 0), COALESCE(objid::bigint, 0) FROM pg_locks WHERE NOT granted "
            "AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
        ).fetchall()
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]
    finally:
        conn.close()


def _first_wait(home: Path, proc: subprocess.Popen[bytes]) -> tuple[str, int, int]:
    """The lock ``proc``'s session comes to wait for (an event), failing if ``proc`` ends first."""
    deadline = time.monotonic() + 600  # only a bound for a broken child
    while not (waits := _lock_waits(home)):
        assert proc.poll() is None, "the merge ended instead of waiting for the swap beside it"
        assert time.monotonic() < deadline, "the merge never waited"
        time.sleep(0.05)  # polling the server's lock table, not a guess at how long anything takes
    return waits[0]


def test_a_swap_beside_another_logs_swap_notes_their_common_officers(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811, E501
    """Two files of different logs with N/2 officers in common, the second swapped while the first's
    swap is open: on PostgreSQL the second does its inserts beside it and waits only to note the
    duplicates (store/pgmergelock.py), which it counts after the first committed; every common officer
    is listed as a duplicate, as when the swaps run one after another (SQLite always does)."""
    central, (e1, e2), _roster = world
    first = held_merge(central.home, e1, "merge.commit")  # inside its swap: rows in, not committed
    second = subprocess.Popen(merge_cmd(central.home, e2), env=child_env(central.home), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)  # fmt: skip
    try:
        if _lock_waits(central.home) is not None:
            from ikrar_cli.store.pgmergelock import NOTE_LOCK

            wait = _first_wait(central.home, second)
            assert wait == ("advisory", NOTE_LOCK >> 32, NOTE_LOCK & 0xFFFFFFFF), wait
    finally:
        report1 = let_go(first)
    out, err = second.communicate()
    assert second.returncode == 0, err.decode()
    report2 = json.loads(out)
    assert report1["files"][0]["added"] == N and report2["files"][0]["added"] == N
    assert len(report2["duplicates"]) == N // 2 and all(len(d["attestations"]) == 2 for d in report2["duplicates"])
    assert rows(central.home) == (2 * N + 2, 2 * N, 2 * N, 0)
    central("ledger", "verify")


def test_the_same_log_swapped_twice_at_once_is_counted_once(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The same file merged while the first merge of it is inside its swap: the second waits for that
    log's lock (PostgreSQL) or the write lock (SQLite), then finds the log changed, verifies again and
    adds nothing; both succeed and every record is there once."""
    central, (e1, _e2), _roster = world
    first = held_merge(central.home, e1, "merge.commit")
    second = subprocess.Popen(merge_cmd(central.home, e1), env=child_env(central.home), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)  # fmt: skip
    try:
        if _lock_waits(central.home) is not None:
            from ikrar_cli.store.pgmergelock import LOG_LOCK_SPACE

            wait = _first_wait(central.home, second)
            assert wait[:2] == ("advisory", LOG_LOCK_SPACE), wait  # the log's own lock (two keys)
    finally:
        report1 = let_go(first)
    out, err = second.communicate()
    assert second.returncode == 0, err.decode()
    f1, f2 = report1["files"][0], json.loads(out)["files"][0]
    assert f1["added"] == N and f2["accepted"] is True and f2["added"] == 0
    assert rows(central.home)[:3] == (N + 1, N, N)
    central("ledger", "verify")
