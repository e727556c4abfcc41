"""Attestation receipts: ``IKR1:`` + Base45 of a COSE_Sign1 (RFC 9052) over CBOR claims.

One acknowledgement has exactly one valid receipt string: decoding is strict and the
decoded structure must re-encode to the very same bytes (deterministic CBOR, RFC 8949
§4.2.1). The unprotected header must be empty; the key id sits in the protected header.
Byte-level specification: docs/receipt-format.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import cbor2

from ..errors import VerificationError
from ..i18n import N_, _
from ..zones import ZONE_CODES
from . import cbor_strict
from .base45 import Base45Error, b45decode, b45encode

PREFIX = "IKR1:"
_T = TypeVar("_T")
COSE_SIGN1_TAG = 18
ALG_ED25519 = -19  # RFC 9864 "Ed25519"
ALG_EDDSA = -8  # RFC 9053 "EdDSA" (accepted when verifying)
HDR_ALG, HDR_KID = 1, 4
RECEIPT_TYPE = 1
DIGEST_PREFIX_LEN = 12
MAX_TEXT = 4096
MAX_CLAIM_TEXT = 200  # every text claim (name, unit, pledge id): 1-200 characters

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
        officer: int | str = int(self.officer_id) if numeric_officer_id(self.officer_id) else self.officer_id
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


def _bstr(data: bytes) -> bytes:
    """``data`` as a CBOR byte string with the shortest head (what ``cbor2.dumps(data, canonical=True)`` writes)."""
    n = len(data)
    if n < 24:
        return bytes((0x40 + n,)) + data
    if n < 0x100:
        return bytes((0x58, n)) + data
    if n < 0x10000:
        return b"\x59" + n.to_bytes(2, "big") + data
    if n < 0x100000000:
        return b"\x5a" + n.to_bytes(4, "big") + data
    return b"\x5b" + n.to_bytes(8, "big") + data


# the canonical CBOR of the array's head and its first two members: 84, "Signature1" (6A ...)
_SIG1_HEAD = b"\x84\x6aSignature1"


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes signed (RFC 9052 §4.4): the canonical CBOR of ``["Signature1", protected, b"", payload]``,
    written directly (tests/test_receipt_fast_decode.py holds it equal to cbor2's)."""
    return _SIG1_HEAD + _bstr(protected) + b"\x40" + _bstr(payload)


def sign_receipt(claims: Claims, sign: Callable[[bytes], bytes], kid: bytes) -> Receipt:
    protected = _enc({HDR_ALG: ALG_ED25519, HDR_KID: kid})
    payload = _enc(claims.to_map())
    signature = sign(sig_structure(protected, payload))
    cose = _enc([protected, {}, payload, signature])  # untagged COSE_Sign1 (RFC 9052 §2)
    text = PREFIX + b45encode(cose)
    return Receipt(text, cose, claims, kid, signature, ALG_ED25519, protected, payload)


_MESSAGES = {
    "malformed": N_("The receipt is damaged or incomplete"),
    "unsupported_version": N_("This is not an ikrar receipt of a version this program knows"),
    "non_canonical": N_("The receipt is not in its one canonical encoding (it was altered)"),
    # malformed, with the cause a person can fix (docs/receipt-format.md §1)
    "lower_case": N_("The receipt is in lower case: its letters are capitals (A-Z), so it was changed when copied"),
    "middle_dot": N_("The receipt contains '·': older slips printed its spaces as '·'; type a space for each"),
    "bad_character": N_("The receipt contains a character that is not part of a receipt ({char})"),
}
#: the causes of a malformed receipt that get their own sentence (the web page uses them too)
CAUSES = {k: v for k, v in _MESSAGES.items() if k in ("lower_case", "middle_dot", "bad_character")}
_HINTS = {
    "lower_case": N_("copy it again without changing the case, or scan the QR"),
    "middle_dot": N_("replace each '·' by a space, or scan the QR"),
}


def _invalid(code: str, cause: str | None = None, **kw: Any) -> VerificationError:
    key = cause or code
    return VerificationError(
        _(_MESSAGES[key], **kw),
        _(_HINTS.get(key, N_("scan the QR again or ask for the original slip"))),
        code=code,
    )


class _Check:
    """Step 1 of docs/receipt-format.md §5: the first malformed or unsupported_version condition
    is the reason; a non-canonical one is only noted, and is the reason when nothing else fails."""

    def __init__(self) -> None:
        self.non_canonical = False

    def load(self, data: bytes) -> Any:
        try:
            value, non_canonical = cbor_strict.decode(data)
        except cbor_strict.Malformed as exc:
            raise _invalid("malformed") from exc
        self.non_canonical |= non_canonical
        return value


def receipt_from_cose(cose: bytes, text: str | None = None) -> Receipt:
    """The receipt in ``cose``; raises the reason (docs/receipt-format.md §5 step 1) as
    :class:`VerificationError`. A receipt in its one canonical layout is read by
    :func:`_canonical_receipt` (a merge reads millions); anything else, valid or not, by the general
    reader below, which alone decides every error (tests/test_receipt_fast_decode.py holds the two
    equal)."""
    if type(cose) is bytes:
        fast = _canonical_receipt(cose, text)
        if fast is not None:
            return fast
    return _receipt_from_cose(cose, text)


def _receipt_from_cose(cose: bytes, text: str | None = None) -> Receipt:
    check = _Check()
    arr = check.load(cose)
    if not isinstance(arr, list) or len(arr) != 4:
        raise _invalid("malformed")
    protected, unprotected, payload, signature = arr
    if not (
        isinstance(protected, bytes)
        and isinstance(unprotected, dict)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise _invalid("malformed")
    if len(signature) != 64:
        raise _invalid("malformed")
    if unprotected:
        check.non_canonical = True  # e.g. a kid there, which the signature would not cover
    if len(protected) == 13 and protected[:5] in _PROTECTED_HEADS:
        # fast path: the only canonical encodings of {1: alg, 4: kid(8 bytes)}
        alg, kid = _PROTECTED_HEADS[protected[:5]], protected[5:]
    else:
        hdr = check.load(protected)
        if not isinstance(hdr, dict) or set(hdr) != {HDR_ALG, HDR_KID}:
            raise _invalid("malformed")
        alg, kid = hdr[HDR_ALG], hdr[HDR_KID]
        if type(alg) is not int:  # a text alg ("EdDSA") included
            raise _invalid("malformed")
        if alg not in (ALG_ED25519, ALG_EDDSA):
            raise _invalid("unsupported_version")
        if not isinstance(kid, bytes) or len(kid) != 8:
            raise _invalid("malformed")
    claims = _claims(check.load(payload), check)
    if check.non_canonical:
        raise _invalid("non_canonical")
    return Receipt(text, cose, claims, kid, signature, alg, protected, payload)


_REQUIRED = frozenset({K_TYPE, K_PLEDGE, K_VERSION, K_DIGEST, K_OFFICER, K_IDTYPE, K_UNIT})
_REQUIRED |= {K_SESSION, K_TIME, K_ZONE, K_METHOD, K_INDEX}


def numeric_officer_id(officer_id: str) -> bool:
    """An id written as an integer claim: ASCII digits only, no leading 0, below 2^64."""
    return officer_id.isascii() and officer_id.isdigit() and officer_id[0] != "0" and int(officer_id) < 2**64


def _uint(v: Any, allowed: Mapping[int, str] | None = None) -> int:
    if type(v) is not int or v < 0 or (allowed is not None and v not in allowed):
        raise _invalid("malformed")
    return v


def _text(v: Any) -> str:
    if not isinstance(v, str) or not 1 <= len(v) <= MAX_CLAIM_TEXT:
        raise _invalid("malformed")
    return v


def _claims(m: Any, check: _Check) -> Claims:
    """The claims, checked in key order 1 to 13 (docs/receipt-format.md §3)."""
    if not isinstance(m, dict) or not _REQUIRED <= set(m) or not set(m) <= _REQUIRED | {K_NAME}:
        raise _invalid("malformed")

    uint, text = _uint, _text
    if uint(m[K_TYPE]) != RECEIPT_TYPE:
        raise _invalid("unsupported_version")
    pledge_id = text(m[K_PLEDGE])
    pledge_version = uint(m[K_VERSION])
    digest = m[K_DIGEST]
    if not isinstance(digest, bytes) or len(digest) != DIGEST_PREFIX_LEN:
        raise _invalid("malformed")
    officer = m[K_OFFICER]
    if isinstance(officer, str):
        officer_id = text(officer)
        if numeric_officer_id(officer_id):
            check.non_canonical = True  # numeric ids use the integer form: one encoding only
    elif uint(officer) > 0:
        officer_id = str(officer)
    else:
        raise _invalid("malformed")
    id_type = ID_TYPES_BY_CODE[uint(m[K_IDTYPE], ID_TYPES_BY_CODE)]
    name = text(m[K_NAME]) if K_NAME in m else None
    unit = text(m[K_UNIT])
    session = uint(m[K_SESSION])
    issued_at = uint(m[K_TIME])
    zone = ZONES_BY_CODE[uint(m[K_ZONE], ZONES_BY_CODE)]
    method = METHODS_BY_CODE[uint(m[K_METHOD], METHODS_BY_CODE)]
    return Claims(
        pledge_id=pledge_id,
        pledge_version=pledge_version,
        pledge_digest=digest,
        officer_id=officer_id,
        id_type=id_type,
        officer_name=name,
        unit=unit,
        session=session,
        issued_at=issued_at,
        zone=zone,
        method=method,
        ledger_index=uint(m[K_INDEX]),
    )


class _NotCanonical(Exception):  # noqa: N818 - a signal inside the fast reader, never raised out of it
    """The bytes are not a receipt in its canonical layout: the general reader decides."""


def _c_uint(p: bytes, i: int) -> tuple[int, int]:
    """A canonical CBOR unsigned integer at ``p[i]`` (the shortest head) and the position after it."""
    b = p[i]
    if b < 24:
        return b, i + 1
    if b == 0x18:
        v = p[i + 1]
        if v < 24:
            raise _NotCanonical
        return v, i + 2
    if 0x19 <= b <= 0x1B:
        size = 1 << (b - 0x18)
        end = i + 1 + size
        if end > len(p):
            raise _NotCanonical
        v = int.from_bytes(p[i + 1 : end], "big")
        if v < 1 << (4 * size):
            raise _NotCanonical
        return v, end
    raise _NotCanonical


def _c_text(p: bytes, i: int) -> tuple[str, int]:
    """A canonical CBOR text of 1 to MAX_CLAIM_TEXT characters at ``p[i]``, and the position after it."""
    b = p[i]
    if 0x61 <= b <= 0x77:
        start, n = i + 1, b - 0x60
    elif b == 0x78:
        start, n = i + 2, p[i + 1]
        if n < 24:
            raise _NotCanonical
    elif b == 0x79:
        start, n = i + 3, p[i + 1] << 8 | p[i + 2]
        if n < 256:
            raise _NotCanonical
    else:
        raise _NotCanonical
    end = start + n
    if end > len(p):
        raise _NotCanonical
    v = p[start:end].decode("utf-8")
    if len(v) > MAX_CLAIM_TEXT:
        raise _NotCanonical
    return v, end


def _canonical_claims(p: bytes) -> Claims:
    """The claims map in its one canonical encoding with every claim as :func:`_claims` accepts it;
    raises :class:`_NotCanonical` (or IndexError, UnicodeDecodeError) for anything else."""
    uint, text = _c_uint, _c_text
    head = p[0]
    if not (head == 0xAC or head == 0xAD) or p[1] != K_TYPE or p[2] != RECEIPT_TYPE or p[3] != K_PLEDGE:
        raise _NotCanonical
    pledge_id, i = text(p, 4)
    if p[i] != K_VERSION:
        raise _NotCanonical
    pledge_version, i = uint(p, i + 1)
    if p[i] != K_DIGEST or p[i + 1] != 0x40 + DIGEST_PREFIX_LEN or p[i + 2 + DIGEST_PREFIX_LEN] != K_OFFICER:
        raise _NotCanonical
    digest = p[i + 2 : i + 2 + DIGEST_PREFIX_LEN]
    i += 3 + DIGEST_PREFIX_LEN
    if p[i] >> 5 == 3:
        officer_id, i = text(p, i)
        if numeric_officer_id(officer_id):
            raise _NotCanonical  # non_canonical: the general reader says so
    else:
        officer, i = uint(p, i)
        if officer == 0:
            raise _NotCanonical
        officer_id = str(officer)
    if p[i] != K_IDTYPE:
        raise _NotCanonical
    code, i = uint(p, i + 1)
    id_type = ID_TYPES_BY_CODE[code]  # KeyError: not a known type, the general reader says malformed
    name = None
    if head == 0xAD:
        if p[i] != K_NAME:
            raise _NotCanonical
        name, i = text(p, i + 1)
    if p[i] != K_UNIT:
        raise _NotCanonical
    unit, i = text(p, i + 1)
    if p[i] != K_SESSION:
        raise _NotCanonical
    session, i = uint(p, i + 1)
    if p[i] != K_TIME:
        raise _NotCanonical
    issued_at, i = uint(p, i + 1)
    if p[i] != K_ZONE:
        raise _NotCanonical
    code, i = uint(p, i + 1)
    zone = ZONES_BY_CODE[code]
    if p[i] != K_METHOD:
        raise _NotCanonical
    code, i = uint(p, i + 1)
    method = METHODS_BY_CODE[code]
    if p[i] != K_INDEX:
        raise _NotCanonical
    index, i = uint(p, i + 1)
    if i != len(p):
        raise _NotCanonical
    return _built(Claims, {
        "pledge_id": pledge_id, "pledge_version": pledge_version, "pledge_digest": digest, "officer_id": officer_id,
        "id_type": id_type, "officer_name": name, "unit": unit, "session": session, "issued_at": issued_at,
        "zone": zone, "method": method, "ledger_index": index,
    })  # fmt: skip


def _built(cls: type[_T], fields: dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` with exactly ``fields`` (every field, checked by the
    caller): what ``cls(**fields)`` makes, without its per-field ``object.__setattr__`` calls (a merge
    makes two per receipt; tests/test_receipt_fast_decode.py compares them with the general reader's)."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _canonical_receipt(cose: bytes, text: str | None) -> Receipt | None:
    """The receipt when ``cose`` is one in its canonical layout (docs/receipt-format.md §2:
    ``84 4D <protected: A2 01 32|27 04 48 kid> A0 <payload bstr> 58 40 <signature>``, shortest heads,
    nothing after) whose claims :func:`_canonical_claims` reads; else None. What it returns is what
    the general reader returns for the same bytes: exactly these bytes decode, canonically, to
    these values."""
    try:
        if cose[0] != 0x84 or cose[1] != 0x4D or cose[15] != 0xA0:
            return None
        alg = _PROTECTED_HEADS.get(cose[2:7])
        if alg is None:
            return None
        b = cose[16]
        if 0x40 <= b <= 0x57:
            start, n = 17, b - 0x40
        elif b == 0x58 and cose[17] >= 24:
            start, n = 18, cose[17]
        elif b == 0x59 and cose[17] << 8 | cose[18] >= 256:
            start, n = 19, cose[17] << 8 | cose[18]
        else:
            return None
        end = start + n
        if len(cose) != end + 66 or cose[end] != 0x58 or cose[end + 1] != 0x40:
            return None
        payload = cose[start:end]
        claims = _canonical_claims(payload)
    except (_NotCanonical, IndexError, KeyError, UnicodeDecodeError):
        return None
    return _built(Receipt, {"_text": text, "cose": cose, "claims": claims, "kid": cose[7:15],
                            "signature": cose[end + 2 :], "alg": alg, "protected": cose[2:15], "payload": payload})


_LINE_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_BASE45 = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def normalise_input(value: str) -> str:
    """What a verifier does to pasted or scanned text first (docs/receipt-format.md §1):
    line breaks are removed with the spaces and tabs around them, and spaces and tabs at both
    ends are trimmed. Nothing else is changed: a space inside is a Base45 character."""
    if "\n" in value or "\r" in value:  # the pattern needs one (a merge reads millions without)
        value = _LINE_BREAK.sub("", value)
    return value.strip(" \t")


def extract_receipt_text(value: str) -> str:
    """Accept the bare string or a verifier URL ending in '#IKR1:...'."""
    value = normalise_input(value)
    if "#" in value and not value.startswith(PREFIX):
        value = value.rsplit("#", 1)[1]
    return value


def decode_receipt(text: str) -> Receipt:
    """Structure and canonical checks only; the signature is checked by ikrar_cli.receipts.verify."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise _invalid("malformed")
    text = extract_receipt_text(text)
    if not text.startswith(PREFIX):
        if text[:3] == "IKR" and text[3:4] in tuple("0123456789"):
            raise _invalid("unsupported_version")
        if text[:5].upper() == PREFIX.upper():
            raise _invalid("malformed", "lower_case")
        raise _invalid("malformed")
    body = text[len(PREFIX) :]
    try:
        cose = b45decode(body)
    except Base45Error as exc:
        bad = next((c for c in body if c not in _BASE45), None)
        if bad is not None and bad.islower() and all(c in _BASE45 for c in body.upper()):
            raise _invalid("malformed", "lower_case") from exc
        if bad == "\u00b7":
            raise _invalid("malformed", "middle_dot") from exc
        if bad is not None:
            raise _invalid("malformed", "bad_character", char=repr(bad)) from exc
        raise _invalid("malformed") from exc
    return receipt_from_cose(cose, text)


def wrap_receipt(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters that a verifier joins back into ``text`` (§1):
    a line never starts or ends with a space, and no continuation line starts with ``IKR``
    or ``HTTP`` (in a list of receipts those start a new one)."""
    lines: list[str] = []
    i = 0
    while len(text) - i > width:
        cut = i + width
        while cut > i + 1 and (
            text[cut - 1] == " "
            or text[cut] == " "
            or text[cut : cut + 3].upper() == "IKR"
            or text[cut : cut + 4].upper() == "HTTP"
        ):
            cut -= 1
        lines.append(text[i:cut])
        i = cut
    lines.append(text[i:])
    return lines
