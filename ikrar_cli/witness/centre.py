"""The centre's side: cosignatures stored beside checkpoints, and asking witnesses for them.

For each log, the latest checkpoint goes to every witness of the policy that has a URL, with a
consistency proof from the size that witness last cosigned (known from the stored cosignatures;
0 if none). A 409 answer names the witness's size: the request is sent again once from there.
Only cosignatures that verify with the policy's key for that witness are stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConflictError, IkrarError, StorageError, VerificationError
from ..i18n import _, get_language
from ..ledger.checkpoint import Checkpoint
from ..store.core import Store, now
from .cosignature import Cosigner, note_body, parse_cosignature_line, verify_cosignature
from .policy import PolicyWitness, WitnessPolicy
from .protocol import format_request

#: (url, body) -> (HTTP status, response body); raises StorageError when the witness cannot be reached
Post = Callable[[str, bytes], tuple[int, bytes]]


def store_cosignature(conn: sqlite3.Connection, log_id: str, cp: Checkpoint, cosigner: Cosigner, line: str) -> bool:
    """Keep a cosignature line that verifies on ``cp``; False (nothing stored) if it does not."""
    parsed = parse_cosignature_line(line, cosigner)
    if parsed is None or not verify_cosignature(note_body(cp.note), cosigner, parsed):
        return False
    conn.execute(
        "INSERT INTO cosignatures (log_id, size, root, witness, key_id, cosigned_at, line, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (log_id, size, root, witness, key_id) DO NOTHING",
        (log_id, cp.size, cp.root, cosigner.name, cosigner.key_id, parsed.timestamp, parsed.line, now()),
    )
    return True


def cosignature_lines(conn: sqlite3.Connection, log_id: str, cp: Checkpoint) -> list[str]:
    rows = conn.execute(
        "SELECT line FROM cosignatures WHERE log_id = ? AND size = ? AND root = ? ORDER BY witness, key_id",
        (log_id, cp.size, cp.root),
    ).fetchall()
    return [str(r[0]) for r in rows]


def note_with_cosignatures(conn: sqlite3.Connection, log_id: str, cp: Checkpoint) -> str:
    """The checkpoint note with its stored cosignature lines appended (what a log serves)."""
    note = cp.note if cp.note.endswith("\n") else cp.note + "\n"
    lines = [line for line in cosignature_lines(conn, log_id, cp) if line not in note]
    return note + "".join(lines)


def latest_note_with_cosignatures(conn: sqlite3.Connection, log_id: str) -> str | None:
    from ..ledger.checkpoint import parse_checkpoint

    row = conn.execute(
        "SELECT note FROM checkpoints WHERE log_id = ? ORDER BY size DESC, created_at DESC LIMIT 1", (log_id,)
    ).fetchone()
    return None if row is None else note_with_cosignatures(conn, log_id, parse_checkpoint(row[0])[0])


def witnessed_size(conn: sqlite3.Connection, log_id: str, cosigner: Cosigner) -> int:
    row = conn.execute(
        "SELECT MAX(size) FROM cosignatures WHERE log_id = ? AND witness = ? AND key_id = ?",
        (log_id, cosigner.name, cosigner.key_id),
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


@dataclass
class Outcome:
    """What one witness answered for one log."""

    witness: str
    log_id: str
    size: int
    status: str  # cosigned | up_to_date | refused | unreachable
    error: IkrarError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "witness": self.witness,
            "log": self.log_id,
            "size": self.size,
            "status": self.status,
            "error": self.error.to_dict() if self.error else None,
        }


def http_post(url: str, body: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    """POST with the standard library; any HTTP status is returned, a network failure raises StorageError."""
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "text/plain", "Accept-Language": get_language()}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - the policy's URL
            return int(resp.status), resp.read(65536)
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(65536)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StorageError(
            _("Cannot reach the witness at {url}: {reason}", url=url, reason=reason),
            _("check the URL in the policy and the network; the checkpoint can be sent again later"),
        ) from exc


def _endpoint(url: str) -> str:
    return url.rstrip("/") + "/add-checkpoint"


def _refusal(witness: str, status: int, body: bytes) -> IkrarError:
    text = body.decode("utf-8", "replace").strip().splitlines()
    why = text[0][:200] if text else str(status)
    cls: type[IkrarError] = VerificationError if status == 422 else ConflictError
    return cls(
        _("Witness {name} refused the checkpoint (HTTP {status}): {why}", name=witness, status=status, why=why),
        _("read the witness's reason; a rewritten log cannot be cosigned"),
        code="witness_refused",
    )


def ask_witness(store: Store, log_id: str, cp: Checkpoint, witness: PolicyWitness, post: Post) -> Outcome:
    """One add-checkpoint exchange (and one retry after a 409 naming the witness's size)."""
    from ..ledger.log import Ledger

    assert witness.url
    lg = Ledger(store)
    with store.read() as conn:
        old = witnessed_size(conn, log_id, witness.cosigner)
        have = cosignature_lines(conn, log_id, cp)
    if old == cp.size and any(parse_cosignature_line(x, witness.cosigner) for x in have):
        return Outcome(witness.name, log_id, cp.size, "up_to_date")
    if old > cp.size:
        old = 0  # our record is ahead of our own latest checkpoint: ask the witness where it is
    for _attempt in range(2):
        with store.read() as conn:
            proof = lg.consistency_proof(conn, log_id, old, cp.size) if 0 < old < cp.size else []
        try:
            status, body = post(_endpoint(witness.url), format_request(old, proof, cp.note))
        except StorageError as exc:
            return Outcome(witness.name, log_id, cp.size, "unreachable", exc)
        if status == 409:
            text = body.decode("ascii", "replace").strip()
            if text.isdigit() and int(text) != old and int(text) <= cp.size:
                old = int(text)
                continue
        if status != 200:
            return Outcome(witness.name, log_id, cp.size, "refused", _refusal(witness.name, status, body))
        lines = body.decode("utf-8", "replace").splitlines()
        with store.transaction() as conn:
            stored = any(store_cosignature(conn, log_id, cp, witness.cosigner, line + "\n") for line in lines)
        if stored:
            return Outcome(witness.name, log_id, cp.size, "cosigned")
        return Outcome(
            witness.name,
            log_id,
            cp.size,
            "refused",
            VerificationError(
                _("Witness {name} answered without a valid cosignature of its policy key", name=witness.name),
                _("check the witness's vkey in the policy"),
                code="bad_cosignature",
            ),
        )
    return Outcome(witness.name, log_id, cp.size, "refused", _refusal(witness.name, 409, b"size changed twice"))


def request_cosignatures(
    store: Store, policy: WitnessPolicy, *, log_ids: list[str] | None = None, post: Post = http_post
) -> list[Outcome]:
    """Send each log's latest checkpoint to each policy witness that has a URL; store what verifies."""
    from ..ledger.log import Ledger

    lg = Ledger(store)
    with store.read() as conn:
        logs = [info.log_id for info in lg.logs(conn) if log_ids is None or info.log_id in log_ids]
        latest = {log_id: lg.latest_checkpoint(conn, log_id) for log_id in logs}
    out = []
    for log_id in logs:
        cp = latest[log_id]
        if cp is None:
            continue
        for witness in policy.witnesses.values():
            if witness.url:
                out.append(ask_witness(store, log_id, cp, witness, post))
    return out


def check_latest(store: Store, policy: WitnessPolicy) -> dict[str, Any]:
    """log id -> the policy check of its latest checkpoint with the stored cosignatures (None: no checkpoint)."""
    from .policy import check_note

    out: dict[str, Any] = {}
    with store.read() as conn:
        log_ids = [str(r[0]) for r in conn.execute("SELECT log_id FROM logs ORDER BY log_id")]
        for log_id in log_ids:
            note = latest_note_with_cosignatures(conn, log_id)
            out[log_id] = None if note is None else check_note(policy, note)
    return out


# --------------------------------------------------------------------------------------
# Offline: requests written to files, cosignatures brought back in files
# --------------------------------------------------------------------------------------


def offline_requests(store: Store, policy: WitnessPolicy, *, log_ids: list[str] | None = None) -> list[Any]:
    """(witness name, log id, request body) for each log's latest checkpoint and each policy witness
    that has not cosigned it: the add-checkpoint body from the size it last cosigned here."""
    from ..ledger.log import Ledger

    lg = Ledger(store)
    out = []
    with store.read() as conn:
        for info in lg.logs(conn):
            if log_ids is not None and info.log_id not in log_ids:
                continue
            cp = lg.latest_checkpoint(conn, info.log_id)
            if cp is None:
                continue
            have = cosignature_lines(conn, info.log_id, cp)
            for witness in policy.witnesses.values():
                if any(parse_cosignature_line(x, witness.cosigner) for x in have):
                    continue
                old = witnessed_size(conn, info.log_id, witness.cosigner)
                old = old if old <= cp.size else 0
                proof = lg.consistency_proof(conn, info.log_id, old, cp.size) if 0 < old < cp.size else []
                out.append((witness.name, info.log_id, format_request(old, proof, cp.note)))
    return out


def add_cosignatures(store: Store, policy: WitnessPolicy, text: str, where: object) -> list[str]:
    """Store the valid cosignatures of the policy's witnesses found in ``text``: a checkpoint (or an
    add-checkpoint request) followed by cosignature lines. The checkpoint must be one of ours.
    Returns the names of the witnesses whose line was stored."""
    from ..errors import InputError, NotFoundError
    from ..ledger.checkpoint import parse_checkpoint
    from .cosignature import find_cosignature

    if text.startswith("old "):
        text = text.partition("\n\n")[2]
    try:
        claimed = parse_checkpoint(text)[0]
    except VerificationError as exc:
        raise InputError(
            _("{path}: not a checkpoint followed by cosignature lines", path=where),
            _("append the witness's line to the checkpoint or request it cosigned"),
        ) from exc
    stored = []
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT c.log_id, c.note FROM checkpoints c JOIN logs l ON l.log_id = c.log_id "
            "WHERE l.origin = ? AND c.size = ? AND c.root = ?",
            (claimed.origin, claimed.size, claimed.root),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                _(
                    "{path}: checkpoint {size} of {origin} is not one this workspace signed",
                    path=where,
                    size=claimed.size,
                    origin=claimed.origin,
                ),
                _("bring back the cosignature of a checkpoint written by 'ikrar ledger witness --request-out'"),
            )
        log_id, note = str(row[0]), str(row[1])
        cp = parse_checkpoint(note)[0]
        for witness in policy.witnesses.values():
            line = find_cosignature(text, witness.cosigner)
            if line is not None and store_cosignature(conn, log_id, cp, witness.cosigner, line.line):
                stored.append(witness.name)
    return stored
