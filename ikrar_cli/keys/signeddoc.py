"""Signed documents of the authority (roster snapshots, terminal packages), laid out like the
trust bundle: the canonical JSON of ``{KIND: body, "signature": {"alg", "kid", "value"}}`` and
one final newline; Ed25519 by an authority key over the canonical JSON of ``body``. A file
that is not byte-for-byte canonical is refused. See docs/roster-snapshot.md.

A document kind may also be signed through a *statement* (``alg`` ``Ed25519-statement``): the
Ed25519 signature of ``canonical_json({"digest": content_digest(body), "type": TYPE})``, a short
message naming the body's digest, so a reader can hash a body of any size as it streams and still
verify with one library call (roster snapshots, docs/roster-snapshot.md). Verification is always
one call into the library (``keyfiles.verify_signature``); nothing here does curve arithmetic."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InputError, TrustError
from ..i18n import _
from .keyfiles import b64, canonical_json, fingerprint, unb64, verify_signature


def content_digest(body: Any) -> str:
    """``sha256:`` + hex of SHA-256 over the body's canonical JSON: the document's name."""
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


#: ``alg`` of a signature over the canonical JSON of the body itself
ALG_BODY = "Ed25519"
#: ``alg`` of a signature over the statement naming the body's digest
ALG_STATEMENT = "Ed25519-statement"


def statement(statement_type: str, digest: str) -> bytes:
    """The message an ``Ed25519-statement`` signature signs: canonical JSON of the digest and the
    document type (domain separation: it has no ``format`` field, which every body has)."""
    return canonical_json({"digest": digest, "type": statement_type})


def signed_message(alg: object, body_bytes: bytes, statement_type: str | None) -> bytes | None:
    """What a signature labelled ``alg`` signs, given the body's canonical bytes; None when the
    label is not one this kind of document accepts."""
    if alg == ALG_BODY:
        return body_bytes
    if alg == ALG_STATEMENT and statement_type is not None:
        return statement(statement_type, "sha256:" + hashlib.sha256(body_bytes).hexdigest())
    return None


def signer(
    sig: Mapping[str, Any], where: object, authorities: Mapping[bytes, bytes], bad: Callable[[str], InputError]
) -> tuple[bytes, bytes, bytes]:
    """(kid, trusted public key, signature bytes) of a document's ``signature`` object; ``bad``
    makes the error for a malformed one, an untrusted key is a TrustError."""
    try:
        kid, value = bytes.fromhex(sig["kid"]), unb64(sig["value"], "signature")
    except (KeyError, TypeError, ValueError, InputError):
        raise bad("signature") from None
    pub = authorities.get(kid)
    if pub is None:
        raise TrustError(
            _("{path}: signed by key {kid}, not by an authority this workspace trusts", path=where, kid=kid.hex()),
            _("check the fingerprint with the authority, then 'ikrar trust add FILE --fingerprint FP'"),
        )
    return kid, pub, value


def sign_document(
    kind: str, body: Any, sign: Callable[[bytes], bytes], kid: bytes, *, statement_type: str | None = None
) -> bytes:
    """The signed file; with ``statement_type`` the signature is over the statement naming the digest."""
    if statement_type is None:
        alg, message = ALG_BODY, canonical_json(body)
    else:
        alg, message = ALG_STATEMENT, statement(statement_type, content_digest(body))
    doc = {kind: body, "signature": {"alg": alg, "kid": kid.hex(), "value": b64(sign(message))}}
    return canonical_json(doc) + b"\n"


def open_document(
    data: bytes, kind: str, where: object, authorities: Mapping[bytes, bytes], *, statement_type: str | None = None
) -> tuple[Any, bytes]:
    """Check a signed document against trusted authority keys (kid -> public key); (body, signer kid).
    With ``statement_type`` a signature over the statement naming the digest is accepted too."""

    def bad(what: str) -> InputError:
        return InputError(
            _("{path}: not a valid signed {kind} ({what})", path=where, kind=kind, what=what),
            _("ask the authority for a fresh copy"),
        )

    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad("JSON") from None
    if not isinstance(doc, dict) or set(doc) != {kind, "signature"} or not isinstance(doc["signature"], dict):
        raise bad("layout")
    if canonical_json(doc) + b"\n" != data:
        raise TrustError(
            _("{path}: the {kind} was altered (not in its signed canonical form)", path=where, kind=kind),
            _("ask the authority for a fresh copy"),
        )
    sig = doc["signature"]
    kid, pub, value = signer(sig, where, authorities, bad)
    message = signed_message(sig.get("alg"), canonical_json(doc[kind]), statement_type)
    if message is None or not verify_signature(pub, value, message):  # an unknown alg: no valid signature
        raise TrustError(
            _("{path}: the signature of the {kind} is not valid", path=where, kind=kind),
            _("the file was altered or damaged; ask the authority for a fresh copy"),
        )
    return doc[kind], kid


def trusted_authorities(conn: Any) -> dict[bytes, bytes]:
    """kid -> public key of the authorities this workspace trusts: its own, and the pinned ones."""
    from .keyfiles import key_id

    own = conn.execute("SELECT kid, public_key FROM keys WHERE role = 'authority' AND file IS NOT NULL")
    out = {bytes(k): bytes(p) for k, p in own}
    for (pub,) in conn.execute("SELECT public_key FROM trust_anchors"):
        out[key_id(bytes(pub))] = bytes(pub)
    return out


def authority_fingerprint(authorities: Mapping[bytes, bytes], kid: bytes) -> str:
    return fingerprint(authorities[kid])
