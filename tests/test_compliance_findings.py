"""The seven findings of issue 13, each as a test: every one failed on the main branch before
compliance became a function of signed inputs."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

from compliance_world import UNITS, Site, World, attest, export, open_session, report, today
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.keys.keyfiles import TerminalCertificate, canonical_json, key_id, raw_public
from ikrar_cli.receipts.receipt import Claims, sign_receipt


def _unit(rep: dict, code: str) -> dict:
    return next(u for u in rep["units"] if u["unit"] == code)


def _rewrite(path: Path, out: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    """Apply ``edit`` to the export's lines and recompute its end-line SHA-256, as anyone can."""
    lines = path.read_text().splitlines(keepends=True)
    body = edit(lines[:-1])
    end = json.loads(lines[-1])
    end["sha256"] = hashlib.sha256("".join(body).encode()).hexdigest()
    out.write_text("".join(body) + json.dumps(end, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n")
    return out


def test_1_an_auditor_building_its_workspace_after_the_apel_gets_the_authority_figures(ikrar, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    t = w.terminal("apel-1")
    s = open_session(t)
    attest(t, s, *w.nips[UNITS[0]][:2], w.nips[UNITS[1]][0])
    t("session", "close", s)
    exp = export(t, tmp_path / "apel-1.jsonl")
    w.authority("ledger", "merge", str(exp))
    central = report(w.authority)
    audit = w.auditor()
    audit("roster", "import", str(w.roster))  # a local import after the apel changes nothing
    audit("ledger", "merge", str(exp))
    seen = report(audit)
    assert central["totals"]["attested"] == 3 and central["totals"]["joined_later"] == 0
    assert central["totals"]["coverage_percent"] == 25.0  # 3 of 12, not 100
    assert seen == central


def test_2_an_edited_or_invented_session_is_refused_at_merge(ikrar, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    t = w.terminal("apel-1")
    s = open_session(t)
    attest(t, s, w.nips[UNITS[0]][0])
    t("session", "close", s)
    exp = export(t, tmp_path / "apel-1.jsonl")

    def backdate(lines: list[str]) -> list[str]:
        out, done = [], False
        for line in lines:
            # a legacy session line's opened_at, or the signed session-open record's time
            m = re.search(r'at\\?":(\d+)', line) if "opened_at" in line or "session-open" in line else None
            if m and not done:
                line = line.replace(m.group(0), m.group(0).replace(m.group(1), str(int(m.group(1)) - 86400 * 30)))
                done = True
            out.append(line)
        assert done
        return out

    edited = _rewrite(exp, tmp_path / "edited.jsonl", backdate)
    r = w.authority("ledger", "merge", str(edited), "--json", ok=False)
    assert r.exit_code == 1
    err = json.loads(r.stdout)["files"][0]["error"]
    assert err["code"] in ("root_mismatch", "bad_entry"), err

    def invent(lines: list[str]) -> list[str]:
        head = json.loads(lines[1])
        head["sessions"] = head["sessions"] + 1
        fake = {"session": 99, "terminal": "apel-1", "pledge": "pemilu-2024@1", "title": "Apel palsu",
                "location": "-", "unit": None, "timezone": "Asia/Makassar", "opened_at": 1700000000,
                "closed_at": None}  # fmt: skip
        def dump(obj: dict) -> str:
            return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"

        return [lines[0], dump(head), dump(fake), *lines[2:]]

    invented = _rewrite(exp, tmp_path / "invented.jsonl", invent)
    r = w.authority("ledger", "merge", str(invented), "--json", ok=False)
    assert r.exit_code == 1
    err = json.loads(r.stdout)["files"][0]["error"]
    assert err["code"] == "unsigned_session", err
    assert w.authority.db().execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0] == 0


def test_3_a_local_flag_changes_no_figure(ikrar, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    t = w.terminal("apel-1")
    s = open_session(t)
    attest(t, s, w.nips[UNITS[0]][0])
    t("session", "close", s)
    w.authority("ledger", "merge", str(export(t, tmp_path / "apel-1.jsonl")))
    before = report(w.authority)
    db = w.authority.db()
    db.execute("UPDATE officers SET active = 0 WHERE officer_id != ?", (w.nips[UNITS[0]][0],))
    db.commit()
    after = report(w.authority)
    assert after == before
    assert after["totals"]["attested"] == 1 and after["totals"]["missing"] == 11


def test_4_a_certificate_row_not_signed_by_the_authority_is_refused_everywhere(ikrar, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    a = w.authority
    auth_kid = bytes.fromhex(a.json("key", "list")[0]["kid"])
    intruder = Ed25519PrivateKey.generate()
    pub = raw_public(intruder)
    cert = TerminalCertificate(key_id(pub), pub, "palsu", None, 0, 2**40, auth_kid, bytes(64))
    db = a.db()
    db.execute("INSERT INTO certificates (kid, body, created_at) VALUES (?, ?, 0)",
               (cert.kid, json.dumps(cert.to_dict())))  # fmt: skip
    db.commit()
    claims = Claims("pilkada-2024", 1, bytes(12), w.nips[UNITS[0]][0], "nip", None, "KB", 1, 1732500000,
                    "Asia/Makassar", "individual", 0)  # fmt: skip
    forged = sign_receipt(claims, intruder.sign, cert.kid).text
    r = a("verify", forged, ok=False)
    assert r.exit_code == 8, r.stdout
    assert "VALID" not in r.stdout.replace("INVALID", "")
    assert "palsu" in r.stderr
    r = a("trust", "export", "--out", str(tmp_path / "b2.json"), ok=False)
    assert r.exit_code == 8 and not (tmp_path / "b2.json").exists()
    assert a("report", "compliance", "--pledge", "pilkada-2024", ok=False).exit_code == 8
    assert canonical_json({"x": 1}) == b'{"x":1}'


def test_5_a_terminal_receives_the_authority_unit_codes_and_cannot_mint_its_own(ikrar, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    codes = {n: c for c, n in w.authority.json("roster", "units").items()}
    assert codes[UNITS[0]] != codes[UNITS[1]]  # the two Kecamatan B… never share a code
    t = Site(ikrar, tmp_path / "batang")
    t("init", "--institution", "BKPSDM Kabupaten Uji", "--code", "UJI", "--timezone", "WITA")
    t("trust", "add", str(w.bundle), "--fingerprint", w.fingerprint)
    own = tmp_path / "batang.csv"
    lines = w.roster.read_text().splitlines()
    own.write_text("\n".join([lines[0], *(x for x in lines[1:] if UNITS[1] in x)]) + "\n")
    t("roster", "import", str(own))
    assert t.json("roster", "units") == {codes[UNITS[1]]: UNITS[1]}
    other = tmp_path / "lain.csv"
    other.write_text(lines[0] + "\n" + lines[1].replace(UNITS[0], "Kecamatan Baru") + "\n")
    r = t("roster", "import", str(other), ok=False)
    assert r.exit_code == 5 and "Kecamatan Baru" in r.stderr


def test_6_session_ids_are_unique_across_terminals(ikrar, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    t1, t2 = w.terminal("apel-1"), w.terminal("apel-2")
    s1, s2 = open_session(t1), open_session(t2)
    attest(t1, s1, *w.nips[UNITS[0]][:4])
    attest(t2, s2, *w.nips[UNITS[1]][:2])
    t1("session", "close", s1)
    t2("session", "close", s2)
    w.authority("ledger", "merge", str(export(t1, tmp_path / "1.jsonl")), str(export(t2, tmp_path / "2.jsonl")))
    ids = [s["session_id"] for s in w.authority.json("session", "list")]
    assert ids == ["apel-1/1", "apel-2/1"]
    one = w.authority.json("session", "show", "apel-1/1")
    assert (one["attested"], one["expected"]) == (4, 12)
    assert w.authority.json("session", "show", "apel-2/1")["attested"] == 2
    r = w.authority("session", "show", "1", ok=False)
    assert r.exit_code == 2 and "apel-1/1" in r.stderr


def test_7_report_never_swallows_a_trust_error(ikrar, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    audit = w.auditor()
    assert report(audit)["totals"]["active"] == 12
    db = audit.db()
    (blob,) = db.execute("SELECT bundle FROM trust_bundles").fetchone()
    db.execute("UPDATE trust_bundles SET bundle = ?", (bytes(blob).replace(b'"serial":', b'"serial": '),))
    db.commit()
    r = audit("report", "compliance", "--pledge", "pilkada-2024", "--json", ok=False)
    assert r.exit_code == 8, (r.stdout, r.stderr)
    db.execute("UPDATE trust_bundles SET bundle = ?", (blob,))
    db.execute("UPDATE trust_anchors SET fingerprint = 'SHA256:' || hex(randomblob(32))")
    db.commit()
    r = audit("report", "compliance", "--pledge", "pilkada-2024", "--json", ok=False)
    assert r.exit_code == 8, (r.stdout, r.stderr)
    _ = sqlite3, today
