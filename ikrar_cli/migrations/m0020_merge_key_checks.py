"""PostgreSQL: a merge's entries and attestations check their log and session once per statement.

Two foreign keys are paid once per row by every merge's swap on PostgreSQL:
``ledger_entry_rows.log_id REFERENCES log_rows (log_id)`` and ``attestation_rows.session_id
REFERENCES session_rows (id)``. Each fires one trigger per inserted row, which runs a ``SELECT …
FOR KEY SHARE`` on the parent: about half of the swap's copy of 5,000 ledger entries and a fifth
of its copy of 5,000 attestations (auto_explain, bench/README.md, issue 17). Every row of one
file's copy names the same log and a handful of sessions.

On PostgreSQL the two keys are therefore replaced by the same rules in triggers, as m0018 did
for ``officers.unit_code``:

- after each INSERT statement on the child table: the distinct parent keys of the rows the
  statement wrote (its transition table) are locked ``FOR KEY SHARE``, as the key's trigger locked
  them row by row (a concurrent delete of the parent waits for this transaction), then anti-joined
  against the parent table; a key no parent has fails the statement with SQLSTATE 23503
  (foreign_key_violation), as the key did;
- after an UPDATE that changes a row's parent key (a row trigger with a ``WHEN``: no cost for an
  update of other columns): the same check for that row;
- after a parent's key changes or a parent is deleted (a constraint trigger, per parent row, which
  ``SET CONSTRAINTS ALL DEFERRED`` defers to the end of the transaction as it deferred the key):
  no child may still name the old key unless a parent has it again.

SQLite keeps its foreign keys: nothing to do there. ``db migrate-to`` copies the parents first
(``store/migrate.py``): the insert checks are not deferred.
"""

from __future__ import annotations

import sqlite3
from typing import Any

NAME = "0020_merge_key_checks"

# child table, its key column, parent table, parent key column, short name of the triggers
KEYS = (
    ("ledger_entry_rows", "log_id", "log_rows", "log_id", "entries_log"),
    ("attestation_rows", "session_id", "session_rows", "id", "attestations_session"),
)

_INSERT_CHECK = """
CREATE FUNCTION ikrar_{name}_insert_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    PERFORM 1 FROM {parent} p WHERE p.{pkey} IN (SELECT DISTINCT n.{key} FROM ikrar_new_rows n) FOR KEY SHARE;
    SELECT d.{key}::text INTO missing FROM (SELECT DISTINCT n.{key} FROM ikrar_new_rows n) d
    WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{pkey} = d.{key})
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert on table "{child}" violates foreign key: {key} % is not in "{parent}"',
            missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
"""

_UPDATE_CHECK = """
CREATE FUNCTION ikrar_{name}_update_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {parent} p WHERE p.{pkey} = NEW.{key} FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'update on table "{child}" violates foreign key: {key} % is not in "{parent}"',
            NEW.{key} USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
"""

_PARENT_CHECK = """
CREATE FUNCTION ikrar_{name}_parent_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.{pkey} = OLD.{pkey} THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM {child} c WHERE c.{key} = OLD.{pkey})
            AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{pkey} = OLD.{pkey}) THEN
        RAISE EXCEPTION 'update or delete on table "{parent}" violates foreign key: "{child}" still names {key} %',
            OLD.{pkey} USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
"""

_TRIGGERS = (
    "CREATE TRIGGER ikrar_{name}_insert AFTER INSERT ON {child} REFERENCING NEW TABLE AS ikrar_new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION ikrar_{name}_insert_check()",
    "CREATE TRIGGER ikrar_{name}_update AFTER UPDATE OF {key} ON {child} FOR EACH ROW "
    "WHEN (NEW.{key} IS DISTINCT FROM OLD.{key}) EXECUTE FUNCTION ikrar_{name}_update_check()",
    "CREATE CONSTRAINT TRIGGER ikrar_{name}_parent AFTER UPDATE OR DELETE ON {parent} "
    "DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION ikrar_{name}_parent_check()",
)


def up(conn: Any) -> None:
    if isinstance(conn, sqlite3.Connection):
        return
    raw = conn.raw  # the function bodies go to the server as written (no placeholder rewriting)
    for child, key, parent, pkey, name in KEYS:
        names = dict(child=child, key=key, parent=parent, pkey=pkey, name=name)
        keys = raw.execute(
            "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
            "AND a.attnum = ANY (c.conkey) WHERE c.contype = 'f' AND c.conrelid = %s::regclass "
            "AND c.confrelid = %s::regclass AND a.attname = %s",
            (child, parent, key),
        ).fetchall()
        for body in (_INSERT_CHECK, _UPDATE_CHECK, _PARENT_CHECK):
            raw.execute(body.format(**names))
        for statement in _TRIGGERS:
            raw.execute(statement.format(**names))
        for (constraint,) in keys:
            raw.execute(f'ALTER TABLE {child} DROP CONSTRAINT "{constraint}"')
