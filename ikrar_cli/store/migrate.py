"""``ikrar db migrate-to``: move a SQLite workspace's records into PostgreSQL, verified.

All or nothing: the target's schema is made by the same named migrations, then every table is
copied with COPY inside ONE transaction on the target (foreign keys checked at its end); before
that transaction commits, the row count of every table must equal the source's and every
ledger log must verify on the target (tree recomputed from its entries, checkpoints signed by
the log's key) with the same root as on the source. Any difference rolls everything back. Only
then is ``database:`` written into ikrar.yaml; the SQLite file stays where it was, untouched,
as the copy to fall back on.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConflictError, IkrarError, StorageError, VerificationError
from ..i18n import _
from . import dialects

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .postgres import PgConnection, PgStore

BATCH = 5000


@dataclass
class MigrationReport:
    target: str
    tables: dict[str, int] = field(default_factory=dict)
    logs: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # the merged tables under the names their readers use (migration 0019's views)
        names = {table: view for view, table in dialects.VIEW_TABLES.items()}
        tables = {names.get(t, t): n for t, n in self.tables.items()}
        return {"target": self.target, "tables": tables, "logs": self.logs, "verified": True}


def _tables(conn: sqlite3.Connection) -> list[str]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'schema_migrations' ORDER BY name"
        )
    ]
    # parents first (units before officers, logs before entries, sessions before attestations):
    # PostgreSQL checks these keys at the end of each statement, not deferred to the commit
    # (migrations m0018, m0020)
    first = ("units", "log_rows", "session_rows")
    return sorted(names, key=lambda name: first.index(name) if name in first else len(first))


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def migrate_to(
    ws: Workspace, url: str, *, password: str | None = None, progress: Callable[[str, int], None] | None = None
) -> MigrationReport:
    """Copy ``ws`` (on SQLite) into the empty PostgreSQL database at ``url``; verify; switch."""
    from ..ledger.log import Ledger
    from .postgres import PgStore

    source = ws.store
    if source.engine != dialects.SQLITE:
        raise ConflictError(
            _("This workspace already keeps its records in {url}", url=source.path),
            _("migrate-to moves a SQLite workspace; use pg_dump to copy between PostgreSQL servers"),
        )
    target = PgStore(url, password=password)
    report = MigrationReport(dialects.redact_url(url))
    try:
        pg = cast("PgConnection", target.conn)
        want = _source_ledger(Ledger(source))
        with source.read() as src:
            tables = _tables(src)
            src_migrations = {r[0] for r in src.execute("SELECT name FROM schema_migrations")}
            dst_migrations = {r[0] for r in pg.raw.execute("SELECT name FROM schema_migrations")}
            if src_migrations != dst_migrations:  # pragma: no cover - both were migrated by this ikrar
                raise StorageError(
                    _("The schemas of {a} and {b} differ", a=source.path, b=target.path),
                    _("open both with the same version of ikrar"),
                )
            with target.transaction():
                _refuse_non_empty(target, pg, tables)
                pg.raw.execute("SET CONSTRAINTS ALL DEFERRED")
                for table in tables:
                    report.tables[table] = _copy_table(src, pg, table)
                    if progress:
                        progress(table, report.tables[table])
                    _reset_identity(pg, table)
                _check_counts(src, pg, report, target)
                _check_ledger(want, Ledger(target), report)
    except IkrarError:
        target.close()
        raise
    except sqlite3.Error as exc:
        target.close()
        from .core import _storage_error

        raise _storage_error(target.path, exc) from exc
    target.close()
    _switch_config(ws, url)
    return report


def _refuse_non_empty(target: PgStore, pg: PgConnection, tables: list[str]) -> None:
    for table in tables:
        if pg.raw.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
            raise ConflictError(
                _("The database {url} already holds ikrar records (table {table})", url=target.path, table=table),
                _("migrate into a new, empty database"),
            )


def _copy_table(src: sqlite3.Connection, pg: PgConnection, table: str) -> int:
    """COPY the rows of one table, a batch at a time (bounded memory)."""
    cols = _columns(src, table)
    names = ", ".join(cols)
    n = 0
    cur = src.execute(f"SELECT {names} FROM {table}")
    with pg.raw.cursor() as pcur, pcur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        while rows := cur.fetchmany(BATCH):
            for row in rows:
                copy.write_row(row)
            n += len(rows)
    return n


def _reset_identity(pg: PgConnection, table: str) -> None:
    """The next generated id continues after the copied ones (as SQLite's rowid would)."""
    row = pg.raw.execute(
        "SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname = %s AND a.attname = 'id' AND a.attidentity <> '' AND pg_table_is_visible(c.oid)",
        (table,),
    ).fetchone()
    if row and re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        pg.raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
        )


def _check_counts(src: sqlite3.Connection, pg: PgConnection, report: MigrationReport, target: PgStore) -> None:
    for table, copied in report.tables.items():
        want = src.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        got = pg.raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if not want == got == copied:
            raise VerificationError(
                _(
                    "Table {table}: {want} rows in the workspace but {got} in {url}; nothing was kept",
                    table=table,
                    want=want,
                    got=got,
                    url=target.path,
                ),
                _("check the server's log, then run the migration again"),
            )


def _source_ledger(source: Any) -> dict[str, tuple[int, bytes]]:
    """(size, root) of every log of the workspace, as its own verification computes them."""
    with source.store.read() as conn:
        logs = source.logs(conn)
    out = {}
    for info in logs:
        rep = source.verify_log(info.log_id)
        out[info.log_id] = (rep.size, rep.root)
    return out


def _check_ledger(want: dict[str, tuple[int, bytes]], target: Any, report: MigrationReport) -> None:
    with target.store.read() as conn:
        logs = target.logs(conn)
    if sorted(info.log_id for info in logs) != sorted(want):
        raise VerificationError(
            _("The ledger logs on the target differ from the workspace's; nothing was kept"),
            _("run 'ikrar ledger verify' on the workspace first"),
        )
    for info in logs:
        got = target.verify_log(info.log_id)
        if not got.ok or (got.size, got.root) != want[info.log_id]:
            why = got.problems[0].message if got.problems else _("root differs from the workspace's")
            raise VerificationError(
                _("Ledger log {log} does not verify on the target: {why}; nothing was kept", log=info.log_id, why=why),
                _("run 'ikrar ledger verify' on the workspace first"),
            )
        report.logs[info.log_id] = got.size


def _switch_config(ws: Workspace, url: str) -> None:
    """Point ikrar.yaml at the new database (address without password; password to its file)."""
    from ..fsutil import atomic_write_text
    from ..workspace import PASSWORD_NAME
    from .setup import check_database_url, save_password

    bare = check_database_url(url)
    save_password(ws.root / PASSWORD_NAME, url)
    text = ws.config_path.read_text(encoding="utf-8")
    line = f"database: {bare}"
    if re.search(r"(?m)^database:.*$", text):
        text = re.sub(r"(?m)^database:.*$", lambda _m: line, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n# Where the records are kept (ikrar db migrate-to)\n" + line + "\n"
    atomic_write_text(ws.config_path, text)
