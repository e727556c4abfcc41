"""The per-receipt cost of a compliance report (issue 17: a national report in minutes; issue 20).

Two shortcuts that give the very outcome of ``receipts.receipt.receipt_from_cose`` and
``receipts.verify.Verifier.verify_receipt`` (tests/test_report_fastreceipt.py compares them):

- ``decode``: the receipt's CBOR is read by cbor2's compiled decoder and accepted only when it is
  the receipt's one canonical encoding of values of the strict subset (the COSE array is exactly
  the canonical bytes of [protected, {}, payload, 64-byte signature]; the payload is exactly
  cbor2's canonical re-encoding of its map, whose keys are integers and whose values are integers
  of 64 bits, text or bytes; the protected header is one of its two canonical forms). Then
  the strict pure-Python decoder would read the same values with no malformed or non-canonical
  mark, and the claims are checked by the same ``_claims``. Anything else — and any error — goes
  to ``receipt_from_cose`` itself, which gives the exact reason.
- ``ReceiptCheck.code``: the checks of ``Verifier.verify_receipt`` in their documented order
  (docs/receipt-format.md, "Verification"), returning only the reason code: no result object,
  no translated message, no display fields. The Ed25519 backend is ``keys.ed25519``'s fastest
  (PyNaCl when installed, as ``ikrar verify``); the signed bytes (COSE Sig_structure) are
  assembled directly from the receipt's protected header and payload.

This module is the report's; ``ledger/`` and ``receipts/verify.py`` (the merge) have their own
path for now — one shared fast path can replace both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cbor2

from ..errors import VerificationError
from ..keys.ed25519 import PublicKey
from ..keys.ed25519 import public_key as ed25519_public_key
from ..keys.trust import receipt_revocation_id
from ..receipts.receipt import _PROTECTED_HEADS, Receipt, _Check, _claims, receipt_from_cose

if TYPE_CHECKING:
    from ..keys.trust import TrustBundle

__all__ = ["ReceiptCheck", "decode", "signed_bytes"]

_U64 = 1 << 64
_SIG1 = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"


def _plain(v: Any) -> bool:
    t = type(v)
    return t is str or t is bytes or (t is int and -_U64 <= v < _U64)


def decode(cose: bytes) -> Receipt:
    """The receipt in ``cose``, as ``receipt_from_cose`` reads it (raises what it raises)."""
    try:
        arr = cbor2.loads(cose)
        if type(arr) is list and len(arr) == 4:
            protected, unprotected, payload, signature = arr
            if (
                type(protected) is bytes
                and len(protected) == 13
                and protected[:5] in _PROTECTED_HEADS
                and type(unprotected) is dict
                and not unprotected
                and type(payload) is bytes
                and type(signature) is bytes
                and len(signature) == 64
            ):
                m = cbor2.loads(payload)
                if (
                    type(m) is dict
                    and all(type(k) is int and _plain(v) for k, v in m.items())
                    and cbor2.dumps(m, canonical=True) == payload
                    and cose == b"\x84" + _bstr(protected) + b"\xa0" + _bstr(payload) + b"\x58\x40" + signature
                ):
                    check = _Check()
                    claims = _claims(m, check)
                    if not check.non_canonical:
                        return Receipt(None, cose, claims, protected[5:], signature, _PROTECTED_HEADS[protected[:5]],
                                       protected, payload)  # fmt: skip
    except (ValueError, TypeError, LookupError, OverflowError, VerificationError, cbor2.CBORError):
        pass  # the strict reader names the reason
    return receipt_from_cose(cose)


def _bstr(data: bytes) -> bytes:
    n = len(data)
    if n < 24:
        head = bytes([0x40 | n])
    elif n < 0x100:
        head = bytes([0x58, n])
    elif n < 0x10000:
        head = b"\x59" + n.to_bytes(2, "big")
    else:
        head = b"\x5a" + n.to_bytes(4, "big")
    return head + data


def signed_bytes(receipt: Receipt) -> bytes:
    """``receipt.signed_bytes()``: the canonical COSE Sig_structure (RFC 9052 §4.4)."""
    return _SIG1 + _bstr(receipt.protected) + b"\x40" + _bstr(receipt.payload)


class ReceiptCheck:
    """``Verifier(bundle).verify_receipt(r).code`` for many receipts, at less cost per receipt."""

    def __init__(self, bundle: TrustBundle) -> None:
        self.bundle = bundle
        self._keys: dict[bytes, PublicKey | None] = {}

    def _key(self, kid: bytes, raw: bytes) -> PublicKey | None:
        if kid not in self._keys:
            try:
                self._keys[kid] = ed25519_public_key(raw)
            except ValueError:
                self._keys[kid] = None  # a malformed key verifies nothing: bad_signature
        return self._keys[kid]

    def code(self, receipt: Receipt) -> str:
        b, c = self.bundle, receipt.claims
        cert = b.terminals.get(receipt.kid)
        if cert is None or cert.issuer_kid not in b.authority_keys:
            return "unknown_key"
        key = self._key(receipt.kid, cert.public_key)
        if key is None or not key.verify(receipt.signature, signed_bytes(receipt)):
            return "bad_signature"
        revoked = b.key_revocations.get(receipt.kid)
        if revoked is not None and revoked.revoked_at <= c.issued_at:
            return "key_revoked"
        if not cert.not_before <= c.issued_at <= cert.not_after:
            return "certificate_not_valid"
        if receipt_revocation_id(receipt.signature) in b.revoked_receipts:
            return "receipt_revoked"
        pledge = b.pledge_for_prefix(c.pledge_digest)
        if pledge is None or pledge.id != c.pledge_id or pledge.version != c.pledge_version:
            return "unknown_pledge"
        return "valid"
