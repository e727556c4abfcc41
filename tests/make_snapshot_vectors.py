"""Writes tests/vectors/roster-snapshot/: a signed roster snapshot in both signature forms
(``snapshot.json``: Ed25519 over the body; ``snapshot-statement.json``: Ed25519 over the statement
naming the digest), files a reader must refuse (``refused-*.json``), session records made with a
fixed key, and the values an outsider must compute from them (docs/roster-snapshot.md,
docs/ledger.md). Ed25519 is deterministic, so running this again writes the same bytes;
tests/test_snapshot_vectors.py checks that."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.keys.keyfiles import canonical_json, fingerprint, key_id, raw_public
from ikrar_cli.keys.signeddoc import content_digest, sign_document, statement
from ikrar_cli.ledger.merkle import leaf_hash
from ikrar_cli.recitation.sessions import encode_record

OUT = Path(__file__).parent / "vectors" / "roster-snapshot"
SEED = bytes(range(1, 33))
OTHER_SEED = bytes(range(101, 133))  # a key nobody trusts
STATEMENT_TYPE = "ikrar-roster-snapshot-signature/1"


def body() -> dict[str, Any]:
    return {
        "format": "ikrar-roster-snapshot/1",
        "institution": {"name": "BKPSDM Kabupaten Contoh", "code": "CTH"},
        "timezone": "Asia/Makassar",
        "as_of": "2024-11-20",
        "serial": 2,
        "previous": "sha256:" + "ab" * 32,
        "scope": None,
        "units": {"DISDIK": "Dinas Pendidikan (DISDIK)", "KB": "Kecamatan Bangkala", "KB2": "Kecamatan Batang"},
        "officers": [
            {"id": "197803122005011002", "id_type": "nip", "name": "Drs. Andi Baso, M.Pd.", "unit": "DISDIK",
             "status": "active", "joined": "2024-10-01", "joined_from": "snapshot", "left": None},
            {"id": "198609262015051001", "id_type": "nip", "name": "Ahmad Yani", "unit": "KB",
             "status": "left", "joined": "2024-10-01", "joined_from": "snapshot", "left": "2024-11-15"},
            {"id": "199505052020121005", "id_type": "nip", "name": "Putri Baru", "unit": "KB2",
             "status": "active", "joined": "2024-11-20", "joined_from": "snapshot", "left": None},
            {"id": "200012312024211001", "id_type": "nippppk", "name": "Siti Aminah", "unit": "KB2",
             "status": "active", "joined": "2024-10-01", "joined_from": "snapshot", "left": None},
        ],
    }  # fmt: skip


def records() -> list[dict[str, Any]]:
    return [
        {"type": "session-open", "session": 3, "terminal": "apel-halaman-1", "pledge": "pilkada-2024@1",
         "pledge_digest": "sha256:" + "cd" * 32, "title": "Apel Ikrar Netralitas", "location": "Halaman Kantor Bupati",
         "unit": "KB2", "timezone": "Asia/Makassar", "roster": content_digest(body()), "forced_reason": None,
         "at": 1732496400, "index": 0},
        {"type": "session-close", "session": 3, "at": 1732500000, "index": 7},
    ]  # fmt: skip


def _file(body: dict[str, Any], alg: str, kid: bytes, signature: bytes) -> bytes:
    sig = {"alg": alg, "kid": kid.hex(), "value": base64.b64encode(signature).decode()}
    return canonical_json({"signature": sig, "snapshot": body}) + b"\n"


def refused(key: Ed25519PrivateKey, kid: bytes) -> dict[str, tuple[bytes, str]]:
    """File name -> (bytes, why a reader refuses it); each is one way to misuse a signature."""
    digest = content_digest(body())
    other_body = {**body(), "serial": 3}
    other = Ed25519PrivateKey.from_private_bytes(OTHER_SEED)
    return {
        "refused-digest-mismatch.json": (
            _file(body(), "Ed25519-statement", kid, key.sign(statement(STATEMENT_TYPE, content_digest(other_body)))),
            "the signed statement names the digest of another body (serial 3)",
        ),
        "refused-wrong-type.json": (
            _file(body(), "Ed25519-statement", kid, key.sign(statement("ikrar-roster-snapshot-signature/2", digest))),
            "the signed statement's type is not ikrar-roster-snapshot-signature/1",
        ),
        "refused-untrusted-key.json": (
            _file(body(), "Ed25519-statement", key_id(raw_public(other)),
                  other.sign(statement(STATEMENT_TYPE, digest))),
            "a valid statement signature by a key the reader does not trust",
        ),
        "refused-body-signature-labelled-statement.json": (
            _file(body(), "Ed25519-statement", kid, key.sign(canonical_json(body()))),
            "an Ed25519 signature over the body labelled Ed25519-statement",
        ),
        "refused-statement-signature-labelled-body.json": (
            _file(body(), "Ed25519", kid, key.sign(statement(STATEMENT_TYPE, digest))),
            "an Ed25519-statement signature labelled Ed25519",
        ),
    }  # fmt: skip


def main() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    pub = raw_public(key)
    kid = key_id(pub)
    OUT.mkdir(parents=True, exist_ok=True)
    snap = sign_document("snapshot", body(), key.sign, kid)
    (OUT / "snapshot.json").write_bytes(snap)
    streamed = sign_document("snapshot", body(), key.sign, kid, statement_type=STATEMENT_TYPE)
    (OUT / "snapshot-statement.json").write_bytes(streamed)
    bad = refused(key, kid)
    for name, (data, _why) in bad.items():
        (OUT / name).write_bytes(data)
    expected = {
        "authority_public_key": base64.b64encode(pub).decode(),
        "authority_kid": kid.hex(),
        "authority_fingerprint": fingerprint(pub),
        "snapshot_digest": content_digest(body()),
        "snapshot_file_sha256": hashlib.sha256(snap).hexdigest(),
        "on_roster": {
            day: [o["id"] for o in body()["officers"] if o["joined"] <= day and (o["left"] is None or o["left"] > day)]
            for day in ("2024-10-01", "2024-11-15", "2024-11-19", "2024-11-20")
        },
        "session_records": [
            {"record": r, "leaf_utf8": encode_record(r).decode(), "leaf_hash": leaf_hash(encode_record(r)).hex()}
            for r in records()
        ],
        "body_canonical_json_sha256": hashlib.sha256(canonical_json(body())).hexdigest(),
        "statement_utf8": statement(STATEMENT_TYPE, content_digest(body())).decode(),
        "statement_snapshot_file_sha256": hashlib.sha256(streamed).hexdigest(),
        "refused": {name: why for name, (_data, why) in bad.items()},
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
