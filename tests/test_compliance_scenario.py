"""The whole chain, as issue 13 asks: an authority, two terminals serving different units, and an
Inspectorate (and Bawaslu) that receive only public or provisioned material and the exports. All
compute byte-identical report JSON; 'report verify' says MATCH; any single edit to an export is
refused at merge."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from compliance_world import UNITS, World, attest, export, today


def _report(site: Any, day: str) -> bytes:
    r = site("report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--json")
    return r.stdout.encode()


def _edits(obj: Any) -> list[Any]:
    """Every single-value edit of a JSON object (one at a time)."""
    out = []
    for key, value in obj.items():
        if isinstance(value, bool):
            new: Any = not value
        elif isinstance(value, int):
            new = value + 1
        elif isinstance(value, str) and value.endswith("=") and key == "public_key":
            # the same bytes spelled differently: base64 with other unused bits in the last character
            last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".index(value[-2])
            new = value[:-2] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last ^ 1] + "="
        elif isinstance(value, str):
            new = value[:-2] + ("A" if value[-2:-1] != "A" else "B") + value[-1:] if len(value) > 2 else value + "x"
        elif isinstance(value, list) and value and isinstance(value[0], str):
            new = [value[0][:40] + ("0" if value[0][40] != "0" else "1") + value[0][41:], *value[1:]]
        elif value is None:
            new = "x"
        else:
            continue
        out.append({**obj, key: new})
    return out


def test_authority_terminals_and_auditors_agree_and_exports_cannot_be_edited(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    codes = {n: c for c, n in w.authority.json("roster", "units").items()}
    kb, batang = codes[UNITS[0]], codes[UNITS[1]]
    t1, t2 = w.terminal("apel-1", unit=kb), w.terminal("apel-2", unit=batang)
    # each terminal got only its unit's staff, with the authority's codes
    assert t1.json("roster", "units") == {kb: UNITS[0]}
    assert [(x["unit"], x["active"]) for x in t1.json("roster", "stats")] == [(kb, 5)]
    s1 = str(t1.json("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", "Bangkala",
                     "--unit", kb, "--force", "--reason", "uji")["id"])  # fmt: skip
    s2 = str(t2.json("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", "Batang",
                     "--unit", batang, "--force", "--reason", "uji")["id"])  # fmt: skip
    receipts = attest(t1, s1, *w.nips[UNITS[0]][:3]) + attest(t2, s2, w.nips[UNITS[1]][0])
    t1("session", "close", s1)
    t2("session", "close", s2)
    e1, e2 = export(t1, tmp_path / "apel-1.jsonl"), export(t2, tmp_path / "apel-2.jsonl")

    inspektorat, bawaslu = w.auditor("inspektorat"), w.auditor("bawaslu")
    for site in (w.authority, inspektorat, bawaslu):
        site("ledger", "merge", str(e1), str(e2))
    # a terminal holding the same inputs computes the same figures too
    t1("trust", "add", str(w.bundle))  # the newer bundle, which certifies apel-2 too
    t1("roster", "accept", str(w.snapshot))
    t1("ledger", "merge", str(e2))
    day = today()
    reports = [_report(s, day) for s in (w.authority, inspektorat, bawaslu, t1)]
    assert len(set(reports)) == 1, [r[:400] for r in reports]
    doc = json.loads(reports[0])
    assert doc["totals"] == {"active": 12, "attested": 4, "individual": 4, "collective": 0, "joined_later": 0,
                             "missing": 8, "coverage_percent": 33.3}  # fmt: skip
    assert sorted(x["terminal"] for x in doc["inputs"]["logs"]) == ["apel-1", "apel-2"]
    assert all(x["sessions_signed"] for x in doc["inputs"]["logs"]) and len(doc["inputs"]["logs"]) == 2
    assert doc["inputs"]["roster_snapshot"].startswith("sha256:")

    # the authority's report, checked in the Inspectorate's workspace
    rep = tmp_path / "laporan.json"
    rep.write_bytes(reports[0])
    r = inspektorat("report", "verify", str(rep))
    assert r.stdout.startswith("MATCH: ") and doc["digest"] in r.stdout
    # a report claiming that a missing officer pledged names that officer and why
    forged = json.loads(reports[0])
    unit = next(u for u in forged["units"] if u["unit"] == kb)
    gone = unit["missing_staff"].pop(0)
    unit["missing"] -= 1
    unit["attested"] += 1
    (tmp_path / "palsu.json").write_text(json.dumps(forged))
    r = inspektorat("report", "verify", str(tmp_path / "palsu.json"), ok=False)
    assert r.exit_code == 1
    assert r.stdout.startswith(f"MISMATCH: unit {kb}, officer {gone['officer_id']}: the report says pledged; "
                               "recomputed: missing")  # fmt: skip

    # any single edit to an export is refused by a workspace that has not merged it
    fresh = w.auditor("bawaslu-2")
    lines = e1.read_text().splitlines(keepends=True)
    tried = 0
    for n, line in enumerate(lines):
        for edited in _edits(json.loads(line)):
            body = lines[:n] + [json.dumps(edited, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"]
            body += lines[n + 1 :]
            if n != len(lines) - 1:  # recompute the end line's checksum, as anyone can
                end = json.loads(body[-1])
                end["sha256"] = hashlib.sha256("".join(body[:-1]).encode()).hexdigest()
                body[-1] = json.dumps(end, separators=(",", ":"), sort_keys=True) + "\n"
            bad = tmp_path / "edited.jsonl"
            bad.write_text("".join(body))
            r = fresh("ledger", "merge", str(bad), "--json", ok=False)
            assert r.exit_code in (1, 3), (n, edited)
            tried += 1
    assert tried > 20
    assert fresh.db().execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0] == 0
    fresh("ledger", "merge", str(e1))  # the genuine file still merges
    assert receipts
