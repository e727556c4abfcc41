"""A compliance report as a pure function of signed inputs (docs/compliance.md).

Inputs: one signed roster snapshot, one signed trust bundle (with its revocations), each
terminal log up to one signed checkpoint, the pledge reference and the as-of day. Nothing else is
read: no local roster row, flag, import time or attestation row. Any workspace holding the same
inputs computes the same JSON, byte for byte; the JSON names its inputs and carries a digest of
itself, so ``ikrar report verify`` can recompute it elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import InputError, NotFoundError, TrustError, UsageError, VerificationError
from ..i18n import _
from ..keys.keyfiles import canonical_json, fingerprint, key_id
from .report import end_of_day
from .streamed import Result, Status, UnitTotals, render_json

__all__ = ["FORMAT", "Inputs", "LogInput", "Result", "Status", "compute", "document_digest", "gather", "gather_for",
           "render_json", "resolve_pledge", "signed_bundle", "today_in"]

if TYPE_CHECKING:
    from ..keys.trust import TrustBundle
    from ..roster.snapshot_stream import SnapshotHead
    from ..workspace import Workspace
    from .spool import Spool

FORMAT = "ikrar-compliance-report/1"
CHUNK = 5000
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class LogInput:
    log_id: str
    terminal: str
    size: int
    root: bytes
    note: str
    origin: str
    key_name: str
    public_key: bytes


@dataclass
class Inputs:
    """The signed inputs of a report; the snapshot's officers on the roster on ``as_of`` are in
    ``spool`` (verified as they were read: ``roster/snapshot_stream.py``)."""

    snapshot: SnapshotHead
    bundle: TrustBundle
    logs: list[LogInput]
    pledge_id: str
    pledge_version: int | None
    as_of: str
    unit: str | None
    spool: Spool

    @property
    def pledge_ref(self) -> str:
        return self.pledge_id if self.pledge_version is None else f"{self.pledge_id}@{self.pledge_version}"

    def to_object(self, signed_sessions: dict[str, bool]) -> dict[str, Any]:
        data = self.bundle.to_json_bytes()
        signer = json.loads(data)["signature"]["kid"]
        return {
            "roster_snapshot": self.snapshot.digest,
            "roster_snapshot_as_of": self.snapshot.as_of,
            "trust_bundle": {
                "authority": fingerprint(self.bundle.authority_keys[bytes.fromhex(signer)]),
                "serial": self.bundle.serial,
                "sha256": hashlib.sha256(data).hexdigest(),
            },
            "logs": [
                {"log": x.log_id, "terminal": x.terminal, "size": x.size, "root": x.root.hex(),
                 "sessions_signed": signed_sessions.get(x.log_id, False)}
                for x in self.logs
            ],
        }  # fmt: skip


def document_digest(doc: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json({k: v for k, v in doc.items() if k != "digest"})).hexdigest()


# ------------------------------------------------------------------------------ gathering inputs
def _check_day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(_("--as-of {value!r} is not a date", value=value), _("write YYYY-MM-DD")) from None


def signed_bundle(ws: Workspace, *, serial: int | None = None, sha256: str | None = None) -> TrustBundle:
    """The signed bundle a report uses (the latest, or the one named), checked on this read:
    against this workspace's own authority key or its pinned fingerprints. Never swallowed."""
    from ..keys.trust import parse_bundle_bytes
    from ..keys.trustpolicy import accepted_fingerprints

    pins = accepted_fingerprints(ws)  # the one rule: pinned authorities, and its own key when it holds it
    with ws.store.read() as conn:
        rows = conn.execute(
            "SELECT serial, bundle FROM trust_bundles ORDER BY serial DESC, accepted_at DESC"
        ).fetchall()
    if serial is not None:
        rows = [r for r in rows if r[0] == serial and hashlib.sha256(bytes(r[1])).hexdigest() == sha256]
    if not rows:
        if serial is not None:
            raise NotFoundError(
                _("Trust bundle serial {serial} is not in this workspace", serial=serial),
                _("get that bundle from the authority and run 'ikrar trust add FILE'"),
            )
        raise NotFoundError(
            _("No signed trust bundle in this workspace"),
            _(
                "the authority runs 'ikrar trust export'; others run 'ikrar trust add FILE --fingerprint FP'"
            ),
        )
    if not pins:
        raise TrustError(
            _("No authority is trusted in this workspace yet"),
            _("give the authority's fingerprint: ikrar trust add FILE --fingerprint SHA256:…"),
        )
    return parse_bundle_bytes(bytes(rows[0][1]), ws.db_path, pins)


def resolve_pledge(bundle: TrustBundle, ref: str) -> tuple[str, int | None, str]:
    """(id, version or None, title) from the bundle's templates, never from local files."""
    pid, _sep, ver = ref.partition("@")
    found = sorted(
        (p for p in bundle.pledges.values() if p.id == pid and (not ver or str(p.version) == ver)),
        key=lambda p: p.version,
    )
    if not found:
        raise NotFoundError(
            _("Pledge {ref} is not in the trust bundle", ref=ref), _("see 'ikrar trust show' for the templates")
        )
    return pid, int(ver) if ver else None, str(found[-1].canonical["title"])


def _log_inputs(ws: Workspace, bundle: TrustBundle, wanted: dict[str, tuple[int, str]] | None) -> list[LogInput]:
    """Each log at its latest signed checkpoint (or at the size and root named in ``wanted``)."""
    from ..ledger.checkpoint import verify_checkpoint

    out = []
    with ws.store.read() as conn:
        logs = conn.execute("SELECT log_id, origin, public_key, key_name FROM logs ORDER BY log_id").fetchall()
        have = {r[0] for r in logs}
        for log_id in sorted(set(wanted or {}) - have):
            raise NotFoundError(
                _("Log {log} is not in this workspace", log=log_id),
                _("merge that terminal's export first: ikrar ledger merge FILE"),
            )
        for log_id, origin, pub, key_name in logs:
            if wanted is not None and log_id not in wanted:
                continue
            if wanted is not None:
                size, root_hex = wanted[log_id]
                row = conn.execute(
                    "SELECT note FROM checkpoints WHERE log_id = ? AND size = ? AND root = ?",
                    (log_id, size, bytes.fromhex(root_hex)),
                ).fetchone()
                if row is None:
                    raise NotFoundError(
                        _("This workspace has no signed checkpoint of log {log} at size {size}", log=log_id,
                          size=size),
                        _("merge that terminal's export first: ikrar ledger merge FILE"),
                    )  # fmt: skip
            else:
                row = conn.execute(
                    "SELECT note FROM checkpoints WHERE log_id = ? ORDER BY size DESC, created_at DESC LIMIT 1",
                    (log_id,),
                ).fetchone()
                if row is None:
                    continue  # nothing signed yet: nothing of this log counts
            pub = bytes(pub)
            cert = bundle.terminals.get(bytes.fromhex(log_id))
            if cert is None or key_id(pub).hex() != log_id or cert.public_key != pub:
                raise TrustError(
                    _("Log {log} is not of a terminal certified in trust bundle serial {serial}", log=log_id,
                      serial=bundle.serial),
                    _("use the authority's latest bundle: ikrar trust add FILE"),
                )  # fmt: skip
            cp = verify_checkpoint(row[0], key_name, pub)
            if cp.origin != origin:
                raise VerificationError(_("A checkpoint of log {log} names another log", log=log_id), None,
                                        code="bad_checkpoint_signature")  # fmt: skip
            out.append(LogInput(log_id, cert.name, cp.size, cp.root, row[0], origin, key_name, pub))
    return out


def gather(
    ws: Workspace, pledge_ref: str, as_of: str, *, unit: str | None = None, snapshot: str | None = None
) -> Inputs:
    from ..keys.trust import build_live_bundle, is_authority_workspace

    day = _check_day(as_of)
    if is_authority_workspace(ws):
        build_live_bundle(ws)  # every certificate row must carry the authority's signature, or nothing runs
    bundle = signed_bundle(ws)
    pid, ver, _title = resolve_pledge(bundle, pledge_ref)
    snap, spool = _spooled(ws, day, digest=snapshot, as_of=day)
    try:
        return Inputs(snap, bundle, _log_inputs(ws, bundle, None), pid, ver, day, unit, spool)
    except BaseException:
        spool.close()
        raise


def _spooled(ws: Workspace, day: str, **which: str | None) -> tuple[SnapshotHead, Spool]:
    """The snapshot, verified as it streams; its officers on the roster on ``day`` go to a spool."""
    from ..roster.snapshot_stream import read_stored
    from .spool import Spool

    spool = Spool(day)
    try:
        return read_stored(ws, spool.officer, **which), spool
    except BaseException:
        spool.close()
        raise


def gather_for(ws: Workspace, doc: dict[str, Any]) -> Inputs:
    """The very inputs a report names, from this workspace (``report verify``)."""
    try:
        inp = doc["inputs"]
        tb = inp["trust_bundle"]
        bundle = signed_bundle(ws, serial=int(tb["serial"]), sha256=str(tb["sha256"]))
        wanted = {str(x["log"]): (int(x["size"]), str(x["root"])) for x in inp["logs"]}
        pid, _sep, ver = str(doc["pledge"]).partition("@")
        day = _check_day(str(doc["as_of"]))
        snap, spool = _spooled(ws, day, digest=str(inp["roster_snapshot"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputError(_("Not an ikrar compliance report (its inputs are missing)"),
                         _("give the file written by 'ikrar report compliance --json'")) from None  # fmt: skip
    try:
        if snap.digest != inp["roster_snapshot"]:
            raise NotFoundError(_("Roster snapshot {digest} is not in this workspace", digest=inp["roster_snapshot"]),
                                _("get it from the authority and run 'ikrar roster accept FILE'"))  # fmt: skip
        logs = _log_inputs(ws, bundle, wanted)
        return Inputs(snap, bundle, logs, pid, int(ver) if ver else None, day, doc.get("unit_filter"), spool)
    except (KeyError, TypeError, ValueError, AttributeError):
        spool.close()
        raise InputError(_("Not an ikrar compliance report (its inputs are missing)"),
                         _("give the file written by 'ikrar report compliance --json'")) from None  # fmt: skip
    except BaseException:
        spool.close()
        raise


# ------------------------------------------------------------------------------ computing
def compute(ws: Workspace, inputs: Inputs, progress: Progress | None = None) -> Result:
    from ..ledger.merkle import StreamingRoot, leaf_hash
    from ..receipts.receipt import receipt_from_cose
    from ..receipts.verify import Verifier
    from ..receipts.verify_pool import ahead_entries, close, pooled
    from ..recitation.sessions import OPEN, decode_record, is_record
    from ..zones import zone as tz

    snap, bundle = inputs.snapshot, inputs.bundle
    zone = snap.timezone
    cutoff = end_of_day(date.fromisoformat(inputs.as_of), zone)
    # receipt_code: every check of verify_receipt, only the reason code; by helper processes ahead of this loop
    check = pooled(Verifier(bundle))
    pid, ver = inputs.pledge_id, inputs.pledge_version
    spool = inputs.spool  # officer -> earliest (time, log, index, method), on disk
    last_session: dict[str | None, str] = {}  # unit (None: all units) -> local day of the latest session
    signed = {log.log_id: False for log in inputs.logs}
    revoked = not_valid = done = 0
    total = sum(x.size for x in inputs.logs)
    stream, expected = StreamingRoot(), 0
    # one stream over every log, so the helpers' work runs on from one log into the next (a reader per
    # log waited for every answer at each log's end: 1,000 logs of 5,000 entries at national scale)
    for log, idx, leaf in ahead_entries(check, _log_entries(ws, inputs.logs), _receipt_leaf):
        if idx == END_OF_LOG:
            if expected != log.size or stream.root() != log.root:
                raise VerificationError(
                    _("Log {log} does not match its signed checkpoint at size {size}: the stored entries were "
                      "changed", log=log.log_id, size=log.size),
                    _("run 'ikrar ledger verify' to find the entry; merge the terminal's export again"),
                    code="root_mismatch",
                )  # fmt: skip
            stream, expected = StreamingRoot(), 0
            continue
        if idx != expected:
            raise VerificationError(_("Entry {index} of log {log} is missing", index=expected, log=log.log_id),
                                    _("run 'ikrar ledger verify'"), code="gap")  # fmt: skip
        expected += 1
        stream.add(leaf_hash(leaf))
        if is_record(leaf):
            rec = decode_record(leaf)
            signed[log.log_id] = True
            rpid, _sep, rver = str(rec["pledge"]).rpartition("@") if rec["type"] == OPEN else ("", "", "")
            if rec["type"] == OPEN and rpid == pid and (ver is None or int(rver) == ver) and rec["at"] <= cutoff:
                from datetime import datetime

                day = datetime.fromtimestamp(rec["at"], tz=tz(zone)).date().isoformat()
                key = rec["unit"]
                last_session[key] = max(last_session.get(key, day), day)
            continue
        r = receipt_from_cose(leaf)
        c = r.claims
        if c.pledge_id != pid or (ver is not None and c.pledge_version != ver) or c.issued_at > cutoff:
            continue
        code = check.receipt_code(r)
        if code != "valid":
            if code in ("receipt_revoked", "key_revoked"):
                revoked += 1
            else:
                not_valid += 1
            continue
        spool.first(c.officer_id, c.issued_at, log.log_id, idx, c.method)
        done += 1
        if progress and done % CHUNK == 0:
            progress(done, total)
    close(check)
    return _tally(inputs, last_session, signed, revoked, not_valid)


END_OF_LOG = -1  # the index of the item that ends a log's entries in _log_entries


def _log_entries(ws: Workspace, logs: list[LogInput]) -> Iterator[tuple[LogInput, int, bytes]]:
    """(log, index, leaf) of every entry of ``logs`` in order, each log's ended by (log, END_OF_LOG, b"").
    A log whose stored entries end early is ended there (its root check then fails). The chunks of
    all logs are one read-ahead (``store/overlap.py`` ``chunks_ahead``): on PostgreSQL the server
    reads the next log's first chunk while this process works on the last one's end (a read-ahead
    per log waited for each log's first chunk: 1,000 times in a national report)."""
    from ..store.overlap import chunks_ahead

    def chunks(read: Callable[[], Any]) -> Iterator[list[Any]]:
        for log in logs:
            last = -1
            while last + 1 < log.size:
                with read() as conn:
                    rows = conn.execute(
                        "SELECT idx, leaf FROM ledger_entries WHERE log_id = ? AND idx > ? AND idx < ? "
                        "ORDER BY idx LIMIT ?",
                        (log.log_id, last, log.size, CHUNK),
                    ).fetchall()
                if not rows:
                    break
                yield [log, rows]
                last = int(rows[-1][0])
            yield [log, None]

    for log, rows in chunks_ahead(ws.store, chunks):
        if rows is None:
            yield log, END_OF_LOG, b""
            continue
        for idx, leaf in rows:
            yield log, int(idx), bytes(leaf)


def _receipt_leaf(entry: tuple[LogInput, int, bytes]) -> bytes | None:
    from ..recitation.sessions import is_record

    return None if entry[1] == END_OF_LOG or is_record(entry[2]) else entry[2]


def _tally(
    inputs: Inputs, last_session: dict[str | None, str], signed: dict[str, bool], revoked: int, not_valid: int
) -> Result:
    snap, spool = inputs.snapshot, inputs.spool
    units = snap.units
    if inputs.unit is not None:
        match = [c for c, n in units.items() if inputs.unit.casefold() in (c.casefold(), n.casefold())]
        if not match:
            raise NotFoundError(_("Unit {unit} is not in the roster", unit=inputs.unit), _("see 'ikrar roster units'"))
        units = {match[0]: units[match[0]]}
    unit_day: dict[str, str | None] = {}
    for code in units:
        days = [d for d in (last_session.get(code), last_session.get(None)) if d is not None]
        unit_day[code] = max(days) if days else None
    spool.finish(unit_day)
    totals = [UnitTotals(code, units[code], active, ind, coll, later, unit_day[code])
              for code, active, ind, coll, later in spool.aggregates() if code in units and active]  # fmt: skip
    ordered = sorted(totals, key=lambda u: (u.coverage, -u.missing, u.name.casefold(), u.code))
    total = UnitTotals(
        "*", "", sum(u.active for u in ordered), sum(u.individual for u in ordered),
        sum(u.collective for u in ordered), sum(u.joined_later for u in ordered), None,
    ).counts()  # fmt: skip
    for k in ("missing_staff", "joined_later_staff", "unit", "unit_name", "last_session_at"):
        total.pop(k)
    unlisted = spool.unlisted()
    title = resolve_pledge(inputs.bundle, inputs.pledge_ref)[2]
    institution = str(snap.body["institution"]["name"])
    head: dict[str, Any] = {
        "format": FORMAT,
        "institution": institution,
        "pledge": inputs.pledge_ref,
        "pledge_title": title,
        "as_of": inputs.as_of,
        "timezone": snap.timezone,
        "units": None,  # written unit by unit (streamed.Result)
        "totals": total,
        "attested_not_on_roster": unlisted,
        "revoked_receipts_left_out": revoked,
        "unit_filter": next(iter(units)) if inputs.unit is not None else None,
        "receipts_not_valid": not_valid,
        "inputs": inputs.to_object(signed),
    }
    return Result(head, ordered, spool, inputs.pledge_ref, inputs.as_of,
                  (institution, inputs.pledge_ref, title, snap.timezone, unlisted, revoked))  # fmt: skip


def today_in(zone: str) -> str:
    """Today's date in the institution's zone (the default as-of day; the report records it)."""
    from datetime import datetime

    from ..zones import zone as tz

    return datetime.now(tz(zone)).date().isoformat()
