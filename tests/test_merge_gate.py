"""Several merges of overlapping files in parallel processes (issue 20): on SQLite they queue at the
write gate for the lock (ikrar_cli/store/writegate.py), on PostgreSQL at the advisory lock; every
process succeeds and every record is in the store exactly once, whatever order they ran in.
No step waits for a duration: the processes are started together and waited for.
"""

from __future__ import annotations

import json
import subprocess

from test_merge_staging import N, child_env, merge_cmd, rows, world  # noqa: F401 - the fixture

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
