"""PostgreSQL: an officer's unit code is checked once per statement, not once per row.

``officers.unit_code REFERENCES units (code)`` is a foreign key on both engines. SQLite checks
it with one b-tree probe inside each insert; PostgreSQL fires one trigger per row, which runs a
``SELECT … FOR KEY SHARE`` on ``units``: about half of a roster import's final insert (a 100,000-
row insert took 1.59 s with the key, 0.84 s with the checks below; bench/README.md, issue 17).

On PostgreSQL the key is therefore replaced by the same rule in three triggers:

- after each INSERT and each UPDATE statement on ``officers``: one anti-join of the rows the
  statement wrote (its transition table) against ``units``; a unit code that no unit has fails
  the statement with SQLSTATE 23503 (foreign_key_violation), as the key did;
- after a unit's code changes or a unit is deleted (a constraint trigger, per unit row, which
  ``SET CONSTRAINTS ALL DEFERRED`` defers to the end of the transaction as it deferred the key):
  no officer may still name the old code unless a unit has it again.

Every writer holds the one write lock (``store/postgres.py``), so no other transaction can
delete a unit between the check and the commit (what the key's row lock prevented).
SQLite keeps its foreign key: nothing to do there.
"""

from __future__ import annotations

import sqlite3
from typing import Any

NAME = "0018_unit_key_check"

_OFFICERS_CHECK = """
CREATE FUNCTION ikrar_officers_unit_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    SELECT n.unit_code INTO missing FROM ikrar_new_officers n
    WHERE n.unit_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM units u WHERE u.code = n.unit_code)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "officers" violates foreign key: unit code % is not in "units"',
            missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
"""

_UNITS_CHECK = """
CREATE FUNCTION ikrar_units_code_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.code = OLD.code THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM officers o WHERE o.unit_code = OLD.code)
            AND NOT EXISTS (SELECT 1 FROM units u WHERE u.code = OLD.code) THEN
        RAISE EXCEPTION 'update or delete on table "units" violates foreign key: officers still name unit code %',
            OLD.code USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
"""

_TRIGGERS = (
    "CREATE TRIGGER ikrar_officers_unit_insert AFTER INSERT ON officers REFERENCING NEW TABLE AS "
    "ikrar_new_officers FOR EACH STATEMENT EXECUTE FUNCTION ikrar_officers_unit_check()",
    "CREATE TRIGGER ikrar_officers_unit_update AFTER UPDATE ON officers REFERENCING NEW TABLE AS "
    "ikrar_new_officers FOR EACH STATEMENT EXECUTE FUNCTION ikrar_officers_unit_check()",
    "CREATE CONSTRAINT TRIGGER ikrar_units_code AFTER UPDATE OR DELETE ON units DEFERRABLE INITIALLY IMMEDIATE "
    "FOR EACH ROW EXECUTE FUNCTION ikrar_units_code_check()",
)


def up(conn: Any) -> None:
    if isinstance(conn, sqlite3.Connection):
        return
    raw = conn.raw  # the function bodies go to the server as written (no placeholder rewriting)
    keys = raw.execute(
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = 'officers'::regclass "
        "AND confrelid = 'units'::regclass"
    ).fetchall()
    raw.execute(_OFFICERS_CHECK)
    raw.execute(_UNITS_CHECK)
    for statement in _TRIGGERS:
        raw.execute(statement)
    for (name,) in keys:
        raw.execute(f'ALTER TABLE officers DROP CONSTRAINT "{name}"')
