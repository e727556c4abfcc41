"""Signed checkpoints (C2SP tlog-checkpoint as a C2SP signed note) and inclusion proofs.

Checkpoint body::

    <origin>\n<tree size>\n<base64 root hash>\n

followed by a blank line and signature lines ``— <key name> <base64(key hash || sig)>``
where key hash = SHA-256(key name || 0x0A || 0x01 || Ed25519 public key)[:4] and sig is
Ed25519 over the body bytes. Inclusion proofs use the c2sp.org/tlog-proof@v1 text form.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import VerificationError
from ..i18n import _
from ..keys.keyfiles import verify_signature
from .merkle import leaf_hash, verify_inclusion

DASH = "\u2014"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str

    @property
    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def note_key_hash(key_name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(key_name.encode() + b"\n" + b"\x01" + public_key).digest()[:4]


def sign_checkpoint(
    origin: str, size: int, root: bytes, key_name: str, sign: Callable[[bytes], bytes], public_key: bytes
) -> Checkpoint:
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    sig = sign(body.encode())
    line = f"{DASH} {key_name} {base64.b64encode(note_key_hash(key_name, public_key) + sig).decode()}\n"
    return Checkpoint(origin, size, root, body + "\n" + line)


def _bad(code: str, message: str) -> VerificationError:
    return VerificationError(message, _("ask for the original checkpoint or proof"), code=code)


def parse_checkpoint(note: str) -> tuple[Checkpoint, list[tuple[str, bytes]]]:
    body, sep, sigs = note.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) < 3:
        raise _bad("malformed_checkpoint", _("Not a valid checkpoint"))
    try:
        size = int(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise _bad("malformed_checkpoint", _("Not a valid checkpoint")) from exc
    if size < 0 or len(root) != 32 or not lines[1].isdigit() or base64.b64encode(root).decode() != lines[2]:
        raise _bad("malformed_checkpoint", _("Not a valid checkpoint"))
    signatures = []
    for line in sigs.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise _bad("malformed_checkpoint", _("Not a valid checkpoint"))
        try:
            signatures.append((parts[1], base64.b64decode(parts[2], validate=True)))
        except binascii.Error as exc:
            raise _bad("malformed_checkpoint", _("Not a valid checkpoint")) from exc
        if base64.b64encode(signatures[-1][1]).decode() != parts[2]:  # one spelling only
            raise _bad("malformed_checkpoint", _("Not a valid checkpoint"))
    return Checkpoint(lines[0], size, root, note), signatures


def verify_checkpoint(note: str, key_name: str, public_key: bytes) -> Checkpoint:
    cp, sigs = parse_checkpoint(note)
    want = note_key_hash(key_name, public_key)
    body = note.partition("\n\n")[0] + "\n"
    for name, blob in sigs:
        if name == key_name and blob[:4] == want and verify_signature(public_key, blob[4:], body.encode()):
            return cp
    raise _bad("bad_checkpoint_signature", _("The checkpoint is not signed by {name}", name=key_name))


def format_proof(index: int, hashes: list[bytes], checkpoint_note: str) -> str:
    lines = [PROOF_HEADER, f"index {index}"] + [base64.b64encode(h).decode() for h in hashes]
    return "\n".join(lines) + "\n\n" + checkpoint_note


def parse_proof(text: str) -> tuple[int, list[bytes], str]:
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != PROOF_HEADER or len(lines) < 2 or not lines[1].startswith("index "):
        raise _bad("malformed_proof", _("Not a valid inclusion proof"))
    try:
        index = int(lines[1][6:])
        hashes = [base64.b64decode(h, validate=True) for h in lines[2:]]
    except (ValueError, binascii.Error) as exc:
        raise _bad("malformed_proof", _("Not a valid inclusion proof")) from exc
    if index < 0 or any(len(h) != 32 for h in hashes):
        raise _bad("malformed_proof", _("Not a valid inclusion proof"))
    return index, hashes, note


def verify_inclusion_proof(leaf: bytes, proof_text: str, key_name: str, public_key: bytes) -> Checkpoint:
    index, hashes, note = parse_proof(proof_text)
    cp = verify_checkpoint(note, key_name, public_key)
    if not verify_inclusion(leaf_hash(leaf), index, cp.size, hashes, cp.root):
        raise _bad("not_included", _("The receipt is not at index {index} of the signed log", index=index))
    return cp
