"""The C2SP tlog-witness ``add-checkpoint`` request and the witness's decision on it.

Request body: ``old <size>\\n``, zero to 63 lines of base64 consistency-proof hashes, an empty
line, then the checkpoint (a signed note). The decision is a pure function of the request, the
keys the witness trusts for the origin and what it recorded last; each refusal is an
``IkrarError`` whose ``code`` maps to the HTTP status tlog-witness prescribes (``HTTP_STATUS``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from ..errors import ConflictError, IkrarError, InputError, NotFoundError, TrustError, VerificationError
from ..i18n import _
from ..ledger.checkpoint import Checkpoint, parse_checkpoint, verify_checkpoint
from ..ledger.merkle import EMPTY_ROOT, verify_consistency

MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 64 * 1024

#: refusal code -> HTTP status (c2sp.org/tlog-witness)
HTTP_STATUS = {
    "bad_request": 400,
    "unknown_log": 404,
    "bad_log_signature": 403,
    "old_size_mismatch": 409,
    "fork": 409,
    "inconsistent": 422,
}


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: list[bytes]
    note: str


@dataclass(frozen=True)
class Recorded:
    """What a witness keeps per origin: the latest checkpoint it cosigned."""

    size: int
    root: bytes


@dataclass(frozen=True)
class LogKey:
    """A log the witness follows: its checkpoint signer's key name and Ed25519 public key."""

    origin: str
    key_name: str
    public_key: bytes


def _bad_request(why: str) -> InputError:
    return InputError(
        _("Not a valid add-checkpoint request: {why}", why=why),
        _("send 'old <size>', the proof lines, an empty line and the checkpoint"),
        code="bad_request",
    )


def format_request(old_size: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


def parse_request(data: bytes) -> AddCheckpoint:
    if len(data) > MAX_REQUEST_BYTES:
        raise _bad_request(_("more than {n} bytes", n=MAX_REQUEST_BYTES))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_request(_("not UTF-8")) from exc
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise _bad_request(_("control characters"))
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise _bad_request(_("the first line must be 'old <size>'"))
    digits = lines[0][4:]
    if not digits.isdigit() or not digits.isascii() or (digits != "0" and digits.startswith("0")):
        raise _bad_request(_("the old size must be a decimal number without leading zeroes"))
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise _bad_request(_("more than {n} proof lines", n=MAX_PROOF_LINES))
    proof = []
    for line in proof_lines:
        try:
            h = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _bad_request(_("a proof line is not base64")) from exc
        if len(h) != 32 or base64.b64encode(h).decode() != line:
            raise _bad_request(_("a proof line is not one base64 hash"))
        proof.append(h)
    return AddCheckpoint(int(digits), proof, note)


def conflict(origin: str, size: int, message: str, code: str = "old_size_mismatch") -> ConflictError:
    err = ConflictError(message, _("ask again from size {size}", size=size), code=code)
    err.details = {"origin": origin, "size": size}
    return err


def decide(req: AddCheckpoint, keys: list[LogKey], recorded: Recorded | None) -> Checkpoint:
    """Check a request against the trusted keys and the last cosigned state; the checkpoint to cosign."""
    try:
        cp, _sigs = parse_checkpoint(req.note)
    except VerificationError as exc:
        raise _bad_request(exc.message) from exc
    if not keys:
        raise NotFoundError(
            _("This witness does not follow the log {origin}", origin=cp.origin),
            _("the witness's operator adds it with 'ikrar witness follow'"),
            code="unknown_log",
        )
    for key in keys:
        try:
            verify_checkpoint(req.note, key.key_name, key.public_key)
            break
        except VerificationError:
            continue
    else:
        raise TrustError(
            _("The checkpoint of {origin} is not signed by a key this witness trusts for it", origin=cp.origin),
            _("sign the checkpoint with the log's own key"),
            code="bad_log_signature",
        )
    if req.old_size > cp.size:
        raise _bad_request(
            _("old size {old} is larger than the checkpoint's size {size}", old=req.old_size, size=cp.size)
        )
    latest = recorded.size if recorded else 0
    if req.old_size != latest:
        raise conflict(
            cp.origin,
            latest,
            _(
                "The witness last cosigned {origin} at size {size}, not {old}",
                origin=cp.origin,
                size=latest,
                old=req.old_size,
            ),
        )
    if req.old_size == cp.size:
        if req.proof:
            raise _bad_request(_("a proof between equal sizes must be empty"))
        seen = recorded.root if recorded else EMPTY_ROOT
        if cp.root != seen:
            raise conflict(
                cp.origin,
                latest,
                _(
                    "The witness has seen a different tree of {origin} at size {size}: the log was rewritten",
                    origin=cp.origin,
                    size=cp.size,
                ),
                code="fork",
            )
        return cp
    if req.old_size == 0:
        if req.proof:
            raise _bad_request(_("a proof from size 0 must be empty"))
        return cp
    assert recorded is not None
    if not verify_consistency(req.old_size, cp.size, recorded.root, cp.root, req.proof):
        raise VerificationError(
            _(
                "Checkpoint {size} of {origin} is not consistent with size {old} that the witness cosigned: "
                "the log was rewritten",
                size=cp.size,
                origin=cp.origin,
                old=req.old_size,
            ),
            _("a log only grows; compare the log with the checkpoints the witness cosigned"),
            code="inconsistent",
        )
    return cp


def http_status(exc: IkrarError) -> int:
    return HTTP_STATUS.get(exc.code or "", 400)
