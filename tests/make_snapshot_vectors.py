"""Writes tests/vectors/roster-snapshot/: a signed roster snapshot, a terminal package and session
records made with a fixed key, and the values an outsider must compute from them
(docs/roster-snapshot.md, docs/ledger.md). Ed25519 is deterministic, so running this again
writes the same bytes; tests/test_snapshot_vectors.py checks that."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.keys.keyfiles import canonical_json, fingerprint, key_id, raw_public
from ikrar_cli.keys.signeddoc import content_digest, sign_document
from ikrar_cli.ledger.merkle import leaf_hash
from ikrar_cli.recitation.sessions import encode_record

OUT = Path(__file__).parent / "vectors" / "roster-snapshot"
SEED = bytes(range(1, 33))


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


def main() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    pub = raw_public(key)
    kid = key_id(pub)
    OUT.mkdir(parents=True, exist_ok=True)
    snap = sign_document("snapshot", body(), key.sign, kid)
    (OUT / "snapshot.json").write_bytes(snap)
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
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
