"""`terminal setup` installs the package's pledge templates, checked against the signed bundle;
one rule for which authority a workspace's stored bundles may be signed by (issue 13 gaps a, d)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from compliance_world import PASS, UNITS, Site, World, attest, export, today

REGIONAL = "pilkada-jeneponto-2024"


def _regional_template(w: World) -> Path:
    """The authority writes a regional template into its workspace's templates/ folder."""
    path = w.authority.home / "templates" / f"{REGIONAL}.yaml"
    path.parent.mkdir()
    w.authority("pledge", "new", "--from", "pilkada-2024", "--id", REGIONAL, "--title",
                "Ikrar Netralitas ASN Kabupaten Jeneponto", "--valid-from", "2024-01-01", "--valid-until",
                "2030-12-31", "--region", "Kabupaten Jeneponto", "--out", str(path))  # fmt: skip
    return path


def _package_for(w: World, name: str) -> tuple[Site, Path]:
    """A new terminal, certified and packaged, but not yet set up."""
    t = Site(w.ikrar, w.tmp / name)
    t("init", "--institution", "BKPSDM Kabupaten Uji", "--code", "UJI", "--timezone", "WITA")
    req, cert, pkg = (w.tmp / f"{name}-{x}" for x in ("req.json", "cert.json", "pkg.ikrar"))
    t("key", "new-terminal", name, "--out", str(req))
    w.authority("key", "certify", str(req), "--valid-from", "2024-01-01", "--out", str(cert))
    w.authority("trust", "export", "--out", str(w.bundle))
    w.authority("terminal", "package", name, "--out", str(pkg))
    return t, pkg


def _resign(w: World, pkg: Path, edit: Any) -> None:
    """The package with ``edit`` applied to its body, signed again by the authority's own key:
    only the check against the signed bundle can catch what changed."""
    from ikrar_cli.keys.keyfiles import load_authority_signer
    from ikrar_cli.keys.provisioning import KIND
    from ikrar_cli.keys.signeddoc import sign_document
    from ikrar_cli.workspace import Workspace

    body = json.loads(pkg.read_bytes())[KIND]
    edit(body)
    key, info = load_authority_signer(Workspace.open(w.authority.home), PASS["IKRAR_PASSPHRASE"].encode())
    pkg.write_bytes(sign_document(KIND, body, key.sign, info.kid))


def _nothing_installed(t: Site) -> None:
    assert not (t.home / "templates").exists()
    with t.db() as db:
        assert db.execute("SELECT COUNT(*) FROM trust_bundles").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM trust_anchors").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM officers").fetchone() == (0,)


def test_setup_installs_the_regional_template_so_the_terminal_can_use_it(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    source = _regional_template(w)
    t, pkg = _package_for(w, "apel-1")
    assert t("pledge", "show", REGIONAL, ok=False).exit_code == 4  # not copied by hand
    said = t("terminal", "setup", str(pkg), "--fingerprint", w.fingerprint)
    assert f"Installed 1 pledge template from the package: {REGIONAL}@1" in said.stderr
    out = t.json("terminal", "setup", str(pkg))
    assert out["templates"] == [] and {f"{REGIONAL}@1", "pilkada-2024@1"} <= set(out["templates_present"])
    installed = t.home / "templates" / f"{REGIONAL}@1.yaml"
    assert installed.read_bytes() == source.read_bytes()  # verbatim: comments, legal basis, dates
    shown = t.json("pledge", "show", REGIONAL)
    assert shown["region"] == "Kabupaten Jeneponto" and shown["digest"] == w.authority.json(
        "pledge", "show", REGIONAL)["digest"]  # fmt: skip
    s = t.json("session", "open", "--pledge", REGIONAL, "--title", "Apel", "--location", "Halaman")["id"]
    (receipt,) = attest(t, str(s), w.nips[UNITS[0]][0])
    t("session", "close", str(s))
    w.authority("ledger", "merge", str(export(t, tmp_path / "e.jsonl")))
    assert w.authority.json("verify", receipt)["valid"] is True
    assert out["bundle"] == "unchanged"  # the second run (an update) rewrote nothing and refused nothing


def test_setup_refuses_a_template_whose_words_differ_from_the_signed_bundle(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    _regional_template(w)
    t, pkg = _package_for(w, "apel-1")

    def change_a_point(body: dict[str, Any]) -> None:
        entry = next(e for e in body["templates"] if e["ref"] == f"{REGIONAL}@1")
        assert "netralitas" in entry["text"]
        entry["text"] = entry["text"].replace("netralitas", "loyalitas", 1)

    _resign(w, pkg, change_a_point)
    r = t("terminal", "setup", str(pkg), "--fingerprint", w.fingerprint, ok=False)
    assert r.exit_code == 8, r.stderr
    assert f"the words of template {REGIONAL}@1 differ from the text the signed trust bundle holds" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 2
    _nothing_installed(t)


def test_setup_refuses_a_template_the_bundle_does_not_hold(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    t, pkg = _package_for(w, "apel-1")
    extra = (w.authority.home / "x.yaml")
    w.authority("pledge", "new", "--from", "pilkada-2024", "--id", "smuggled", "--title", "Bukan dari bundel",
                "--valid-from", "2024-01-01", "--valid-until", "2030-12-31", "--out", str(extra))  # fmt: skip
    _resign(w, pkg, lambda body: body["templates"].append({"ref": "smuggled@1", "text": extra.read_text()}))
    r = t("terminal", "setup", str(pkg), "--fingerprint", w.fingerprint, ok=False)
    assert r.exit_code == 8 and "template smuggled@1 differ" in r.stderr
    _nothing_installed(t)


def test_setup_never_overwrites_a_different_template_already_on_the_terminal(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    source = _regional_template(w)
    t, pkg = _package_for(w, "apel-1")
    own = t.home / "templates" / f"{REGIONAL}@1.yaml"
    own.parent.mkdir()
    text = source.read_text(encoding="utf-8").replace("netralitas", "integritas", 1)
    own.write_text(text, encoding="utf-8")  # the same id@version, other words, copied by hand earlier
    r = t("terminal", "setup", str(pkg), "--fingerprint", w.fingerprint, ok=False)
    assert r.exit_code == 5 and f"Template {REGIONAL}@1 on this terminal" in r.stderr and str(own) in r.stderr
    assert own.read_text(encoding="utf-8") == text
    with t.db() as db:
        assert db.execute("SELECT COUNT(*) FROM trust_bundles").fetchone() == (0,)
    own.unlink()
    t("terminal", "setup", str(pkg), "--fingerprint", w.fingerprint)
    assert own.read_bytes() == source.read_bytes()


def test_package_refuses_a_template_changed_after_the_bundle_was_exported(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    source = _regional_template(w)
    t, _pkg = _package_for(w, "apel-1")
    source.write_text(source.read_text(encoding="utf-8").replace("netralitas", "integritas", 1), encoding="utf-8")
    r = w.authority("terminal", "package", "apel-1", "--out", str(tmp_path / "p2.ikrar"), ok=False)
    assert r.exit_code == 5 and f"Template {REGIONAL}@1 of trust bundle serial" in r.stderr
    assert "ikrar trust export" in r.stderr
    w.authority("trust", "export", "--out", str(w.bundle))
    w.authority("terminal", "package", "apel-1", "--out", str(tmp_path / "p2.ikrar"))


# -- d: one rule for the authorities a workspace's bundles may be signed by ----------------------


def test_an_authority_key_row_without_its_private_file_is_no_trust_root_anywhere(ikrar, tmp_path: Path) -> None:
    """`verify --bundle`, revocations and reports all accept the workspace's own authority key only
    while it holds the private file; pinned fingerprints count everywhere."""
    w = World(ikrar, tmp_path)
    a = w.authority
    # the authority itself: its own exported bundle is trusted without any pin, by every reader
    assert a("verify", "--bundle", str(w.bundle), "IKR1:x", ok=False).exit_code == 1  # bundle accepted
    assert a("report", "compliance", "--pledge", "pilkada-2024", "--as-of", today(), "--json").exit_code == 0
    with sqlite3.connect(a.home / "ikrar.db") as db:  # a copied database without the key file
        db.execute("UPDATE keys SET file = NULL WHERE role = 'authority'")
    r = a("verify", "--bundle", str(w.bundle), "IKR1:x", ok=False)
    assert r.exit_code == 8 and "No authority fingerprint to check" in r.stderr
    r = a("report", "compliance", "--pledge", "pilkada-2024", "--as-of", today(), "--json", ok=False)
    assert r.exit_code == 8 and json.loads(r.stdout)["error"]["kind"] == "trust"
    a("trust", "add", str(w.bundle), "--fingerprint", w.fingerprint)  # pinned: trusted again, by both
    assert a("verify", "--bundle", str(w.bundle), "IKR1:x", ok=False).exit_code == 1
    assert a("report", "compliance", "--pledge", "pilkada-2024", "--as-of", today(), "--json").exit_code == 0


def test_one_function_decides_for_reports_and_verify() -> None:
    import inspect

    from ikrar_cli.keys import trust
    from ikrar_cli.reports import compliance

    assert "accepted_fingerprints(ws)" in inspect.getsource(compliance.signed_bundle)
    assert "accepted_fingerprints(ws)" in inspect.getsource(trust.accepted_revocation)
