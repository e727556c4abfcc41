"""The roster snapshot and session-record vectors, checked by an independent re-implementation of
docs/roster-snapshot.md (plain json, hashlib and cryptography, no ikrar code), then by ikrar."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

VEC = Path(__file__).parent / "vectors" / "roster-snapshot"


def canon(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def outsider_read(data: bytes, public_key: bytes) -> tuple[str, dict]:
    doc = json.loads(data)
    assert canon(doc) + b"\n" == data, "not canonical"
    body, sig = doc["snapshot"], doc["signature"]
    assert sig["alg"] == "Ed25519" and sig["kid"] == hashlib.sha256(public_key).digest()[:8].hex()
    Ed25519PublicKey.from_public_bytes(public_key).verify(base64.b64decode(sig["value"]), canon(body))
    return "sha256:" + hashlib.sha256(canon(body)).hexdigest(), body


def test_an_outsider_reads_the_snapshot_vector() -> None:
    exp = json.loads((VEC / "expected.json").read_text())
    data = (VEC / "snapshot.json").read_bytes()
    pub = base64.b64decode(exp["authority_public_key"])
    assert "SHA256:" + hashlib.sha256(pub).hexdigest() == exp["authority_fingerprint"]
    digest, body = outsider_read(data, pub)
    assert digest == exp["snapshot_digest"]
    ids = [o["id"] for o in body["officers"]]
    assert ids == sorted(set(ids))
    for day, want in exp["on_roster"].items():
        got = [o["id"] for o in body["officers"] if o["joined"] <= day and (o["left"] is None or o["left"] > day)]
        assert got == want, day
    for rec in exp["session_records"]:
        leaf = b"ikrar-session/1\n" + canon(rec["record"])
        assert leaf.decode() == rec["leaf_utf8"]
        assert hashlib.sha256(b"\x00" + leaf).hexdigest() == rec["leaf_hash"]
    # one changed byte anywhere: refused
    edited = data.replace(b'"Putri Baru"', b'"Putri Baro"')
    with pytest.raises(InvalidSignature):
        outsider_read(edited, pub)


def test_ikrar_agrees_with_the_vectors() -> None:
    from ikrar_cli.errors import IkrarError
    from ikrar_cli.keys.keyfiles import key_id
    from ikrar_cli.recitation.sessions import decode_record
    from ikrar_cli.roster.snapshot import parse_snapshot

    exp = json.loads((VEC / "expected.json").read_text())
    pub = base64.b64decode(exp["authority_public_key"])
    snap = parse_snapshot((VEC / "snapshot.json").read_bytes(), "vector", {key_id(pub): pub})
    assert snap.digest == exp["snapshot_digest"]
    for day, want in exp["on_roster"].items():
        assert [o.id for o in snap.officers() if o.on_roster(day)] == want
    for rec in exp["session_records"]:
        assert decode_record(rec["leaf_utf8"].encode()) == rec["record"]
    spaced = (VEC / "snapshot.json").read_bytes().replace(b'"as_of":', b'"as_of": ')
    with pytest.raises(IkrarError):
        parse_snapshot(spaced, "vector", {key_id(pub): pub})


def test_the_generator_reproduces_the_vectors(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in VEC.iterdir()}
    subprocess.run([sys.executable, str(Path(__file__).parent / "make_snapshot_vectors.py")], check=True)
    assert {p.name: p.read_bytes() for p in VEC.iterdir()} == before
