"""The canonical-layout reader of a receipt decides exactly what the general reader decides.

``receipt_from_cose`` reads a receipt in its one canonical layout with a hand-written reader
(``_canonical_receipt``: a merge reads millions) and hands anything else to the general reader
(``_receipt_from_cose``: cbor_strict, then the claim checks), which alone decides every error. These
tests hold the two equal on valid receipts of every shape, on claim maps of any content, canonical
or not, and on damaged bytes: the same Receipt, or the same reason and message. ``sig_structure``,
now written directly, is held to cbor2's canonical encoding.
"""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from receipt_helpers import claims, terminal

from ikrar_cli.errors import VerificationError
from ikrar_cli.keys.keyfiles import key_id, raw_public
from ikrar_cli.receipts import receipt as R
from ikrar_cli.receipts.receipt import Claims, Receipt, sign_receipt

KID = bytes(range(8))
SIG = bytes(range(64))


def _outcome(fn: Any, cose: bytes) -> tuple[str, Any]:
    try:
        return "ok", fn(cose, "TEXT")
    except VerificationError as exc:
        return "error", (exc.code, exc.message, exc.hint)


def _same_as_general(cose: bytes) -> tuple[str, Any]:
    """receipt_from_cose (fast, then general) against the general reader alone; and the fast reader,
    when it answers, answers what the general reader does."""
    public, general = _outcome(R.receipt_from_cose, cose), _outcome(R._receipt_from_cose, cose)
    assert public == general
    fast = R._canonical_receipt(cose, "TEXT")
    if fast is not None:
        assert general == ("ok", fast)
        assert all(type(getattr(fast, f)) is type(getattr(general[1], f)) for f in Receipt.__dataclass_fields__)
    return general


def _cose(payload: bytes, *, protected: bytes | None = None, unprotected: Any = None, sig: bytes = SIG) -> bytes:
    protected = protected if protected is not None else cbor2.dumps({1: -19, 4: KID}, canonical=True)
    return cbor2.dumps([protected, unprotected or {}, payload, sig], canonical=True)


# ------------------------------------------------------------------------------ valid receipts of every shape
texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=200)
uints = st.one_of(st.integers(0, 30), st.integers(0, 2**16 + 5), st.integers(0, 2**64 - 1))


@st.composite
def good_claims(draw: st.DrawFn) -> Claims:
    numeric = draw(st.booleans())
    officer = str(draw(st.integers(1, 2**64 - 1))) if numeric else draw(texts.filter(
        lambda t: not R.numeric_officer_id(t)))  # fmt: skip
    return Claims(
        pledge_id=draw(texts), pledge_version=draw(uints), pledge_digest=draw(st.binary(min_size=12, max_size=12)),
        officer_id=officer, id_type=draw(st.sampled_from(sorted(R.ID_TYPES))),
        officer_name=draw(st.one_of(st.none(), texts)), unit=draw(texts), session=draw(uints),
        issued_at=draw(uints), zone=draw(st.sampled_from(sorted(R.ZONE_CODES))),
        method=draw(st.sampled_from(sorted(R.METHODS))), ledger_index=draw(uints),
    )  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(good_claims(), st.sampled_from([R.ALG_ED25519, R.ALG_EDDSA]))
def test_every_valid_receipt_takes_the_fast_reader_and_reads_the_same(c: Claims, alg: int) -> None:
    payload = cbor2.dumps(c.to_map(), canonical=True)
    cose = _cose(payload, protected=cbor2.dumps({1: alg, 4: KID}, canonical=True))
    assert R._canonical_receipt(cose, "TEXT") is not None  # not vacuous: the fast reader answers
    status, r = _same_as_general(cose)
    assert status == "ok" and r.claims == c and r.alg == alg and r.kid == KID and r.signature == SIG


def test_a_signed_receipt_reads_the_same_both_ways() -> None:
    key = terminal()
    r = sign_receipt(claims(), key.sign, key_id(raw_public(key.public_key())))
    decoded = R._receipt_from_cose(r.cose, r.text)
    assert R._canonical_receipt(r.cose, r.text) == decoded == R.decode_receipt(r.text)
    assert decoded.claims.officer_id == r.claims.officer_id and decoded.signature == r.signature


# ------------------------------------------------------------------------------ claim maps of any content
def _value_for(key: int) -> st.SearchStrategy[Any]:
    good = {
        R.K_TYPE: st.just(1), R.K_PLEDGE: texts, R.K_VERSION: uints, R.K_DIGEST: st.binary(min_size=12, max_size=12),
        R.K_OFFICER: st.one_of(uints, texts, st.sampled_from(["0", "01", "123", str(2**64), "١٢٣"])),
        R.K_IDTYPE: st.integers(0, 5), R.K_NAME: texts, R.K_UNIT: texts, R.K_SESSION: uints, R.K_TIME: uints,
        R.K_ZONE: st.integers(0, 4), R.K_METHOD: st.integers(0, 3), R.K_INDEX: uints,
    }.get(key, uints)  # fmt: skip
    odd = st.one_of(st.integers(-(2**64), 2**64 + 1), st.text(max_size=3), st.text(min_size=199, max_size=202),
                    st.binary(max_size=14), st.none(), st.booleans(), st.floats(allow_nan=False),
                    st.lists(st.integers(0, 3), max_size=2))  # fmt: skip
    return st.one_of(good, good, good, odd)


@st.composite
def claim_maps(draw: st.DrawFn) -> dict[Any, Any]:
    keys = set(range(1, 14)) - ({R.K_NAME} if draw(st.booleans()) else set())
    keys -= set(draw(st.lists(st.integers(1, 13), max_size=2)))  # now and then one missing
    keys |= set(draw(st.lists(st.sampled_from([0, 14, 23, 24, -1]), max_size=1)))  # or one too many
    return {k: draw(_value_for(k)) for k in sorted(keys)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_maps(), st.booleans(), st.booleans())
def test_any_claim_map_reads_the_same_both_ways(m: dict[Any, Any], canonical: bool, shuffle: bool) -> None:
    if shuffle:
        m = dict(reversed(list(m.items())))
    payload = cbor2.dumps(m, canonical=canonical)
    _same_as_general(_cose(payload))


# ------------------------------------------------------------------------------ damaged bytes
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(good_claims(), st.data())
def test_damaged_receipts_give_the_same_reason_both_ways(c: Claims, data: st.DataObject) -> None:
    blob = bytearray(_cose(cbor2.dumps(c.to_map(), canonical=True)))
    for _n in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["flip", "insert", "delete", "append", "set"]))
        pos = data.draw(st.integers(0, max(0, len(blob) - 1)))
        if kind == "flip" and blob:
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "insert":
            blob.insert(pos, data.draw(st.integers(0, 255)))
        elif kind == "delete" and blob:
            del blob[pos]
        elif kind == "set" and blob:
            blob[pos] = data.draw(st.sampled_from([0x00, 0x17, 0x18, 0x19, 0x1B, 0x40, 0x58, 0x59, 0x60, 0x78, 0x79,
                                                   0x7F, 0xA0, 0xAC, 0xAD, 0xAE, 0xF6, 0xFF]))  # fmt: skip
        else:
            blob.append(data.draw(st.integers(0, 255)))
    _same_as_general(bytes(blob))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_read_the_same_both_ways(blob: bytes) -> None:
    _same_as_general(blob)


def _longer_head(payload: bytes) -> bytes:
    """The payload's byte string written with a 2-byte length where 1 byte would do (non-canonical)."""
    return bytes([0x59]) + len(payload).to_bytes(2, "big") + payload


CLAIMS = claims().to_map()
GOOD = cbor2.dumps(CLAIMS, canonical=True)


@pytest.mark.parametrize(
    ("cose", "code"),
    [
        (_cose(GOOD), None),
        (_cose(GOOD)[:-1], "malformed"),
        (_cose(GOOD) + b"\x00", "non_canonical"),
        (_cose(GOOD, unprotected={4: KID}), "non_canonical"),
        (_cose(GOOD, protected=cbor2.dumps({1: -7, 4: KID}, canonical=True)), "unsupported_version"),
        (_cose(GOOD, protected=cbor2.dumps({4: KID, 1: -19})), "non_canonical"),
        (_cose(GOOD, sig=SIG[:63]), "malformed"),
        (_cose(GOOD + b"\x00"), "non_canonical"),  # a byte after the claims, inside the payload
        (_cose(GOOD)[:16] + _longer_head(GOOD) + _cose(GOOD)[18 + len(GOOD) :], "non_canonical"),
        (_cose(cbor2.dumps({**CLAIMS, 5: "198609262015051001"}, canonical=True)), "non_canonical"),
        (_cose(cbor2.dumps({**CLAIMS, 5: 0}, canonical=True)), "malformed"),
        (_cose(cbor2.dumps({**CLAIMS, 1: 2}, canonical=True)), "unsupported_version"),
        (_cose(cbor2.dumps({**CLAIMS, 6: 9}, canonical=True)), "malformed"),
        (_cose(cbor2.dumps({**CLAIMS, 2: "x" * 201}, canonical=True)), "malformed"),
        (_cose(cbor2.dumps(dict(reversed(list(CLAIMS.items()))))), "non_canonical"),
        (_cose(cbor2.dumps({**CLAIMS, 7: ""}, canonical=True)), "malformed"),
        (_cose(bytes([0xAC]) + GOOD[1:]), "malformed"),  # says 12 entries, holds 13: the last one is missing
    ],
)
def test_known_shapes_give_their_reason_both_ways(cose: bytes, code: str | None) -> None:
    status, value = _same_as_general(cose)
    assert (status, value[0] if status == "error" else None) == ("error" if code else "ok", code)


def _widened(v: Any, width: int) -> bytes:
    """``v`` (an unsigned integer, a text or bytes) with a head of ``width`` extra bytes (1, 2, 4, 8),
    longer than the shortest whenever its length or value would fit in fewer: not canonical."""
    if isinstance(v, int):
        major, n, body = 0, v, b""
    else:
        body = v.encode() if isinstance(v, str) else v
        major, n = (3 if isinstance(v, str) else 2), len(body)
    ai = {1: 24, 2: 25, 4: 26, 8: 27}[width]
    return bytes([major << 5 | ai]) + n.to_bytes(width, "big") + body


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(CLAIMS)), st.sampled_from([1, 2, 4, 8]))
def test_a_claim_with_a_longer_head_than_needed_is_non_canonical_both_ways(key: int, width: int) -> None:
    v = CLAIMS[key]
    n = v if isinstance(v, int) else len(v.encode() if isinstance(v, str) else v)
    assume(n < 1 << (8 * width))
    field = _widened(v, width)
    cose = _cose(bytes([0xA0 + len(CLAIMS)]) + b"".join(
        bytes([k]) + (field if k == key else cbor2.dumps(CLAIMS[k])) for k in sorted(CLAIMS)))  # fmt: skip
    status, value = _same_as_general(cose)
    if field == cbor2.dumps(v):  # that width is the shortest for this value
        assert status == "ok"
    else:
        assert (status, value[0]) == ("error", "non_canonical")
        assert R._canonical_receipt(cose, None) is None


def test_a_non_canonical_officer_text_is_left_to_the_general_reader() -> None:
    cose = _cose(cbor2.dumps({**CLAIMS, 5: "198609262015051001"}, canonical=True))
    assert R._canonical_receipt(cose, None) is None


# ------------------------------------------------------------------------------ the signed bytes
@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.binary(max_size=300), st.integers(0, 70000).map(lambda n: b"\x01" * n)),
    st.one_of(st.binary(max_size=300), st.sampled_from([23, 24, 255, 256, 65535, 65536]).map(lambda n: b"p" * n)),
)
def test_sig_structure_is_cbor2s_canonical_encoding(protected: bytes, payload: bytes) -> None:
    assume(len(protected) + len(payload) < 200_000)
    assert R.sig_structure(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)
