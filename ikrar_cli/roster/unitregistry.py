"""The authority's unit registry: every unit code ever assigned, to one unit name, forever.

The authority mints codes (on roster import, or ``roster unit-code``) and never gives a code
that was once used to another unit. Every other workspace receives the registry from the signed
trust bundle (``units``) or the terminal package and cannot mint: a roster naming a unit the
registry does not know is refused, so a receipt's unit code means the same OPD everywhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from ..errors import ConflictError
from ..i18n import _


def receives_codes(conn: sqlite3.Connection) -> bool:
    """True when this workspace got its codes from an authority (it may not mint its own)."""
    is_authority = conn.execute("SELECT 1 FROM keys WHERE role = 'authority' AND file IS NOT NULL").fetchone()
    return not is_authority and bool(conn.execute("SELECT 1 FROM unit_registry WHERE received = 1").fetchone())


def assign_unit_codes(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, str]:
    """Inside the import transaction: name -> code for every unit name, minting only at the authority.

    The units are in place when this returns, before any officer row is written: new units and
    new registry entries go in with one statement each, and only a unit whose code changes (or
    whose code another unit holds) is moved one by one with the foreign key deferred, which is
    switched back to immediate at the end, so the import's officers are checked as they are written
    (PostgreSQL queues a deferred check per row until COMMIT: bench/README.md, issue 17).
    """
    from .importer import derive_unit_code

    registry = {n: c for c, n in conn.execute("SELECT code, name FROM unit_registry")}
    local = {n: c for c, n in conn.execute("SELECT code, name FROM units")}
    local_codes = set(local.values())
    receiving = receives_codes(conn)
    taken = {c for (c,) in conn.execute("SELECT code FROM unit_registry UNION SELECT code FROM units")}
    out: dict[str, str] = {}
    minted: list[tuple[str, str]] = []  # new registry entries, in the order of the names
    added: list[tuple[str, str]] = []  # new local units whose code no local unit holds
    moved = False
    for name in names:
        code = registry.get(name) if receiving else local.get(name) or registry.get(name)
        if code is None:
            if receiving:
                raise ConflictError(
                    _("Unit {unit} is not in the authority's unit registry", unit=name),
                    _("unit codes are assigned by the authority: ask it to add the unit and send a new bundle"),
                )
            code = derive_unit_code(name, taken)
            taken.add(code)
            minted.append((code, name))
        elif not receiving and name not in registry:
            minted.append((code, name))
        if local.get(name) != code:
            if name not in local and code not in local_codes:
                added.append((code, name))
            else:
                _place(conn, code, name)
                moved = True
        out[name] = code
    if minted:  # a code already in the registry (minted meanwhile under another name) stays as it was
        conn.executemany(
            "INSERT INTO unit_registry (code, name, received) VALUES (?, ?, 0) ON CONFLICT (code) DO NOTHING", minted
        )
    if added:
        conn.executemany("INSERT INTO units (code, name) VALUES (?, ?)", added)
    if moved:
        conn.execute("PRAGMA defer_foreign_keys = OFF")  # units placed: check officers as they are written
    return out


def _place(conn: sqlite3.Connection, code: str, name: str) -> None:
    """Make the local ``units`` row of ``name`` carry ``code`` (moving its officers along)."""
    from .roster_version import bump

    bump(conn)  # an import summarised meanwhile must look again
    conn.execute("PRAGMA defer_foreign_keys = ON")
    row = conn.execute("SELECT code FROM units WHERE name = ?", (name,)).fetchone()
    clash = conn.execute("SELECT name FROM units WHERE code = ?", (code,)).fetchone()
    if clash is not None and clash[0] != name:  # a locally minted code of another unit: park it
        parked = f"~{code}"[:8] if not row else row[0]
        conn.execute("UPDATE units SET code = ? WHERE code = ?", (parked, code))
        conn.execute("UPDATE officers SET unit_code = ? WHERE unit_code = ?", (parked, code))
    if row is None:
        conn.execute("INSERT INTO units (code, name) VALUES (?, ?)", (code, name))
    else:
        conn.execute("UPDATE units SET code = ? WHERE name = ?", (code, name))
        conn.execute("UPDATE officers SET unit_code = ? WHERE unit_code = ?", (code, row[0]))


def check_new_code(conn: sqlite3.Connection, name: str, new_code: str) -> None:
    """``roster unit-code``: only the authority renames, and never to a code once used elsewhere."""
    if receives_codes(conn):
        raise ConflictError(
            _("Unit codes are assigned by the authority; this workspace cannot change them"),
            _("ask the authority to change the code and send a new bundle"),
        )
    row = conn.execute("SELECT name FROM unit_registry WHERE code = ?", (new_code,)).fetchone()
    if row is not None and row[0] != name:
        raise ConflictError(
            _("Unit code {code} was once given to {unit} and is never reused", code=new_code, unit=row[0]),
            _("choose another code"),
        )


def record_code(conn: sqlite3.Connection, code: str, name: str) -> None:
    conn.execute(
        "INSERT INTO unit_registry (code, name, received) VALUES (?, ?, 0) ON CONFLICT (code) DO NOTHING", (code, name)
    )


def receive(conn: sqlite3.Connection, units: Mapping[str, str]) -> None:
    """Take the authority's registry (from a verified bundle or package); local codes follow it."""
    if conn.execute("SELECT 1 FROM keys WHERE role = 'authority' AND file IS NOT NULL").fetchone():
        return
    from .roster_version import bump

    bump(conn)  # the codes an import summarised meanwhile may differ now
    for code, name in sorted(units.items()):
        conn.execute(
            "INSERT INTO unit_registry (code, name, received) VALUES (?, ?, 1) "
            "ON CONFLICT (code) DO UPDATE SET name = excluded.name, received = 1",
            (code, name),
        )
        if conn.execute("SELECT 1 FROM units WHERE name = ?", (name,)).fetchone():
            _place(conn, code, name)
    conn.execute("DELETE FROM unit_registry WHERE received = 0")
