"""Both snapshot signature forms through the CLI (docs/roster-snapshot.md, "The signature"):
`roster publish` and the unit-scoped copy in a terminal package are signed over the statement
naming the digest (``Ed25519-statement``); a snapshot and a package signed the earlier way
(``Ed25519`` over the body) are still accepted, stored, set up and reported on, with the same
figures; an edited body is refused in either form, on accept and on the report's streamed read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compliance_world import PASS, UNITS, Site, World, report
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ikrar_cli.keys.keyfiles import canonical_json, unb64
from ikrar_cli.keys.signeddoc import content_digest, sign_document

STATEMENT = "ikrar-roster-snapshot-signature/1"
EXIT_TRUST = 8


def _authority_signer(w: World) -> Any:
    from ikrar_cli.keys.keyfiles import load_authority_signer
    from ikrar_cli.workspace import Workspace

    return load_authority_signer(Workspace.open(w.authority.home), PASS["IKRAR_PASSPHRASE"].encode())


def _older_form(w: World, snapshot_file: bytes) -> bytes:
    """The same body as ikrar signed it before the statement form: Ed25519 over the body."""
    key, info = _authority_signer(w)
    return sign_document("snapshot", json.loads(snapshot_file)["snapshot"], key.sign, info.kid)


def _auditor(w: World, name: str, snapshot: Path) -> Site:
    s = Site(w.ikrar, w.tmp / name)
    s("init", "--institution", "Inspektorat Kabupaten Uji", "--code", "INSP", "--timezone", "WITA")
    s("trust", "add", str(w.bundle), "--fingerprint", w.fingerprint)
    s("roster", "accept", str(snapshot))
    return s


def _stored(db: Any) -> bytes:
    """The one snapshot file a workspace holds (in parts since migration m0016)."""
    from ikrar_cli.roster.snapshot_write import stored_file

    (digest,) = db.execute("SELECT digest FROM roster_snapshots").fetchone()
    return stored_file(db, digest)


def _replace_stored(db: Any, data: bytes) -> None:
    (file_id,) = db.execute("SELECT parts FROM roster_snapshots").fetchone()
    db.execute("DELETE FROM roster_snapshot_parts WHERE file_id = ?", (file_id,))
    db.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, 0, ?)", (file_id, data))


def _figures(doc: dict[str, Any]) -> Any:
    return doc["totals"], doc["units"]


def test_publish_and_the_unit_copy_of_a_package_sign_the_statement(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    doc = json.loads(w.snapshot.read_bytes())
    assert doc["signature"]["alg"] == "Ed25519-statement"
    _key, info = _authority_signer(w)
    pub = Ed25519PublicKey.from_public_bytes(info.public_key)
    message = canonical_json({"digest": content_digest(doc["snapshot"]), "type": STATEMENT})
    pub.verify(unb64(doc["signature"]["value"], "signature"), message)

    codes = {n: c for c, n in w.authority.json("roster", "units").items()}
    kb = codes[UNITS[0]]
    t = w.terminal("apel-1", unit=kb)
    pkg = json.loads((tmp_path / "apel-1-pkg.ikrar").read_bytes())
    assert pkg["signature"]["alg"] == "Ed25519"  # the package itself: over its body, read whole
    inner = json.loads(pkg["package"]["roster_snapshot"])
    assert inner["snapshot"]["scope"] == [kb] and inner["signature"]["alg"] == "Ed25519-statement"
    message = canonical_json({"digest": content_digest(inner["snapshot"]), "type": STATEMENT})
    pub.verify(unb64(inner["signature"]["value"], "signature"), message)
    assert [(x["unit"], x["active"]) for x in t.json("roster", "stats")] == [(kb, 5)]


def test_a_snapshot_signed_the_earlier_way_is_still_accepted_and_reported_alike(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    older = tmp_path / "snapshot-older.json"
    older.write_bytes(_older_form(w, w.snapshot.read_bytes()))
    assert json.loads(older.read_bytes())["signature"]["alg"] == "Ed25519"
    new, old = _auditor(w, "audit-new", w.snapshot), _auditor(w, "audit-old", older)
    with old.db() as db:
        assert _stored(db) == older.read_bytes()
    figures = _figures(report(new))
    assert figures == _figures(report(old))
    assert figures[0]["active"] == 12

    # the body edited, in either form: refused on accept, nothing stored
    for name, src in (("edited-new", w.snapshot), ("edited-old", older)):
        edited = tmp_path / f"{name}.json"
        edited.write_bytes(src.read_bytes().replace(b'"Pegawai 1"', b'"Pegawai 7"', 1))
        assert edited.read_bytes() != src.read_bytes()
        s = Site(ikrar, tmp_path / name)
        s("init", "--institution", "Inspektorat Kabupaten Uji", "--code", "INSP", "--timezone", "WITA")
        s("trust", "add", str(w.bundle), "--fingerprint", w.fingerprint)
        assert s("roster", "accept", str(edited), ok=False).exit_code == EXIT_TRUST
        with s.db() as db:
            assert db.execute("SELECT COUNT(*) FROM roster_snapshots").fetchone() == (0,)
    # ... and on the report's streamed read of what a workspace holds
    for site in (new, old):
        with site.db() as db:
            _replace_stored(db, _stored(db).replace(b'"Pegawai 1"', b'"Pegawai 7"'))
        r = site("report", "compliance", "--pledge", "pilkada-2024", "--json", ok=False)
        assert r.exit_code == EXIT_TRUST, r.stderr


def test_a_package_made_the_earlier_way_still_sets_a_terminal_up(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.keys.provisioning import KIND

    w = World(ikrar, tmp_path)
    codes = {n: c for c, n in w.authority.json("roster", "units").items()}
    batang = codes[UNITS[1]]
    t = Site(ikrar, tmp_path / "apel-2")
    t("init", "--institution", "BKPSDM Kabupaten Uji", "--code", "UJI", "--timezone", "WITA")
    req, cert, pkg = (tmp_path / x for x in ("req.json", "cert.json", "pkg.ikrar"))
    t("key", "new-terminal", "apel-2", "--unit", batang, "--out", str(req))
    w.authority("key", "certify", str(req), "--valid-from", "2024-01-01", "--out", str(cert))
    w.authority("trust", "export", "--out", str(w.bundle))
    w.authority("terminal", "package", "apel-2", "--out", str(pkg))
    body = json.loads(pkg.read_bytes())[KIND]
    body["roster_snapshot"] = _older_form(w, body["roster_snapshot"].encode()).decode()
    key, info = _authority_signer(w)
    pkg.write_bytes(sign_document(KIND, body, key.sign, info.kid))
    t("terminal", "setup", str(pkg), "--fingerprint", w.fingerprint)
    with t.db() as db:
        file = _stored(db)
    assert json.loads(file)["signature"]["alg"] == "Ed25519"
    assert [(x["unit"], x["active"]) for x in t.json("roster", "stats")] == [(batang, 4)]
