"""Ed25519 verification of a message read in pieces (a roster snapshot of millions of officers).

RFC 8032 §5.1.7 reads the message once, inside ``SHA-512(R || A || M)``; nothing else needs
it. Both libraries ikrar uses want the whole message in memory, which is about 200 bytes per
officer of a national snapshot. With PyNaCl (the ``fast`` extra) the message is hashed as it
streams and the check is made with libsodium's own group operations (no field or curve
arithmetic here):

- ``S`` must be below the group order ``L`` (no malleable signatures), ``A`` and ``R`` must be
  canonical points of the prime-order subgroup (``crypto_core_ed25519_is_valid_point``; stricter
  than libsodium's verify about ``R``, which an honest signer's ``R = rB`` always meets);
- ``k = SHA-512(R || A || M) mod L`` (``crypto_core_ed25519_scalar_reduce``);
- ``[S]B == R + [k]A``, compared as encodings (the cofactorless equation libsodium checks).

``tests/test_ed25519_stream.py`` checks it against both libraries on the RFC 8032 vectors, on
random keys and messages, and on every single-bit change of signatures and messages. Without
PyNaCl the pieces are kept and verified at the end through ``ed25519.verify`` (memory then
grows with the message: install the ``fast`` extra at national scale).
"""

from __future__ import annotations

import hashlib

from .ed25519 import backend_name, verify

__all__ = ["StreamVerifier"]

#: the order of the Ed25519 prime-order subgroup
L = 2**252 + 27742317777372353535851937790883648493


class StreamVerifier:
    """``update(piece)`` as often as needed, then ``verify()`` once."""

    def __init__(self, public_key: bytes, signature: bytes, *, backend: str | None = None):
        self._pub, self._sig = bytes(public_key), bytes(signature)
        self._streaming = backend_name(backend) == "pynacl"
        self._pieces: list[bytes] | None = None if self._streaming else []
        self._hash = hashlib.sha512(self._sig[:32] + self._pub)

    @property
    def streaming(self) -> bool:
        """True when the message is not kept (PyNaCl installed)."""
        return self._streaming

    def update(self, piece: bytes) -> None:
        if self._pieces is not None:
            self._pieces.append(bytes(piece))
        else:
            self._hash.update(piece)

    def verify(self) -> bool:
        if self._pieces is not None:
            return verify(self._pub, self._sig, b"".join(self._pieces), backend="cryptography")
        return self._check(self._hash.digest())

    def _check(self, k64: bytes) -> bool:
        from nacl.bindings import (
            crypto_core_ed25519_add,
            crypto_core_ed25519_is_valid_point,
            crypto_core_ed25519_scalar_reduce,
            crypto_scalarmult_ed25519_base_noclamp,
            crypto_scalarmult_ed25519_noclamp,
        )
        from nacl.exceptions import CryptoError

        if len(self._sig) != 64 or len(self._pub) != 32:
            return False
        r, s = self._sig[:32], self._sig[32:]
        if int.from_bytes(s, "little") >= L:
            return False
        try:
            if not (crypto_core_ed25519_is_valid_point(self._pub) and crypto_core_ed25519_is_valid_point(r)):
                return False
            k = crypto_core_ed25519_scalar_reduce(k64)
            left = crypto_scalarmult_ed25519_base_noclamp(s)
            right = crypto_core_ed25519_add(r, crypto_scalarmult_ed25519_noclamp(k, self._pub))
        except (CryptoError, RuntimeError, ValueError, TypeError):
            return False  # libsodium refuses an identity result (a zero scalar): not a valid signature
        return bool(left == right)
