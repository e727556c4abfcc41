"""C2SP tlog-cosignature/v1 (Ed25519) lines and C2SP signed-note verifier keys (vkeys).

A cosignature line is ``— <name> base64(key ID || u64 big-endian timestamp || Ed25519 sig)``,
key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4], and the signature covers
``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint's note body (its text up to and
including the newline before the blank line). See docs/witness.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InputError
from ..i18n import _
from ..keys.keyfiles import verify_signature
from ..ledger.checkpoint import DASH

COSIGNATURE_TYPE = 0x04
MAX_TIMESTAMP = 2**63 - 1


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 cosigner (signature type 0x04)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_TYPE]) + public_key).digest()[:4]


def note_body(note: str) -> str:
    """The signed text of a note: everything before the last blank line, with its final newline."""
    body, sep, _sigs = note.rpartition("\n\n")
    if not sep:
        raise InputError(_("Not a valid checkpoint"), _("ask for the original checkpoint or proof"))
    return body + "\n"


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()


def check_name(name: str) -> str:
    """A key name: non-empty, no spaces (of any kind), no '+' (C2SP signed-note)."""
    if not name or any(c.isspace() or c == "+" for c in name) or any(ord(c) < 0x20 for c in name):
        raise InputError(
            _("{name!r} is not a valid witness name", name=name),
            _("use a schema-less URL without spaces or '+', e.g. bawaslu.go.id/ikrar-witness"),
        )
    return name


def sign_cosignature(name: str, public_key: bytes, sign: Callable[[bytes], bytes], body: str, timestamp: int) -> str:
    """The cosignature line (with its final newline) on a checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError("timestamp out of range")
    sig = sign(cosigned_message(body, timestamp))
    blob = cosignature_key_id(name, public_key) + struct.pack(">Q", timestamp) + sig
    return f"{DASH} {name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class Cosigner:
    """A witness as a verifier knows it: its key name and Ed25519 public key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return cosignature_key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return format_vkey(self.name, self.public_key)


@dataclass(frozen=True)
class CosignatureLine:
    name: str
    key_id: bytes
    timestamp: int
    signature: bytes
    line: str


def parse_signature_lines(note: str) -> list[tuple[str, bytes, str]]:
    """(key name, decoded blob, line) for every signature line of a note; malformed lines are skipped
    (a verifier ignores what it cannot read, and the note's own log signature is checked elsewhere)."""
    _body, sep, sigs = note.rpartition("\n\n")
    out = []
    for line in sigs.splitlines() if sep else []:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError):
            continue
        out.append((parts[1], blob, line + "\n"))
    return out


def find_cosignature(note: str, cosigner: Cosigner) -> CosignatureLine | None:
    """The line of ``cosigner`` in ``note`` (matched by name and key ID), verified or not."""
    for name, blob, line in parse_signature_lines(note):
        if name == cosigner.name and len(blob) == 4 + 8 + 64 and blob[:4] == cosigner.key_id:
            (timestamp,) = struct.unpack(">Q", blob[4:12])
            return CosignatureLine(name, blob[:4], timestamp, blob[12:], line)
    return None


def verify_cosignature(body: str, cosigner: Cosigner, line: CosignatureLine) -> bool:
    if line.timestamp > MAX_TIMESTAMP:
        return False
    return verify_signature(cosigner.public_key, line.signature, cosigned_message(body, line.timestamp))


def parse_cosignature_line(text: str, cosigner: Cosigner) -> CosignatureLine | None:
    """One response line as a cosignature of ``cosigner`` (None if it is another key's)."""
    return find_cosignature("x\n\n" + text.rstrip("\n"), cosigner)


# --------------------------------------------------------------------------------------
# vkeys: <name>+<8 hex key ID>+base64(type byte || public key)
# --------------------------------------------------------------------------------------


def format_vkey(name: str, public_key: bytes, sig_type: int = COSIGNATURE_TYPE) -> str:
    key_id = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]
    return f"{name}+{key_id.hex()}+{base64.b64encode(bytes([sig_type]) + public_key).decode()}"


def parse_vkey(text: str, sig_type: int = COSIGNATURE_TYPE) -> Cosigner:
    """A vkey of an Ed25519 key of ``sig_type``; its key ID must be the one its name and key give."""
    bad = InputError(
        _("{vkey!r} is not a valid witness key (vkey)", vkey=text[:80]),
        _("copy the vkey printed by 'ikrar witness show'"),
    )
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise bad
    name, hex_id, data = parts
    try:
        raw = base64.b64decode(data, validate=True)
        key_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise bad from exc
    if len(raw) != 33 or raw[0] != sig_type or len(key_id) != 4 or len(hex_id) != 8:
        raise bad
    check_name(name)
    if format_vkey(name, raw[1:], sig_type) != text.strip():
        raise bad
    return Cosigner(name, raw[1:])
