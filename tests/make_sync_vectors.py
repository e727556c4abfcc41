"""Writes tests/vectors/sync/: signed-request and incremental-export consistency vectors
(docs/server.md, docs/ledger-export.md). Run: python tests/make_sync_vectors.py"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.keys.keyfiles import key_id, raw_public
from ikrar_cli.ledger.merkle import consistency_proof, leaf_hash, root_of
from ikrar_cli.sync.auth import canonical, sign_request

OUT = Path(__file__).parent / "vectors" / "sync"
SEED = bytes(range(32))


def request_vectors() -> list[dict[str, Any]]:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    pub = raw_public(key)
    out = []
    for method, path, body in (("POST", "/v1/push", b'{"format":"ikrar-ledger-increment"}\n'),
                               ("GET", "/v1/hr/compliance?pledge=pilkada-2024&as_of=2024-11-25", b"")):  # fmt: skip
        ts, nonce = 1732500000, "00112233445566778899aabbccddeeff"
        headers = sign_request(key_id(pub), key.sign, method, path, body, at=ts, nonce=nonce)
        out.append({"seed": SEED.hex(), "public_key": base64.b64encode(pub).decode(), "method": method, "path": path,
                    "body": body.decode(), "timestamp": ts, "nonce": nonce,
                    "canonical": canonical(method, path, body, ts, nonce).decode(), "headers": headers})  # fmt: skip
    return out


def consistency_vectors() -> list[dict[str, Any]]:
    leaves = [f"entry {i}".encode() for i in range(11)]
    hashes = [leaf_hash(x) for x in leaves]
    out = []
    for since, size in ((0, 3), (3, 7), (4, 8), (7, 11), (6, 6)):
        proof = consistency_proof(hashes, since, size) if 0 < since < size else []
        out.append({"leaves": [x.decode() for x in leaves[:size]], "since": since, "size": size,
                    "old_root": base64.b64encode(root_of(hashes[:since])).decode(),
                    "new_root": base64.b64encode(root_of(hashes[:size])).decode(),
                    "consistency": [base64.b64encode(h).decode() for h in proof]})  # fmt: skip
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in (("requests.json", request_vectors()), ("consistency.json", consistency_vectors())):
        (OUT / name).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
