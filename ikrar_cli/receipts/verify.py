"""Verifying receipts against a trust bundle, offline.

The checks run in a fixed order (docs/receipt-format.md, "Verification") and the first
failure names the reason. ``Verifier.verify`` never raises, whatever the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import VerificationError
from ..i18n import _, get_language
from ..keys.ed25519 import PublicKey
from ..keys.ed25519 import public_key as ed25519_public_key
from ..keys.trust import BundlePledge, TrustBundle, receipt_revocation_id
from ..recitation.sessions import session_label
from ..store.core import now as store_now
from ..zones import format_local
from .qr import receipt_candidates
from .receipt import MAX_TEXT, PREFIX, Receipt, decode_receipt

__all__ = [
    "VerificationResult",
    "Verifier",
    "reason_message",
]

REASONS = (
    "valid",
    "malformed",
    "unsupported_version",
    "non_canonical",
    "unknown_key",
    "bad_signature",
    "key_revoked",
    "certificate_not_valid",
    "receipt_revoked",
    "unknown_pledge",
)


def reason_message(code: str, **kw: Any) -> str:
    """The translated sentence for a reason code (shared with the CLI and the web page)."""
    if code == "valid":
        return _("VALID: signed by a certified terminal of {institution}", **kw)
    if code == "unknown_key":
        return _("Signed by key {kid}, which the trust bundle does not know", **kw)
    if code == "key_revoked":
        return _("The terminal key was revoked at {when}, before this receipt was signed ({reason})", **kw)
    fixed = {
        "malformed": _("The receipt is damaged or incomplete"),
        "unsupported_version": _("This is not an ikrar receipt of a version this program knows"),
        "non_canonical": _("The receipt is not in its one canonical encoding (it was altered)"),
        "bad_signature": _("The signature does not match the contents (the receipt was altered or forged)"),
        "certificate_not_valid": _("The terminal's certificate was not valid when this receipt was signed"),
        "receipt_revoked": _("This receipt was revoked by the authority"),
        "unknown_pledge": _("The pledge text this receipt names is not in the trust bundle"),
    }
    return fixed[code]


@dataclass
class VerificationResult:
    valid: bool
    code: str
    message: str
    receipt: Receipt | None = None
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    input: str = ""
    warning_messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "reason": self.code,
            "message": self.message,
            "warnings": self.warnings,
            "warning_messages": self.warning_messages,
            "receipt": self.details or None,
        }


def _decode_any(text: str) -> Receipt:
    """docs/receipt-format.md §1: a link's fragment is read percent-decoded, then as it is; the
    first reading that decodes is the receipt, and if none does, the last one's reason stands."""
    if isinstance(text, str) and text.startswith(PREFIX) and len(text) <= MAX_TEXT:
        return decode_receipt(text)  # a bare receipt (a link never starts so): its one reading, as below
    options = receipt_candidates(text) if isinstance(text, str) and len(text) <= 4 * 4096 else [text]
    for option in options[:-1]:
        try:
            return decode_receipt(option)
        except VerificationError:
            continue
    return decode_receipt(options[-1])


class Verifier:
    """Checks receipts against one trust bundle; caches public keys per key id."""

    def __init__(self, bundle: TrustBundle, now: Callable[[], int] = store_now):
        self.bundle = bundle
        self.now = now
        self._keys: dict[bytes, PublicKey] = {}
        self._pledges: dict[bytes, BundlePledge] = {}
        self._valid_words: dict[tuple[str, str], str] = {}  # (language, institution) -> the "valid" sentence
        self._stale = bundle.is_stale(now())

    def _public(self, kid: bytes) -> PublicKey:
        key = self._keys.get(kid)
        if key is None:
            key = ed25519_public_key(self.bundle.terminals[kid].public_key)
            self._keys[kid] = key
        return key

    def _warnings(self) -> list[str]:
        """Warning codes (docs/receipt-format.md §5 step 8); warning_message() words them."""
        return ["stale_bundle"] if self._stale else []

    def _wmsgs(self) -> list[str]:
        return [self.warning_message(w) for w in self._warnings()]

    def warning_message(self, code: str) -> str:
        if code == "stale_bundle":
            return _(
                "The trust bundle expired on {when}; ask the authority for a newer one",
                when=format_local(self.bundle.valid_until, self.bundle.institution_zone),
            )
        return code

    def details(self, receipt: Receipt) -> dict[str, Any]:
        c = receipt.claims
        cert = self.bundle.terminals.get(receipt.kid)
        pledge = self._pledge(c.pledge_digest)
        return {
            "pledge": f"{c.pledge_id}@{c.pledge_version}",
            "pledge_title": pledge.title if pledge else None,
            "pledge_digest_prefix": c.pledge_digest.hex(),
            "officer_id": c.officer_id,
            "id_type": c.id_type,
            "officer_name": c.officer_name,
            "unit": c.unit,
            "unit_name": self.bundle.units.get(c.unit),
            "session": c.session,
            # the session as named across terminals (docs/ledger.md): TERMINAL/N
            "session_id": session_label(cert.name, c.session) if cert else None,
            "issued_at": c.issued_at,
            "time_local": format_local(c.issued_at, c.zone),
            "zone": c.zone,
            "method": c.method,
            "ledger_index": c.ledger_index,
            "terminal": cert.name if cert else None,
            "kid": receipt.kid.hex(),
            "institution": self.bundle.institution_name,
        }

    def _fail(
        self, code: str, receipt: Receipt | None, text: str, *, with_details: bool = True, **kw: Any
    ) -> VerificationResult:
        return VerificationResult(
            False,
            code,
            reason_message(code, **kw),
            receipt,
            self._warnings(),
            self.details(receipt) if receipt and with_details else {},
            text,
            self._wmsgs(),
        )

    def verify(self, text: str) -> VerificationResult:
        try:
            receipt = _decode_any(text)
        except VerificationError as exc:  # decoding raises nothing else on any input (fuzz-tested)
            return VerificationResult(
                False, exc.code or "malformed", exc.message, None, self._warnings(), {}, text, self._wmsgs()
            )
        return self.verify_receipt(receipt)

    def receipt_code(self, receipt: Receipt) -> str:
        """The reason code of :meth:`verify_receipt` (every check, same order), without building a
        result or a message: the bulk check of a merge asks this first and words only a failure."""
        b, c = self.bundle, receipt.claims
        cert = b.terminals.get(receipt.kid)
        if cert is None or cert.issuer_kid not in b.authority_keys:
            return "unknown_key"
        try:
            good = self._public(receipt.kid).verify(receipt.signature, receipt.signed_bytes())
        except ValueError:
            good = False
        if not good:
            return "bad_signature"
        revoked = b.key_revocations.get(receipt.kid)
        if revoked is not None and revoked.revoked_at <= c.issued_at:
            return "key_revoked"
        if not cert.not_before <= c.issued_at <= cert.not_after:
            return "certificate_not_valid"
        if b.revoked_receipts and receipt_revocation_id(receipt.signature) in b.revoked_receipts:  # no hash for none
            return "receipt_revoked"
        pledge = self._pledge(c.pledge_digest)
        if pledge is None or pledge.id != c.pledge_id or pledge.version != c.pledge_version:
            return "unknown_pledge"
        return "valid"

    def _pledge(self, prefix: bytes) -> BundlePledge | None:
        """``bundle.pledge_for_prefix(prefix)``, remembered per prefix once found (a bundle holds a few
        pledges; a merge asks for each receipt) while the bundle still holds that very pledge."""
        hit = self._pledges.get(prefix)
        if hit is not None and self.bundle.pledges.get(hit.digest) is hit:
            return hit
        found = self.bundle.pledge_for_prefix(prefix)
        if found is not None:
            self._pledges[prefix] = found
        return found

    def verify_receipt(self, receipt: Receipt, *, with_details: bool = True) -> VerificationResult:
        """All checks, in the documented order; ``with_details=False`` skips the display fields (bulk checks)."""
        b, c = self.bundle, receipt.claims
        text = receipt.text if with_details else ""
        wd = with_details
        code = self.receipt_code(receipt)
        if code == "unknown_key":
            return self._fail("unknown_key", receipt, text, with_details=wd, kid=receipt.kid.hex())
        if code == "key_revoked":
            revoked = b.key_revocations[receipt.kid]
            return self._fail(
                "key_revoked",
                receipt,
                text,
                with_details=wd,
                when=format_local(revoked.revoked_at, c.zone),
                reason=revoked.reason,
            )
        if code != "valid":
            return self._fail(code, receipt, text, with_details=wd)
        return VerificationResult(
            True,
            "valid",
            self._valid_message(),
            receipt,
            self._warnings(),
            self.details(receipt) if wd else {},
            text,
            self._wmsgs(),
        )

    def _valid_message(self) -> str:
        """``reason_message("valid")`` for this bundle's institution in the current language (which a
        server sets per request), worded once: the same sentence for every valid receipt."""
        key = (get_language(), self.bundle.institution_name)
        words = self._valid_words.get(key)
        if words is None:
            words = self._valid_words[key] = reason_message("valid", institution=key[1])
        return words

    def verify_many(self, lines: Iterable[str]) -> Iterator[VerificationResult]:
        for line in lines:
            yield self.verify(line)
