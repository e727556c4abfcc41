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
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import InputError, NotFoundError, TrustError, UsageError, VerificationError
from ..i18n import _
from ..keys.keyfiles import canonical_json, fingerprint, key_id
from ..roster.snapshot import Snapshot
from .report import ComplianceReport, StaffLine, UnitCompliance, end_of_day

if TYPE_CHECKING:
    from ..keys.trust import TrustBundle
    from ..workspace import Workspace

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
    snapshot: Snapshot
    bundle: TrustBundle
    logs: list[LogInput]
    pledge_id: str
    pledge_version: int | None
    as_of: str
    unit: str | None = None

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


@dataclass
class Status:
    """Why an expected officer has the status they have (for ``report verify``)."""

    state: str  # pledged | missing | joined_later
    detail: str = ""


@dataclass
class Result:
    report: ComplianceReport
    document: dict[str, Any]
    status: dict[str, Status] = field(default_factory=dict)
    unit_of: dict[str, str] = field(default_factory=dict)

    def json_bytes(self) -> bytes:
        return render_json(self.document)


def render_json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


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
    from ..roster.snapshot import load

    day = _check_day(as_of)
    if is_authority_workspace(ws):
        build_live_bundle(ws)  # every certificate row must carry the authority's signature, or nothing runs
    bundle = signed_bundle(ws)
    pid, ver, _title = resolve_pledge(bundle, pledge_ref)
    snap = load(ws, digest=snapshot, as_of=day)
    return Inputs(snap, bundle, _log_inputs(ws, bundle, None), pid, ver, day, unit)


def gather_for(ws: Workspace, doc: dict[str, Any]) -> Inputs:
    """The very inputs a report names, from this workspace (``report verify``)."""
    from ..roster.snapshot import load

    try:
        inp = doc["inputs"]
        tb = inp["trust_bundle"]
        bundle = signed_bundle(ws, serial=int(tb["serial"]), sha256=str(tb["sha256"]))
        wanted = {str(x["log"]): (int(x["size"]), str(x["root"])) for x in inp["logs"]}
        pid, _sep, ver = str(doc["pledge"]).partition("@")
        snap = load(ws, digest=str(inp["roster_snapshot"]))
        if snap.digest != inp["roster_snapshot"]:
            raise NotFoundError(_("Roster snapshot {digest} is not in this workspace", digest=inp["roster_snapshot"]),
                                _("get it from the authority and run 'ikrar roster accept FILE'"))  # fmt: skip
        return Inputs(snap, bundle, _log_inputs(ws, bundle, wanted), pid, int(ver) if ver else None,
                      _check_day(str(doc["as_of"])), doc.get("unit_filter"))  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputError(_("Not an ikrar compliance report (its inputs are missing)"),
                         _("give the file written by 'ikrar report compliance --json'")) from None  # fmt: skip


# ------------------------------------------------------------------------------ computing
def _entries(ws: Workspace, log: LogInput) -> Iterator[tuple[int, bytes]]:
    last = -1
    while last + 1 < log.size:
        with ws.store.read() as conn:
            rows = conn.execute(
                "SELECT idx, leaf FROM ledger_entries WHERE log_id = ? AND idx > ? AND idx < ? ORDER BY idx LIMIT ?",
                (log.log_id, last, log.size, CHUNK),
            ).fetchall()
        if not rows:
            return
        for idx, leaf in rows:
            yield int(idx), bytes(leaf)
        last = int(rows[-1][0])


def compute(ws: Workspace, inputs: Inputs, progress: Progress | None = None) -> Result:
    from ..ledger.merkle import StreamingRoot, leaf_hash
    from ..receipts.receipt import receipt_from_cose
    from ..receipts.verify import Verifier
    from ..recitation.sessions import OPEN, decode_record, is_record
    from ..zones import zone as tz

    snap, bundle = inputs.snapshot, inputs.bundle
    zone = snap.timezone
    cutoff = end_of_day(date.fromisoformat(inputs.as_of), zone)
    verifier = Verifier(bundle, now=lambda: cutoff)
    pid, ver = inputs.pledge_id, inputs.pledge_version
    first: dict[str, tuple[int, str, int, str]] = {}  # officer -> (time, log, index, method)
    last_session: dict[str | None, str] = {}  # unit (None: all units) -> local day of the latest session
    signed: dict[str, bool] = {}
    revoked = not_valid = done = 0
    total = sum(x.size for x in inputs.logs)
    for log in inputs.logs:
        stream = StreamingRoot()
        expected = 0
        signed[log.log_id] = False
        for idx, leaf in _entries(ws, log):
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
            res = verifier.verify_receipt(r, with_details=False)
            if not res.valid:
                if res.code in ("receipt_revoked", "key_revoked"):
                    revoked += 1
                else:
                    not_valid += 1
                continue
            cand = (c.issued_at, log.log_id, idx, c.method)
            if c.officer_id not in first or cand < first[c.officer_id]:
                first[c.officer_id] = cand
            done += 1
            if progress and done % CHUNK == 0:
                progress(done, total)
        if expected != log.size or stream.root() != log.root:
            raise VerificationError(
                _("Log {log} does not match its signed checkpoint at size {size}: the stored entries were changed",
                  log=log.log_id, size=log.size),
                _("run 'ikrar ledger verify' to find the entry; merge the terminal's export again"),
                code="root_mismatch",
            )  # fmt: skip
    return _tally(inputs, first, last_session, signed, revoked, not_valid)


def _tally(
    inputs: Inputs, first: dict[str, tuple[int, str, int, str]], last_session: dict[str | None, str],
    signed: dict[str, bool], revoked: int, not_valid: int,
) -> Result:  # fmt: skip
    snap = inputs.snapshot
    units = snap.units
    if inputs.unit is not None:
        match = [c for c, n in units.items() if inputs.unit.casefold() in (c.casefold(), n.casefold())]
        if not match:
            raise NotFoundError(_("Unit {unit} is not in the roster", unit=inputs.unit), _("see 'ikrar roster units'"))
        units = {match[0]: units[match[0]]}
    out = {code: UnitCompliance(code, name) for code, name in units.items()}
    unit_day: dict[str, str | None] = {}
    for code in out:
        days = [d for d in (last_session.get(code), last_session.get(None)) if d is not None]
        unit_day[code] = max(days) if days else None
    status: dict[str, Status] = {}
    unit_of: dict[str, str] = {}
    expected_ids: set[str] = set()
    day = inputs.as_of
    for o in snap.officers():
        if not o.on_roster(day):
            continue
        expected_ids.add(o.id)
        u = out.get(o.unit)
        if u is None:
            continue
        unit_of[o.id] = o.unit
        u.active += 1
        got = first.get(o.id)
        if got is not None:
            if got[3] == "individual":
                u.individual += 1
            else:
                u.collective += 1
            status[o.id] = Status("pledged", _("receipt at entry {index} of log {log}", index=got[2], log=got[1][:8]))
            continue
        line = StaffLine(o.id, o.name, None, o.unit, 0)
        days = [d for d in (last_session.get(o.unit), last_session.get(None)) if d is not None]
        if days and o.joined > max(days):
            u.joined_later.append(line)
            status[o.id] = Status("joined_later", _("joined {joined}, after the last session ({day})",
                                                    joined=o.joined, day=max(days)))  # fmt: skip
        else:
            u.missing.append(line)
            status[o.id] = Status("missing", _("no valid receipt of {pledge} by the end of {day}",
                                               pledge=inputs.pledge_ref, day=day))  # fmt: skip
    for u in out.values():
        u.missing.sort(key=lambda s: (s.name.casefold(), s.officer_id))
        u.joined_later.sort(key=lambda s: (s.name.casefold(), s.officer_id))
    ordered = sorted((u for u in out.values() if u.active),
                     key=lambda u: (u.coverage, -len(u.missing), u.name.casefold(), u.code))  # fmt: skip
    unlisted = sum(1 for oid in first if oid not in expected_ids)
    title = resolve_pledge(inputs.bundle, inputs.pledge_ref)[2]
    rep = ComplianceReport(
        str(snap.body["institution"]["name"]), inputs.pledge_ref, title, date.fromisoformat(day), 0, snap.timezone,
        ordered, unlisted, revoked,
    )  # fmt: skip
    body = rep.to_dict()
    body.pop("generated_at", None)
    for u in body["units"]:
        u.pop("last_session_at")
        u["last_session"] = unit_day[u["unit"]]
    doc: dict[str, Any] = {"format": FORMAT}
    doc.update(body)
    doc["unit_filter"] = next(iter(units)) if inputs.unit is not None else None
    doc["receipts_not_valid"] = not_valid
    doc["inputs"] = inputs.to_object(signed)
    doc["digest"] = document_digest(doc)
    return Result(rep, doc, status, unit_of)



def today_in(zone: str) -> str:
    """Today's date in the institution's zone (the default as-of day; the report records it)."""
    from datetime import datetime

    from ..zones import zone as tz

    return datetime.now(tz(zone)).date().isoformat()
