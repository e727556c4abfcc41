"""Ed25519 keys: an institution's authority key and its certified apel terminal keys.

Private keys are stored encrypted (scrypt, n=2**17, r=8, p=1 — at least 250 ms a guess on the
reference machine, see bench/bench_kdf.py — then ChaCha20-Poly1305), in NEW files of mode 0600
(an existing key file is never replaced). The KDF parameters are stored in each file, so files
written with older parameters still open. A key file that group or others can read is refused
(on POSIX; see platform_guard). See docs/keys.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from ..errors import ConflictError, InputError, KeyAccessError, NotFoundError, StorageError, TrustError
from ..fsutil import read_input_bytes
from ..i18n import _
from ..platform_guard import create_new_file, disable_core_dumps, exposed_mode
from ..store.core import now

if TYPE_CHECKING:
    from ..workspace import Workspace

KEY_FORMAT = "ikrar-key/1"
CERT_FORMAT = "ikrar-terminal-cert/1"
REQUEST_FORMAT = "ikrar-cert-request/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
#: the most memory a key file's scrypt parameters may ask for (128 * r * n * p bytes)
MAX_KDF_MEMORY = 2**28
DEFAULT_CERT_DAYS = 400


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise InputError(_("{what} is not valid base64", what=what), _("check that the file is complete")) from exc


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no white space, UTF-8: the bytes we sign (RFC 8785 for our data)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def key_id(public_key_raw: bytes) -> bytes:
    """First 8 bytes of SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key_raw).digest()[:8]


def fingerprint(public_key_raw: bytes) -> str:
    """What auditors pin: 'SHA256:' and the hex SHA-256 of the raw public key."""
    return "SHA256:" + hashlib.sha256(public_key_raw).hexdigest()


def normalise_fingerprint(text: str) -> str:
    value = text.strip()
    if value.upper().startswith("SHA256:"):
        value = value[7:]
    value = value.replace(":", "").replace(" ", "").lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise InputError(
            _("{fp!r} is not a key fingerprint", fp=text),
            _("copy the SHA256:… value printed by 'ikrar key init-authority'"),
        )
    return "SHA256:" + value


def raw_public(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def verify_signature(public_key_raw: bytes, signature: bytes, message: bytes) -> bool:
    from .ed25519 import verify

    return verify(public_key_raw, signature, message)


# --------------------------------------------------------------------------------------
# Encrypted key files
# --------------------------------------------------------------------------------------


def _kdf(passphrase: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase)


def write_key_file(
    path: Path,
    key: Ed25519PrivateKey,
    passphrase: bytes,
    *,
    role: str,
    name: str,
    unit: str | None,
    context: tuple[str, ...] = (),
) -> None:
    """Encrypt ``key`` into a NEW file at ``path``; FileExistsError if one is there (never overwritten)."""
    from .passphrase_policy import check_new_passphrase

    disable_core_dumps()
    check_new_passphrase(passphrase, (name, unit or "", *context))
    pub = raw_public(key)
    header = {
        "format": KEY_FORMAT,
        "role": role,
        "name": name,
        "unit": unit,
        "kid": key_id(pub).hex(),
        "public_key": b64(pub),
    }
    salt, nonce = os.urandom(16), os.urandom(12)
    secret = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ciphertext = ChaCha20Poly1305(_kdf(passphrase, salt)).encrypt(nonce, secret, canonical_json(header))
    doc = dict(
        header,
        kdf={"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": b64(salt)},
        cipher="chacha20poly1305",
        nonce=b64(nonce),
        ciphertext=b64(ciphertext),
    )
    create_new_file(path, json.dumps(doc, indent=2).encode() + b"\n", mode=0o600)


def read_key_header(path: Path) -> dict[str, Any]:
    """The public part of a key file (no passphrase needed)."""
    raw = read_input_bytes(path, limit=100_000)
    try:
        doc = json.loads(raw)
        if doc.get("format") != KEY_FORMAT:
            raise ValueError
        return dict(doc)
    except (ValueError, AttributeError) as exc:
        raise KeyAccessError(
            _("{path} is not an ikrar key file", path=path),
            _("check the path; key files live in the workspace's keys/ folder"),
        ) from exc


def load_private_key(path: Path, passphrase: bytes) -> Ed25519PrivateKey:
    """Decrypt a key file; refuse it if group or others could read it."""
    disable_core_dumps()
    try:
        mode = exposed_mode(path)
    except FileNotFoundError as exc:
        raise NotFoundError(
            _("Key file {path} not found", path=path),
            _("create the key first ('ikrar key init-authority' or 'ikrar key new-terminal')"),
        ) from exc
    if mode is not None:
        raise KeyAccessError(
            _("Key file {path} can be read by other users (mode {mode})", path=path, mode=oct(mode)),
            _("run: chmod 600 {path}", path=path),
        )
    doc = read_key_header(path)
    try:
        header = {k: doc[k] for k in ("format", "role", "name", "unit", "kid", "public_key")}
        kdf = doc["kdf"]
        if kdf.get("name") != "scrypt" or doc.get("cipher") != "chacha20poly1305":
            raise ValueError
        salt = unb64(kdf["salt"], str(path))
        key = _kdf_params(passphrase, salt, kdf)
        secret = ChaCha20Poly1305(key).decrypt(
            unb64(doc["nonce"], str(path)), unb64(doc["ciphertext"], str(path)), canonical_json(header)
        )
    except InvalidTag as exc:
        raise KeyAccessError(
            _("Wrong passphrase for {path}", path=path),
            _("try again; the passphrase is case-sensitive"),
            code="wrong_passphrase",
        ) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyAccessError(
            _("{path} is not an ikrar key file", path=path),
            _("check the path; key files live in the workspace's keys/ folder"),
        ) from exc
    private = Ed25519PrivateKey.from_private_bytes(secret)
    if b64(raw_public(private)) != doc["public_key"]:
        raise KeyAccessError(
            _("{path} is damaged: its public key does not match", path=path), _("restore the key file from a backup")
        )
    return private


def _kdf_params(passphrase: bytes, salt: bytes, kdf: dict[str, Any]) -> bytes:
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    if n < 2**14 or n > 2**20 or n & (n - 1) or r < 1 or r > 32 or p < 1 or p > 16 or 128 * r * n * p > MAX_KDF_MEMORY:
        raise ValueError("kdf parameters out of range")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def _write_new_key(
    ws: Workspace, role: str, name: str, key: Ed25519PrivateKey, passphrase: bytes, unit: str | None
) -> Path:
    """Write a key file under a name no other key file has: two names that sanitise alike
    ('apel 1', 'apel_1') get 'terminal-apel_1.key' and 'terminal-apel_1-2.key'."""
    ws.keys_dir.mkdir(mode=0o700, exist_ok=True)
    base = _key_path(ws, role, name)
    context = (ws.config.institution_name, ws.config.institution_code)
    candidates = [base] if role == "authority" else [base, *(base.with_stem(f"{base.stem}-{i}") for i in range(2, 100))]
    for path in candidates:
        if path.exists():  # cheap pre-check; create_new_file's FileExistsError settles any race
            continue
        try:
            write_key_file(path, key, passphrase, role=role, name=name, unit=unit, context=context)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageError(
                _("Cannot write key file {path}: {reason}", path=path, reason=exc.strerror),
                _("check the keys folder's permissions and free space"),
            ) from exc
        return path
    raise ConflictError(
        _("Key file {path} already exists and is never overwritten", path=base),
        _("move the old key file away if it is no longer needed, or choose another name"),
    )


# --------------------------------------------------------------------------------------
# Terminal certificates
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TerminalCertificate:
    """The authority's statement that a terminal key may sign receipts in a time window."""

    kid: bytes
    public_key: bytes
    name: str
    unit: str | None
    not_before: int
    not_after: int
    issuer_kid: bytes
    signature: bytes

    def body(self) -> dict[str, Any]:
        return {
            "format": CERT_FORMAT,
            "kid": self.kid.hex(),
            "public_key": b64(self.public_key),
            "name": self.name,
            "unit": self.unit,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "issuer": self.issuer_kid.hex(),
        }

    def signed_bytes(self) -> bytes:
        return canonical_json(self.body())

    def to_dict(self) -> dict[str, Any]:
        return dict(self.body(), signature=b64(self.signature))

    def verify(self, authority_public_key_raw: bytes) -> None:
        if key_id(authority_public_key_raw) != self.issuer_kid or key_id(self.public_key) != self.kid:
            raise TrustError(
                _("Certificate of terminal {name} names another key", name=self.name), _("certify the terminal again")
            )
        if not verify_signature(authority_public_key_raw, self.signature, self.signed_bytes()):
            raise TrustError(
                _("Certificate of terminal {name} has a bad signature", name=self.name), _("certify the terminal again")
            )

    @classmethod
    def from_dict(cls, data: Any) -> TerminalCertificate:
        try:
            if data["format"] != CERT_FORMAT:
                raise ValueError
            return cls(
                kid=bytes.fromhex(data["kid"]),
                public_key=unb64(data["public_key"], "public_key"),
                name=str(data["name"]),
                unit=data.get("unit"),
                not_before=int(data["not_before"]),
                not_after=int(data["not_after"]),
                issuer_kid=bytes.fromhex(data["issuer"]),
                signature=unb64(data["signature"], "signature"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(_("Not a valid terminal certificate"), _("check that the file is complete")) from exc


# --------------------------------------------------------------------------------------
# The keys of a workspace
# --------------------------------------------------------------------------------------


@dataclass
class KeyInfo:
    kid: bytes
    role: str
    name: str
    unit: str | None
    public_key: bytes
    created_at: int
    has_private: bool
    certificate: TerminalCertificate | None = None
    revoked_at: int | None = None
    revoked_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        cert = self.certificate
        return {
            "kid": self.kid.hex(),
            "role": self.role,
            "name": self.name,
            "unit": self.unit,
            "fingerprint": fingerprint(self.public_key),
            "created_at": self.created_at,
            "has_private_key": self.has_private,
            "certified": cert is not None,
            "valid_from": cert.not_before if cert else None,
            "valid_until": cert.not_after if cert else None,
            "revoked_at": self.revoked_at,
            "revoked_reason": self.revoked_reason,
        }


def _key_path(ws: Workspace, role: str, name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return ws.keys_dir / ("authority.key" if role == "authority" else f"terminal-{safe}.key")


def _cert_row(row: tuple[Any, ...] | None) -> TerminalCertificate | None:
    if row is None:
        return None
    return TerminalCertificate.from_dict(json.loads(row[0]))


def list_keys(conn: sqlite3.Connection) -> list[KeyInfo]:
    """Every key with its certificate and revocation: three queries whatever the number of keys
    (a centre with 1,000 terminals asked two more per key, seconds on a database server)."""
    certificates = {bytes(kid): body for kid, body in conn.execute("SELECT kid, body FROM certificates")}
    revoked = conn.execute("SELECT kid, revoked_at, reason FROM key_revocations")
    revocations = {bytes(kid): (at, reason) for kid, at, reason in revoked}
    out = []
    for kid, role, name, unit, pub, created, path in conn.execute(
        "SELECT kid, role, name, unit, public_key, created_at, file FROM keys ORDER BY role, created_at"
    ):
        body = certificates.get(bytes(kid))
        cert = _cert_row((body,) if body is not None else None)
        rev = revocations.get(bytes(kid))
        out.append(
            KeyInfo(
                bytes(kid),
                role,
                name,
                unit,
                bytes(pub),
                created,
                bool(path),
                cert,
                rev[0] if rev else None,
                rev[1] if rev else None,
            )
        )
    # certified terminals of other workspaces (known to the authority only by certificate)
    for (body,) in conn.execute("SELECT body FROM certificates WHERE kid NOT IN (SELECT kid FROM keys)"):
        cert = TerminalCertificate.from_dict(json.loads(body))
        rev = revocations.get(bytes(cert.kid))
        out.append(
            KeyInfo(
                cert.kid,
                "terminal",
                cert.name,
                cert.unit,
                cert.public_key,
                cert.not_before,
                False,
                cert,
                rev[0] if rev else None,
                rev[1] if rev else None,
            )
        )
    return out


def authority_info(conn: sqlite3.Connection) -> KeyInfo | None:
    return next((k for k in list_keys(conn) if k.role == "authority"), None)


def init_authority(ws: Workspace, passphrase: bytes) -> KeyInfo:
    store = ws.store
    with store.read() as conn:
        if authority_info(conn):
            raise ConflictError(_("This workspace already has an authority key"), _("see it with 'ikrar key list'"))
    key = Ed25519PrivateKey.generate()
    pub = raw_public(key)
    path = _write_new_key(ws, "authority", ws.config.institution_name, key, passphrase, None)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO keys (kid, role, name, unit, public_key, created_at, file) VALUES (?,?,?,?,?,?,?)",
            (key_id(pub), "authority", ws.config.institution_name, None, pub, now(), path.name),
        )
    return KeyInfo(key_id(pub), "authority", ws.config.institution_name, None, pub, now(), True)


def new_terminal(ws: Workspace, name: str, unit: str | None, passphrase: bytes) -> tuple[KeyInfo, dict[str, Any]]:
    """Create a terminal key; returns it and the certification request for the authority."""
    name = name.strip()
    if not name:
        raise InputError(_("A terminal needs a name"), _("e.g. ikrar key new-terminal apel-halaman-1"))
    store = ws.store
    with store.read() as conn:
        if conn.execute("SELECT 1 FROM keys WHERE role = 'terminal' AND name = ?", (name,)).fetchone():
            raise ConflictError(
                _("A terminal named {name} already exists", name=name), _("choose another name; see 'ikrar key list'")
            )
    key = Ed25519PrivateKey.generate()
    pub = raw_public(key)
    path = _write_new_key(ws, "terminal", name, key, passphrase, unit)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO keys (kid, role, name, unit, public_key, created_at, file) VALUES (?,?,?,?,?,?,?)",
            (key_id(pub), "terminal", name, unit, pub, now(), path.name),
        )
    request = {"format": REQUEST_FORMAT, "name": name, "unit": unit, "public_key": b64(pub), "kid": key_id(pub).hex()}
    return KeyInfo(key_id(pub), "terminal", name, unit, pub, now(), True), request


def parse_request(text: str) -> dict[str, Any]:
    try:
        req = json.loads(text)
        if req.get("format") != REQUEST_FORMAT:
            raise ValueError
        pub = unb64(req["public_key"], "public_key")
        if len(pub) != 32 or key_id(pub).hex() != req["kid"] or not str(req["name"]).strip():
            raise ValueError
        return dict(req)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            _("Not a valid certification request"), _("use the text printed by 'ikrar key new-terminal'")
        ) from exc


def _authority_key(ws: Workspace, passphrase: bytes) -> tuple[Ed25519PrivateKey, KeyInfo]:
    with ws.store.read() as conn:
        info = authority_info(conn)
        path = conn.execute("SELECT file FROM keys WHERE role = 'authority'").fetchone() if info else None
    if info is None or not path or not path[0]:
        raise NotFoundError(
            _("This workspace has no authority key"), _("run 'ikrar key init-authority' on the authority's workspace")
        )
    return load_private_key(ws.keys_dir / path[0], passphrase), info


def certify(
    ws: Workspace,
    request: dict[str, Any],
    passphrase: bytes,
    *,
    not_before: int | None = None,
    not_after: int | None = None,
) -> TerminalCertificate:
    """Sign a terminal certificate with the authority key and record it."""
    key, info = _authority_key(ws, passphrase)
    start = now() if not_before is None else not_before
    end = max(start, now()) + DEFAULT_CERT_DAYS * 86400 if not_after is None else not_after
    if end <= start:
        raise InputError(_("The certificate would end before it starts"), _("check --valid-from and --valid-until"))
    pub = unb64(request["public_key"], "public_key")
    unsigned = TerminalCertificate(key_id(pub), pub, request["name"], request.get("unit"), start, end, info.kid, b"")
    cert = TerminalCertificate(**{**unsigned.__dict__, "signature": key.sign(unsigned.signed_bytes())})
    store_certificate(ws, cert)
    return cert


def store_certificate(ws: Workspace, cert: TerminalCertificate) -> None:
    with ws.store.transaction() as conn:
        conn.execute(
            "INSERT INTO certificates (kid, body, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (kid) DO UPDATE SET body = excluded.body, created_at = excluded.created_at",
            (cert.kid, json.dumps(cert.to_dict()), now()),
        )


def import_certificate(ws: Workspace, cert: TerminalCertificate) -> None:
    """On a terminal: accept the authority's certificate for one of our keys."""
    with ws.store.read() as conn:
        own = conn.execute("SELECT 1 FROM keys WHERE kid = ? AND role = 'terminal'", (cert.kid,)).fetchone()
    if not own:
        raise NotFoundError(
            _("No terminal key {kid} in this workspace", kid=cert.kid.hex()),
            _("import the certificate on the terminal that made the request"),
        )
    store_certificate(ws, cert)


def revoke(ws: Workspace, kid_hex: str, reason: str, at: int | None = None) -> int:
    kid_hex = kid_hex.strip().lower()
    try:
        kid = bytes.fromhex(kid_hex)
    except ValueError:
        kid = b""
    if len(kid) != 8:
        raise InputError(_("{kid!r} is not a key id (16 hex digits)", kid=kid_hex), _("see 'ikrar key list'"))
    if not reason.strip():
        raise InputError(_("A revocation needs a reason"), _("e.g. --reason 'terminal stolen'"))
    when = now() if at is None else at
    with ws.store.transaction() as conn:
        known = conn.execute(
            "SELECT 1 FROM keys WHERE kid = ? UNION SELECT 1 FROM certificates WHERE kid = ?", (kid, kid)
        ).fetchone()
        if not known:
            raise NotFoundError(_("Key {kid} not found", kid=kid_hex), _("see 'ikrar key list'"))
        conn.execute(
            "INSERT INTO key_revocations (kid, revoked_at, reason, recorded_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kid) DO UPDATE SET revoked_at = excluded.revoked_at, reason = excluded.reason",
            (kid, when, reason.strip(), now()),
        )
    return when


class TerminalSigner:
    """A terminal's unlocked signing key (kept in memory only while the kiosk runs)."""

    def __init__(self, key: Ed25519PrivateKey, name: str, unit: str | None, certificate: TerminalCertificate | None):
        self._key = key
        self.public_key_raw = raw_public(key)
        self.kid = key_id(self.public_key_raw)
        self.name = name
        self.unit = unit
        self.certificate = certificate

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:  # never show key material
        return f"TerminalSigner(name={self.name!r}, kid={self.kid.hex()})"


def terminal_info(ws: Workspace, name: str | None = None) -> KeyInfo:
    """The (only, or named) terminal key of this workspace — public data, no passphrase."""
    with ws.store.read() as conn:
        own = [k for k in list_keys(conn) if k.role == "terminal" and k.has_private]
    if name:
        own = [k for k in own if k.name == name]
    if not own:
        raise NotFoundError(
            _("This workspace has no terminal key"),
            _("run 'ikrar key new-terminal NAME' and have the authority certify it"),
        )
    if len(own) > 1:
        raise InputError(
            _("This workspace has several terminal keys"),
            _("choose one with --terminal NAME ({names})", names=", ".join(k.name for k in own)),
        )
    info = own[0]
    if info.certificate is None:
        raise KeyAccessError(
            _("Terminal {name} is not certified yet", name=info.name),
            _("have the authority run 'ikrar key certify' and import the certificate"),
        )
    return info


def refuse_if_revoked(ws: Workspace, info: KeyInfo, at: int | None = None) -> None:
    """A revoked key signs nothing more: every receipt it made would be ``key_revoked`` at once.

    The revocation is looked up in this workspace (an authority that is also a terminal) and
    in the trust bundle it accepted (a terminal that learnt of its own revocation)."""
    from ..zones import format_local

    when = now() if at is None else at
    revoked: tuple[int, str] | None = (info.revoked_at, info.revoked_reason or "") if info.revoked_at else None
    if revoked is None or revoked[0] > when:
        from .trust import accepted_revocation

        revoked = accepted_revocation(ws, info.kid) or revoked
    if revoked is not None and revoked[0] <= when:
        raise KeyAccessError(
            _(
                "Terminal key {name} ({kid}) was revoked from {when} ({reason}); it signs nothing more",
                name=info.name,
                kid=info.kid.hex(),
                when=format_local(revoked[0], ws.config.timezone),
                reason=revoked[1],
            ),
            _("create a new terminal key ('ikrar key new-terminal NAME') and have the authority certify it"),
            code="key_revoked",
        )


def load_terminal_signer(ws: Workspace, passphrase: bytes, name: str | None = None) -> TerminalSigner:
    info = terminal_info(ws, name)
    refuse_if_revoked(ws, info)
    with ws.store.read() as conn:
        row = conn.execute("SELECT file FROM keys WHERE kid = ?", (info.kid,)).fetchone()
    key = load_private_key(ws.keys_dir / row[0], passphrase)
    return TerminalSigner(key, info.name, info.unit, info.certificate)


def load_authority_signer(ws: Workspace, passphrase: bytes) -> tuple[Ed25519PrivateKey, KeyInfo]:
    return _authority_key(ws, passphrase)
