"""One large file swapped in bounded batches, shown at once (issue 20; docs/ledger-export.md, "One
large file: batches, published at once"; ikrar_cli/ledger/batched_swap.py, migration 0019).

The batch size is made small (``IKRAR_MERGE_BATCH``, here 25 rows) so that a terminal export of
121 entries is applied in 5 write transactions. The merge child is held at a test pause point
between two batches (ikrar_cli/testpoints.py): every step waits for an event, never a duration.
Each test builds two centres from one world (the second a copy of the first, before any merge)
so that the batched merge can be compared with the one-transaction merge of the same files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from engines import _admin, connect_db, with_database
from pausepoints import kill_hard, start_paused
from test_merge import Site
from test_merge_staging import N, child_env, let_go, merge_cmd, write_lock_held
from test_merge_staging import world as world  # noqa: PLC0414 - the fixture, shared

from ikrar_cli.ledger.batched_swap import ENV as BATCH_ENV
from ikrar_cli.testpoints import RESUME

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)
BATCH = "25"  # rows per batch: 121 entries -> 5 batches

# what every reader reads: the views of migration 0019 and the tables published with them, in
# terms that do not depend on row ids (a session is named by its log and number)
VISIBLE = {
    "logs": "SELECT log_id, origin, public_key, key_name FROM logs",
    "entries": "SELECT log_id, idx, leaf, leaf_hash FROM ledger_entries",
    "sessions": "SELECT log_id, COALESCE(origin_session, id), terminal_name, pledge_id, pledge_version, pledge_digest, "
    "title, location, unit_code, timezone, opened_at, closed_at, forced_reason, merged, signed, roster_digest "
    "FROM sessions",
    "attestations": "SELECT s.log_id, COALESCE(s.origin_session, s.id), a.log_id, a.ledger_idx, a.officer_id, "
    "a.id_type, a.officer_name, a.unit_code, a.pledge_id, a.pledge_version, a.method, a.attested_at, a.unlisted, "
    "a.receipt, a.receipt_rid, a.merged FROM attestations a JOIN sessions s ON s.id = a.session_id",
    "checkpoints": "SELECT log_id, size, root, note FROM checkpoints",
    "duplicate_keys": "SELECT k.officer_id, k.pledge_id, k.pledge_version FROM attestation_duplicate_keys k "
    "WHERE (SELECT COUNT(*) FROM attestations a WHERE a.officer_id = k.officer_id AND a.pledge_id = k.pledge_id "
    "AND a.pledge_version = k.pledge_version) > 1",
    "runs": "SELECT file, sha256, logs, added, known FROM merge_runs",
}


def seen(home: Path) -> dict[str, list[str]]:
    """Every row a reader of the workspace sees, sorted (a new connection: another process's view)."""
    db = connect_db(home)
    try:
        return {name: sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                             for row in db.execute(sql).fetchall()) for name, sql in VISIBLE.items()}  # fmt: skip
    finally:
        db.close()


def stored(home: Path) -> tuple[int, int, int]:
    """Rows in the tables behind the views (published or not) and batched merges not published."""
    db = connect_db(home)
    try:
        row = db.execute(
            "SELECT (SELECT COUNT(*) FROM ledger_entry_rows), (SELECT COUNT(*) FROM attestation_rows), "
            "(SELECT COUNT(*) FROM merges_pending)"
        ).fetchone()
    finally:
        db.close()
    return tuple(row)  # type: ignore[return-value]


def readers(site: Site) -> list[Any]:
    """What the commands that read merged records print: verification (sizes, roots), sessions
    (without the local row ids, which depend on the order of the merges) and the compliance report."""
    out: list[Any] = []
    for args in (("ledger", "verify"), ("session", "list"), ("report", "compliance", "--pledge", "pilkada-2024",
                                                             "--all")):  # fmt: skip
        out.append(json.loads(site("--json", *args).stdout))
    out[2] = _timeless(out[2])  # the report's own time of writing
    out[1] = sorted(({k: v for k, v in s.items() if k != "id"} for s in out[1]), key=lambda s: s["session_id"])
    return out


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in ("generated_at", "signature", "digest")}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


@pytest.fixture
def pair(world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The world's centre, and a copy of it made before any merge (same keys, roster and database
    contents), to merge the same files in one transaction each."""
    central, exports, roster = world
    central("trust", "export")  # the bundle the compliance report checks receipts with
    central("roster", "publish", "--as-of", date.today().isoformat())  # the roster the report counts
    twin_home = tmp_path / "twin"
    shutil.copytree(central.home, twin_home)
    url = os.environ.get("IKRAR_TEST_CENTRAL_DB")
    twin_url = None
    if url:  # PostgreSQL: the database copied too, and the copy's ikrar.yaml pointed at it
        name = urlsplit(url).path.lstrip("/")
        _admin().execute(f"CREATE DATABASE {name}_twin TEMPLATE {name}")
        twin_url = with_database(url, f"{name}_twin")
        config = twin_home / "ikrar.yaml"
        text = config.read_text(encoding="utf-8")
        assert text.count(f"/{name}") == 1  # the address (its password is kept apart, database.pass)
        config.write_text(text.replace(f"/{name}", f"/{name}_twin"), encoding="utf-8")
    twin = Site(central.ikrar, twin_home)
    try:
        yield central, twin, exports, roster
    finally:
        if twin_url:
            _admin().execute(f"DROP DATABASE IF EXISTS {urlsplit(twin_url).path.lstrip('/')} WITH (FORCE)")


def batched_env(home: Path) -> dict[str, str]:
    return {**child_env(home), BATCH_ENV: BATCH}


def test_a_batched_file_is_shown_only_when_its_last_batch_commits(pair) -> None:  # type: ignore[no-untyped-def]
    """Held after its second batch committed: no reader sees a row of the file, the write lock is
    free, a roster import and a merge of another file complete; let go, the file appears whole and
    the workspace equals the one-transaction merge of the same files."""
    central, twin, (e1, e2), roster = pair
    before = seen(central.home)
    shown = readers(central)
    env = {**batched_env(central.home), RESUME: "stdin"}
    # merge.between: 1 after the claim, 2 and 3 after the first and second batch
    proc = start_paused(merge_cmd(central.home, e1), env, "merge.between:3", stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE)  # fmt: skip
    try:
        entries, atts, pending = stored(central.home)
        assert (entries, atts, pending) == (50, 49, 1)  # two batches written: the session record + 49 receipts
        assert seen(central.home) == before
        assert readers(central) == shown
        assert not write_lock_held(central.home)
        r = central("roster", "import", str(roster), "--json")  # gets the write lock between batches
        assert json.loads(r.stdout)["added"] == 40
        r = central("ledger", "merge", str(e2), "--json")  # another log, in one transaction meanwhile
        assert json.loads(r.stdout)["files"][0]["added"] == N
        assert seen(central.home)["entries"] != before["entries"]
        assert stored(central.home)[2] == 1
        during = seen(central.home)
    finally:
        report = let_go(proc)
    assert report["files"][0]["accepted"] is True and report["files"][0]["added"] == N
    after = seen(central.home)
    assert len(after["entries"]) == len(during["entries"]) + N + 1
    assert stored(central.home)[2] == 0
    twin("roster", "import", str(roster))
    twin("ledger", "merge", str(e2))
    twin("ledger", "merge", str(e1))
    assert after == seen(twin.home)
    assert readers(central) == readers(twin)
    dup = central("ledger", "merge", str(e1), "--json")  # nothing new; the duplicates listed
    assert json.loads(dup.stdout)["duplicates"] == json.loads(twin("ledger", "merge", str(e1), "--json").stdout)[
        "duplicates"]  # fmt: skip
    assert len(json.loads(dup.stdout)["duplicates"]) == N // 2
    central("ledger", "verify")


@pytest.mark.parametrize("point", ["merge.between:1", "merge.between:3", "merge.batch:4", "merge.commit"])
def test_a_batched_merge_killed_anywhere_shows_nothing_and_a_rerun_succeeds(pair, point: str) -> None:  # type: ignore[no-untyped-def]
    """kill -9 after the claim, between batches, inside a batch, or inside the publishing transaction:
    every reader sees the workspace as before; the next merge deletes the leftover rows (never shown)
    and merges the file; the result equals the one-transaction merge."""
    central, twin, (e1, e2), _roster = pair
    central("ledger", "merge", str(e2))
    before = seen(central.home)
    proc = start_paused(merge_cmd(central.home, e1), batched_env(central.home), point, stdout=subprocess.DEVNULL)
    kill_hard(proc)
    assert seen(central.home) == before
    entries, _atts, pending = stored(central.home)
    assert pending == 1
    if point != "merge.between:1":
        assert entries > N + 1  # batches of the file were committed (and not shown)
    r = subprocess.run(merge_cmd(central.home, e1), env=batched_env(central.home), capture_output=True, check=False)
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout)["files"][0]["added"] == N
    assert stored(central.home) == (2 * N + 2, 2 * N, 0)  # the leftovers are gone, nothing twice
    twin("ledger", "merge", str(e2))
    twin("ledger", "merge", str(e1))
    assert seen(central.home) == seen(twin.home)
    central("ledger", "verify")


def test_a_small_merge_of_a_log_a_dead_batched_merge_claimed_cleans_up_first(pair) -> None:  # type: ignore[no-untyped-def]
    """A batched merge killed between batches; the same file merged again in one transaction (a
    larger batch size): it finds the log claimed, deletes the dead merge's rows and merges."""
    central, _twin, (e1, _e2), _roster = pair
    before = seen(central.home)
    proc = start_paused(merge_cmd(central.home, e1), batched_env(central.home), "merge.between:2",
                        stdout=subprocess.DEVNULL)  # fmt: skip
    kill_hard(proc)
    assert seen(central.home) == before and stored(central.home)[2] == 1
    r = subprocess.run(merge_cmd(central.home, e1), env=child_env(central.home), capture_output=True, check=False)
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout)["files"][0]["added"] == N
    assert stored(central.home) == (N + 1, N, 0)
    central("ledger", "verify")


def test_a_second_batched_merge_waits_for_the_first(pair) -> None:  # type: ignore[no-untyped-def]
    """Two batched merges at once, of two files: the second waits for the first to publish (one
    batched merge at a time), then runs; both files end up whole."""
    central, twin, (e1, e2), _roster = pair
    env = {**batched_env(central.home), RESUME: "stdin"}
    first = start_paused(merge_cmd(central.home, e1), env, "merge.between:2", stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)  # fmt: skip
    try:  # started while the first holds the batched-merge lock; it finishes whatever the order
        second = subprocess.Popen(merge_cmd(central.home, e2), env=batched_env(central.home),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    finally:
        report: Any = let_go(first)
    assert report["files"][0]["added"] == N
    out, err = second.communicate()
    assert second.returncode == 0, err.decode()
    assert json.loads(out)["files"][0]["added"] == N
    assert stored(central.home) == (2 * N + 2, 2 * N, 0)
    twin("ledger", "merge", str(e1))
    twin("ledger", "merge", str(e2))
    assert seen(central.home)["entries"] == seen(twin.home)["entries"]
    assert seen(central.home)["attestations"] == seen(twin.home)["attestations"]


def test_an_incremental_file_is_batched_and_shown_at_once_too(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The incremental merge (and so the server's ingest) swaps through the same batches."""
    central, _twin, (_e1, _e2), _roster = pair
    inc = tmp_path / "inc.jsonl"
    Site(central.ikrar, tmp_path / "t1")("ledger", "export", "--since", "0", "--out", str(inc))
    before = seen(central.home)
    env = {**batched_env(central.home), RESUME: "stdin"}
    proc = start_paused(merge_cmd(central.home, inc), env, "merge.between:2", stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE)  # fmt: skip
    try:
        assert stored(central.home) == (25, 24, 1)
        assert seen(central.home) == before
    finally:
        report = let_go(proc)
    assert report["files"][0]["added"] == N
    assert stored(central.home) == (N + 1, N, 0)
    assert len(seen(central.home)["entries"]) == N + 1
    central("ledger", "verify")


def test_the_next_merge_of_another_file_deletes_a_dead_batched_merges_rows(pair) -> None:  # type: ignore[no-untyped-def]
    """Killed between batches; the next merge, of another log and in one transaction, finds the
    batched-merge lock free after its swap and deletes the dead merge's rows (never shown)."""
    central, _twin, (e1, e2), _roster = pair
    proc = start_paused(merge_cmd(central.home, e1), batched_env(central.home), "merge.between:3",
                        stdout=subprocess.DEVNULL)  # fmt: skip
    kill_hard(proc)
    assert stored(central.home) == (50, 49, 1)
    r = central("ledger", "merge", str(e2), "--json")
    assert json.loads(r.stdout)["files"][0]["added"] == N
    assert stored(central.home) == (N + 1, N, 0)  # e2's rows only
    central("ledger", "verify")


def test_a_batched_merge_hides_only_the_logs_it_adds_to(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A file of two logs, one of them already merged whole: held between batches, only the new log
    is claimed (from index 0) and the known log stays claimable by nobody, so any writer of it (a
    workspace's own kiosk log coming back) would stay shown; let go, the new log appears whole."""
    central, twin, (e1, e2), _roster = pair
    twin("ledger", "merge", str(e1))
    twin("ledger", "merge", str(e2))
    both = tmp_path / "both.jsonl"
    twin("ledger", "export", "--out", str(both))
    central("ledger", "merge", str(e2))
    db = connect_db(central.home)
    try:
        known = {str(r[0]) for r in db.execute("SELECT log_id FROM logs").fetchall()}
    finally:
        db.close()
    env = {**batched_env(central.home), RESUME: "stdin"}
    proc = start_paused(merge_cmd(central.home, both), env, "merge.between:2", stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE)  # fmt: skip
    try:
        db = connect_db(central.home)
        try:
            claims = db.execute("SELECT log_id, from_idx FROM merge_pending_logs").fetchall()
        finally:
            db.close()
    finally:
        report = let_go(proc)
    assert len(claims) == 1 and claims[0][1] == 0
    assert known and str(claims[0][0]) not in known
    assert sum(f["added"] for f in report["files"]) == N
    assert len(seen(central.home)["entries"]) == 2 * (N + 1)
