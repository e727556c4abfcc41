"""Duplicates are read by key, not by grouping every attestation (issue 20), with the same result.

``ledger merge`` reports the officers who attested one pledge in several logs. It used to group the
whole attestations table after every merge command; now the keys with more than one row are kept
as they arise (migration 0017, ``ledger/duplicates.py``). Each test compares the answer with the
old full grouping, on both engines: after merges, after a merge bringing an officer the centre's
kiosk recorded, after a merge refused whole, and for a workspace upgraded from before the table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engines import connect_db
from test_merge import Site, attest, export, next_second, world  # noqa: F401 - the fixture

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


FULL_GROUPING = (
    "SELECT a.officer_id, a.pledge_id, a.pledge_version, a.log_id, a.ledger_idx, a.attested_at, s.terminal_name "
    "FROM attestations a JOIN sessions s ON s.id = a.session_id "
    "WHERE (a.officer_id, a.pledge_id, a.pledge_version) IN (SELECT officer_id, pledge_id, pledge_version "
    "FROM attestations GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) "
    "ORDER BY a.officer_id, a.pledge_id, a.pledge_version, a.attested_at, a.log_id, a.ledger_idx"
)  # what duplicates() ran before


def old_answer(home: Path) -> list[dict[str, Any]]:
    db = connect_db(home)
    try:
        rows = db.execute(FULL_GROUPING).fetchall()
    finally:
        db.close()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for oid, pid, ver, log_id, idx, at, terminal in rows:
        d = out.setdefault((oid, f"{pid}@{ver}"), {"officer_id": oid, "pledge": f"{pid}@{ver}", "attestations": []})
        d["attestations"].append({"log": log_id, "index": idx, "attested_at": at, "terminal": terminal})
    return list(out.values())


def merge(central: Site, *files: Path, ok: bool = True) -> dict[str, Any]:
    r = central("ledger", "merge", *map(str, files), "--json", ok=ok)
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_duplicates_across_merges_equal_the_full_grouping(world) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    central, (t1, t2, t3), nips, tmp = world
    attest(t1, *nips[0:4])
    next_second()
    attest(t2, nips[3], nips[4], nips[0])
    e1, e2 = export(t1, tmp / "t1.jsonl"), export(t2, tmp / "t2.jsonl")
    first = merge(central, e1)
    assert first["duplicates"] == [] == old_answer(central.home)
    second = merge(central, e2)  # A and D now twice
    assert {d["officer_id"] for d in second["duplicates"]} == {nips[0], nips[3]}
    assert second["duplicates"] == old_answer(central.home)
    # without --json the listing is a count, made by the database (ledger.duplicates.count_duplicates)
    text = central("ledger", "merge", str(e2))
    assert "2 officers attested the same pledge on more than one terminal" in text.stderr
    # a merge adding nothing still reports every duplicate of the workspace, as before
    again = merge(central, e1, e2)
    assert again["duplicates"] == second["duplicates"]
    # a third terminal: A a third time, G once
    next_second()
    attest(t3, nips[0], nips[6])
    third = merge(central, export(t3, tmp / "t3.jsonl"))
    (a,) = [d for d in third["duplicates"] if d["officer_id"] == nips[0]]
    assert [x["terminal"] for x in a["attestations"]] == ["apel-1", "apel-2", "apel-3"]
    assert third["duplicates"] == old_answer(central.home)


def test_a_refused_file_adds_no_duplicate(world) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    central, (t1, t2, _t3), nips, tmp = world
    attest(t1, nips[0])
    attest(t2, nips[0])
    merge(central, export(t1, tmp / "t1.jsonl"))
    good = export(t2, tmp / "t2.jsonl")
    lines = good.read_text().splitlines(keepends=True)
    end = json.loads(lines[-1])
    end["sha256"] = "0" * 64  # refused at its end line, after every entry was verified and staged
    lines[-1] = json.dumps(end, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
    bad = tmp / "bad.jsonl"
    bad.write_text("".join(lines))
    r = merge(central, bad, ok=False)
    assert r["rejected"] == 1 and r["duplicates"] == [] == old_answer(central.home)
    db = connect_db(central.home)
    assert db.execute("SELECT COUNT(*) FROM attestation_duplicate_keys").fetchone()[0] == 0
    db.close()
    assert merge(central, good)["duplicates"] == old_answer(central.home) != []


def test_a_merge_bringing_an_officer_the_kiosk_recorded_is_a_duplicate(world) -> None:  # type: ignore[no-untyped-def] # noqa: F811,E501
    central, (t1, _t2, _t3), nips, tmp = world
    # the centre runs a session of its own (a kiosk), where the officer attests first
    central("key", "new-terminal", "pusat", "--out", str(tmp / "req-pusat.json"))
    central("key", "certify", str(tmp / "req-pusat.json"), "--valid-from", "2024-01-01",
            "--out", str(tmp / "cert-pusat.json"))  # fmt: skip
    central("key", "import-cert", str(tmp / "cert-pusat.json"))
    central("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", "Pusat",
            "--force", "--reason", "uji")  # fmt: skip
    central("attest", "--session", "1", "--nip", nips[1], "--yes", "--json")
    next_second()
    attest(t1, nips[1], nips[2])
    r = merge(central, export(t1, tmp / "t1.jsonl"))
    (d,) = r["duplicates"]
    assert d["officer_id"] == nips[1] and [x["terminal"] for x in d["attestations"]] == ["pusat", "apel-1"]
    assert r["duplicates"] == old_answer(central.home)
    # the kiosk hands back the receipt an officer has (from any log): it never adds a duplicate
    before = old_answer(central.home)
    central("attest", "--session", "1", "--nip", nips[2], "--yes", "--json")
    assert merge(central, export(t1, tmp / "t1.jsonl"))["duplicates"] == before == old_answer(central.home)


def test_the_migration_fills_the_keys_of_an_older_workspace(world) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    central, (t1, t2, _t3), nips, tmp = world
    attest(t1, nips[0], nips[2])
    attest(t2, nips[0], nips[2], nips[5])
    merge(central, export(t1, tmp / "t1.jsonl"), export(t2, tmp / "t2.jsonl"))
    want = old_answer(central.home)
    assert len(want) == 2
    db = connect_db(central.home)  # as a workspace made before migration 0017 would be
    db.execute("DROP TABLE attestation_duplicate_keys")
    db.execute("DELETE FROM schema_migrations WHERE name = '0017_duplicate_keys'")
    db.commit()
    db.close()
    r = merge(central, export(t1, tmp / "t1.jsonl"))  # opening the workspace migrates it
    assert r["duplicates"] == want


def test_of_one_officers_two_receipts_in_a_log_the_first_is_kept(world) -> None:  # type: ignore[no-untyped-def] # noqa: F811,E501
    """The swap keeps the first of two receipts of one officer in one log (ON CONFLICT DO NOTHING in
    file order), in the same file and across two files, and notes no duplicate for them."""
    from dataclasses import replace

    from ikrar_cli.keys.keyfiles import load_terminal_signer
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.receipts.receipt import decode_receipt, sign_receipt
    from ikrar_cli.workspace import Workspace

    central, (t1, _t2, _t3), nips, tmp = world
    (first,) = attest(t1, nips[0])
    attest(t1, nips[1])

    def again() -> None:  # the officer's receipt signed once more at the log's next index (a terminal's bug)
        ws = Workspace.open(t1.home)
        signer = load_terminal_signer(ws, b"rahasia-uji")
        r = decode_receipt(first)
        with ws.store.transaction() as conn:
            Ledger(ws.store).append(conn, r.kid.hex(), lambda idx: sign_receipt(
                replace(r.claims, ledger_index=idx, issued_at=r.claims.issued_at + 5), signer.sign, r.kid).cose)
        ws.close()

    next_second()
    again()
    attest(t1, nips[2])
    one = merge(central, export(t1, tmp / "one.jsonl"))
    assert one["accepted"] == 1 and one["files"][0]["added"] == 4
    db = connect_db(central.home)
    rows = db.execute("SELECT officer_id, ledger_idx FROM attestations ORDER BY ledger_idx").fetchall()
    db.close()
    assert [(o, i) for o, i in rows] == [(nips[0], 1), (nips[1], 2), (nips[2], 4)]
    again()  # and once more, in a later file: the stored row stays
    two = merge(central, export(t1, tmp / "two.jsonl"))
    assert two["accepted"] == 1 and two["files"][0]["logs"][0]["already_merged"] == 5
    db = connect_db(central.home)
    assert db.execute("SELECT officer_id, ledger_idx FROM attestations ORDER BY ledger_idx").fetchall() == rows
    assert db.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0] == 6
    db.close()
    assert two["duplicates"] == [] == old_answer(central.home)
