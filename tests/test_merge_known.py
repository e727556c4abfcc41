"""Re-merging an export whose entries are all known: root check only, still refuses a changed entry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from engines import dump_db
from test_merge import attest, counts, export, forge, world  # noqa: F401 - world is a fixture

from ikrar_cli.ledger import merge_known
from ikrar_cli.ledger.export import _line
from ikrar_cli.receipts.base45 import ALPHABET, Base45Error, b45decode
from ikrar_cli.receipts.receipt import PREFIX
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


# ------------------------------------------------------------------------------ the shortcut for byte-identical lines
def _merge(central, path: Path, monkeypatch: pytest.MonkeyPatch, *, shortcut: bool) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    with monkeypatch.context() as m:
        if not shortcut:
            m.setattr(merge_known, "_same_receipt", lambda *_a: False)
        r = central("ledger", "merge", str(path), "--json", ok=False)
    return r.exit_code, json.loads(r.stdout)


def _both_ways(central, path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    """The merge's exit code and JSON with the shortcut, which must equal those without it, and the
    database unchanged by either (an accepted file adds its row to ``merge_runs``, nothing else)."""
    before = _state(central.home)
    fast = _merge(central, path, monkeypatch, shortcut=True)
    assert _state(central.home) == before
    general = _merge(central, path, monkeypatch, shortcut=False)
    assert _state(central.home) == before
    assert fast == general
    return fast


def _state(home: Path) -> list[str]:
    """The database, but for the log of accepted merges (``merge_runs``: one row per accepted file)."""
    return [x for x in dump_db(home) if not x.startswith(('INSERT INTO "merge_runs"', "merge_runs: "))]


def _rewrite(src: Path, dst: Path, line_index: int, change) -> Path:  # type: ignore[no-untyped-def]
    lines = src.read_bytes().splitlines(keepends=True)
    obj = json.loads(lines[line_index])
    change(obj)
    lines[line_index] = _line(obj)
    dst.write_bytes(b"".join(lines))
    return dst


def _other_char(text: str, at: int) -> str:
    """``text`` with the character at ``at`` replaced by another Base45 character that still decodes."""
    for c in ALPHABET:
        candidate = text[:at] + c + text[at + 1 :]
        if c != text[at]:
            try:
                b45decode(candidate[len(PREFIX) :])
            except Base45Error:
                continue
            return candidate
    raise AssertionError("no other character decodes")


@pytest.mark.parametrize("block_height", [12, 1])
def test_one_byte_off_the_store_is_refused_with_the_general_path_s_answer(  # type: ignore[no-untyped-def]
    world,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    block_height: int,
) -> None:
    monkeypatch.setattr(merge_known, "BLOCK_HEIGHT", block_height)
    monkeypatch.setattr(merge_known, "BLOCK", 1 << block_height)
    central, (t1, _t2, _t3), nips, tmp = world
    attest(t1, *nips[0:5])
    e1 = export(t1, tmp / "t1.jsonl")
    assert central("ledger", "merge", str(e1), "--json").exit_code == 0

    code, out = _both_ways(central, e1, monkeypatch)  # the same file again: every entry known
    assert code == 0 and out["files"][0]["added"] == 0
    assert out["files"][0]["logs"][0]["already_merged"] == out["files"][0]["logs"][0]["size"] == 6

    # lines (from 0): file header, log header, then entry 0 (the signed session record), 1, 2, ...
    receipt = _rewrite(e1, tmp / "receipt.jsonl", 5, lambda o: o.update(receipt=_other_char(o["receipt"], 40)))
    record = _rewrite(e1, tmp / "record.jsonl", 2, lambda o: o.update(record=o["record"].replace('"', " ", 1)))
    index = _rewrite(e1, tmp / "index.jsonl", 6, lambda o: o.update(i=2))
    for path in (receipt, record, index):
        code, out = _both_ways(central, path, monkeypatch)
        err = out["files"][0]["error"]
        assert code == 1 and out["files"][0]["accepted"] is False, out
        assert err["code"] == ("gap" if path is index else "root_mismatch"), err

    # the store's copy of a receipt differs by one byte from the (intact) file: refused as well
    db = central.db()
    leaf = bytes(db.execute("SELECT leaf FROM ledger_entries WHERE idx = 3").fetchone()[0])
    db.execute("UPDATE ledger_entries SET leaf = ? WHERE idx = 3", (leaf[:-1] + bytes([leaf[-1] ^ 1]),))
    if isinstance(db, sqlite3.Connection):
        db.commit()
    db.close()
    code, out = _both_ways(central, e1, monkeypatch)
    assert code == 1 and out["files"][0]["error"]["code"] == "root_mismatch", out
    assert ":6:" in out["files"][0]["error"]["message"]  # entry 3 is the file's 6th line
