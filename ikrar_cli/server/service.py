"""What the centre's HTTP API does, without HTTP (docs/server.md): the Starlette app in ``app.py``
only moves bytes between a request and these functions, so tests and other front ends can call
them directly. Every function opens the workspace's store per thread (SQLite connections are not
shared between threads; PostgreSQL works the same way through ``pgstore``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    ConflictError,
    IkrarError,
    InputError,
    NotFoundError,
    StorageError,
    TrustError,
    VerificationError,
)
from ..i18n import _
from ..sync.auth import AuthError, Identity, verify_request

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from ..keys.trust import TrustBundle
    from ..ledger.checkpoint import Checkpoint
    from ..reports.compliance import Result as ComplianceResult
    from ..workspace import Workspace

MAX_PUSH_BYTES = 64 * 1024 * 1024
BUNDLE_TTL = 10.0  # seconds a built trust bundle is reused (docs/server.md)


@dataclass
class Answer:
    """An HTTP answer: status, JSON body (or text), content type."""

    status: int
    body: Any
    content_type: str = "application/json"


def error_answer(exc: IkrarError) -> Answer:
    status = 400
    if isinstance(exc, AuthError):
        status = exc.status
    elif isinstance(exc, NotFoundError):
        status = 404
    elif isinstance(exc, ConflictError):
        status = 409
    elif isinstance(exc, VerificationError | InputError):
        status = 422
    elif isinstance(exc, TrustError):
        status = 403
    elif isinstance(exc, StorageError):
        status = 503  # the database is busy or unreachable: the terminal retries with backoff
    return Answer(status, {"error": exc.to_dict()})


class Central:
    """The central workspace as the API sees it."""

    def __init__(self, home: Path, bundle_ttl: float = BUNDLE_TTL):
        self.home = home
        self._local = threading.local()
        self._lock = threading.Lock()
        self._bundle: tuple[float, TrustBundle] | None = None
        self.bundle_ttl = bundle_ttl

    def workspace(self) -> Workspace:
        ws = getattr(self._local, "ws", None)
        if ws is None:
            from ..workspace import Workspace

            ws = self._local.ws = Workspace.open(self.home)
        return ws

    def bundle(self) -> TrustBundle:
        """The trust bundle requests and pushes are checked against: built and verified again at most
        every ``bundle_ttl`` seconds (a new certificate or revocation applies within that time)."""
        import time

        from ..keys.trust import trusted_bundle

        with self._lock:
            cached = self._bundle
            if cached is not None and time.monotonic() - cached[0] < self.bundle_ttl:
                return cached[1]
        bundle = trusted_bundle(self.workspace())
        with self._lock:
            self._bundle = (time.monotonic(), bundle)
        return bundle

    def authenticate(self, headers: Mapping[str, str], method: str, path: str, body: bytes) -> tuple[Identity, Any]:
        """Check a signed request in its own short transaction (the nonce is kept even when the work
        that follows fails, so a replay is always refused)."""
        bundle = self.bundle()
        with self.workspace().store.transaction() as conn:
            ident = verify_request(bundle, headers, method, path, body, conn)
        return ident, bundle

    # -- push ------------------------------------------------------------------------------
    def push(self, headers: Mapping[str, str], path: str, body: bytes) -> Answer:
        from ..ledger.incremental import BehindError, IncrementMerger
        from ..receipts.verify import Verifier

        try:
            if len(body) > MAX_PUSH_BYTES:
                raise InputError(_("the push is larger than {n} bytes", n=MAX_PUSH_BYTES),
                                 _("push more often, or carry an export file"))  # fmt: skip
            ident, bundle = self.authenticate(headers, "POST", path, body)
            if ident.role != "terminal":
                raise AuthError(_("only a terminal key may push its log"), "not_a_terminal", 403)
            log_id = _peek_log(body)
            if log_id != ident.kid.hex():
                raise AuthError(_("a terminal may push only its own log"), "not_own_log", 403)
            merged = IncrementMerger(self.workspace(), Verifier(bundle)).merge_bytes(body, f"push:{log_id}")
        except BehindError as exc:
            return Answer(409, {"log": exc.log_id, "size": exc.centre_size, "error": exc.to_dict()})
        except IkrarError as exc:
            return error_answer(exc)
        return Answer(200, {"log": merged.log_id, "size": merged.size, "added": merged.added,
                            "already_merged": merged.known})  # fmt: skip

    # -- public reads ----------------------------------------------------------------------
    def trust_bundle(self) -> Answer:
        from ..reports.compliance import signed_bundle

        try:
            b = signed_bundle(self.workspace())
        except IkrarError as exc:
            return error_answer(exc)
        return Answer(200, b.signed_file or b"", "application/json")

    def logs(self) -> Answer:
        from ..ledger.incremental import iter_logs

        out = []
        for info, size, cp in iter_logs(self.workspace()):
            out.append({"log": info.log_id, "origin": info.origin, "size": size,
                        "checkpoint_size": cp.size if cp else None})  # fmt: skip
        return Answer(200, {"logs": out})

    def checkpoint(self, log_id: str) -> Answer:
        """The latest checkpoint note with the witnesses' cosignature lines the centre holds for it."""
        from ..witness.centre import note_with_cosignatures

        ws = self.workspace()
        cp = latest_checkpoint(ws, log_id)
        if cp is None:
            return error_answer(NotFoundError(_("Ledger log {log} not found", log=log_id), None))
        with ws.store.read() as conn:
            note = note_with_cosignatures(conn, log_id, cp)
        return Answer(200, note, "text/plain; charset=utf-8")

    def proof(self, log_id: str, index: int) -> Answer:
        from ..ledger.checkpoint import format_proof
        from ..ledger.log import Ledger
        from ..witness.centre import note_with_cosignatures

        ws = self.workspace()
        lg = Ledger(ws.store)
        with ws.store.read() as conn:
            cp = lg.latest_checkpoint(conn, log_id)
            if cp is None or not 0 <= index < cp.size:
                return error_answer(NotFoundError(
                    _("No signed checkpoint of log {log} covers entry {index}", log=log_id, index=index),
                    _("the terminal has not pushed it yet; try again later")))  # fmt: skip
            note = note_with_cosignatures(conn, log_id, cp)  # cosigned: a --witness-policy can be checked
            text = format_proof(index, lg.inclusion_proof(conn, log_id, index, cp.size), note)
        return Answer(200, text, "text/plain; charset=utf-8")

    def roster_snapshot(self) -> Answer:
        from ..roster.snapshot import list_snapshots

        snaps = [s for s in list_snapshots(self.workspace()) if s["scope"] is None]
        if not snaps:
            return error_answer(NotFoundError(_("No roster snapshot in this workspace"), None))
        s = snaps[-1]
        return Answer(200, {"digest": s["digest"], "serial": s["serial"], "as_of": s["as_of"]})

    # -- HR --------------------------------------------------------------------------------
    def hr(self, headers: Mapping[str, str], path: str) -> None:
        """A report holds personal data: only a request signed by an authority key of the bundle."""
        ident, _bundle = self.authenticate(headers, "GET", path, b"")
        if ident.role != "hr":
            raise AuthError(_("reports are for HR: sign with the authority key"), "not_hr", 403)

    def compliance(self, headers: Mapping[str, str], path: str, pledge: str, as_of: str | None,
                   unit: str | None, snapshot: str | None = None) -> Answer:  # fmt: skip
        from ..reports.compliance import compute, gather, today_in

        try:
            self.hr(headers, path)
            ws = self.workspace()
            inputs = gather(ws, pledge, as_of or today_in(ws.config.timezone), unit=unit, snapshot=snapshot)
            result = compute(ws, inputs)
        except IkrarError as exc:
            return error_answer(exc)
        return Answer(200, _streamed(result), "application/json")

    def officer(self, headers: Mapping[str, str], path: str, officer_id: str) -> Answer:
        """``ikrar report officer --json``: everything one officer acknowledged, with the receipts."""
        from ..keys.trustpolicy import officer_view
        from ..roster.identifiers import clean

        try:
            self.hr(headers, path)
            oid = "".join(clean(officer_id).split())
            if not oid:
                raise InputError(_("The identifier is empty"), _("fill in the NIP, NI PPPK or NIK"))
            data = officer_view(self.workspace(), oid)
        except IkrarError as exc:
            return error_answer(exc)
        return Answer(200, data)


def _streamed(result: ComplianceResult) -> Iterator[bytes]:
    """The report's JSON (byte for byte ``report compliance --json``) as it is written, unit by
    unit from the report's spool, which is removed once the last piece is sent (or the client
    went away and the generator is closed)."""
    try:
        yield from result.iter_json()
    finally:
        result.close()


def latest_checkpoint(ws: Workspace, log_id: str) -> Checkpoint | None:
    """A log's latest checkpoint as the centre holds it (served with its cosignature lines appended)."""
    from ..ledger.log import Ledger

    with ws.store.read() as conn:
        return Ledger(ws.store).latest_checkpoint(conn, log_id)


def _peek_log(body: bytes) -> str:
    """The log an incremental export names (its first line), checked fully by the merge."""
    import json

    first = body.split(b"\n", 1)[0]
    try:
        head = json.loads(first)
    except (UnicodeDecodeError, ValueError):
        head = None
    if not isinstance(head, dict) or not isinstance(head.get("log"), str):
        raise InputError(_("the body is not an ikrar incremental ledger export"),
                         _("send the output of 'ikrar ledger export --since'"))  # fmt: skip
    return head["log"]
