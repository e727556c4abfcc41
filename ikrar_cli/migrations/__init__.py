"""Named, recorded schema migrations.

Each module ``mNNNN_<name>.py`` in this package defines ``NAME`` (the recorded name)
and ``SQL`` (statements separated by ';'), or an ``up(conn)`` function. They are
applied in file order, each in its own transaction, and recorded in
``schema_migrations`` with the time they ran. A database that records a migration
this version of ikrar does not know was made by a newer ikrar and is refused.
"""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
import time
from typing import TYPE_CHECKING

from ..errors import StorageError
from ..i18n import _

if TYPE_CHECKING:
    from ..store.core import Store


def known_migrations() -> list[tuple[str, object]]:
    mods = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("m"))
    out: list[tuple[str, object]] = []
    for name in mods:
        module = importlib.import_module(f"{__name__}.{name}")
        out.append((module.NAME, module))
    return out


def _run(conn: sqlite3.Connection, module: object) -> None:
    up = getattr(module, "up", None)
    if up is not None:
        up(conn)
        return
    for statement in module.SQL.split(";"):  # type: ignore[attr-defined]
        if statement.strip():
            conn.execute(statement)


def apply_migrations(store: Store) -> list[str]:
    conn = store.conn
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ( name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
    applied = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    known = known_migrations()
    unknown = applied - {name for name, _m in known}
    if unknown:
        raise StorageError(
            _(
                "The workspace {path} was written by a newer ikrar (migration {name})",
                path=store.path,
                name=sorted(unknown)[0],
            ),
            _("upgrade ikrar to open this workspace"),
        )
    ran = []
    for name, module in known:
        if name in applied:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # another process may have applied it while we waited for the lock
            if conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("COMMIT")
                continue
            _run(conn, module)
            conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, int(time.time())))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        ran.append(name)
    return ran


def pending_migrations(store: Store) -> list[str]:
    """Names this ikrar knows that the database has not applied (for read-only workspaces)."""
    applied = {r[0] for r in store.conn.execute("SELECT name FROM schema_migrations")}
    return [name for name, _m in known_migrations() if name not in applied]
