"""Signed HTTP requests between terminals (or HR) and the centre (docs/server.md, "Authentication").

No passwords: a request carries the signer's key id, a timestamp, a fresh nonce and an Ed25519
signature over canonical bytes::

    ikrar-request-v1\\n<METHOD>\\n<path?query>\\n<hex SHA-256 of the body>\\n<timestamp>\\n<nonce>\\n

The centre accepts a terminal key only when the trust bundle certifies it (signed by an authority
key of the bundle) and does not revoke it, and accepts HR requests only when signed by one of the
bundle's authority keys. A timestamp more than :data:`WINDOW` seconds away from the centre's clock
is refused; a nonce seen before (kept in ``sync_nonces`` for twice that window) is a replay.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import IkrarError
from ..i18n import _
from ..keys.keyfiles import verify_signature
from ..store.core import now as store_now

if TYPE_CHECKING:
    from ..keys.trust import TrustBundle

PREFIX = "ikrar-request-v1"
WINDOW = 300  # seconds of clock difference tolerated either way
H_KEY, H_TIME, H_NONCE, H_SIG = "ikrar-key", "ikrar-timestamp", "ikrar-nonce", "ikrar-signature"
_NONCE = re.compile(r"^[0-9a-f]{32}$")
_KID = re.compile(r"^[0-9a-f]{2,128}$")

__all__ = ["AuthError", "Identity", "canonical", "identify", "sign_request", "verify_request"]


class AuthError(IkrarError):
    """A request whose signature, key, time or nonce the centre does not accept (HTTP 401/403)."""

    kind = "trust"

    def __init__(self, message: str, code: str, status: int = 401):
        super().__init__(message, _("check the terminal's certificate, clock and trust bundle"), code=code)
        self.status = status


def canonical(method: str, path: str, body: bytes, timestamp: int, nonce: str) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{PREFIX}\n{method.upper()}\n{path}\n{digest}\n{timestamp}\n{nonce}\n".encode()


def sign_request(
    kid: bytes, sign: Callable[[bytes], bytes], method: str, path: str, body: bytes, *, at: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:  # fmt: skip
    """The headers that authenticate one request."""
    ts = store_now() if at is None else at
    n = nonce or secrets.token_hex(16)
    sig = sign(canonical(method, path, body, ts, n))
    return {H_KEY: kid.hex(), H_TIME: str(ts), H_NONCE: n, H_SIG: base64.b64encode(sig).decode()}


@dataclass(frozen=True)
class Identity:
    kid: bytes
    role: str  # "terminal" or "hr"
    name: str


def identify(bundle: TrustBundle, kid_hex: str, at: int) -> tuple[Identity, bytes]:
    """Who a key id is for the centre, and its public key; refuses unknown, uncertified, revoked keys."""
    kid = bytes.fromhex(kid_hex)
    for akid, pub in bundle.authority_keys.items():
        if akid == kid:
            return Identity(kid, "hr", "authority"), pub
    cert = bundle.terminals.get(kid)
    if cert is None or cert.issuer_kid not in bundle.authority_keys:
        raise AuthError(_("key {kid} is not certified by the trust bundle", kid=kid_hex), "unknown_key", 403)
    revoked = bundle.key_revocations.get(kid)
    if revoked is not None and revoked.revoked_at <= at:
        raise AuthError(_("key {kid} was revoked: {reason}", kid=kid_hex, reason=revoked.reason), "key_revoked", 403)
    if not cert.not_before <= at <= cert.not_after:
        raise AuthError(_("the certificate of key {kid} is not valid now", kid=kid_hex), "certificate_not_valid", 403)
    return Identity(kid, "terminal", cert.name), cert.public_key


def verify_request(
    bundle: TrustBundle, headers: Mapping[str, str], method: str, path: str, body: bytes,
    conn: sqlite3.Connection, *, at: int | None = None,
) -> Identity:  # fmt: skip
    """Check one request's signature, time and nonce; record the nonce (inside the caller's write
    transaction, so a replay racing the original is refused by the primary key)."""
    now = store_now() if at is None else at
    kid_hex = headers.get(H_KEY, "")
    ts_text = headers.get(H_TIME, "")
    nonce = headers.get(H_NONCE, "")
    sig_text = headers.get(H_SIG, "")
    if not (_KID.match(kid_hex) and ts_text.isdigit() and _NONCE.match(nonce) and sig_text):
        raise AuthError(_("the request is not signed (missing or malformed Ikrar-* headers)"), "unsigned")
    ts = int(ts_text)
    if abs(now - ts) > WINDOW:
        raise AuthError(_("the request's timestamp is {d} seconds away from the centre's clock", d=ts - now),
                        "stale_timestamp")  # fmt: skip
    try:
        sig = base64.b64decode(sig_text, validate=True)
    except (ValueError, binascii.Error):
        raise AuthError(_("the request's signature is not base64"), "bad_signature") from None
    ident, pub = identify(bundle, kid_hex, now)
    if not verify_signature(pub, sig, canonical(method, path, body, ts, nonce)):
        raise AuthError(_("the request's signature does not verify"), "bad_signature")
    conn.execute("DELETE FROM sync_nonces WHERE seen_at < ?", (now - 2 * WINDOW,))
    cur = conn.execute(
        "INSERT INTO sync_nonces (nonce, kid, seen_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING",
        (nonce, kid_hex, now),
    )
    if cur.rowcount != 1:
        raise AuthError(_("the request was replayed (its nonce was seen before)"), "replayed")
    return ident
