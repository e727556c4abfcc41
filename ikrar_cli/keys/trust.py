"""The trust bundle: everything an offline verifier needs, signed by the authority.

A bundle file is the canonical JSON (sorted keys, no white space, UTF-8, one final
newline) of ``{"bundle": {...}, "signature": {...}}``; the signature is Ed25519 by an
authority key over the canonical JSON of the ``bundle`` object. A file that is not
byte-for-byte canonical is refused, so one edited byte anywhere is caught.
See docs/trust-bundle.md.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ConflictError, InputError, NotFoundError, TrustError
from ..fsutil import read_input_bytes
from ..i18n import _
from ..store.core import now
from .keyfiles import (
    TerminalCertificate,
    authority_info,
    b64,
    canonical_json,
    fingerprint,
    key_id,
    list_keys,
    load_authority_signer,
    normalise_fingerprint,
    unb64,
    verify_signature,
)

if TYPE_CHECKING:
    from ..pledges.templates import Pledge
    from ..workspace import Workspace

BUNDLE_FORMAT = "ikrar-trust-bundle/1"
DEFAULT_VALID_DAYS = 30


def receipt_revocation_id(signature: bytes) -> bytes:
    """How a revoked receipt is listed: the first 16 bytes of SHA-256 of its signature."""
    return hashlib.sha256(signature).digest()[:16]


# --------------------------------------------------------------------------------------
# Typed bundle contents (as python-tuf's metadata classes): each knows its wire object
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundlePledge:
    """One pledge template in a bundle: its digest, reference and canonical object (docs/trust-bundle.md)."""

    digest: bytes
    id: str
    version: int
    canonical: dict[str, Any]

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def title(self) -> str | None:
        title = self.canonical.get("title") if isinstance(self.canonical, dict) else None
        return title if isinstance(title, str) else None

    @classmethod
    def from_pledge(cls, pledge: Pledge) -> BundlePledge:
        return cls(pledge.digest, pledge.id, pledge.version, pledge.canonical_object())

    @classmethod
    def from_object(cls, obj: Any) -> BundlePledge:
        """From the wire object; a missing field or wrong type raises KeyError/TypeError/ValueError."""
        return cls(bytes.fromhex(obj["digest"]), obj["id"], int(obj["version"]), obj["canonical"])

    def to_object(self) -> dict[str, Any]:
        return {"canonical": self.canonical, "digest": self.digest.hex(), "id": self.id, "version": self.version}


class KeyRevocation(NamedTuple):
    """A revoked terminal key: receipts it signed from ``revoked_at`` on are refused."""

    revoked_at: int
    reason: str

    @classmethod
    def from_object(cls, obj: Any) -> tuple[bytes, KeyRevocation]:
        return bytes.fromhex(obj["kid"]), cls(int(obj["revoked_at"]), str(obj["reason"]))

    def to_object(self, kid: bytes) -> dict[str, Any]:
        return {"kid": kid.hex(), "revoked_at": self.revoked_at, "reason": self.reason}


@dataclass
class TrustBundle:
    institution_name: str
    institution_code: str
    serial: int
    issued_at: int
    valid_until: int
    authority_keys: dict[bytes, bytes]
    terminals: dict[bytes, TerminalCertificate]
    key_revocations: dict[bytes, KeyRevocation]
    revoked_receipts: set[bytes]
    pledges: dict[bytes, BundlePledge]
    units: dict[str, str]
    signed_file: bytes | None = field(default=None, repr=False)
    #: the institution's zone: the bundle's own times are shown in it (older bundles: WIB)
    institution_zone: str = "Asia/Jakarta"

    def is_stale(self, at: int) -> bool:
        return at > self.valid_until

    def pledge_for_prefix(self, prefix: bytes) -> BundlePledge | None:
        if not prefix:
            return None
        for digest, info in self.pledges.items():
            if digest.startswith(prefix):
                return info
        return None

    def authority_fingerprints(self) -> list[str]:
        return [fingerprint(pub) for pub in self.authority_keys.values()]

    def to_object(self) -> dict[str, Any]:
        return {
            "format": BUNDLE_FORMAT,
            "institution": {
                "name": self.institution_name,
                "code": self.institution_code,
                "timezone": self.institution_zone,
            },
            "serial": self.serial,
            "issued_at": self.issued_at,
            "valid_until": self.valid_until,
            "authority_keys": [{"kid": k.hex(), "public_key": b64(v)} for k, v in sorted(self.authority_keys.items())],
            "terminals": [c.to_dict() for _k, c in sorted(self.terminals.items())],
            "key_revocations": [KeyRevocation(*r).to_object(k) for k, r in sorted(self.key_revocations.items())],
            "revoked_receipts": sorted(r.hex() for r in self.revoked_receipts),
            "pledges": [p.to_object() for _d, p in sorted(self.pledges.items())],
            "units": dict(sorted(self.units.items())),
        }

    def to_json_bytes(self) -> bytes:
        if self.signed_file is None:
            raise TrustError(_("This bundle view is not signed"), _("export a signed bundle with 'ikrar trust export'"))
        return self.signed_file

    def summary(self) -> dict[str, Any]:
        return {
            "institution": self.institution_name,
            "code": self.institution_code,
            "serial": self.serial,
            "issued_at": self.issued_at,
            "valid_until": self.valid_until,
            "stale": self.is_stale(now()),
            "authorities": self.authority_fingerprints(),
            "terminals": len(self.terminals),
            "key_revocations": len(self.key_revocations),
            "revoked_receipts": len(self.revoked_receipts),
            "pledges": sorted(p.ref for p in self.pledges.values()),
            "units": len(self.units),
        }


def _bad(path: object, what: str) -> TrustError:
    return TrustError(
        _("{path}: not a valid trust bundle ({what})", path=path, what=what),
        _("ask the authority for a fresh copy of the bundle"),
    )


def _zone(value: Any, where: object) -> str:
    from ..zones import ABBREVIATIONS

    if value not in ABBREVIATIONS:
        raise _bad(where, "institution.timezone")
    return str(value)


def _checked_pledge(p: dict[str, Any], where: object) -> bytes:
    """A pledge entry's digest must be the SHA-256 of its canonical text, with the same id and
    version: otherwise a verifier would show words the digest in a receipt never named."""
    digest = bytes.fromhex(p["digest"])
    canonical = p["canonical"]
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if (
        hashlib.sha256(text).digest() != digest
        or canonical.get("id") != p["id"]
        or canonical.get("version") != p["version"]
    ):
        raise TrustError(
            _(
                "{path}: the text of pledge {ref} does not match its digest in the bundle",
                path=where,
                ref=f"{p['id']}@{p['version']}",
            ),
            _("ask the authority for a fresh copy of the bundle"),
        )
    return digest


def parse_bundle_object(obj: Any, where: object) -> TrustBundle:
    try:
        if obj["format"] != BUNDLE_FORMAT:
            raise _bad(where, "format")
        terminals = {}
        for item in obj["terminals"]:
            cert = TerminalCertificate.from_dict(item)
            terminals[cert.kid] = cert
        return TrustBundle(
            institution_name=str(obj["institution"]["name"]),
            institution_code=str(obj["institution"]["code"]),
            serial=int(obj["serial"]),
            issued_at=int(obj["issued_at"]),
            valid_until=int(obj["valid_until"]),
            authority_keys={
                bytes.fromhex(a["kid"]): unb64(a["public_key"], "public_key") for a in obj["authority_keys"]
            },
            terminals=terminals,
            key_revocations=dict(KeyRevocation.from_object(r) for r in obj["key_revocations"]),
            revoked_receipts={bytes.fromhex(r) for r in obj["revoked_receipts"]},
            pledges={_checked_pledge(p, where): BundlePledge.from_object(p) for p in obj["pledges"]},
            units={str(k): str(v) for k, v in obj["units"].items()},
            institution_zone=_zone(obj["institution"].get("timezone", "Asia/Jakarta"), where),
        )
    except TrustError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, InputError) as exc:
        raise _bad(where, type(exc).__name__) from exc


def parse_bundle_bytes(data: bytes, where: object, pinned: Iterable[str] | None = None) -> TrustBundle:
    """Check a signed bundle file: canonical bytes, authority signature, pinned fingerprint."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(where, "JSON") from exc
    if not isinstance(doc, dict) or set(doc) != {"bundle", "signature"}:
        raise _bad(where, "layout")
    if canonical_json(doc) + b"\n" != data:
        raise TrustError(
            _("{path}: the trust bundle was altered (not in its signed canonical form)", path=where),
            _("ask the authority for a fresh copy of the bundle"),
        )
    bundle = parse_bundle_object(doc["bundle"], where)
    sig = doc["signature"]
    try:
        kid, value = bytes.fromhex(sig["kid"]), unb64(sig["value"], "signature")
    except (KeyError, TypeError, ValueError, InputError) as exc:
        raise _bad(where, "signature") from exc
    pub = bundle.authority_keys.get(kid)
    if pub is None or sig.get("alg") != "Ed25519":
        raise TrustError(
            _("{path}: the bundle is not signed by one of its authority keys", path=where),
            _("ask the authority for a fresh copy of the bundle"),
        )
    if not verify_signature(pub, value, canonical_json(doc["bundle"])):
        raise TrustError(
            _("{path}: the trust bundle's signature is not valid", path=where),
            _("the file was altered or damaged; ask the authority for a fresh copy"),
        )
    if pinned is not None:
        pins = {normalise_fingerprint(p) for p in pinned}
        if fingerprint(pub) not in pins:
            raise TrustError(
                _(
                    "{path}: signed by authority {fp}, which this workspace does not trust",
                    path=where,
                    fp=fingerprint(pub),
                ),
                _("check the fingerprint with the authority, then 'ikrar trust add FILE --fingerprint FP'"),
            )
    for cert in bundle.terminals.values():
        issuer = bundle.authority_keys.get(cert.issuer_kid)
        if issuer is None:
            raise _bad(where, f"certificate {cert.kid.hex()} has an unknown issuer")
        cert.verify(issuer)
    bundle.signed_file = data
    return bundle


def load_bundle_file(path: Path, pinned_fingerprints: Iterable[str] | None) -> TrustBundle:
    return parse_bundle_bytes(read_input_bytes(path, limit=50_000_000), path, pinned_fingerprints)


# --------------------------------------------------------------------------------------
# Building (authority side)
# --------------------------------------------------------------------------------------


def _units(conn: sqlite3.Connection) -> dict[str, str]:
    try:
        return {code: name for code, name in conn.execute("SELECT code, name FROM units")}
    except sqlite3.OperationalError:
        return {}


def build_live_bundle(ws: Workspace, *, serial: int = 0, valid_days: int = DEFAULT_VALID_DAYS) -> TrustBundle:
    """The authority's current view (unsigned): used by verifiers on its own workspace."""
    from ..pledges.templates import PledgeLibrary

    with ws.store.read() as conn:
        auth = authority_info(conn)
        if auth is None:
            raise NotFoundError(
                _("This workspace has no authority key"),
                _("run 'ikrar key init-authority' on the authority's workspace"),
            )
        keys = list_keys(conn)
        revs = {
            bytes(k): KeyRevocation(at, why)
            for k, at, why in conn.execute("SELECT kid, revoked_at, reason FROM key_revocations")
        }
        receipts = {bytes(r) for (r,) in conn.execute("SELECT rid FROM receipt_revocations")}
        units = _units(conn)
    library = PledgeLibrary.load(ws.config.extra_template_dirs)
    issued = now()
    certs = {k.kid: k.certificate for k in keys if k.certificate is not None and k.certificate.issuer_kid == auth.kid}
    for cert in certs.values():  # a certificate row is trusted only when the authority's signature checks
        cert.verify(auth.public_key)
    return TrustBundle(
        institution_name=ws.config.institution_name,
        institution_code=ws.config.institution_code,
        institution_zone=ws.config.timezone,
        serial=serial,
        issued_at=issued,
        valid_until=issued + valid_days * 86400,
        authority_keys={auth.kid: auth.public_key},
        terminals=certs,
        key_revocations=revs,
        revoked_receipts=receipts,
        pledges={p.digest: BundlePledge.from_pledge(p) for p in library.all()},
        units=units,
    )


def export_bundle(ws: Workspace, passphrase: bytes, *, valid_days: int = DEFAULT_VALID_DAYS) -> TrustBundle:
    """Sign a new bundle with the next serial and return it (``signed_file`` holds the bytes)."""
    if valid_days < 1 or valid_days > 3660:
        raise InputError(_("--valid-days must be from 1 to 3660"), _("e.g. --valid-days 30"))
    key, info = load_authority_signer(ws, passphrase)
    store = ws.store
    with store.transaction() as conn:
        serial = int(store.get_meta("bundle_serial") or 0) + 1
        store.set_meta(conn, "bundle_serial", str(serial))
    bundle = build_live_bundle(ws, serial=serial, valid_days=valid_days)
    bundle.signed_file = signed_bundle_file(bundle, key.sign, info.kid)
    with store.transaction() as conn:  # kept: reports and terminal packages name the bundle they used
        conn.execute(
            "INSERT INTO trust_bundles (authority_kid, serial, bundle, accepted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (authority_kid, serial) DO NOTHING",
            (info.kid, serial, bundle.signed_file, now()),
        )
    return bundle


def signed_bundle_file(bundle: TrustBundle, sign: Callable[[bytes], bytes], kid: bytes) -> bytes:
    """The bundle file as docs/trust-bundle.md specifies it: canonical body and its Ed25519 signature."""
    body = bundle.to_object()
    doc = {"bundle": body, "signature": {"alg": "Ed25519", "kid": kid.hex(), "value": b64(sign(canonical_json(body)))}}
    return canonical_json(doc) + b"\n"


def revoke_receipt(ws: Workspace, rid: bytes, reason: str) -> None:
    if len(rid) != 16:
        raise InputError(_("A receipt revocation id has 32 hex digits"), _("or give the receipt itself (IKR1:…)"))
    if not reason.strip():
        raise InputError(_("A revocation needs a reason"), _("e.g. --reason 'recorded in error'"))
    with ws.store.transaction() as conn:
        conn.execute(
            "INSERT INTO receipt_revocations (rid, reason, recorded_at) VALUES (?, ?, ?) "
            "ON CONFLICT (rid) DO UPDATE SET reason = excluded.reason",
            (rid, reason.strip(), now()),
        )


# --------------------------------------------------------------------------------------
# Pinning and accepting (auditor / terminal side)
# --------------------------------------------------------------------------------------


def pinned_fingerprints(conn: Any) -> list[str]:
    """The authority fingerprints this workspace pinned (``trust add``, ``terminal setup``)."""
    return [r[0] for r in conn.execute("SELECT fingerprint FROM trust_anchors")]


def add_bundle(ws: Workspace, path: Path, fp: str | None) -> tuple[TrustBundle, str]:
    """Accept a bundle: pin its authority on first use; later only higher serials."""
    data = read_input_bytes(path, limit=50_000_000)
    wanted = wanted_fingerprints(
        ws, fp, _("give the authority's fingerprint: ikrar trust add FILE --fingerprint SHA256:…")
    )
    bundle = parse_bundle_bytes(data, path, wanted)
    return bundle, pin_and_accept(ws, bundle, data, path)


def wanted_fingerprints(ws: Workspace, fp: str | None, hint: str) -> list[str]:
    """The fingerprints a bundle offered to this workspace must be signed by: the one the user
    gave (first use), else the pinned ones. ``hint`` says how to give one when there is none."""
    if fp:
        return [normalise_fingerprint(fp)]
    with ws.store.read() as conn:
        pins = pinned_fingerprints(conn)
    if not pins:
        raise TrustError(_("No authority is trusted in this workspace yet"), hint)
    return pins


def pin_and_accept(ws: Workspace, bundle: TrustBundle, data: bytes, where: object) -> str:
    """Store a checked bundle (``parse_bundle_bytes`` of ``data``): pin its signer, refuse a serial
    not newer than the trusted one, take its unit codes. Returns "added" or "unchanged".
    Used by ``trust add`` and ``terminal setup`` alike."""
    sig_kid = bytes.fromhex(json.loads(data)["signature"]["kid"])
    pub = bundle.authority_keys[sig_kid]
    with ws.store.transaction() as conn:
        conn.execute(
            "INSERT INTO trust_anchors (fingerprint, public_key, name, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (fingerprint) DO NOTHING",
            (fingerprint(pub), pub, bundle.institution_name, now()),
        )
        latest = conn.execute(
            "SELECT serial, bundle FROM trust_bundles WHERE authority_kid = ? ORDER BY serial DESC LIMIT 1", (sig_kid,)
        ).fetchone()
        if latest is not None:
            if latest[0] == bundle.serial and bytes(latest[1]) == data:
                return "unchanged"
            if bundle.serial <= latest[0]:
                raise TrustError(
                    _(
                        "{path}: serial {serial} is not newer than the trusted serial {latest}",
                        path=where,
                        serial=bundle.serial,
                        latest=latest[0],
                    ),
                    _("an older or replayed bundle is refused; ask the authority for the latest"),
                )
        conn.execute(
            "INSERT INTO trust_bundles (authority_kid, serial, bundle, accepted_at) VALUES (?, ?, ?, ?)",
            (sig_kid, bundle.serial, data, now()),
        )
        from ..roster.unitregistry import receive

        receive(conn, bundle.units)  # unit codes come from the authority
    return "added"


def trusted_bundle(ws: Workspace) -> TrustBundle:
    """The bundle verifiers use here: the authority's live view, or the latest accepted one."""
    with ws.store.read() as conn:
        is_authority = conn.execute("SELECT 1 FROM keys WHERE role = 'authority' AND file IS NOT NULL").fetchone()
        pins = pinned_fingerprints(conn)
        row = _pinned_row(conn)
    if is_authority:
        return build_live_bundle(ws)
    if row is None:
        raise NotFoundError(
            _("No trust bundle in this workspace"),
            _("get the authority's bundle and run 'ikrar trust add FILE --fingerprint FP'"),
        )
    # signatures are checked again on every read that trusts them
    return parse_bundle_bytes(bytes(row[0]), ws.db_path, pins)


def _pinned_row(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
    """The pinned bundle: the highest serial accepted (``accepted_at`` follows the local clock,
    which may have been wrong; the serial is signed)."""
    row: tuple[Any, ...] | None = conn.execute(
        "SELECT bundle FROM trust_bundles ORDER BY serial DESC, accepted_at DESC LIMIT 1"
    ).fetchone()
    return row


def bundle_signer_kid(bundle: TrustBundle) -> bytes:
    """The kid of the authority key that signed a checked bundle file."""
    doc = json.loads(bundle.to_json_bytes())
    return bytes.fromhex(doc["signature"]["kid"])


def refuse_older_bundle(ws: Workspace, bundle: TrustBundle, where: object) -> None:
    """Refuse a bundle file older than what this workspace already trusts (rollback).

    An older bundle may lack a later key or receipt revocation, so receipts of a stolen
    terminal would show VALID. Compared with the highest serial accepted from the same
    authority, and on the authority's own workspace with the last serial it exported.
    The same serial with other bytes is refused too: an authority never reuses a serial.
    """
    kid = bundle_signer_kid(bundle)
    with ws.store.read() as conn:
        row = conn.execute(
            "SELECT serial, bundle FROM trust_bundles WHERE authority_kid = ? ORDER BY serial DESC LIMIT 1", (kid,)
        ).fetchone()
        own = conn.execute("SELECT 1 FROM keys WHERE role = 'authority' AND kid = ?", (kid,)).fetchone()
    latest = int(row[0]) if row else None
    if own:
        exported = int(ws.store.get_meta("bundle_serial") or 0)
        latest = max(latest or 0, exported) or None
    if latest is None:
        return
    same_serial_other_bytes = row is not None and int(row[0]) == bundle.serial and bytes(row[1]) != bundle.signed_file
    if bundle.serial < latest or same_serial_other_bytes:
        raise TrustError(
            _(
                "{path}: trust bundle serial {serial} is older than serial {latest}, which this workspace "
                "already trusts; it may lack later revocations",
                path=where,
                serial=bundle.serial,
                latest=latest,
            ),
            _("use the latest bundle from the authority, or leave out --bundle to use the trusted one"),
            code="older_bundle",
        )


def accepted_revocation(ws: Workspace, kid: bytes) -> tuple[int, str] | None:
    """The revocation of ``kid`` in the pinned bundle, if this workspace accepted one that lists it."""
    from .trustpolicy import accepted_fingerprints

    with ws.store.read() as conn:
        row = _pinned_row(conn)
    if row is None:
        return None
    # the pinned authorities, and this workspace's own authority key (it stores what it exports)
    pins = accepted_fingerprints(ws)
    return parse_bundle_bytes(bytes(row[0]), ws.db_path, pins).key_revocations.get(kid)


def is_authority_workspace(ws: Workspace) -> bool:
    with ws.store.read() as conn:
        return bool(conn.execute("SELECT 1 FROM keys WHERE role = 'authority' AND file IS NOT NULL").fetchone())


__all__ = [
    "BundlePledge",
    "KeyRevocation",
    "TrustBundle",
    "receipt_revocation_id",
    "load_bundle_file",
    "trusted_bundle",
    "add_bundle",
    "export_bundle",
    "build_live_bundle",
    "revoke_receipt",
    "key_id",
    "ConflictError",
]
