"""A token that changes whenever the roster (``officers`` or ``units``) is written, so that a roster
import can summarise its changes in a read snapshot, without the write lock, and apply them in a
short write transaction only if nothing changed the roster in between (docs/ledger-export.md,
"Staging and locks").

Every write transaction that writes ``officers`` or ``units`` calls :func:`bump` (roster import,
unit code renames and moves, a kiosk's roster install). The token lives in ``meta``
(``roster_version``): a random value, so no arithmetic differs between the engines, and a workspace
from before it simply has none yet (``None``, which the first bump replaces).
"""

from __future__ import annotations

import secrets
import sqlite3

KEY = "roster_version"


def current(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (KEY,)).fetchone()
    return None if row is None else str(row[0])


def bump(conn: sqlite3.Connection) -> None:
    """Inside a write transaction that changes the roster: a new token."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (KEY, secrets.token_hex(8)),
    )


def unit_map_read_only(conn: sqlite3.Connection, names: list[str]) -> dict[str, str] | None:
    """name -> code when every unit name already has its code in place (``assign_unit_codes`` would
    then write nothing), else None: minting or moving a code needs the write lock."""
    registry = {n: c for c, n in conn.execute("SELECT code, name FROM unit_registry")}
    local = {n: c for c, n in conn.execute("SELECT code, name FROM units")}
    out: dict[str, str] = {}
    for name in names:
        code = local.get(name)
        if code is None or registry.get(name) != code:
            return None
        out[name] = code
    return out
