"""Merged terminal logs: remote sessions keep their own number; each attestation knows its
receipt's revocation id (SHA-256 of the signature, first 16 bytes) so reports can leave out
receipts the authority revoked."""

from __future__ import annotations

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


def up(conn: sqlite3.Connection) -> None:
    from ..receipt import decode_receipt
    from ..trust import receipt_revocation_id

    for statement in SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    from ..errors import IkrarError

    def rid(text: str) -> bytes | None:
        try:
            return receipt_revocation_id(decode_receipt(text).signature)
        except IkrarError:  # a damaged row must not make the workspace unopenable; ledger verify names it
            return None

    rows = conn.execute("SELECT id, receipt FROM attestations").fetchall()
    conn.executemany("UPDATE attestations SET receipt_rid = ? WHERE id = ?", [(rid(text), i) for i, text in rows])
