"""The append-only transparency logs (one per terminal) and their signed checkpoints."""

NAME = "0004_ledger"

SQL = """
CREATE TABLE logs (
    log_id      TEXT PRIMARY KEY,
    origin      TEXT NOT NULL UNIQUE,
    public_key  BLOB NOT NULL,
    key_name    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE ledger_entries (
    log_id      TEXT NOT NULL REFERENCES logs (log_id),
    idx         INTEGER NOT NULL,
    leaf        BLOB NOT NULL,
    leaf_hash   BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (log_id, idx)
);
CREATE INDEX ledger_entries_hash ON ledger_entries (leaf_hash);
CREATE TABLE checkpoints (
    log_id      TEXT NOT NULL REFERENCES logs (log_id),
    size        INTEGER NOT NULL,
    root        BLOB NOT NULL,
    note        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (log_id, size, root)
)
"""
