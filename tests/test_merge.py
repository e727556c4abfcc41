"""Ledger export and merge across terminals: overlaps, a forged record, idempotence, growth, forks."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from engines import central_db_args, connect_db

from ikrar_cli.demo.office import write_sample_roster
from ikrar_cli.receipts.receipt import decode_receipt, sign_receipt

PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}
PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)


class Site:
    """One workspace (central HR or a terminal) driven through the CLI."""

    def __init__(self, ikrar, home: Path):  # type: ignore[no-untyped-def]
        self.ikrar, self.home = ikrar, home

    def __call__(self, *args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        r = self.ikrar("--lang", "en", "--home", str(self.home), *args, env=PASS)
        if ok:
            assert r.exit_code == 0, (args, r.stdout, r.stderr)
        return r

    def db(self) -> sqlite3.Connection:
        return connect_db(self.home)  # type: ignore[no-any-return]


@pytest.fixture
def world(ikrar, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A central BKPSDM workspace with the authority key and roster, and three certified terminals."""
    roster = tmp_path / "roster.csv"
    nips = write_sample_roster(roster, 12)
    central = Site(ikrar, tmp_path / "central")
    central("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA", *central_db_args())
    central("key", "init-authority")
    central("roster", "import", str(roster))
    terminals = []
    for n in (1, 2, 3):
        t = Site(ikrar, tmp_path / f"t{n}")
        t("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA")
        t("key", "new-terminal", f"apel-{n}", "--out", str(tmp_path / f"req{n}.json"))
        central("key", "certify", str(tmp_path / f"req{n}.json"), "--valid-from", "2024-01-01",
                "--out", str(tmp_path / f"cert{n}.json"))  # fmt: skip
        t("key", "import-cert", str(tmp_path / f"cert{n}.json"))
        t("roster", "import", str(roster))
        t("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", f"Halaman {n}",
          "--force", "--reason", "uji")  # fmt: skip
        terminals.append(t)
    return central, terminals, nips, tmp_path


def next_second() -> None:
    """Receipts and revocations carry whole seconds: return once the clock is in a later second than
    everything recorded so far (waits for the clock itself, not for a guessed duration)."""
    start = int(time.time())
    while int(time.time()) <= start:
        time.sleep(0.01)


def attest(t: Site, *nips: str) -> list[str]:
    out = []
    for nip in nips:
        r = t("attest", "--session", "1", "--nip", nip, "--yes", "--json")
        out.append(json.loads(r.stdout)["receipt"])
    return out


def export(t: Site, path: Path) -> Path:
    t("ledger", "checkpoint")
    t("ledger", "export", "--out", str(path))
    return path


def counts(central: Site) -> tuple[int, int, int]:
    db = central.db()
    entries = db.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
    rows = db.execute("SELECT COUNT(*) FROM attestations WHERE unlisted = 0").fetchone()[0]
    distinct = db.execute("SELECT COUNT(DISTINCT officer_id) FROM attestations WHERE unlisted = 0").fetchone()[0]
    return entries, rows, distinct


def forge(export_file: Path, out: Path, line_index: int) -> Path:
    """Replace one receipt by one with another officer, re-signed by an intruder under the same key id."""
    lines = export_file.read_text().splitlines(keepends=True)
    obj = json.loads(lines[line_index])
    r = decode_receipt(obj["receipt"])
    forged = sign_receipt(replace(r.claims, officer_id="199001012020121001"), Ed25519PrivateKey.generate().sign, r.kid)
    obj["receipt"] = forged.text
    lines[line_index] = json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
    out.write_text("".join(lines))
    return out


def test_three_terminals_with_overlaps_and_a_forged_record(world) -> None:  # type: ignore[no-untyped-def]
    central, (t1, t2, t3), nips, tmp = world
    attest(t1, *nips[0:4])  # A B C D
    next_second()  # D on apel-2 is clearly later
    attest(t2, nips[3], nips[4], nips[5])  # D (again) E F
    attest(t3, nips[6], nips[0])  # G A (again)
    e1, e2, e3 = (export(t, tmp / f"t{i}.jsonl") for i, t in enumerate((t1, t2, t3), 1))
    # header, log header, then entries (entry 0 is the signed session-open record): line 4 is entry 2
    bad = forge(e3, tmp / "t3-forged.jsonl", 4)

    r = central("ledger", "merge", str(e1), str(e2), str(bad), "--json", ok=False)
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert [f["accepted"] for f in report["files"]] == [True, True, False]
    assert [f["added"] for f in report["files"]] == [4, 3, 0]
    err = report["files"][2]["error"]
    assert err["code"] == "bad_signature" and ":5: entry 2 is not valid" in err["message"]
    assert counts(central) == (9, 7, 6)  # nothing of the forged file (2 session records); D counted once
    (dup,) = report["duplicates"]
    assert dup["officer_id"] == nips[3] and [a["terminal"] for a in dup["attestations"]] == ["apel-1", "apel-2"]
    assert dup["attestations"][0]["attested_at"] <= dup["attestations"][1]["attested_at"]

    # the same exports again change nothing
    before = central.db().execute("SELECT * FROM attestations ORDER BY id").fetchall()
    r = central("ledger", "merge", str(e1), str(e2), "--json")
    again = json.loads(r.stdout)["files"]
    assert [(f["added"], f["logs"][0]["already_merged"]) for f in again] == [(0, 5), (0, 4)]
    assert central.db().execute("SELECT * FROM attestations ORDER BY id").fetchall() == before

    # the genuine third export is accepted; A now attested on two terminals
    r = central("ledger", "merge", str(e3), "--json")
    assert json.loads(r.stdout)["files"][0]["added"] == 2
    assert counts(central) == (12, 9, 7)
    dups = {d["officer_id"]: d for d in json.loads(r.stdout)["duplicates"]}
    assert set(dups) == {nips[0], nips[3]}
    assert [a["terminal"] for a in dups[nips[0]]["attestations"]] == ["apel-1", "apel-3"]

    # the whole merged ledger verifies, including the re-signed key check
    r = central("ledger", "verify", "--json")
    assert json.loads(r.stdout)["valid"] is True
    assert len(json.loads(r.stdout)["logs"]) == 3


def test_longer_export_is_accepted_only_when_consistent(world) -> None:  # type: ignore[no-untyped-def]
    central, (t1, _t2, _t3), nips, tmp = world
    attest(t1, *nips[0:3])
    first = export(t1, tmp / "first.jsonl")
    central("ledger", "merge", str(first))
    fork_home = tmp / "t1-fork"
    shutil.copytree(t1.home, fork_home)
    attest(t1, nips[3], nips[4])
    longer = export(t1, tmp / "longer.jsonl")
    r = central("ledger", "merge", str(longer), "--json")
    log = json.loads(r.stdout)["files"][0]["logs"][0]
    assert (log["already_merged"], log["added"], log["size"]) == (4, 2, 6)

    # a copy of the terminal that went on differently from entry 3: a fork, refused loudly
    fork = Site(central.ikrar, fork_home)
    attest(fork, nips[8], nips[9])
    forked = export(fork, tmp / "forked.jsonl")
    before = counts(central)
    r = central("ledger", "merge", str(forked), ok=False)
    assert r.exit_code == 1
    assert r.stdout.startswith("REJECTED ") and "FORK in log" in r.stdout, r.stdout
    assert counts(central) == before

    # an older, shorter export of the same log is a prefix: accepted, nothing new
    r = central("ledger", "merge", str(first), "--json")
    assert json.loads(r.stdout)["files"][0]["added"] == 0


@pytest.mark.parametrize(
    ("damage", "code", "text"),
    [
        ("truncate", None, "the file ends early"),
        ("checksum", None, "checksum does not match"),
        ("drop_entry", "gap", "expected entry 2, found 3"),
        ("swap", "reordered", "entries were reordered"),
        ("bad_checkpoint", "bad_checkpoint_signature", "checkpoint"),
        ("unknown_terminal", "unknown_key", "not in the trust bundle"),
    ],
)
def test_damaged_exports_are_rejected_whole(world, damage: str, code: str | None, text: str) -> None:  # type: ignore[no-untyped-def]
    central, (t1, _t2, _t3), nips, tmp = world
    attest(t1, *nips[0:3])
    good = export(t1, tmp / "good.jsonl")
    lines = good.read_text().splitlines(keepends=True)
    if damage == "truncate":
        lines = lines[:-2]
    elif damage == "checksum":
        end = json.loads(lines[-1])
        end["sha256"] = "0" * 64
        lines[-1] = json.dumps(end, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
    elif damage == "drop_entry":
        del lines[4]
    elif damage == "swap":
        a, b = json.loads(lines[3]), json.loads(lines[4])
        a["receipt"], b["receipt"] = b["receipt"], a["receipt"]
        lines[3], lines[4] = (
            json.dumps(x, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n" for x in (a, b)
        )
    elif damage == "bad_checkpoint":
        h = json.loads(lines[1])
        h["checkpoints"][-1] = h["checkpoints"][-1].replace("\n4\n", "\n3\n")
        lines[1] = json.dumps(h, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
    bad = tmp / "bad.jsonl"
    bad.write_text("".join(lines))
    if damage == "unknown_terminal":
        # a central workspace of another authority does not know this terminal
        other = Site(central.ikrar, tmp / "other")
        other("init", "--code", "LAIN")
        other("key", "init-authority")
        central = other
    r = central("ledger", "merge", str(bad), "--json", ok=False)
    assert r.exit_code in (1, 3)
    f = json.loads(r.stdout)["files"][0]
    assert f["accepted"] is False and text in f["error"]["message"]
    assert f["error"]["code"] == code
    assert counts(central) == (0, 0, 0)


def test_export_needs_a_checkpoint_covering_the_log(world) -> None:  # type: ignore[no-untyped-def]
    _central, (t1, _t2, _t3), nips, tmp = world
    attest(t1, nips[0])
    r = t1("ledger", "export", "--out", str(tmp / "x.jsonl"), ok=False)
    assert r.exit_code == 5
    assert r.stderr.startswith("ikrar: Log ") and "2 entries after its last signed checkpoint" in r.stderr
    assert not (tmp / "x.jsonl").exists()


def test_receipts_signed_after_a_key_revocation_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    """A stolen terminal: what it signed after the revocation instant never enters the central ledger."""
    central, (t1, _t2, _t3), nips, tmp = world
    attest(t1, nips[0], nips[1])
    next_second()
    kid = json.loads(t1("key", "list", "--json").stdout)[0]["kid"]
    central("key", "revoke", kid, "--reason", "terminal dicuri")
    next_second()
    attest(t1, nips[2])
    stolen = export(t1, tmp / "stolen.jsonl")
    r = central("ledger", "merge", str(stolen), "--json", ok=False)
    assert r.exit_code == 1
    err = json.loads(r.stdout)["files"][0]["error"]
    assert err["code"] == "key_revoked" and "entry 3 is not valid" in err["message"]
    assert counts(central) == (0, 0, 0)
