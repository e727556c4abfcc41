"""Keys, terminal certificates, revocations, pinned authorities and accepted trust bundles."""

NAME = "0003_keys"

SQL = """
CREATE TABLE keys (
    kid         BLOB PRIMARY KEY,
    role        TEXT NOT NULL,
    name        TEXT NOT NULL,
    unit        TEXT,
    public_key  BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    file        TEXT
);
CREATE TABLE certificates (
    kid         BLOB PRIMARY KEY,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE key_revocations (
    kid         BLOB PRIMARY KEY,
    revoked_at  INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE TABLE receipt_revocations (
    rid         BLOB PRIMARY KEY,
    reason      TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE TABLE trust_anchors (
    fingerprint TEXT PRIMARY KEY,
    public_key  BLOB NOT NULL,
    name        TEXT NOT NULL,
    added_at    INTEGER NOT NULL
);
CREATE TABLE trust_bundles (
    authority_kid BLOB NOT NULL,
    serial        INTEGER NOT NULL,
    bundle        BLOB NOT NULL,
    accepted_at   INTEGER NOT NULL,
    PRIMARY KEY (authority_kid, serial)
)
"""
