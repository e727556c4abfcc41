"""Online sync (docs/server.md): the centre remembers the nonces of signed requests it accepted (a
replayed request is refused); a terminal remembers, per log, what the centre acknowledged."""

NAME = "0011_sync"

SQL = """
CREATE TABLE sync_nonces (
    nonce       TEXT PRIMARY KEY,
    kid         TEXT NOT NULL,
    seen_at     INTEGER NOT NULL
);
CREATE INDEX sync_nonces_seen ON sync_nonces (seen_at);
CREATE TABLE sync_state (
    log_id       TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    acked_size   INTEGER NOT NULL DEFAULT 0,
    acked_at     INTEGER,
    last_attempt INTEGER,
    last_error   TEXT
)
"""
