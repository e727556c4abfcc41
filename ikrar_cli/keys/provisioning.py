"""Terminal provisioning: one signed file from the authority sets a terminal up, and updates it.

``ikrar terminal package NAME`` (authority) signs one file holding the latest exported trust
bundle (keys, certificates, revocations, unit registry, pledge templates), the terminal's own
certificate, the roster snapshot (whole, or only the terminal's unit) and the template files
(package_templates.py). ``ikrar terminal setup FILE`` on the terminal checks all of it against the
pinned authority before writing anything, then installs it; run again with a newer package to
update. Format: docs/roster-snapshot.md, "Terminal package".
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InputError, NotFoundError, TrustError
from ..i18n import _
from ..store.core import now
from .keyfiles import TerminalCertificate, fingerprint
from .signeddoc import content_digest, open_document, sign_document

if TYPE_CHECKING:
    from ..workspace import Workspace

FORMAT = "ikrar-terminal-package/1"
KIND = "package"


def _certificate(conn: sqlite3.Connection, name: str) -> TerminalCertificate:
    for (body,) in conn.execute("SELECT body FROM certificates ORDER BY created_at DESC"):
        cert = TerminalCertificate.from_dict(json.loads(body))
        if cert.name == name:
            return cert
    raise NotFoundError(
        _("No certificate for terminal {name}", name=name),
        _("certify its request first: ikrar key certify REQUEST.json"),
    )


def latest_signed_bundle(conn: sqlite3.Connection, authority_kid: bytes | None = None) -> bytes:
    if authority_kid is None:
        row = conn.execute("SELECT bundle FROM trust_bundles ORDER BY serial DESC, accepted_at DESC LIMIT 1").fetchone()
    else:
        row = conn.execute(
            "SELECT bundle FROM trust_bundles WHERE authority_kid = ? ORDER BY serial DESC LIMIT 1", (authority_kid,)
        ).fetchone()
    if row is None:
        raise NotFoundError(_("No signed trust bundle in this workspace"), _("run 'ikrar trust export' first"))
    return bytes(row[0])


def scoped_snapshot_body(body: dict[str, Any], units: list[str]) -> dict[str, Any]:
    """The same snapshot restricted to some units (for a terminal that serves only those)."""
    out = dict(body)
    out["scope"] = sorted(units)
    out["officers"] = [o for o in body["officers"] if o["unit"] in units]
    return out


def package(ws: Workspace, passphrase: bytes, name: str, *, whole: bool = False) -> tuple[bytes, dict[str, Any]]:
    """Sign the provisioning file for terminal ``name``; returns (file bytes, summary)."""
    from ..pledges.templates import PledgeLibrary
    from ..roster.snapshot import KIND as SNAP
    from ..roster.snapshot import STATEMENT_TYPE, Snapshot, _store, load
    from ..roster.snapshot_stream import read_stored
    from .keyfiles import load_authority_signer
    from .package_templates import package_entries
    from .trust import parse_bundle_bytes

    key, info = load_authority_signer(ws, passphrase)
    with ws.store.read() as conn:
        cert = _certificate(conn, name)
        bundle_file = latest_signed_bundle(conn, info.kid)
    cert.verify(info.public_key)
    bundle = parse_bundle_bytes(bundle_file, "trust_bundles", [fingerprint(info.public_key)])
    if bundle.terminals.get(cert.kid) != cert:
        raise ConflictError(
            _("The latest trust bundle (serial {serial}) does not hold terminal {name}'s certificate",
              serial=bundle.serial, name=name),
            _("export a new bundle first: ikrar trust export"),
        )  # fmt: skip
    templates = package_entries(PledgeLibrary.load(ws.config.extra_template_dirs), bundle)
    if cert.unit and not whole:
        # the unit's officers only, from the stored snapshot verified as it streams (a national
        # snapshot is never held whole here); --whole embeds the whole file, so it holds it
        unit = cert.unit
        kept: list[dict[str, Any]] = []
        head = read_stored(ws, lambda o: kept.append(o) if o["unit"] == unit else None)
        if unit not in head.units:
            raise NotFoundError(
                _("Unit {unit} of terminal {name} is not in the roster snapshot", unit=unit, name=name),
                _("use --whole, or publish a snapshot that has the unit"),
            )
        body = scoped_snapshot_body(dict(head.body, officers=kept), [unit])
        signed = sign_document(SNAP, body, key.sign, info.kid, statement_type=STATEMENT_TYPE)
        snap = Snapshot(content_digest(body), body, signed, info.kid)
        with ws.store.transaction() as conn:
            _store(conn, snap)
    else:
        snap = load(ws)
    doc = {
        "format": FORMAT,
        "terminal": name,
        "certificate": cert.to_dict(),
        "trust_bundle": bundle_file.decode("utf-8"),
        "roster_snapshot": snap.file.decode("utf-8"),
        "templates": templates,
        "issued_at": now(),
    }
    summary = {
        "terminal": name,
        "bundle_serial": bundle.serial,
        "snapshot": snap.digest,
        "scope": snap.scope,
        "officers": len(snap.body["officers"]),
        "templates": [t["ref"] for t in templates],
    }
    return sign_document(KIND, doc, key.sign, info.kid), summary


def setup(ws: Workspace, path: Path, fp: str | None) -> dict[str, Any]:
    """Install (or update) a terminal from its package, checked against the pinned authority.

    Everything is checked before anything is written: the bundle (pinned or given fingerprint),
    the package signature, the certificate, the snapshot and every template against the bundle."""
    from ..fsutil import read_input_bytes
    from ..roster.snapshot import accept, parse_snapshot
    from .keyfiles import import_certificate
    from .package_templates import check_entries, install
    from .trust import parse_bundle_bytes, pin_and_accept, wanted_fingerprints

    data = read_input_bytes(path, limit=500_000_000)
    wanted = wanted_fingerprints(
        ws, fp, _("give the authority's fingerprint: ikrar terminal setup FILE --fingerprint SHA256:…")
    )
    try:
        inner = json.loads(data.decode("utf-8"))[KIND]
        bundle_bytes = inner["trust_bundle"].encode("utf-8")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise InputError(
            _("{path}: not an ikrar terminal package", path=path), _("ask the authority for the file")
        ) from None
    bundle = parse_bundle_bytes(bundle_bytes, path, wanted)
    authorities = {k: p for k, p in bundle.authority_keys.items() if fingerprint(p) in set(wanted)}
    body, _kid = open_document(data, KIND, path, authorities)
    if body.get("format") != FORMAT:
        raise InputError(_("{path}: not an ikrar terminal package", path=path), _("ask the authority for the file"))
    cert = TerminalCertificate.from_dict(body["certificate"])
    issuer = bundle.authority_keys.get(cert.issuer_kid)
    if issuer is None:
        raise TrustError(_("Certificate of terminal {name} names another key", name=cert.name),
                         _("certify the terminal again"))  # fmt: skip
    cert.verify(issuer)
    snapshot_file = body["roster_snapshot"].encode("utf-8")
    parse_snapshot(snapshot_file, path, authorities)  # checked now: accepted below, after the bundle is pinned
    plans = check_entries(ws, bundle, body.get("templates"), path)
    state = pin_and_accept(ws, bundle, bundle_bytes, path)  # the same steps as 'ikrar trust add'
    import_certificate(ws, cert)
    snap = accept(ws, snapshot_file, path)
    added, left = install_roster(ws, snap.body)
    templates = install(ws, plans)
    return {
        "terminal": cert.name,
        "unit": cert.unit,
        "bundle_serial": bundle.serial,
        "bundle": state,
        "snapshot": snap.digest,
        "officers": added,
        "left": left,
        "templates": templates["installed"],
        "templates_present": templates["present"],
    }


def install_roster(ws: Workspace, body: dict[str, Any]) -> tuple[int, int]:
    """The kiosk's roster becomes the snapshot's: listed officers active, the rest inactive."""
    from ..roster.unitregistry import receive

    stamp = now()
    with ws.store.transaction() as conn:
        from ..roster.roster_version import bump

        bump(conn)  # an import summarised meanwhile must look again
        receive(conn, body["units"])
        for code in sorted({o["unit"] for o in body["officers"]}):
            conn.execute("INSERT INTO units (code, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         (code, body["units"][code]))  # fmt: skip
        rows = [
            (o["id"], o["id_type"], o["name"], o["unit"], 1 if o["status"] == "active" else 0, o["left"], stamp)
            for o in body["officers"]
        ]
        conn.executemany(
            "INSERT INTO officers (officer_id, id_type, name, unit_code, active, retired_at, first_seen_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?7) ON CONFLICT (officer_id) DO UPDATE SET "
            "id_type = excluded.id_type, name = excluded.name, gelar_depan = NULL, gelar_belakang = NULL, "
            "unit_code = excluded.unit_code, active = excluded.active, retired_at = excluded.retired_at, "
            "updated_at = excluded.updated_at",
            rows,
        )
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS listed (officer_id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM listed")
        conn.executemany("INSERT INTO listed VALUES (?)", [(r[0],) for r in rows])
        gone = conn.execute(
            "UPDATE officers SET active = 0, retired_at = COALESCE(retired_at, ?) WHERE active = 1 AND "
            "officer_id NOT IN (SELECT officer_id FROM listed)",
            (body["as_of"],),
        ).rowcount
    return sum(1 for r in rows if r[4]), gone + sum(1 for r in rows if not r[4])
