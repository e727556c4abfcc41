"""Merged terminal logs: remote sessions keep their own number; each attestation knows its
receipt's revocation id (SHA-256 of the signature, first 16 bytes) so reports can leave out
receipts the authority revoked."""

from __future__ import annotations

import hashlib
import sqlite3

NAME = "0006_merge"

SQL = """
ALTER TABLE sessions ADD COLUMN origin_session INTEGER;
ALTER TABLE sessions ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX sessions_origin ON sessions (log_id, origin_session);
ALTER TABLE attestations ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attestations ADD COLUMN receipt_rid BLOB;
CREATE INDEX attestations_rid ON attestations (receipt_rid);
CREATE TABLE merge_runs (
    id          INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    merged_at   INTEGER NOT NULL,
    logs        INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    known       INTEGER NOT NULL
)
"""


# ---------------------------------------------------------------------------------------
# Frozen copies of what this migration needs (a released migration must not change when
# ikrar_cli.receipts.receipt, ikrar_cli.receipts.base45 or ikrar_cli.keys.trust do): Base45 (RFC 9285), the
# COSE_Sign1 array of an "IKR1:" receipt, and the revocation id of its signature.
# ---------------------------------------------------------------------------------------

_PREFIX = "IKR1:"
_B45 = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")}


def _b45decode(text: str) -> bytes | None:
    if len(text) % 3 == 1:
        return None
    out = bytearray()
    for i in range(0, len(text), 3):
        chunk = text[i : i + 3]
        if any(c not in _B45 for c in chunk):
            return None
        n = sum(_B45[c] * 45**k for k, c in enumerate(chunk))
        if n > (0xFFFF if len(chunk) == 3 else 0xFF):
            return None
        out += n.to_bytes(2 if len(chunk) == 3 else 1, "big")
    return bytes(out)


def _signature(text: str) -> bytes | None:
    """The 64-byte signature of a receipt, or None if the text is not a well-formed receipt."""
    import cbor2

    if "#" in text and not text.startswith(_PREFIX):
        text = text.rsplit("#", 1)[1]
    if not text.startswith(_PREFIX):
        return None
    cose = _b45decode(text[len(_PREFIX) :])
    if cose is None:
        return None
    try:
        arr = cbor2.loads(cose)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError):  # any decoding failure: a damaged row
        return None
    if not isinstance(arr, list) or len(arr) != 4:
        return None
    protected, unprotected, payload, signature = arr
    if not (isinstance(protected, bytes) and isinstance(unprotected, dict) and isinstance(payload, bytes)):
        return None
    if not isinstance(signature, bytes) or len(signature) != 64:
        return None
    return signature


def _revocation_id(text: str) -> bytes | None:
    """First 16 bytes of SHA-256 of the receipt's signature (docs/trust-bundle.md)."""
    signature = _signature(text)
    return hashlib.sha256(signature).digest()[:16] if signature is not None else None


def up(conn: sqlite3.Connection) -> None:
    for statement in SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    # a damaged row must not make the workspace unopenable (its rid stays empty); ledger verify names it
    rows = conn.execute("SELECT id, receipt FROM attestations").fetchall()
    conn.executemany(
        "UPDATE attestations SET receipt_rid = ? WHERE id = ?", [(_revocation_id(text), i) for i, text in rows]
    )
