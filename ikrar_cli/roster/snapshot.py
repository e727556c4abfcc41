"""Signed, content-addressed roster snapshots: who must pledge, as the authority states it.

``ikrar roster publish --as-of DATE`` at the authority turns its roster into a snapshot: per
officer the identifier, unit code, status, the date they joined (HR's date when the roster has
one, else the as-of date of the first snapshot that listed them, never a local import time) and
the date they left. Reports read snapshots only, never the local roster tables. Format:
docs/roster-snapshot.md.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InputError, NotFoundError, UsageError
from ..i18n import _
from ..keys.signeddoc import content_digest, open_document, trusted_authorities

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .snapshot_stream import SnapshotHead

FORMAT = "ikrar-roster-snapshot/1"
KIND = "snapshot"
#: ``type`` of the statement an ``Ed25519-statement`` signature signs (docs/roster-snapshot.md)
STATEMENT_TYPE = "ikrar-roster-snapshot-signature/1"


@dataclass(frozen=True)
class SnapshotOfficer:
    id: str
    id_type: str
    name: str
    unit: str
    status: str
    joined: str
    joined_from: str
    left: str | None

    def to_object(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "id_type": self.id_type,
            "name": self.name,
            "unit": self.unit,
            "status": self.status,
            "joined": self.joined,
            "joined_from": self.joined_from,
            "left": self.left,
        }

    def on_roster(self, day: str) -> bool:
        """Expected to pledge on ``day`` (YYYY-MM-DD): joined on or before it and not left by then."""
        return self.joined <= day and (self.left is None or self.left > day)


class SnapshotFields:
    """The header fields of a verified snapshot's ``body`` (shared by the whole and the streamed reader)."""

    body: dict[str, Any]

    @property
    def as_of(self) -> str:
        return str(self.body["as_of"])

    @property
    def serial(self) -> int:
        return int(self.body["serial"])

    @property
    def timezone(self) -> str:
        return str(self.body["timezone"])

    @property
    def units(self) -> dict[str, str]:
        return dict(self.body["units"])

    @property
    def scope(self) -> list[str] | None:
        return self.body["scope"]


@dataclass
class Snapshot(SnapshotFields):
    digest: str
    body: dict[str, Any]
    file: bytes
    authority_kid: bytes

    def officers(self) -> list[SnapshotOfficer]:
        return [
            SnapshotOfficer(o["id"], o["id_type"], o["name"], o["unit"], o["status"], o["joined"], o["joined_from"],
                            o["left"])
            for o in self.body["officers"]
        ]  # fmt: skip

    def summary(self) -> dict[str, Any]:
        offs = self.body["officers"]
        return {
            "digest": self.digest,
            "as_of": self.as_of,
            "serial": self.serial,
            "scope": self.scope,
            "institution": self.body["institution"]["name"],
            "units": len(self.body["units"]),
            "officers": len(offs),
            "active": sum(1 for o in offs if o["status"] == "active"),
        }


def _check_day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(_("--as-of {value!r} is not a date", value=value), _("write YYYY-MM-DD")) from None


def _validate(body: Any, where: object) -> None:
    """Every field an outsider relies on, with its type (docs/roster-snapshot.md)."""
    try:
        ok = (
            body["format"] == FORMAT
            and isinstance(body["serial"], int)
            and isinstance(body["units"], dict)
            and isinstance(body["officers"], list)
            and (body["scope"] is None or isinstance(body["scope"], list))
        )
        date.fromisoformat(body["as_of"])
        ids = [o["id"] for o in body["officers"]]
        for o in body["officers"]:
            ok = ok and o["status"] in ("active", "left") and o["unit"] in body["units"]
            ok = ok and o["joined_from"] in ("hr", "snapshot")
            date.fromisoformat(o["joined"])
            if o["left"] is not None:
                date.fromisoformat(o["left"])
        ok = ok and ids == sorted(set(ids))
    except (KeyError, TypeError, ValueError, AttributeError):
        ok = False
    if not ok:
        raise InputError(
            _("{path}: not a valid roster snapshot", path=where), _("ask the authority for a fresh copy")
        )


def parse_snapshot(data: bytes, where: object, authorities: dict[bytes, bytes]) -> Snapshot:
    body, kid = open_document(data, KIND, where, authorities, statement_type=STATEMENT_TYPE)
    _validate(body, where)
    return Snapshot(content_digest(body), body, data, kid)


def _store(conn: sqlite3.Connection, snap: Snapshot) -> None:
    """A snapshot held in memory (a terminal package's) stored in parts (``snapshot_write``)."""
    from .snapshot_write import store_bytes

    store_bytes(conn, digest=snap.digest, authority=snap.authority_kid, serial=snap.serial, as_of=snap.as_of,
                scope=snap.scope, data=snap.file)  # fmt: skip


def body_head(
    conn: Any, *, institution: dict[str, str], zone: str, as_of: str, scope: list[str] | None
) -> dict[str, Any]:
    """Every field of a snapshot body but the officers; refuses a full snapshot dated before the
    last one (inside a read or write transaction)."""
    prev = conn.execute(
        "SELECT digest, serial, as_of FROM roster_snapshots WHERE scope IS NULL AND authority = "
        "(SELECT lower(hex(kid)) FROM keys WHERE role = 'authority' AND file IS NOT NULL) "
        "ORDER BY serial DESC LIMIT 1"
    ).fetchone()
    if prev is not None and as_of < prev[2] and scope is None:
        raise ConflictError(
            _("Snapshot {serial} is already as of {day}; a snapshot cannot go back in time", serial=prev[1],
              day=prev[2]),
            _("publish with --as-of {day} or later", day=prev[2]),
        )  # fmt: skip
    units = {c: n for c, n in conn.execute("SELECT code, name FROM unit_registry")}
    units.update({c: n for c, n in conn.execute("SELECT code, name FROM units")})
    return {
        "format": FORMAT,
        "institution": institution,
        "timezone": zone,
        "as_of": as_of,
        "serial": (prev[1] if prev else 0) + 1 if scope is None else (prev[1] if prev else 0),
        "previous": prev[0] if prev else None,
        "scope": scope,
        "units": dict(sorted(units.items())),
    }


def build_body(
    conn: sqlite3.Connection, *, institution: dict[str, str], zone: str, as_of: str, scope: list[str] | None
) -> dict[str, Any]:
    """The authority's roster as a snapshot body (inside a read or write transaction), whole in
    memory: the reference ``publish`` is checked against (``snapshot_write`` writes the same bytes
    as a stream) and bench/national_publish_ab.py; not for national rosters."""
    head = body_head(conn, institution=institution, zone=zone, as_of=as_of, scope=scope)
    first = dict(conn.execute("SELECT officer_id, as_of FROM roster_first_listed"))
    hr = dict(conn.execute("SELECT officer_id, joined FROM roster_joined"))  # TMT from HR's sheet
    officers = []
    for oid, id_type, front, name, back, unit, active, retired in conn.execute(
        "SELECT officer_id, id_type, gelar_depan, name, gelar_belakang, unit_code, active, retired_at FROM officers "
        "ORDER BY officer_id"
    ):
        if scope is not None and unit not in scope:
            continue
        listed = first.get(oid)
        if not active and listed is None:
            continue  # never on a published roster: nobody ever expected a pledge from them
        full = f"{front} {name}" if front else name
        full = f"{full}, {back}" if back else full
        joined = hr.get(oid) or listed or as_of
        left = None if active else min(max(retired or as_of, joined), as_of)
        officers.append(
            {"id": oid, "id_type": id_type, "name": full, "unit": unit, "status": "active" if active else "left",
             "joined": joined, "joined_from": "hr" if oid in hr else "snapshot", "left": left}
        )  # fmt: skip
    return {**head, "officers": officers}


def publish(ws: Workspace, passphrase: bytes, as_of: str, *, scope: list[str] | None = None) -> SnapshotHead:
    """Sign and store a snapshot of this authority's roster as of ``as_of``, in bounded memory
    (``snapshot_write.publish``); the file is read back with ``snapshot_write.export_stored``."""
    from .snapshot_write import publish as streamed

    return streamed(ws, passphrase, as_of, scope=scope)


def accept(ws: Workspace, data: bytes, where: object) -> Snapshot:
    """Store a snapshot signed by an authority this workspace trusts (checked here and on every read)."""
    with ws.store.read() as conn:
        auths = trusted_authorities(conn)
    if not auths:
        raise NotFoundError(
            _("No authority is trusted in this workspace yet"),
            _("first: ikrar trust add BUNDLE --fingerprint SHA256:…"),
        )
    snap = parse_snapshot(data, where, auths)
    with ws.store.transaction() as conn:
        _store(conn, snap)
    return snap


def accept_file(ws: Workspace, path: Path) -> SnapshotHead:
    """``roster accept FILE`` in bounded memory: verified as it streams, stored in parts."""
    from .snapshot_write import accept_file as streamed

    return streamed(ws, path)


def chosen_digest(conn: Any, *, digest: str | None, as_of: str | None) -> str:
    """The stored snapshot a report reads: by digest (prefix), else the newest full one as of ``as_of``."""
    if digest is not None:
        want = digest if digest.startswith("sha256:") else "sha256:" + digest
        rows = conn.execute("SELECT digest FROM roster_snapshots WHERE digest LIKE ? || '%'", (want,)).fetchall()
        if len(rows) != 1:
            raise NotFoundError(
                _("Roster snapshot {digest} is not in this workspace", digest=digest),
                _("get it from the authority and run 'ikrar roster accept FILE'"),
            )
        return str(rows[0][0])
    rows = conn.execute(
        "SELECT digest FROM roster_snapshots WHERE scope IS NULL AND as_of <= ? "
        "ORDER BY as_of DESC, serial DESC LIMIT 1",
        (as_of or "9999-12-31",),
    ).fetchall()
    if not rows:
        raise NotFoundError(
            _("No roster snapshot as of {day} in this workspace", day=as_of or "-"),
            _("the authority publishes one with 'ikrar roster publish --as-of DATE'; others run "
              "'ikrar roster accept FILE'"),
        )  # fmt: skip
    return str(rows[0][0])


def check_read_back(stored: str, read: str) -> None:
    """The digest of what was read must be the one the snapshot is stored under."""
    if read != stored:
        raise ConflictError(
            _("The stored roster snapshot {digest} was altered", digest=stored),
            _("accept the authority's file again with 'ikrar roster accept FILE'"),
        )


def load(ws: Workspace, *, digest: str | None = None, as_of: str | None = None) -> Snapshot:
    """The snapshot a report uses: by digest (prefix), else the newest full one as of ``as_of``.
    Its signature is checked again on this read. Whole in memory (a terminal package's): reports
    and everything at national scale read ``snapshot_stream.read_stored`` instead."""
    from .snapshot_write import stored_file

    with ws.store.read() as conn:
        auths = trusted_authorities(conn)
        stored = chosen_digest(conn, digest=digest, as_of=as_of)
        data = stored_file(conn, stored)
    snap = parse_snapshot(data, "roster_snapshots", auths)
    check_read_back(stored, snap.digest)
    return snap


def list_snapshots(ws: Workspace) -> list[dict[str, Any]]:
    with ws.store.read() as conn:
        rows = conn.execute(
            "SELECT digest, serial, as_of, scope, coalesce(size, length(file)) FROM roster_snapshots "
            "ORDER BY as_of, serial"
        ).fetchall()
    return [{"digest": d, "serial": s, "as_of": a, "scope": sc.split(",") if sc else None, "bytes": n}
            for d, s, a, sc, n in rows]  # fmt: skip
