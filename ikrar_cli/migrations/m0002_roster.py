"""The staff roster: units (OPD), officers, their change history and import runs."""

NAME = "0002_roster"

SQL = """
CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE
);
CREATE TABLE officers (
    officer_id      TEXT PRIMARY KEY,
    id_type         TEXT NOT NULL,
    name            TEXT NOT NULL,
    gelar_depan     TEXT,
    gelar_belakang  TEXT,
    position        TEXT,
    unit_code       TEXT REFERENCES units (code),
    rank            TEXT,
    status          TEXT,
    nik             TEXT,
    email           TEXT,
    active          INTEGER NOT NULL DEFAULT 1,
    retired_at      TEXT,
    first_seen_at   INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX officers_unit ON officers (unit_code, active);
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    added       INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    invalid     INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    retired     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE officer_history (
    id          INTEGER PRIMARY KEY,
    officer_id  TEXT NOT NULL,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    changed_at  INTEGER NOT NULL,
    run_id      INTEGER REFERENCES import_runs (id)
);
CREATE INDEX officer_history_officer ON officer_history (officer_id)
"""
