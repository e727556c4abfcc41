"""Ed25519 verification backends: PyNaCl (libsodium) and cryptography (OpenSSL) agree.

RFC 8032 §7.1 test vectors and ikrar's receipt vectors run on both; signatures created with
``cryptography`` (how ikrar signs) verify on both; every tampering fails on both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402

from ikrar_cli.keys import ed25519  # noqa: E402
from ikrar_cli.keys.keyfiles import raw_public, verify_signature  # noqa: E402
from ikrar_cli.receipts.verify import Verifier  # noqa: E402

BACKENDS = ["pynacl", "cryptography"]
VECTORS = json.loads((Path(__file__).parent / "vectors" / "receipts.json").read_text())

# RFC 8032 §7.1, TEST 1, 2, 3 and SHA(abc)
RFC8032 = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("pub", "msg", "sig"), RFC8032)
def test_rfc8032_vectors(backend: str, pub: str, msg: str, sig: str) -> None:
    key = ed25519.public_key(bytes.fromhex(pub), backend=backend)
    assert key.verify(bytes.fromhex(sig), bytes.fromhex(msg))
    bad = bytearray(bytes.fromhex(sig))
    bad[0] ^= 1
    assert not key.verify(bytes(bad), bytes.fromhex(msg))
    assert not key.verify(bytes.fromhex(sig), bytes.fromhex(msg) + b"x")
    assert not key.verify(bytes.fromhex(sig)[:63], bytes.fromhex(msg))


def test_pynacl_is_the_default_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ed25519.ENV, raising=False)
    assert ed25519.backend_name() == "pynacl"
    monkeypatch.setenv(ed25519.ENV, "cryptography")
    assert ed25519.backend_name() == "cryptography"


@pytest.mark.parametrize("backend", BACKENDS)
def test_malformed_public_key(backend: str) -> None:
    with pytest.raises(ValueError):
        ed25519.public_key(b"\x01" * 31, backend=backend)
    assert not ed25519.verify(b"\x01" * 31, b"\x00" * 64, b"m", backend=backend)


@settings(max_examples=40, deadline=None)
@given(msg=st.binary(max_size=300), flip=st.integers(min_value=0, max_value=64 * 8 - 1))
def test_cryptography_signatures_verify_on_both(msg: bytes, flip: int) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    sig = key.sign(msg)
    pub = raw_public(key)
    tampered = bytearray(sig)
    tampered[flip // 8] ^= 1 << (flip % 8)
    for backend in BACKENDS:
        assert ed25519.verify(pub, sig, msg, backend=backend)
        assert not ed25519.verify(pub, bytes(tampered), msg, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_receipt_vectors_on_both_backends(backend: str, case: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ed25519.ENV, backend)
    extra: dict = {}
    if case.get("with") == "receipt_revoked":
        extra["revoked_receipts"] = {bytes.fromhex(VECTORS["revoked_receipt_ids_used"]["receipt_revoked"])}
    if case.get("with") == "key_revoked":
        r = VECTORS["key_revocation_used"]["key_revoked"]
        extra["revocations"] = {bytes.fromhex(r["kid"]): (r["revoked_at"], "stolen")}
    result = Verifier(h.bundle(**extra), now=lambda: VECTORS["now"]).verify(case["receipt"])  # type: ignore[arg-type]
    if case["expect"] == "bad_signature_or_malformed":
        assert result.code in ("bad_signature", "malformed", "non_canonical")
    else:
        assert result.code == case["expect"], result.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_keys_verify_signature_uses_the_backend(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ed25519.ENV, backend)
    key = Ed25519PrivateKey.generate()
    assert verify_signature(raw_public(key), key.sign(b"checkpoint"), b"checkpoint")
    assert not verify_signature(raw_public(key), key.sign(b"checkpoint"), b"checkpoinT")
