"""Ed25519 signature verification through the fastest library installed.

libsodium (PyNaCl, the optional ``fast`` extra) verifies about 1.6x faster than OpenSSL through
``cryptography`` on the reference machine (bench/README.md). Both implement RFC 8032; nothing
here is hand-rolled. Signing always uses ``cryptography`` (keys.py); only verification picks a
backend. Verification of a signature ``cryptography`` created succeeds on both (tests/
test_ed25519_backends.py runs the RFC 8032 vectors and ikrar's own receipts on each).

``IKRAR_ED25519=cryptography`` forces the fallback (used by the tests and the bench to measure
both); any other value, or none, takes PyNaCl when it imports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

ENV = "IKRAR_ED25519"
BACKENDS = ("pynacl", "cryptography")


class PublicKey(Protocol):
    def verify(self, signature: bytes, message: bytes) -> bool: ...


class _Cryptography:
    __slots__ = ("_key",)

    def __init__(self, raw: bytes):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        self._key = Ed25519PublicKey.from_public_bytes(raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self._key.verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class _PyNaCl:
    __slots__ = ("_verify",)

    def __init__(self, raw: bytes):
        from nacl.bindings import crypto_sign_PUBLICKEYBYTES

        if len(raw) != crypto_sign_PUBLICKEYBYTES:
            raise ValueError("an Ed25519 public key is 32 bytes")
        self._verify = _nacl_verifier(raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        return self._verify(signature, message)


def _nacl_verifier(raw: bytes) -> Callable[[bytes, bytes], bool]:
    from nacl.bindings import crypto_sign_BYTES, crypto_sign_open
    from nacl.exceptions import BadSignatureError, CryptoError

    def verify(signature: bytes, message: bytes) -> bool:
        if len(signature) != crypto_sign_BYTES:
            return False
        try:
            crypto_sign_open(signature + message, raw)
        except (BadSignatureError, CryptoError, ValueError):
            return False
        return True

    return verify


def _nacl_available() -> bool:
    try:
        import nacl.bindings  # noqa: F401
    except ImportError:
        return False
    return True


def backend_name(choice: str | None = None) -> str:
    """The backend used: ``pynacl`` when installed (unless the environment forces the fallback)."""
    want = choice if choice is not None else os.environ.get(ENV, "")
    if want == "cryptography":
        return "cryptography"
    return "pynacl" if _nacl_available() else "cryptography"


def public_key(raw: bytes, *, backend: str | None = None) -> PublicKey:
    """A verifier for one raw 32-byte public key; raises ValueError for a malformed key."""
    return _PyNaCl(raw) if backend_name(backend) == "pynacl" else _Cryptography(raw)


def verify(raw: bytes, signature: bytes, message: bytes, *, backend: str | None = None) -> bool:
    try:
        key = public_key(raw, backend=backend)
    except ValueError:
        return False
    return key.verify(signature, message)
