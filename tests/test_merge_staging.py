"""A merge holds the write lock only for its short swap (issue 20): while a file is verified and
staged, a roster import and another merge run to completion; two merges of the same file never
count a record twice; a merge killed while staging or inside its swap leaves the store as it was.

The merge child is held at a test pause point (ikrar_cli/testpoints.py) and, for the concurrency
tests, let go by a line on its standard input: every step waits for an event, never a duration.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engines import central_db_args, connect_db, dump_db
from pausepoints import kill_hard, start_paused
from test_merge import PASS, Site

from ikrar_cli.demo.office import write_sample_roster
from ikrar_cli.testpoints import RESUME

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)
ROOT = Path(__file__).resolve().parents[1]
N = 120  # officers attested on each terminal


def child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, IKRAR_HOME=str(home), PYTHONPATH=str(ROOT), **PASS)
    env.pop("IKRAR_DATABASE_URL", None)  # the centre's own ikrar.yaml names its database
    return env


def merge_cmd(home: Path, *files: Path) -> list[str]:
    return [sys.executable, "-m", "ikrar_cli", "--home", str(home), "ledger", "merge", *map(str, files), "--json"]


def write_lock_held(home: Path) -> bool:
    """Whether another process holds the workspace's write lock right now (SQLite's RESERVED lock,
    PostgreSQL's advisory lock), asked without waiting."""
    conn: Any = connect_db(home)
    try:
        if isinstance(conn, sqlite3.Connection):
            conn.close()
            probe = sqlite3.connect(home / "ikrar.db", timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
                return True
            finally:
                probe.close()
            return False
        from ikrar_cli.store.postgres import WRITE_LOCK

        got = conn.raw.execute("SELECT pg_try_advisory_lock(%s)", (WRITE_LOCK,)).fetchone()[0]
        return not got
    finally:
        conn.close()


def rows(home: Path) -> tuple[int, int, int, int]:
    db = connect_db(home)
    try:
        out = db.execute(
            "SELECT (SELECT COUNT(*) FROM ledger_entries), (SELECT COUNT(*) FROM attestations), "
            "(SELECT COUNT(DISTINCT log_id || ':' || ledger_idx) FROM attestations), "
            "(SELECT COUNT(*) FROM attestations WHERE unlisted = 1)"
        ).fetchone()
    finally:
        db.close()
    return tuple(out)  # type: ignore[return-value]


@pytest.fixture
def world(ikrar, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A centre whose roster lacks the last 40 officers, two terminals that attested N officers each
    (the second overlapping the first by half), and a full export of each terminal."""
    roster = tmp_path / "roster.csv"
    nips = write_sample_roster(roster, 2 * N)
    lines = roster.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    partial = tmp_path / "partial.csv"
    partial.write_text("".join(lines[: len(lines) - 40]), encoding="utf-8")
    central = Site(ikrar, tmp_path / "central")
    central("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA", *central_db_args())
    central("key", "init-authority")
    central("roster", "import", str(partial))
    exports = []
    for n, chosen in ((1, nips[:N]), (2, nips[N // 2 : N // 2 + N])):
        t = Site(ikrar, tmp_path / f"t{n}")
        t("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA")
        t("key", "new-terminal", f"apel-{n}", "--out", str(tmp_path / f"req{n}.json"))
        central("key", "certify", str(tmp_path / f"req{n}.json"), "--valid-from", "2024-01-01",
                "--out", str(tmp_path / f"cert{n}.json"))  # fmt: skip
        t("key", "import-cert", str(tmp_path / f"cert{n}.json"))
        t("roster", "import", str(roster))
        t("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", f"Halaman {n}",
          "--force", "--reason", "uji")  # fmt: skip
        att = tmp_path / f"att{n}.csv"
        att.write_text("NIP\n" + "\n".join(chosen) + "\n")
        t("attest", "--session", "1", "--attendance", str(att))
        t("ledger", "checkpoint")
        t("ledger", "export", "--out", str(tmp_path / f"t{n}.jsonl"))
        exports.append(tmp_path / f"t{n}.jsonl")
    return central, exports, roster


def held_merge(home: Path, export: Path, point: str = "merge.flush") -> subprocess.Popen[bytes]:
    """A merge child held at ``point`` until a line arrives on its standard input."""
    env = {**child_env(home), RESUME: "stdin"}
    return start_paused(merge_cmd(home, export), env, point, stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def let_go(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(b"\n")
    proc.stdin.close()
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait()
    assert proc.returncode == 0, err.decode()
    return json.loads(out)  # type: ignore[no-any-return]


def test_roster_import_and_another_merge_run_during_a_merge(world) -> None:  # type: ignore[no-untyped-def]
    central, (e1, e2), roster = world
    proc = held_merge(central.home, e1)  # every entry of e1 verified and staged, nothing swapped in
    try:
        assert not write_lock_held(central.home)
        r = central("roster", "import", str(roster), "--json")  # the 40 missing officers arrive meanwhile
        assert json.loads(r.stdout)["added"] == 40
        r = central("ledger", "merge", str(e2), "--json")  # a second merge completes meanwhile
        assert json.loads(r.stdout)["files"][0]["added"] == N
        assert rows(central.home)[:2] == (N + 1, N)  # e2 only: its session record and receipts
    finally:
        report = let_go(proc)
    assert report["files"][0]["accepted"] is True and report["files"][0]["added"] == N
    entries, atts, distinct, unlisted = rows(central.home)
    assert (entries, atts, distinct) == (2 * N + 2, 2 * N, 2 * N)
    # the roster is read when the file is swapped in: officers imported during the merge are listed
    assert unlisted == 0
    central("ledger", "verify")


def test_the_same_file_merged_twice_at_once_is_counted_once(world) -> None:  # type: ignore[no-untyped-def]
    central, (e1, _e2), _roster = world
    proc = held_merge(central.home, e1)
    try:
        r = central("ledger", "merge", str(e1), "--json")  # the same file, merged while the first is held
        assert json.loads(r.stdout)["files"][0]["added"] == N
    finally:
        report = let_go(proc)
    # the held merge finds its log changed at the swap, verifies again and finds every entry known
    f = report["files"][0]
    assert f["accepted"] is True and f["added"] == 0 and f["logs"][0]["already_merged"] == N + 1
    assert rows(central.home)[:3] == (N + 1, N, N)
    central("ledger", "verify")


@pytest.mark.parametrize("point,locked", [("merge.flush", False), ("merge.commit", True)])
def test_a_merge_killed_mid_way_leaves_no_trace(world, point: str, locked: bool) -> None:  # type: ignore[no-untyped-def]
    """kill -9 with the file staged (no lock held) or inside the swap (lock held): the store is exactly
    as before, nothing of the staging survives, and the next merge adds everything."""
    central, (e1, e2), _roster = world
    central("ledger", "merge", str(e2))
    before = dump_db(central.home)
    proc = start_paused(merge_cmd(central.home, e1), child_env(central.home), point, stdout=subprocess.DEVNULL)
    assert write_lock_held(central.home) is locked
    kill_hard(proc)
    assert dump_db(central.home) == before
    r = central("ledger", "merge", str(e1), "--json")
    assert json.loads(r.stdout)["files"][0]["added"] == N
    assert rows(central.home)[:3] == (2 * N + 2, 2 * N, 2 * N)
    central("ledger", "verify")


def test_an_incremental_merge_stages_without_the_lock_too(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The incremental merge (and so the server's ingest) shares the staging and the apply step."""
    central, (e1, _e2), roster = world
    t1 = Site(central.ikrar, tmp_path / "t1")
    inc = tmp_path / "inc.jsonl"
    t1("ledger", "export", "--since", "0", "--out", str(inc))
    proc = held_merge(central.home, inc)
    try:
        assert not write_lock_held(central.home)
        central("roster", "import", str(roster))
    finally:
        report = let_go(proc)
    assert report["files"][0]["added"] == N
    assert rows(central.home) == (N + 1, N, N, 0)
    central("ledger", "verify")


def test_a_file_verified_in_several_snapshots_sees_a_merge_committed_meanwhile(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Verification renews its read snapshot every RENEW_EVERY entries (on SQLite, so a large file
    does not hold the write-ahead log back; on PostgreSQL it keeps its one snapshot). Another process
    merges the same file between two renewals: the swap finds the log changed, the file is verified
    again, and every record is counted once."""
    from ikrar_cli.ledger import staging
    from ikrar_cli.store.core import Store
    from ikrar_cli.store.postgres import PgStore

    central, (e1, _e2), _roster = world
    monkeypatch.setattr(staging, "RENEW_EVERY", 25)
    renewals: list[str] = []
    for cls in (Store, PgStore):
        def renew(store: Any, _original: Any = cls.renew_read) -> None:
            if not renewals:  # the first renewal: another merge of the same file completes now
                done = subprocess.run(merge_cmd(central.home, e1), env=child_env(central.home), capture_output=True)
                assert done.returncode == 0, done.stderr.decode()
                assert json.loads(done.stdout)["files"][0]["added"] == N
            renewals.append(type(store).__name__)
            _original(store)

        monkeypatch.setattr(cls, "renew_read", renew)
    r = central("ledger", "merge", str(e1), "--json")
    f = json.loads(r.stdout)["files"][0]
    # verified twice (the second time every entry is known: no renewal then): N + 1 entries, one every 25
    assert len(renewals) == (N + 1 - 1) // 25
    assert f["accepted"] is True and f["added"] == 0 and f["logs"][0]["already_merged"] == N + 1
    assert rows(central.home)[:3] == (N + 1, N, N)
    central("ledger", "verify")
