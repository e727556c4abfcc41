"""Receipts: vectors, strict decoding, tamper resistance, size, interop with a generic COSE library."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402
from make_receipt_vectors import build as build_vectors  # noqa: E402

from ikrar_cli.errors import VerificationError  # noqa: E402
from ikrar_cli.keys.keyfiles import key_id, raw_public  # noqa: E402
from ikrar_cli.keys.trust import receipt_revocation_id  # noqa: E402
from ikrar_cli.receipts.base45 import ALPHABET, Base45Error, b45decode, b45encode  # noqa: E402
from ikrar_cli.receipts.qr import qr_version  # noqa: E402
from ikrar_cli.receipts.receipt import _enc, decode_receipt, sign_receipt  # noqa: E402
from ikrar_cli.receipts.verify import Verifier  # noqa: E402

VECTORS = json.loads((Path(__file__).parent / "vectors" / "receipts.json").read_text())


def verifier(**kw: object) -> Verifier:
    return Verifier(h.bundle(**kw), now=lambda: VECTORS["now"])  # type: ignore[arg-type]


def signed(**kw: object):
    term = h.terminal()
    return sign_receipt(h.claims(**kw), term.sign, key_id(raw_public(term)))


def test_vectors_file_is_reproduced_byte_for_byte() -> None:
    assert json.loads(json.dumps(build_vectors(), default=str)) == VECTORS


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vector_verdicts(case: dict) -> None:
    extra: dict = {}
    if case.get("with") == "receipt_revoked":
        extra["revoked_receipts"] = {bytes.fromhex(VECTORS["revoked_receipt_ids_used"]["receipt_revoked"])}
    if case.get("with") == "key_revoked":
        r = VECTORS["key_revocation_used"]["key_revoked"]
        extra["revocations"] = {bytes.fromhex(r["kid"]): (r["revoked_at"], "stolen")}
    result = verifier(**extra).verify(case["receipt"])
    if case["expect"] == "bad_signature_or_malformed":
        assert result.code in ("bad_signature", "malformed", "non_canonical")
    else:
        assert result.code == case["expect"], result.message
    assert result.valid == (case["expect"] == "valid")


def test_round_trip_keeps_every_claim() -> None:
    r = signed()
    back = decode_receipt(r.text)
    assert back.claims == replace(r.claims, pledge_digest=r.claims.pledge_digest[:12])
    assert back.kid == r.kid and back.text == r.text
    assert r.text.startswith("IKR1:") and set(r.text[5:]) <= set(ALPHABET)


def test_every_single_character_change_is_rejected() -> None:
    v = verifier()
    text = signed().text
    assert v.verify(text).valid
    for i in range(len(text)):
        for sub in {ALPHABET[(ALPHABET.index(text[i]) + 1) % 45] if text[i] in ALPHABET else "0", "a", "\x00"}:
            changed = text[:i] + sub + text[i + 1 :]
            if changed != text:
                assert not v.verify(changed).valid, (i, sub)


def test_every_truncation_is_rejected() -> None:
    v = verifier()
    text = signed().text
    assert all(not v.verify(text[:n]).valid for n in range(len(text)))
    assert not v.verify(text + "0").valid and not v.verify(text + "00").valid


def test_swapping_signatures_between_receipts_is_rejected() -> None:
    a, b = signed(), signed(officer_id="200012312024211001", id_type="nippppk", ledger_index=1)
    swapped = "IKR1:" + b45encode(_enc([a.protected, {}, a.payload, b.signature]))
    result = verifier().verify(swapped)
    assert result.code == "bad_signature"


def test_unprotected_header_must_be_empty() -> None:
    a = signed()
    text = "IKR1:" + b45encode(_enc([a.protected, {4: a.kid}, a.payload, a.signature]))
    assert verifier().verify(text).code == "non_canonical"


def test_non_canonical_integer_encoding_is_rejected() -> None:
    a = signed()
    # the same array, but the payload length written with a longer head than needed
    body = _enc([a.protected, {}, a.payload, a.signature])
    assert body[0] == 0x84
    longer = bytes([0x98, 4]) + body[1:]  # array(4) with a 1-byte length argument: valid CBOR, not deterministic
    assert verifier().verify("IKR1:" + b45encode(longer)).code == "non_canonical"


def test_alg_minus_8_is_accepted() -> None:
    term = h.terminal()
    a = signed()
    protected = _enc({1: -8, 4: a.kid})
    from ikrar_cli.receipts.receipt import sig_structure

    sig = term.sign(sig_structure(protected, a.payload))
    text = "IKR1:" + b45encode(_enc([protected, {}, a.payload, sig]))
    assert verifier().verify(text).valid


def test_revocation_semantics_before_and_after_the_instant() -> None:
    kid = key_id(raw_public(h.terminal()))
    before, after = signed(issued_at=h.T0 - 10), signed(issued_at=h.T0 + 10)
    v = verifier(revocations={kid: (h.T0, "terminal dicuri")})
    assert v.verify(before.text).valid
    result = v.verify(after.text)
    assert result.code == "key_revoked" and "terminal dicuri" in result.message


def test_receipt_revocation_by_truncated_signature_hash() -> None:
    r = signed()
    v = verifier(revoked_receipts={receipt_revocation_id(r.signature)})
    assert v.verify(r.text).code == "receipt_revoked"
    assert verifier().verify(r.text).valid


def test_certificate_signed_by_another_authority_is_unknown() -> None:
    cert = h.certificate(h.terminal(), h.terminal(h.OTHER_SEED))  # issuer not in the bundle
    v = Verifier(h.bundle(cert), now=lambda: VECTORS["now"])
    assert v.verify(signed().text).code == "unknown_key"


def test_stale_bundle_warns_but_stays_valid() -> None:
    v = verifier(valid_until=h.T0)
    result = v.verify(signed().text)
    assert result.valid and result.warnings == ["stale_bundle"] and "kedaluwarsa" in result.warning_messages[0]


def test_url_form_is_accepted() -> None:
    r = signed()
    assert verifier().verify("https://bkpsdm.example.go.id/verify.html#" + r.text).valid


def test_size_goal_qr_version_10_at_ecc_m() -> None:
    r = signed(
        pledge_id="jakut-pemilu-2024",
        officer_name="A" * 40,
        unit="DISDUKCP",
        session=255,
        ledger_index=65535,
        method="collective",
    )
    assert len(r.text) <= 311
    assert qr_version(r.text, "M") <= 10


def test_generic_cose_library_verifies_our_receipt() -> None:
    from pycose.algorithms import CoseAlgorithm, EdDSA
    from pycose.keys import OKPKey
    from pycose.messages import Sign1Message

    if -19 not in CoseAlgorithm.get_registered_classes():
        # pycose 1.1 predates RFC 9864; -19 is "Ed25519", i.e. EdDSA fixed to Ed25519: alias pycose's own EdDSA
        @CoseAlgorithm.register_attribute()
        class Ed25519(EdDSA):
            identifier = -19
            fullname = "ED25519"

    import cbor2

    r = signed()
    # pycose 1.1's decode() predates cbor2 6 (tag contents come back as tuples), so give it the array
    msg = Sign1Message.from_cose_obj(list(cbor2.loads(r.cose)), True)
    msg.key = OKPKey(crv="Ed25519", x=raw_public(h.terminal()))
    assert msg.verify_signature()
    msg.key = OKPKey(crv="Ed25519", x=raw_public(h.terminal(h.OTHER_SEED)))
    assert not msg.verify_signature()


FUZZ = max(300, int(os.environ.get("IKRAR_FUZZ_EXAMPLES", "0")))


@pytest.mark.fuzz
@given(st.text(max_size=400))
@settings(max_examples=FUZZ, deadline=None)
def test_fuzz_decode_only_result_or_documented_error(text: str) -> None:
    try:
        decode_receipt(text)
    except VerificationError as exc:
        assert exc.code in ("malformed", "unsupported_version", "non_canonical")


_FUZZ_VERIFIER = verifier()


@pytest.mark.fuzz
@given(st.binary(max_size=300))
@settings(max_examples=FUZZ, deadline=None)
def test_fuzz_receipt_body_bytes(data: bytes) -> None:
    result = _FUZZ_VERIFIER.verify("IKR1:" + b45encode(data))
    assert not result.valid and result.code in ("malformed", "non_canonical", "unsupported_version")


@given(st.binary(max_size=200))
def test_base45_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@given(st.text(alphabet=ALPHABET + "abc\n", max_size=60))
def test_base45_decode_is_strict(text: str) -> None:
    try:
        data = b45decode(text)
    except Base45Error:
        return
    assert b45encode(data) == text


def test_base45_rfc9285_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"base-45") == "UJCLQE7W581"
    assert b45decode("QED8WEX0") == b"ietf!"
    with pytest.raises(Base45Error):
        b45decode("GGW")  # 65535 < value: overflow


def _signed_with(claims_map: dict, protected: dict | None = None) -> str:  # type: ignore[type-arg]
    """A correctly signed receipt whose claims or header use exactly the given CBOR values."""
    from ikrar_cli.receipts.base45 import b45encode as enc45
    from ikrar_cli.receipts.receipt import sig_structure

    term = h.terminal()
    prot = _enc(protected if protected is not None else {1: -19, 4: key_id(raw_public(term))})
    payload = _enc(claims_map)
    sig = term.sign(sig_structure(prot, payload))
    return "IKR1:" + enc45(_enc([prot, {}, payload, sig]))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda m: m.update({1: True}), "malformed"),
        (lambda m: m.update({1: 1.0}), "malformed"),
        (lambda m: m.update({1: 2}), "unsupported_version"),
        (lambda m: m.update({True: m.pop(1)}), "malformed"),
    ],
)
def test_claims_accept_one_encoding_only(change, code: str) -> None:  # type: ignore[no-untyped-def]
    """True or 1.0 may not stand for the integer 1 (Python equality would let them)."""
    m = h.claims().to_map()
    assert Verifier(h.bundle()).verify(_signed_with(m)).valid
    change(m)
    result = Verifier(h.bundle()).verify(_signed_with(m))
    assert (result.valid, result.code) == (False, code)


def test_header_alg_must_be_an_integer() -> None:
    kid = key_id(raw_public(h.terminal()))
    m = h.claims().to_map()
    assert Verifier(h.bundle()).verify(_signed_with(m, {1: -19.0, 4: kid})).code == "malformed"
    assert Verifier(h.bundle()).verify(_signed_with(m, {1: -7, 4: kid})).code == "unsupported_version"


def test_time_beyond_the_calendar_gives_a_verdict_not_a_crash() -> None:
    """Found by the verifier page's fuzzing: year > 9999 used to crash the display of details."""
    forged = replace(h.claims(), issued_at=2**64 - 1)
    receipt = sign_receipt(forged, h.terminal().sign, key_id(raw_public(h.terminal())))
    result = Verifier(h.bundle()).verify(receipt.text)
    assert (result.valid, result.code) == (False, "certificate_not_valid")
    assert result.details["time_local"] == "18446744073709551615 WITA"
    bad = sign_receipt(forged, h.authority().sign, key_id(raw_public(h.terminal())))  # wrong key: bad signature
    result = Verifier(h.bundle()).verify(bad.text)
    assert (result.valid, result.code) == (False, "bad_signature")
