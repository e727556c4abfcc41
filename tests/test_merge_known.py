"""Re-merging an export whose entries are all known: root check only, still refuses a changed entry."""

from __future__ import annotations

import json

import pytest
from test_merge import attest, counts, export, forge, world  # noqa: F401 - world is a fixture

from ikrar_cli.receipts.verify import Verifier

PG_CENTRAL_ONLY = True


def test_known_export_is_not_reverified_but_root_checked(world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, (t1, _t2, _t3), nips, tmp = world
    attest(t1, *nips[0:4])
    e1 = export(t1, tmp / "t1.jsonl")
    first = json.loads(central("ledger", "merge", str(e1), "--json").stdout)["files"][0]
    assert first["added"] == 4
    before = counts(central)

    def no_signature_checks(*_a: object, **_k: object) -> None:
        raise AssertionError("a known log's receipts were verified again")

    with monkeypatch.context() as m:
        m.setattr(Verifier, "verify_receipt", no_signature_checks)
        again = json.loads(central("ledger", "merge", str(e1), "--json").stdout)["files"][0]
        assert again["accepted"] is True and again["added"] == 0
        assert again["logs"][0]["already_merged"] == first["logs"][0]["size"]
        # a changed entry in a known log is still refused: its leaf no longer hashes to the signed root
        r = central("ledger", "merge", str(forge(e1, tmp / "t1-forged.jsonl", 4)), "--json", ok=False)
    assert r.exit_code == 1
    err = json.loads(r.stdout)["files"][0]["error"]
    assert err["code"] == "root_mismatch", err
    assert counts(central) == before


def test_a_longer_export_of_a_known_log_takes_the_full_path(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, (t1, _t2, _t3), nips, tmp = world
    attest(t1, *nips[0:2])
    central("ledger", "merge", str(export(t1, tmp / "a.jsonl")))
    attest(t1, nips[2])
    r = json.loads(central("ledger", "merge", str(export(t1, tmp / "b.jsonl")), "--json").stdout)["files"][0]
    assert r["added"] == 1 and r["logs"][0]["already_merged"] == 3  # session record + 2 receipts
    r = central("ledger", "merge", str(forge(tmp / "b.jsonl", tmp / "b-forged.jsonl", 5)), "--json", ok=False)
    assert json.loads(r.stdout)["files"][0]["error"]["code"] in ("bad_signature", "root_mismatch")
