"""Attestation receipts: ``IKR1:`` + Base45 of a COSE_Sign1 (RFC 9052) over CBOR claims.

One acknowledgement has exactly one valid receipt string: decoding is strict and the
decoded structure must re-encode to the very same bytes (deterministic CBOR, RFC 8949
§4.2.1). The unprotected header must be empty; the key id sits in the protected header.
Byte-level specification: docs/receipt-format.md.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from .base45 import Base45Error, b45decode, b45encode
from .errors import VerificationError
from .i18n import _
from .zones import ZONE_CODES

PREFIX = "IKR1:"
COSE_SIGN1_TAG = 18
ALG_ED25519 = -19  # RFC 9864 "Ed25519"
ALG_EDDSA = -8  # RFC 9053 "EdDSA" (accepted when verifying)
HDR_ALG, HDR_KID = 1, 4
RECEIPT_TYPE = 1
DIGEST_PREFIX_LEN = 12
MAX_TEXT = 4096

# claim keys
K_TYPE, K_PLEDGE, K_VERSION, K_DIGEST, K_OFFICER, K_IDTYPE, K_NAME = 1, 2, 3, 4, 5, 6, 7
K_UNIT, K_SESSION, K_TIME, K_ZONE, K_METHOD, K_INDEX = 8, 9, 10, 11, 12, 13
ID_TYPES = {"nip": 1, "nippppk": 2, "nik": 3, "internal": 4}
METHODS = {"individual": 1, "collective": 2}
ZONES_BY_CODE = {v: k for k, v in ZONE_CODES.items()}
ID_TYPES_BY_CODE = {v: k for k, v in ID_TYPES.items()}
METHODS_BY_CODE = {v: k for k, v in METHODS.items()}


@dataclass(frozen=True)
class Claims:
    pledge_id: str
    pledge_version: int
    pledge_digest: bytes
    officer_id: str
    id_type: str
    officer_name: str | None
    unit: str
    session: int
    issued_at: int
    zone: str
    method: str
    ledger_index: int

    def to_map(self) -> dict[int, Any]:
        officer: int | str = self.officer_id
        if self.officer_id.isdigit() and self.officer_id[0] != "0" and int(self.officer_id) < 2**64:
            officer = int(self.officer_id)
        claims: dict[int, Any] = {
            K_TYPE: RECEIPT_TYPE,
            K_PLEDGE: self.pledge_id,
            K_VERSION: self.pledge_version,
            K_DIGEST: self.pledge_digest[:DIGEST_PREFIX_LEN],
            K_OFFICER: officer,
            K_IDTYPE: ID_TYPES[self.id_type],
            K_UNIT: self.unit,
            K_SESSION: self.session,
            K_TIME: self.issued_at,
            K_ZONE: ZONE_CODES[self.zone],
            K_METHOD: METHODS[self.method],
            K_INDEX: self.ledger_index,
        }
        if self.officer_name:
            claims[K_NAME] = self.officer_name
        return claims


@dataclass(frozen=True)
class Receipt:
    _text: str | None
    cose: bytes
    claims: Claims
    kid: bytes
    signature: bytes
    alg: int
    protected: bytes
    payload: bytes

    @property
    def text(self) -> str:
        """The receipt string (``IKR1:`` + Base45), made only when asked for: bulk checks skip it."""
        if self._text is None:
            object.__setattr__(self, "_text", PREFIX + b45encode(self.cose))
        return self._text  # type: ignore[return-value]

    def signed_bytes(self) -> bytes:
        return sig_structure(self.protected, self.payload)


# a2 (map of 2) 01 (alg) 32|27 (-19|-8) 04 (kid) 48 (bstr of 8)
_PROTECTED_HEADS = {
    bytes([0xA2, 0x01, 0x32, 0x04, 0x48]): ALG_ED25519,
    bytes([0xA2, 0x01, 0x27, 0x04, 0x48]): ALG_EDDSA,
}


def _enc(obj: Any) -> bytes:
    return cbor2.dumps(obj, canonical=True)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return _enc(["Signature1", protected, b"", payload])


def sign_receipt(claims: Claims, sign: Callable[[bytes], bytes], kid: bytes) -> Receipt:
    protected = _enc({HDR_ALG: ALG_ED25519, HDR_KID: kid})
    payload = _enc(claims.to_map())
    signature = sign(sig_structure(protected, payload))
    cose = _enc([protected, {}, payload, signature])  # untagged COSE_Sign1 (RFC 9052 §2)
    text = PREFIX + b45encode(cose)
    return Receipt(text, cose, claims, kid, signature, ALG_ED25519, protected, payload)


def _invalid(code: str) -> VerificationError:
    messages = {
        "malformed": _("The receipt is damaged or incomplete"),
        "unsupported_version": _("This is not an ikrar receipt of a version this program knows"),
        "non_canonical": _("The receipt is not in its one canonical encoding (it was altered)"),
    }
    return VerificationError(messages[code], _("scan the QR again or ask for the original slip"), code=code)


def _strict_loads(data: bytes) -> Any:
    """Decode exactly one CBOR item and insist it is the deterministic encoding."""
    try:
        stream = io.BytesIO(data)
        value = cbor2.CBORDecoder(stream).decode()
    except (cbor2.CBORDecodeError, RecursionError) as exc:  # every cbor2 decoding failure (EOF included)
        raise _invalid("malformed") from exc
    if stream.tell() != len(data):
        raise _invalid("non_canonical")
    try:
        again = _enc(value)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as exc:  # a value with no deterministic encoding
        raise _invalid("malformed") from exc
    if again != data:
        raise _invalid("non_canonical")
    return value


def receipt_from_cose(cose: bytes, text: str | None = None) -> Receipt:
    arr = _strict_loads(cose)
    if not isinstance(arr, list | tuple) or len(arr) != 4:
        raise _invalid("malformed")
    protected, unprotected, payload, signature = arr
    if not isinstance(unprotected, Mapping):
        raise _invalid("malformed")
    if not (isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise _invalid("malformed")
    if dict(unprotected) != {}:
        raise _invalid("non_canonical")
    if len(signature) != 64:
        raise _invalid("malformed")
    if len(protected) == 13 and protected[:5] in _PROTECTED_HEADS:
        # fast path: the only canonical encodings of {1: alg, 4: kid(8 bytes)}
        alg, kid = _PROTECTED_HEADS[protected[:5]], protected[5:]
    else:
        hdr = _strict_loads(protected)
        if not isinstance(hdr, Mapping) or not _int_keys(hdr) or set(hdr) != {HDR_ALG, HDR_KID}:
            raise _invalid("malformed")
        alg, kid = hdr[HDR_ALG], hdr[HDR_KID]
    if type(alg) is not int:  # not True, not -19.0: one encoding only
        raise _invalid("malformed")
    if alg not in (ALG_ED25519, ALG_EDDSA):
        raise _invalid("unsupported_version")
    if not isinstance(kid, bytes) or len(kid) != 8:
        raise _invalid("malformed")
    claims = _claims(_strict_loads(payload))
    return Receipt(text, cose, claims, kid, signature, alg, protected, payload)


def _int_keys(m: Mapping[Any, Any]) -> bool:
    """Map keys must be plain integers (Python would let True stand for 1)."""
    return all(type(k) is int for k in m)


def _claims(m: Any) -> Claims:
    required = {
        K_TYPE,
        K_PLEDGE,
        K_VERSION,
        K_DIGEST,
        K_OFFICER,
        K_IDTYPE,
        K_UNIT,
        K_SESSION,
        K_TIME,
        K_ZONE,
        K_METHOD,
        K_INDEX,
    }
    if not isinstance(m, Mapping) or not _int_keys(m) or not required <= set(m) or not set(m) <= required | {K_NAME}:
        raise _invalid("malformed")
    if type(m[K_TYPE]) is not int:
        raise _invalid("malformed")
    if m[K_TYPE] != RECEIPT_TYPE:
        raise _invalid("unsupported_version")

    def uint(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise _invalid("malformed")
        return v

    def text(v: Any) -> str:
        if not isinstance(v, str) or not v or len(v) > 200:
            raise _invalid("malformed")
        return v

    officer = m[K_OFFICER]
    try:
        if isinstance(officer, int) and not isinstance(officer, bool) and officer > 0:
            officer_id = str(officer)
        elif (
            isinstance(officer, str)
            and officer
            and not (officer.isdigit() and officer[0] != "0" and int(officer) < 2**64)
        ):
            officer_id = officer  # numeric ids must use the integer form: one encoding only
        else:
            raise _invalid("malformed" if not isinstance(officer, str) else "non_canonical")
    except ValueError as exc:  # a digit int() cannot read, e.g. '²'
        raise _invalid("malformed") from exc
    digest = m[K_DIGEST]
    if not isinstance(digest, bytes) or len(digest) != DIGEST_PREFIX_LEN:
        raise _invalid("malformed")
    try:
        id_type = ID_TYPES_BY_CODE[uint(m[K_IDTYPE])]
        zone = ZONES_BY_CODE[uint(m[K_ZONE])]
        method = METHODS_BY_CODE[uint(m[K_METHOD])]
    except KeyError as exc:
        raise _invalid("malformed") from exc
    name = text(m[K_NAME]) if K_NAME in m else None
    return Claims(
        pledge_id=text(m[K_PLEDGE]),
        pledge_version=uint(m[K_VERSION]),
        pledge_digest=digest,
        officer_id=officer_id,
        id_type=id_type,
        officer_name=name,
        unit=text(m[K_UNIT]),
        session=uint(m[K_SESSION]),
        issued_at=uint(m[K_TIME]),
        zone=zone,
        method=method,
        ledger_index=uint(m[K_INDEX]),
    )


def extract_receipt_text(value: str) -> str:
    """Accept the bare string or a verifier URL ending in '#IKR1:...'."""
    if "#" in value and not value.startswith(PREFIX):
        value = value.rsplit("#", 1)[1]
    return value


def decode_receipt(text: str) -> Receipt:
    """Structure and canonical checks only; the signature is checked by ikrar_cli.verify."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise _invalid("malformed")
    text = extract_receipt_text(text)
    if not text.startswith(PREFIX):
        if text[:3] == "IKR" and text[3:4].isdigit():
            raise _invalid("unsupported_version")
        raise _invalid("malformed")
    try:
        cose = b45decode(text[len(PREFIX) :])
    except Base45Error as exc:
        raise _invalid("malformed") from exc
    return receipt_from_cose(cose, text)
