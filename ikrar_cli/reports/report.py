"""Compliance per unit (OPD) and the record of one officer, computed from one read snapshot.

Who counts: an officer is *active* on the report date when they were on the roster then
(added on or before it, not retired before it). An active officer is *attested* when a
receipt of the pledge (any version, or the one asked for) was recorded for them on or before
the report date and the authority has not revoked it; the earliest such receipt decides the
method. An active officer without one is *joined later* when HR added them to the roster after
the last apel session of the pledge for their unit (or for all units): they could not have
taken part, so they are listed for a make-up session, not counted as failures. Everyone else is
*missing*. Coverage = attested / (active - joined later).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import NotFoundError
from ..i18n import _

__all__ = [
    "ComplianceReport",
    "StaffLine",
    "UnitCompliance",
    "compliance",
    "end_of_day",
    "officer_record",
]


@dataclass
class StaffLine:
    officer_id: str
    name: str
    position: str | None
    unit: str
    first_seen_at: int

    def to_dict(self) -> dict[str, Any]:
        return {"officer_id": self.officer_id, "name": self.name, "position": self.position, "unit": self.unit}


@dataclass
class UnitCompliance:
    code: str
    name: str
    active: int = 0
    individual: int = 0
    collective: int = 0
    joined_later: list[StaffLine] = field(default_factory=list)
    missing: list[StaffLine] = field(default_factory=list)
    last_session_at: int | None = None

    @property
    def attested(self) -> int:
        return self.individual + self.collective

    @property
    def expected(self) -> int:
        return self.active - len(self.joined_later)

    @property
    def coverage(self) -> float:
        """Attested share of those who could attend, 0.0-1.0 (1.0 when nobody could)."""
        return self.attested / self.expected if self.expected else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.code,
            "unit_name": self.name,
            "active": self.active,
            "attested": self.attested,
            "individual": self.individual,
            "collective": self.collective,
            "joined_later": len(self.joined_later),
            "missing": len(self.missing),
            "coverage_percent": round(self.coverage * 100, 1) if self.expected else None,
            "last_session_at": self.last_session_at,
            "missing_staff": [s.to_dict() for s in self.missing],
            "joined_later_staff": [s.to_dict() for s in self.joined_later],
        }


@dataclass
class ComplianceReport:
    institution: str
    pledge: str
    pledge_title: str
    as_of: date | None
    generated_at: int
    zone: str
    units: list[UnitCompliance]
    unlisted: int
    revoked: int

    @property
    def total(self) -> UnitCompliance:
        t = UnitCompliance("*", _("All units"))
        for u in self.units:
            t.active += u.active
            t.individual += u.individual
            t.collective += u.collective
            t.joined_later.extend(u.joined_later)
            t.missing.extend(u.missing)
        return t

    def to_dict(self) -> dict[str, Any]:
        total = self.total.to_dict()
        for k in ("missing_staff", "joined_later_staff", "unit", "unit_name", "last_session_at"):
            total.pop(k)
        return {
            "institution": self.institution,
            "pledge": self.pledge,
            "pledge_title": self.pledge_title,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "generated_at": self.generated_at,
            "timezone": self.zone,
            "units": [u.to_dict() for u in self.units],
            "totals": total,
            "attested_not_on_roster": self.unlisted,
            "revoked_receipts_left_out": self.revoked,
        }


def _full_name(front: str | None, name: str, back: str | None) -> str:
    out = f"{front} {name}" if front else name
    return f"{out}, {back}" if back else out


def end_of_day(day: date, zone: str) -> int:
    """The last second of ``day`` in ``zone``, as a Unix time."""
    from datetime import datetime, time, timedelta

    from ..zones import zone as tz

    return int((datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz(zone))).timestamp()) - 1


def compliance(
    conn: sqlite3.Connection,
    *,
    pledge_id: str,
    pledge_version: int | None,
    pledge_title: str,
    institution: str,
    zone: str,
    generated_at: int,
    unit: str | None = None,
    as_of: date | None = None,
    revoked: set[bytes] | frozenset[bytes] = frozenset(),
) -> ComplianceReport:
    """Call inside ``Store.read()`` so that every number comes from one snapshot."""
    cutoff = end_of_day(as_of, zone) if as_of else None
    units = {code: name for code, name in conn.execute("SELECT code, name FROM units")}
    if unit is not None:
        match = [c for c, n in units.items() if unit.casefold() in (c.casefold(), n.casefold())]
        if not match:
            raise NotFoundError(_("Unit {unit} is not in the roster", unit=unit), _("see 'ikrar roster units'"))
        units = {match[0]: units[match[0]]}
    ver_sql, params = (
        ("", [pledge_id]) if pledge_version is None else (" AND pledge_version = ?", [pledge_id, pledge_version])
    )

    # the last session of this pledge per unit (None = a session for every unit)
    last_session: dict[str | None, int] = {}
    for u, opened in conn.execute(
        f"SELECT unit_code, MAX(opened_at) FROM sessions WHERE pledge_id = ?{ver_sql}"
        + (" AND opened_at <= ?" if cutoff else "")
        + " GROUP BY unit_code",
        params + ([cutoff] if cutoff else []),
    ):
        last_session[u] = int(opened)

    # the earliest counted attestation per officer
    first: dict[str, str] = {}
    n_revoked = 0
    for oid, method, rid in conn.execute(
        f"SELECT officer_id, method, receipt_rid FROM attestations WHERE pledge_id = ?{ver_sql}"
        + (" AND attested_at <= ?" if cutoff else "")
        + " ORDER BY attested_at, log_id, ledger_idx",
        params + ([cutoff] if cutoff else []),
    ):
        if rid is not None and bytes(rid) in revoked:
            n_revoked += 1
            continue
        first.setdefault(oid, method)

    out = {code: UnitCompliance(code, name) for code, name in units.items()}
    for code, u in out.items():
        times = [t for t in (last_session.get(code), last_session.get(None)) if t is not None]
        u.last_session_at = max(times) if times else None
    on_roster: set[str] = set()
    day = as_of.isoformat() if as_of else None
    for oid, front, name, back, position, ucode, first_seen, active, retired in conn.execute(
        "SELECT officer_id, gelar_depan, name, gelar_belakang, position, unit_code, first_seen_at, active, retired_at "
        "FROM officers"
    ):
        on_roster.add(oid)
        if cutoff is None:
            if not active:
                continue
        elif first_seen > cutoff or (retired is not None and day is not None and retired <= day):
            continue
        u = out.get(ucode)
        if u is None:
            continue
        u.active += 1
        method = first.get(oid)
        if method == "individual":
            u.individual += 1
        elif method == "collective":
            u.collective += 1
        else:
            line = StaffLine(oid, _full_name(front, name, back), position, ucode, first_seen)
            if u.last_session_at is not None and first_seen > u.last_session_at:
                u.joined_later.append(line)
            else:
                u.missing.append(line)
    for u in out.values():
        u.missing.sort(key=lambda s: s.name.casefold())
        u.joined_later.sort(key=lambda s: s.name.casefold())
    ordered = sorted(
        (u for u in out.values() if u.active), key=lambda u: (u.coverage, -len(u.missing), u.name.casefold())
    )
    unlisted = sum(1 for oid in first if oid not in on_roster)
    ref = pledge_id if pledge_version is None else f"{pledge_id}@{pledge_version}"
    return ComplianceReport(institution, ref, pledge_title, as_of, generated_at, zone, ordered, unlisted, n_revoked)


# ------------------------------------------------------------------------------ one officer
def officer_record(conn: sqlite3.Connection, officer_id: str, revoked: set[bytes] | frozenset[bytes]) -> dict[str, Any]:
    """Everything one officer acknowledged, with the receipts, earliest first."""
    row = conn.execute(
        "SELECT o.officer_id, o.id_type, o.gelar_depan, o.name, o.gelar_belakang, o.position, o.unit_code, u.name, "
        "o.active, o.retired_at FROM officers o LEFT JOIN units u ON u.code = o.unit_code WHERE o.officer_id = ?",
        (officer_id,),
    ).fetchone()
    atts = conn.execute(
        "SELECT a.pledge_id, a.pledge_version, a.method, a.attested_at, a.unit_code, a.log_id, a.ledger_idx, "
        "a.receipt, a.receipt_rid, s.terminal_name, s.title, s.location, s.timezone, a.merged "
        "FROM attestations a JOIN sessions s ON s.id = a.session_id WHERE a.officer_id = ? "
        "ORDER BY a.attested_at, a.log_id, a.ledger_idx",
        (officer_id,),
    ).fetchall()
    if row is None and not atts:
        raise NotFoundError(
            _("Officer {id} is neither on the roster nor in any receipt", id=officer_id),
            _("check the number; see 'ikrar roster list'"),
        )
    seen: set[str] = set()
    records = []
    for pid, ver, method, at, ucode, log_id, idx, text, rid, terminal, title, location, tz, merged in atts:
        ref = f"{pid}@{ver}"
        is_revoked = rid is not None and bytes(rid) in revoked
        records.append(
            {
                "pledge": ref,
                "method": method,
                "attested_at": at,
                "timezone": tz,
                "unit": ucode,
                "terminal": terminal,
                "session_title": title,
                "location": location,
                "log": log_id,
                "index": idx,
                "merged": bool(merged),
                "revoked": is_revoked,
                "duplicate": ref in seen and not is_revoked,
                "receipt": text,
            }
        )
        if not is_revoked:
            seen.add(ref)
    officer = (
        {
            "officer_id": row[0],
            "id_type": row[1],
            "name": _full_name(row[2], row[3], row[4]),
            "position": row[5],
            "unit": row[6],
            "unit_name": row[7],
            "active": bool(row[8]),
            "retired_at": row[9],
        }
        if row
        else {"officer_id": officer_id, "on_roster": False}
    )
    return {"officer": officer, "attestations": records}
