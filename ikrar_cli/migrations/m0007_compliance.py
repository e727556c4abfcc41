"""Compliance from signed inputs (issue 13): the authority's unit registry (codes never reused),
signed roster snapshots, and sessions as records in the terminal's log.

Sessions recorded before this migration stay as they were, marked ``signed = 0``: their metadata
was never covered by a checkpoint, and every view says so."""

from __future__ import annotations

import sqlite3

NAME = "0007_compliance"

SQL = """
CREATE TABLE unit_registry (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE roster_snapshots (
    digest      TEXT PRIMARY KEY,
    authority   TEXT NOT NULL,
    serial      INTEGER NOT NULL,
    as_of       TEXT NOT NULL,
    scope       TEXT,
    file        BLOB NOT NULL,
    stored_at   INTEGER NOT NULL
);
CREATE TABLE roster_first_listed (
    officer_id  TEXT PRIMARY KEY,
    as_of       TEXT NOT NULL
);
CREATE TABLE roster_joined (
    officer_id  TEXT PRIMARY KEY,
    joined      TEXT NOT NULL
);
ALTER TABLE sessions ADD COLUMN signed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN roster_digest TEXT
"""


def up(conn: sqlite3.Connection) -> None:
    for statement in SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    # the codes this workspace already handed out are its registry; a workspace that never
    # minted codes receives them from the authority's bundle or terminal package
    conn.execute("INSERT INTO unit_registry (code, name, received) SELECT code, name, 0 FROM units")
