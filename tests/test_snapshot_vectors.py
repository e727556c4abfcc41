"""The roster snapshot and session-record vectors, checked by an independent re-implementation of
docs/roster-snapshot.md (plain json, hashlib and cryptography, no ikrar code), then by ikrar:
both signature forms (``Ed25519`` over the body, ``Ed25519-statement`` over the statement naming
the digest) are read, and every ``refused-*`` file is refused by the outsider and both readers."""

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


class Refused(Exception):
    pass


def outsider_read(data: bytes, public_key: bytes) -> tuple[str, dict]:
    doc = json.loads(data)
    if canon(doc) + b"\n" != data:
        raise Refused("not canonical")
    body, sig = doc["snapshot"], doc["signature"]
    if sig["kid"] != hashlib.sha256(public_key).digest()[:8].hex():
        raise Refused("not signed by the trusted key")
    digest = "sha256:" + hashlib.sha256(canon(body)).hexdigest()
    if sig["alg"] == "Ed25519":
        message = canon(body)
    elif sig["alg"] == "Ed25519-statement":
        message = canon({"type": "ikrar-roster-snapshot-signature/1", "digest": digest})
    else:
        raise Refused("unknown alg")
    Ed25519PublicKey.from_public_bytes(public_key).verify(base64.b64decode(sig["value"]), message)
    return digest, body


FORMS = ["snapshot.json", "snapshot-statement.json"]


@pytest.mark.parametrize("name", FORMS)
def test_an_outsider_reads_the_snapshot_vector(name: str) -> None:
    exp = json.loads((VEC / "expected.json").read_text())
    data = (VEC / name).read_bytes()
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


def test_the_statement_form_signs_the_statement_the_doc_gives() -> None:
    exp = json.loads((VEC / "expected.json").read_text())
    data = (VEC / "snapshot-statement.json").read_bytes()
    doc = json.loads(data)
    assert doc["signature"]["alg"] == "Ed25519-statement"
    assert exp["statement_utf8"] == (
        '{"digest":"' + exp["snapshot_digest"] + '","type":"ikrar-roster-snapshot-signature/1"}'
    )
    pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(exp["authority_public_key"]))
    sig = base64.b64decode(doc["signature"]["value"])
    pub.verify(sig, exp["statement_utf8"].encode())
    with pytest.raises(InvalidSignature):  # not a signature over the body
        pub.verify(sig, canon(doc["snapshot"]))
    assert hashlib.sha256(data).hexdigest() == exp["statement_snapshot_file_sha256"]
    # the same body in both forms: the same digest, the name reports cite
    assert json.loads((VEC / "snapshot.json").read_bytes())["snapshot"] == doc["snapshot"]


def _refused_names() -> list[str]:
    return sorted(json.loads((VEC / "expected.json").read_text())["refused"])


def test_every_refused_vector_is_listed_and_present() -> None:
    names = _refused_names()
    assert sorted(p.name for p in VEC.glob("refused-*.json")) == names
    assert len(names) == 5


@pytest.mark.parametrize("name", _refused_names())
def test_an_outsider_refuses_the_refused_vectors(name: str) -> None:
    exp = json.loads((VEC / "expected.json").read_text())
    pub = base64.b64decode(exp["authority_public_key"])
    with pytest.raises((InvalidSignature, Refused)):
        outsider_read((VEC / name).read_bytes(), pub)


@pytest.mark.parametrize("name", _refused_names())
def test_both_ikrar_readers_refuse_the_refused_vectors(name: str) -> None:
    from ikrar_cli.errors import TrustError
    from ikrar_cli.keys.keyfiles import key_id
    from ikrar_cli.roster.snapshot import parse_snapshot
    from ikrar_cli.roster.snapshot_stream import stream_snapshot

    exp = json.loads((VEC / "expected.json").read_text())
    pub = base64.b64decode(exp["authority_public_key"])
    data = (VEC / name).read_bytes()
    with pytest.raises(TrustError):
        parse_snapshot(data, "vector", {key_id(pub): pub})
    seen: list[object] = []
    with pytest.raises(TrustError):
        stream_snapshot(iter([data[:100], data[100:]]), "vector", {key_id(pub): pub}, seen.append)


@pytest.mark.parametrize("name", FORMS)
def test_ikrar_agrees_with_the_vectors(name: str) -> None:
    from ikrar_cli.errors import IkrarError
    from ikrar_cli.keys.keyfiles import key_id
    from ikrar_cli.recitation.sessions import decode_record
    from ikrar_cli.roster.snapshot import parse_snapshot

    exp = json.loads((VEC / "expected.json").read_text())
    pub = base64.b64decode(exp["authority_public_key"])
    snap = parse_snapshot((VEC / name).read_bytes(), "vector", {key_id(pub): pub})
    assert snap.digest == exp["snapshot_digest"]
    for day, want in exp["on_roster"].items():
        assert [o.id for o in snap.officers() if o.on_roster(day)] == want
    for rec in exp["session_records"]:
        assert decode_record(rec["leaf_utf8"].encode()) == rec["record"]
    spaced = (VEC / name).read_bytes().replace(b'"as_of":', b'"as_of": ')
    with pytest.raises(IkrarError):
        parse_snapshot(spaced, "vector", {key_id(pub): pub})


def test_the_generator_reproduces_the_vectors(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in VEC.iterdir()}
    subprocess.run([sys.executable, str(Path(__file__).parent / "make_snapshot_vectors.py")], check=True)
    assert {p.name: p.read_bytes() for p in VEC.iterdir()} == before
