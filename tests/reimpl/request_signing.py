"""Signed HTTP requests (docs/server.md, "Authentication"), re-implemented from the document alone:
the canonical bytes, the four headers, and the Ed25519 signature. Imports nothing from ikrar."""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def canonical(method: str, target: str, body: bytes, timestamp: int, nonce: str) -> bytes:
    return (f"ikrar-request-v1\n{method}\n{target}\n{hashlib.sha256(body).hexdigest()}\n{timestamp}\n{nonce}\n"
            .encode("ascii"))  # fmt: skip


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).digest()[:8].hex()


def sign(seed: bytes, method: str, target: str, body: bytes, timestamp: int, nonce: str) -> dict[str, str]:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    sig = key.sign(canonical(method, target, body, timestamp, nonce))
    return {"ikrar-key": key_id(pub), "ikrar-timestamp": str(timestamp), "ikrar-nonce": nonce,
            "ikrar-signature": base64.b64encode(sig).decode()}  # fmt: skip


def verify(public_key: bytes, headers: dict[str, str], method: str, target: str, body: bytes) -> bool:
    h = {k.lower(): v for k, v in headers.items()}
    if h.get("ikrar-key") != key_id(public_key):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(h["ikrar-signature"], validate=True),
            canonical(method, target, body, int(h["ikrar-timestamp"]), h["ikrar-nonce"]),
        )
    except (InvalidSignature, KeyError, ValueError):
        return False
    return True
