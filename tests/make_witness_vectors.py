"""Write tests/vectors/witness.json (docs/witness.md): run ``python tests/make_witness_vectors.py``.

Everything is deterministic: Ed25519 keys from fixed seeds, fixed timestamps, leaves b"leaf-<i>".
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.keys.keyfiles import raw_public
from ikrar_cli.ledger.checkpoint import sign_checkpoint
from ikrar_cli.ledger.merkle import consistency_proof, leaf_hash, root_of
from ikrar_cli.witness.cosignature import cosignature_key_id, cosigned_message, format_vkey, note_body, sign_cosignature
from ikrar_cli.witness.protocol import format_request

WITNESS_SEED = bytes(range(100, 132))
WITNESS2_SEED = bytes(range(140, 172))
LOG_SEED = bytes(range(32, 64))
WITNESS_NAME = "bawaslu.example/ikrar-witness"
WITNESS2_NAME = "inspektorat.example/saksi"
ORIGIN = "ikrar/UJI/0011223344556677"
TIME = 1764028800  # 2025-11-25 00:00:00 UTC
OUT = Path(__file__).parent / "vectors" / "witness.json"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def log_checkpoint(key: Ed25519PrivateKey, leaves: list[bytes]) -> str:
    hashes = [leaf_hash(x) for x in leaves]
    return sign_checkpoint(ORIGIN, len(hashes), root_of(hashes), ORIGIN, key.sign, raw_public(key)).note


def build() -> dict[str, Any]:
    log = Ed25519PrivateKey.from_private_bytes(LOG_SEED)
    wit = Ed25519PrivateKey.from_private_bytes(WITNESS_SEED)
    wit2 = Ed25519PrivateKey.from_private_bytes(WITNESS2_SEED)
    wpub, wpub2 = raw_public(wit), raw_public(wit2)
    leaves = [b"leaf-%d" % i for i in range(7)]
    hashes = [leaf_hash(x) for x in leaves]
    cp3, cp7 = log_checkpoint(log, leaves[:3]), log_checkpoint(log, leaves)
    proof = consistency_proof(hashes, 3, 7)
    forged = [b"leaf-0", b"leaf-1", b"rewritten-2"] + leaves[3:]  # same key, history rewritten
    forged_hashes = [leaf_hash(x) for x in forged]
    forged3, forged7 = log_checkpoint(log, forged[:3]), log_checkpoint(log, forged)
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(200, 232)))
    line3 = sign_cosignature(WITNESS_NAME, wpub, wit.sign, note_body(cp3), TIME)
    line7 = sign_cosignature(WITNESS_NAME, wpub, wit.sign, note_body(cp7), TIME + 60)
    line7b = sign_cosignature(WITNESS2_NAME, wpub2, wit2.sign, note_body(cp7), TIME + 61)
    return {
        "comment": "docs/witness.md; keys are Ed25519 from the seeds given (hex); leaves are b'leaf-<i>'",
        "witness": {
            "name": WITNESS_NAME,
            "seed": WITNESS_SEED.hex(),
            "public_key": b64(wpub),
            "key_id": cosignature_key_id(WITNESS_NAME, wpub).hex(),
            "vkey": format_vkey(WITNESS_NAME, wpub),
        },
        "witness2": {"name": WITNESS2_NAME, "seed": WITNESS2_SEED.hex(), "vkey": format_vkey(WITNESS2_NAME, wpub2)},
        "log": {"origin": ORIGIN, "seed": LOG_SEED.hex(), "vkey": format_vkey(ORIGIN, raw_public(log), 0x01)},
        "checkpoints": {"3": cp3, "7": cp7, "forged_3": forged3, "forged_7": forged7},
        "cosignatures": [
            {
                "checkpoint": "3",
                "time": TIME,
                "message": cosigned_message(note_body(cp3), TIME).decode(),
                "line": line3,
            },
            {"checkpoint": "7", "time": TIME + 60, "line": line7},
            {"checkpoint": "7", "time": TIME + 61, "line": line7b, "witness": "witness2"},
        ],
        "requests": [
            {
                "case": "first",
                "state": None,
                "body": format_request(0, [], cp3).decode(),
                "status": 200,
                "response": line3,
                "time": TIME,
            },
            {
                "case": "grow",
                "state": "3",
                "body": format_request(3, proof, cp7).decode(),
                "status": 200,
                "response": line7,
                "time": TIME + 60,
            },
            {"case": "retry_same", "state": "7", "body": format_request(7, [], cp7).decode(), "status": 200},
            {
                "case": "stale_old_size",
                "state": "7",
                "body": format_request(3, proof, cp7).decode(),
                "status": 409,
                "response": "7\n",
            },
            {
                "case": "replayed_older",
                "state": "7",
                "body": format_request(0, [], cp3).decode(),
                "status": 409,
                "response": "7\n",
            },
            {"case": "fork_same_size", "state": "3", "body": format_request(3, [], forged3).decode(), "status": 409},
            {
                "case": "rewritten_history",
                "state": "3",
                "body": format_request(3, consistency_proof(forged_hashes, 3, 7), forged7).decode(),
                "status": 422,
            },
            {"case": "old_larger_than_size", "state": "3", "body": format_request(7, [], cp3).decode(), "status": 400},
            {
                "case": "unknown_origin",
                "state": None,
                "body": format_request(0, [], cp3.replace(ORIGIN, "ikrar/UJI/ffffffffffffffff")).decode(),
                "status": 404,
            },
            {
                "case": "not_the_log_key",
                "state": None,
                "body": format_request(
                    0, [], sign_checkpoint(ORIGIN, 3, root_of(hashes[:3]), ORIGIN, other.sign, raw_public(other)).note
                ).decode(),
                "status": 403,
            },
            {"case": "proof_from_zero", "state": None, "body": format_request(0, proof, cp7).decode(), "status": 400},
        ],
        "policies": [
            {
                "text": f"witness bawaslu {format_vkey(WITNESS_NAME, wpub)}\nquorum bawaslu\n",
                "note": "7",
                "lines": [line7],
                "ok": True,
                "valid": ["bawaslu"],
            },
            {
                "text": (
                    f"witness bawaslu {format_vkey(WITNESS_NAME, wpub)}\n"
                    f"witness inspektorat {format_vkey(WITNESS2_NAME, wpub2)}\n"
                    "group dua 2 bawaslu inspektorat\nquorum dua\n"
                ),
                "note": "7",
                "lines": [line7],
                "ok": False,
                "valid": ["bawaslu"],
                "missing": ["inspektorat"],
            },
            {
                "text": (
                    f"witness bawaslu {format_vkey(WITNESS_NAME, wpub)}\n"
                    f"witness inspektorat {format_vkey(WITNESS2_NAME, wpub2)}\n"
                    "group dua 2 bawaslu inspektorat\nquorum dua\n"
                ),
                "note": "7",
                "lines": [line7, line7b],
                "ok": True,
                "valid": ["bawaslu", "inspektorat"],
            },
            {
                "text": f"witness bawaslu {format_vkey(WITNESS_NAME, wpub)}\nquorum bawaslu\n",
                "note": "7",
                "lines": [line3],
                "ok": False,
                "invalid": ["bawaslu"],
            },
        ],
    }


if __name__ == "__main__":
    data = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text(encoding="utf-8") == data else 1)
    OUT.write_text(data, encoding="utf-8")
