"""Apel sessions and the attestations recorded in them."""

NAME = "0005_sessions"

SQL = """
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    log_id          TEXT NOT NULL,
    terminal_kid    BLOB NOT NULL,
    terminal_name   TEXT NOT NULL,
    pledge_id       TEXT NOT NULL,
    pledge_version  INTEGER NOT NULL,
    pledge_digest   BLOB NOT NULL,
    title           TEXT NOT NULL,
    location        TEXT NOT NULL,
    unit_code       TEXT,
    timezone        TEXT NOT NULL,
    opened_at       INTEGER NOT NULL,
    closed_at       INTEGER,
    forced_reason   TEXT,
    close_checkpoint TEXT
);
CREATE TABLE attestations (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions (id),
    log_id          TEXT NOT NULL,
    ledger_idx      INTEGER NOT NULL,
    officer_id      TEXT NOT NULL,
    id_type         TEXT NOT NULL,
    officer_name    TEXT,
    unit_code       TEXT NOT NULL,
    pledge_id       TEXT NOT NULL,
    pledge_version  INTEGER NOT NULL,
    method          TEXT NOT NULL,
    attested_at     INTEGER NOT NULL,
    unlisted        INTEGER NOT NULL DEFAULT 0,
    receipt         TEXT NOT NULL,
    UNIQUE (log_id, ledger_idx),
    UNIQUE (log_id, officer_id, pledge_id, pledge_version)
);
CREATE INDEX attestations_officer ON attestations (officer_id, pledge_id, pledge_version);
CREATE INDEX attestations_session ON attestations (session_id)
"""
