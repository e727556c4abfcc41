"""Applying a staged roster import in one transaction, with its change summary.

Staff and fields are compared in SQL between the staging table and ``officers``; every
change is spooled to the import's ``ChangeLog`` in the order HR acts on it (new staff,
transfers, retirements or missing staff, reactivations, then field changes) and recorded
in ``officer_history``; then one keyed upsert writes the new state. A field whose column
is absent keeps its stored value; so does an empty cell unless the import clears empties.

The comparison and the change summary (which for a small file against a large roster lists every
officer it does not name) are made in a read snapshot, without the write lock; the write
transaction then only writes, if the roster is still as that snapshot saw it (``roster_version``),
else it summarises again under the lock (docs/ledger-export.md, "Staging and locks").
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.core import Store, now
from ..testpoints import pause_point
from .changes import ChangeLog

if TYPE_CHECKING:
    from .importer import ImportReport


def field_modes(cols: dict[str, int], clear_empty: bool) -> dict[str, str]:
    """Per stored field: 'set' (the file's value, empty clears), 'keep_empty' (an empty cell keeps
    the stored value) or 'absent' (no column: the stored value stays)."""
    modes = {"id_type": "set", "name": "set"}
    for f in ("position", "sub_unit", "rank", "status", "email", "nik", "gelar_depan", "gelar_belakang"):
        if f in cols:
            modes[f] = "set" if clear_empty else "keep_empty"
        elif f in ("gelar_depan", "gelar_belakang") and "gelar_depan" not in cols and "gelar_belakang" not in cols:
            modes[f] = "keep_empty"  # titles split from the name: a name without titles keeps them
        elif f == "nik":
            modes[f] = "keep_empty"  # a NIK identifier fills it
        else:
            modes[f] = "absent"
    return modes


COMPARE = ("id_type", "name", "gelar_depan", "gelar_belakang", "position", "sub_unit", "rank", "status", "nik",
            "email")  # fmt: skip


def _src(f: str, mode: str) -> str:
    """The new value of field ``f`` as SQL over staging ``s`` and officers ``o``."""
    return {"set": f"s.{f}", "keep_empty": f"COALESCE(s.{f}, o.{f})", "absent": f"o.{f}"}[mode]


def _stream(log: ChangeLog, kind: str, cursor: sqlite3.Cursor) -> list[tuple[Any, ...]]:
    """Spool every row of ``cursor`` as a change of ``kind``; returns nothing kept in memory
    except what the caller needs (the cursor is read in chunks)."""
    while chunk := cursor.fetchmany(5000):
        log.add_rows(kind, chunk)
    return []


def _stream_new(log: ChangeLog, conn: sqlite3.Connection, step: int = 20_000) -> None:
    """New staff, spooled as JSON that SQLite writes (a first import lists every row: the
    per-row Python cost would show in the import rate). Chunks of staging rowids, in file order."""
    top = conn.execute("SELECT MAX(rowid) FROM staging").fetchone()[0] or 0
    from ..store.dialects import engine_of_connection, json_group_array

    rows = json_group_array(engine_of_connection(conn), "json_array(officer_id, name, code)", "file_row")
    for low in range(0, top, step):
        n, text = conn.execute(
            f"SELECT COUNT(*), {rows} FROM (SELECT s.rowid AS file_row, s.officer_id, "
            "s.name, m.code FROM staging s JOIN unit_map m ON m.name = s.unit WHERE s.rowid > ? AND s.rowid <= ? "
            "AND NOT EXISTS (SELECT 1 FROM officers o WHERE o.officer_id = s.officer_id) ORDER BY s.rowid)",
            (low, low + step),
        ).fetchone()
        if n:
            log.add_json("new", n, text)


_MISSING = (
    "FROM officers o WHERE o.active = 1 AND NOT EXISTS (SELECT 1 FROM staging s WHERE s.officer_id = o.officer_id)"
)
_HISTORY = "INSERT INTO officer_history (officer_id, field, old_value, new_value, changed_at, run_id) "


def apply_in_transaction(
    store: Store,
    report: ImportReport,
    path: Path,
    *,
    retire_missing: bool,
    dry_run: bool,
    today: date,
    modes: dict[str, str],
) -> None:
    """Summarise (units, the change summary: new staff, transfers, retirements or missing staff,
    reactivations, field changes) in a read snapshot, then write history and the upsert in one
    write transaction; summarised again inside it when the roster changed meanwhile."""
    from .roster_version import bump, current

    compare = [f for f in COMPARE if modes.get(f, "set") != "absent"]
    planned = _plan(store, report, compare, modes, retire_missing)
    with store.transaction() as conn:
        if planned is None or planned[0] != current(conn):  # new units, or the roster changed: under the lock
            report.change_log.close()
            report.change_log = ChangeLog()
            _fill_unit_map(conn)
            _summary(conn, report, compare, modes, retire_missing)
        stamp = now()
        run_id = conn.execute(
            "INSERT INTO import_runs (file, sha256, started_at) VALUES (?, ?, ?)", (path.name, _sha256(path), stamp)
        ).lastrowid
        _record_changes(conn, compare, stamp, run_id)
        _upsert(conn, modes, stamp, report.added)
        if retire_missing:
            report.retired = report.change_log.counts["retired"]
            conn.execute(_HISTORY + "SELECT officer_id, 'active', '1', '0', ?, ? FROM staging_missing", (stamp, run_id))
            conn.execute(
                "UPDATE officers SET active = 0, retired_at = ?, updated_at = ? WHERE active = 1 AND "
                "officer_id IN (SELECT officer_id FROM staging_missing)",
                (today.isoformat(), stamp),
            )
        bump(conn)
        conn.execute(
            "UPDATE import_runs SET finished_at = ?, added = ?, updated = ?, unchanged = ?, invalid = ?, "
            "duplicates = ?, retired = ? WHERE id = ?",
            (now(), report.added, report.updated, report.unchanged, len(report.invalid), len(report.duplicates),
             report.retired, run_id),
        )  # fmt: skip
        pause_point("roster.commit")  # test-only (IKRAR_TEST_PAUSE_AT); no effect otherwise
        if dry_run:
            raise DryRun


def _plan(
    store: Store, report: ImportReport, compare: list[str], modes: dict[str, str], retire_missing: bool
) -> tuple[str | None] | None:
    """The summary in a read snapshot (no write lock); returns the roster version it saw, or None
    when a unit code must be minted or moved first (that needs the lock: all is done under it)."""
    from .roster_version import current, unit_map_read_only

    with store.read() as conn:
        names = [uname for (uname,) in conn.execute("SELECT DISTINCT unit FROM staging ORDER BY unit")]
        unit_map = unit_map_read_only(conn, names)
        if unit_map is None:
            return None
        _unit_map_table(conn, unit_map)
        _summary(conn, report, compare, modes, retire_missing)
        pause_point("roster.planned")  # test-only: summarised in a snapshot, no write lock held
        return (current(conn),)


def _summary(
    conn: sqlite3.Connection, report: ImportReport, compare: list[str], modes: dict[str, str], retire_missing: bool
) -> None:
    """Everything the import reports, read from the roster as ``conn`` sees it, into temporary tables
    (``staging_diff``, ``staging_missing``) and the change log; writes nothing to the workspace."""
    log = report.change_log
    _stream_new(log, conn)
    report.added = log.counts["new"]
    _make_diff(conn, compare, modes)
    conn.execute("DROP TABLE IF EXISTS temp.staging_missing")
    conn.execute("CREATE TEMP TABLE staging_missing (officer_id TEXT PRIMARY KEY)")
    if retire_missing:  # the officers to retire, found once here: the write transaction does not search again
        conn.execute(f"INSERT INTO staging_missing SELECT o.officer_id {_MISSING}")
    _summarise(conn, log, report, retire_missing)
    for f in compare:
        _stream(
            log,
            "field",
            conn.execute(
                f"SELECT officer_id, '{f}', old_{f}, new_{f} FROM staging_diff WHERE old_{f} IS NOT new_{f} "
                "ORDER BY row"
            ),
        )


def _fill_unit_map(conn: sqlite3.Connection) -> None:
    """unit_map: each staged unit name and its code (the authority mints codes; others receive them)."""
    from .unitregistry import assign_unit_codes

    names = [uname for (uname,) in conn.execute("SELECT DISTINCT unit FROM staging ORDER BY unit")]
    _unit_map_table(conn, assign_unit_codes(conn, names))


def _unit_map_table(conn: sqlite3.Connection, unit_map: dict[str, str]) -> None:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS unit_map (name TEXT PRIMARY KEY, code TEXT)")
    conn.execute("DELETE FROM unit_map")
    conn.executemany("INSERT INTO unit_map VALUES (?, ?)", unit_map.items())


def _make_diff(conn: sqlite3.Connection, compare: list[str], modes: dict[str, str]) -> None:
    """One pass over staging x officers: the known officers whose row changes anything (``changed``)
    or who must be written anyway; every later step reads this (usually small) table."""
    joined = "FROM staging s JOIN officers o ON o.officer_id = s.officer_id JOIN unit_map m ON m.name = s.unit"
    differs = " OR ".join(f"o.{f} IS NOT {_src(f, modes.get(f, 'set'))}" for f in compare)
    conn.execute("DROP TABLE IF EXISTS temp.staging_diff")
    conn.execute(
        "CREATE TEMP TABLE staging_diff AS SELECT s.row, s.officer_id, s.name AS s_name, m.code AS new_unit_code, "
        "o.unit_code AS old_unit_code, o.active, o.retired_at, "
        + ", ".join(f"o.{f} AS old_{f}, {_src(f, modes.get(f, 'set'))} AS new_{f}" for f in compare)
        + f", CASE WHEN {differs} OR o.unit_code IS NOT m.code OR o.active = 0 THEN 1 ELSE 0 END AS changed "
        f"{joined} WHERE {differs} OR o.unit_code IS NOT m.code OR o.active = 0 OR o.retired_at IS NOT NULL"
    )


def _summarise(conn: sqlite3.Connection, log: ChangeLog, report: ImportReport, retire_missing: bool) -> None:
    """Transfers, retirements or missing staff, reactivations (in that order), and the counts."""
    _stream(
        log,
        "transfer",
        conn.execute(
            "SELECT officer_id, s_name, old_unit_code, new_unit_code FROM staging_diff "
            "WHERE old_unit_code IS NOT new_unit_code ORDER BY old_unit_code, new_unit_code, row"
        ),
    )
    _stream(
        log,
        "retired" if retire_missing else "missing",
        conn.execute(f"SELECT o.officer_id, o.name, o.unit_code {_MISSING} ORDER BY o.unit_code, o.name"),
    )
    report.missing = log.counts["missing"]
    _stream(
        log,
        "reactivated",
        conn.execute(
            "SELECT officer_id, s_name, new_unit_code, retired_at FROM staging_diff WHERE active = 0 ORDER BY row"
        ),
    )
    report.updated = conn.execute("SELECT COUNT(*) FROM staging_diff WHERE changed = 1").fetchone()[0]
    report.unchanged = conn.execute("SELECT COUNT(*) FROM staging").fetchone()[0] - report.added - report.updated


def _record_changes(conn: sqlite3.Connection, compare: list[str], stamp: int, run_id: int | None) -> None:
    """Every changed field (unit and reactivation too) to history (the summary has them already)."""
    history = (
        _HISTORY + "SELECT officer_id, '{f}', CAST(old_{f} AS TEXT), CAST(new_{f} AS TEXT), ?, ? FROM staging_diff "
        "WHERE old_{f} IS NOT new_{f} ORDER BY officer_id"
    )
    for f in compare:
        conn.execute(history.format(f=f), (stamp, run_id))
    conn.execute(history.format(f="unit_code"), (stamp, run_id))
    conn.execute(
        _HISTORY + "SELECT officer_id, 'active', CAST(active AS TEXT), '1', ?, ? FROM staging_diff "
        "WHERE active IS NOT 1 ORDER BY officer_id",
        (stamp, run_id),
    )


BULK_LOAD_ROWS = 100_000  # a first import at least this big builds the roster's other indexes afterwards


def _upsert(conn: sqlite3.Connection, modes: dict[str, str], stamp: int, added: int) -> None:
    """Write new and changed officers (an unchanged officer's upsert would rewrite the same values),
    in identifier order so the primary key index grows at its end; then HR's joining dates.

    Two statements: the new officers by a plain insert (none can conflict: staging holds each
    identifier once, the anti-join leaves out the known ones, and the write transaction keeps other
    writers out), then the changed ones by an upsert. As one statement, the ``NOT EXISTS ... OR IN``
    condition kept PostgreSQL from an anti-join (it filtered each staged row against a hash of the
    whole roster) and put every new row through the upsert's speculative insertion.

    A first import of :data:`BULK_LOAD_ROWS` officers or more into an empty roster drops the
    indexes that enforce nothing (``officers_unit``) and builds them again after the insert, as a
    bulk load does: inserted in identifier order, the primary key grows at its end, but the unit
    index would take each row at a random place (on PostgreSQL half the insert's time). It is all
    inside the one write transaction: a failure rolls the indexes back with the rows."""
    from ..store.dialects import engine_of_connection, secondary_indexes

    rebuild: list[tuple[str, str]] = []
    if added >= BULK_LOAD_ROWS and conn.execute("SELECT 1 FROM officers LIMIT 1").fetchone() is None:
        rebuild = list(conn.execute(secondary_indexes(engine_of_connection(conn)), ("officers",)))
        for name, _sql in rebuild:
            conn.execute(f'DROP INDEX "{name}"')
    conn.execute(
        _NEW_COLUMNS + "FROM staging s JOIN unit_map m ON m.name = s.unit "
        "WHERE NOT EXISTS (SELECT 1 FROM officers o WHERE o.officer_id = s.officer_id) ORDER BY s.officer_id",
        (stamp, stamp),
    )
    if rebuild:
        from ..store.bigjob import index_build_memory

        with index_build_memory(conn):
            for _name, sql in rebuild:
                conn.execute(sql)
    sets = ", ".join(
        f"{f} = " + {"set": f"excluded.{f}", "keep_empty": f"COALESCE(excluded.{f}, officers.{f})"}[m]
        for f in COMPARE
        if (m := modes.get(f, "set")) != "absent"
    )
    conn.execute(
        _NEW_COLUMNS + "FROM staging s JOIN unit_map m ON m.name = s.unit "
        "WHERE s.officer_id IN (SELECT officer_id FROM staging_diff) ORDER BY s.officer_id "
        f"ON CONFLICT (officer_id) DO UPDATE SET {sets}, "
        "unit_code = excluded.unit_code, active = 1, retired_at = NULL, "
        "updated_at = CASE WHEN officers.name IS NOT excluded.name OR officers.unit_code IS NOT excluded.unit_code "
        "OR officers.position IS NOT excluded.position OR officers.active = 0 THEN excluded.updated_at "
        "ELSE officers.updated_at END",
        (stamp, stamp),
    )
    conn.execute(  # HR's joining dates (TMT), when the sheet had them: the snapshot's "joined"
        "INSERT INTO roster_joined (officer_id, joined) SELECT officer_id, joined FROM staging_joined WHERE true "
        "ON CONFLICT (officer_id) DO UPDATE SET joined = excluded.joined"
    )


_NEW_COLUMNS = (
    "INSERT INTO officers (officer_id, id_type, name, gelar_depan, gelar_belakang, position, unit_code, "
    "sub_unit, rank, status, nik, email, active, retired_at, first_seen_at, updated_at) "
    "SELECT s.officer_id, s.id_type, s.name, s.gelar_depan, s.gelar_belakang, s.position, m.code, "
    "s.sub_unit, s.rank, s.status, s.nik, s.email, 1, NULL, ?, ? "
)


class DryRun(Exception):
    """Raised inside the transaction so a dry run rolls back everything it computed."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
