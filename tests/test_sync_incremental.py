"""Incremental ledger exports: merged with the checks of 'ledger merge', continuity with what the
centre holds, idempotence, a gap answered with the centre's size, forks refused with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sync_world import attest, increment, log_of, make_world

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)


@pytest.fixture
def world(ikrar, tmp_path: Path):  # type: ignore[no-untyped-def]
    central, (t1, t2), nips = make_world(ikrar, tmp_path, 2)
    return central, t1, t2, nips, tmp_path


def merge(central, path: Path, ok: bool = True):  # type: ignore[no-untyped-def]
    r = central("ledger", "merge", str(path), "--json", ok=ok)
    return r, json.loads(r.stdout)


def test_increments_chain_and_reapplying_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, _t2, nips, tmp = world
    attest(t1, *nips[0:2])
    first = increment(t1, tmp / "a.jsonl", 0)
    _r, rep = merge(central, first)
    assert rep["files"][0]["accepted"] and rep["files"][0]["added"] == 2
    size_a = central.log_size()
    assert size_a == 3  # the session-open record and two receipts
    attest(t1, *nips[2:5])
    second = increment(t1, tmp / "b.jsonl", size_a)
    lines = second.read_text().splitlines()
    head = json.loads(lines[0])
    assert (head["format"], head["since"], head["size"]) == ("ikrar-ledger-increment", 3, 6)
    assert head["consistency"] and len(lines) == 1 + 3 + 1
    _r, rep = merge(central, second)
    assert rep["files"][0]["added"] == 3
    before = [tuple(r) for r in central.db().execute("SELECT log_id, idx, leaf_hash FROM ledger_entries ORDER BY idx")]
    atts = central.db().execute("SELECT COUNT(*) FROM attestations").fetchone()[0]
    for again in (second, first):  # idempotent: re-merging either changes nothing
        _r, rep = merge(central, again)
        assert rep["files"][0]["accepted"] and rep["files"][0]["added"] == 0
    after = [tuple(r) for r in central.db().execute("SELECT log_id, idx, leaf_hash FROM ledger_entries ORDER BY idx")]
    assert after == before
    assert central.db().execute("SELECT COUNT(*) FROM attestations").fetchone()[0] == atts == 5
    central("ledger", "verify")


def test_a_gap_is_refused_with_the_centres_size(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, _t2, nips, tmp = world
    attest(t1, nips[0])
    increment(t1, tmp / "a.jsonl", 0)
    attest(t1, nips[1])
    late = increment(t1, tmp / "b.jsonl", 2)  # the centre never got the first file
    r, rep = merge(central, late, ok=False)
    assert r.exit_code == 1
    err = rep["files"][0]["error"]
    assert err["code"] == "behind"
    assert "holds 0 entries" in err["message"] and "--since 0" in err["hint"]
    assert central.log_size() == 0


def test_since_a_checkpoint_file(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, _t2, nips, tmp = world
    attest(t1, nips[0])
    merge(central, increment(t1, tmp / "a.jsonl", 0))
    note = tmp / "centre.cp"
    note.write_text(central.db().execute("SELECT note FROM checkpoints ORDER BY size DESC").fetchone()[0])
    attest(t1, nips[1])
    t1("ledger", "checkpoint")
    t1("ledger", "export", "--since", str(note), "--out", str(tmp / "b.jsonl"))
    assert json.loads((tmp / "b.jsonl").read_text().splitlines()[0])["since"] == 2
    _r, rep = merge(central, tmp / "b.jsonl")
    assert rep["files"][0]["added"] == 1


def test_a_checkpoint_of_another_log_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    _central, t1, t2, nips, tmp = world
    attest(t2, nips[3])
    t2("ledger", "checkpoint")
    note = tmp / "other.cp"
    note.write_text(t2.db().execute("SELECT note FROM checkpoints ORDER BY size DESC").fetchone()[0])
    attest(t1, nips[0])
    t1("ledger", "checkpoint")
    r = t1("ledger", "export", "--since", str(note), "--out", str(tmp / "x.jsonl"), ok=False)
    assert r.exit_code == 1
    assert "not signed by" in r.stderr
    assert not (tmp / "x.jsonl").exists()


def test_a_rewritten_history_is_refused_as_a_fork(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The terminal's database is replaced by a copy taken earlier, and new receipts are signed on it:
    the same log now has two different histories. The centre refuses the second with the reason."""
    import shutil

    central, t1, _t2, nips, tmp = world
    attest(t1, nips[0])
    t1("ledger", "checkpoint")
    shutil.copytree(t1.home, tmp / "t1-copy")
    attest(t1, nips[1])
    merge(central, increment(t1, tmp / "a.jsonl", 0))
    # the other history: from the copy, another officer at index 2
    shutil.rmtree(t1.home)
    shutil.copytree(tmp / "t1-copy", t1.home)
    attest(t1, nips[2], nips[3])
    forked = increment(t1, tmp / "b.jsonl", 2)
    r, rep = merge(central, forked, ok=False)
    assert r.exit_code == 1
    err = rep["files"][0]["error"]
    assert err["code"] == "fork"
    assert "FORK in log" in err["message"]
    assert central.log_size() == 3
    # the whole rewritten log from 0 is refused too: entry 2 differs
    _r, rep = merge(central, increment(t1, tmp / "c.jsonl", 0), ok=False)
    assert rep["files"][0]["error"]["code"] == "fork"
    assert "entry 2 differs" in rep["files"][0]["error"]["message"]


def test_an_edited_entry_is_refused_whole(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, _t2, nips, tmp = world
    attest(t1, *nips[0:3])
    path = increment(t1, tmp / "a.jsonl", 0)
    lines = path.read_text().splitlines(keepends=True)
    obj = json.loads(lines[2])
    obj["receipt"] = obj["receipt"][:-4] + ("AAAA" if not obj["receipt"].endswith("AAAA") else "BBBB")
    lines[2] = json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
    bad = tmp / "bad.jsonl"
    bad.write_text("".join(lines))
    r, rep = merge(central, bad, ok=False)
    assert r.exit_code in (1, 3)
    assert not rep["files"][0]["accepted"]
    assert central.log_size() == 0
    assert log_of(t1)
