"""Merged terminal logs: remote sessions keep their own number; receipts revoked after the fact."""

NAME = "0006_merge"

SQL = """
ALTER TABLE sessions ADD COLUMN origin_session INTEGER;
ALTER TABLE sessions ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX sessions_origin ON sessions (log_id, origin_session);
ALTER TABLE attestations ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;
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
