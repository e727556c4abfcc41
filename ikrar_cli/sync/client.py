"""The terminal's side of online sync (docs/server.md): push what the centre has not acknowledged.

A push sends one incremental export per log (``ledger_incremental``) in a request signed by the
terminal's key (``sync_auth``). The centre answers 200 with the size it now holds, or 409 with the
size it holds when the push started elsewhere; the terminal then resends from that size. Network
failures are retried with exponential backoff, a bounded number of times per call; every attempt
and its outcome is kept in ``sync_state`` so ``ikrar ledger status`` can show it. Offline, nothing
else is affected: the kiosk keeps recording and the next push sends everything still due.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, IkrarError, StorageError, TrustError, UsageError, VerificationError
from ..i18n import _, get_language
from ..store.core import now
from ..testpoints import pause_point
from .auth import sign_request

if TYPE_CHECKING:
    from ..keys.keyfiles import TerminalSigner
    from ..workspace import Workspace

TIMEOUT = 30.0
MAX_PUSH_ENTRIES = 20_000  # one push at most (~6 MB); a longer backlog goes in pieces
MAX_RESENDS = 4  # 409 answers followed within one attempt


@dataclass
class PushResult:
    log_id: str
    url: str
    local_size: int
    acked_size: int
    added: int = 0
    attempts: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log_id, "url": self.url, "local_size": self.local_size, "acked_size": self.acked_size,
                "added": self.added, "attempts": self.attempts}  # fmt: skip


class Unreachable(StorageError):
    """The centre could not be reached (or answered 5xx): retried, then reported."""


def sync_url(ws: Workspace, url: str | None = None) -> str:
    """The centre's URL: given, or ``sync.url`` in ikrar.yaml."""
    sync = ws.config.raw.get("sync") if isinstance(ws.config.raw, dict) else None
    value = url or (sync.get("url") if isinstance(sync, dict) else None)
    if not value:
        raise UsageError(_("No centre URL to push to"), _("give URL, or set sync.url in ikrar.yaml"))
    parsed = urllib.parse.urlsplit(str(value))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(_("{url} is not an http(s) URL", url=value), _("e.g. https://ikrar.example.go.id"))
    return str(value).rstrip("/")


def configured_url(ws: Workspace) -> str | None:
    try:
        return sync_url(ws)
    except UsageError:
        return None


# ------------------------------------------------------------------------------ state
def acked_size(ws: Workspace, log_id: str, url: str) -> int:
    with ws.store.read() as conn:
        row = conn.execute("SELECT url, acked_size FROM sync_state WHERE log_id = ?", (log_id,)).fetchone()
    return int(row[1]) if row and row[0] == url else 0


def _record(ws: Workspace, log_id: str, url: str, *, acked: int | None, error: str | None) -> None:
    at = now()
    if acked is None:
        same = "CASE WHEN sync_state.url = excluded.url THEN sync_state"
        keep = f"acked_size = {same}.acked_size ELSE 0 END, acked_at = {same}.acked_at ELSE NULL END"
    else:
        keep = "acked_size = excluded.acked_size, acked_at = excluded.acked_at"
    with ws.store.transaction() as conn:
        conn.execute(
            "INSERT INTO sync_state (log_id, url, acked_size, acked_at, last_attempt, last_error) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (log_id) DO UPDATE SET " + keep + ", "
            "url = excluded.url, last_attempt = excluded.last_attempt, last_error = excluded.last_error",
            (log_id, url, acked or 0, at if acked is not None else None, at, error),
        )


def status(ws: Workspace) -> list[dict[str, Any]]:
    """Per log: local size, latest checkpoint, what the centre acknowledged, the last attempt."""
    from ..ledger.incremental import iter_logs

    logs = list(iter_logs(ws))
    with ws.store.read() as conn:
        rows = {r[0]: r for r in conn.execute(
            "SELECT log_id, url, acked_size, acked_at, last_attempt, last_error FROM sync_state")}  # fmt: skip
    out = []
    for info, size, cp in logs:
        r = rows.get(info.log_id)
        out.append({
            "log": info.log_id, "local_size": size, "checkpoint_size": cp.size if cp else 0,
            "url": r[1] if r else configured_url(ws), "acked_size": int(r[2]) if r else 0,
            "acked_at": r[3] if r else None, "last_attempt": r[4] if r else None, "last_error": r[5] if r else None,
        })  # fmt: skip
    return out


# ------------------------------------------------------------------------------ HTTP
def _post(url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url + path, data=body, method="POST", headers={
        **headers, "Content-Type": "application/x-ndjson", "Accept-Language": get_language()})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - http(s) checked in sync_url
            return resp.status, _json(resp.read())
    except urllib.error.HTTPError as exc:
        data = exc.read()
        if exc.code >= 500:
            raise Unreachable(_("the centre answered {status}", status=exc.code), None) from None
        return exc.code, _json(data)
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(_("cannot reach the centre: {why}", why=getattr(exc, "reason", None) or exc), None) from None


def get(url: str, path: str) -> bytes:
    """A public read (trust bundle, checkpoint, proof): bytes, or an error naming the answer."""
    from ..errors import NotFoundError

    try:
        req = urllib.request.Request(url.rstrip("/") + path, headers={"Accept-Language": get_language()})
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310
            return resp.read()
    except urllib.error.HTTPError as exc:
        err = _json(exc.read()).get("error")
        msg = str((err.get("message") if isinstance(err, dict) else None) or exc.code)
        raise NotFoundError(_("The centre answered {status}: {why}", status=exc.code, why=msg), None) from None
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(_("cannot reach the centre: {why}", why=getattr(exc, "reason", None) or exc),
                          _("check the URL and the network")) from None  # fmt: skip


def _json(data: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _refused(status: int, answer: dict[str, Any]) -> IkrarError:
    got = answer.get("error")
    err: dict[str, Any] = got if isinstance(got, dict) else {}
    why = str(err.get("message") or status)
    code = str(err.get("code") or "refused")
    message = _("The centre refused the push ({status}): {why}", status=status, why=why)
    if status in (401, 403):
        return TrustError(message, _("check the terminal's certificate and clock"), code=code)
    return VerificationError(message, _("keep the terminal's data and report it to the authority"), code=code)


# ------------------------------------------------------------------------------ push
def push_log(
    ws: Workspace, signer: TerminalSigner, url: str, log_id: str, *, attempts: int = 5, base_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult:  # fmt: skip
    """Push one log until the centre acknowledges its latest checkpoint (or give up after ``attempts``
    network failures, waiting ``base_delay * 2**n`` seconds between them)."""
    from ..ledger.incremental import checkpoint_at, export_increment
    from ..ledger.log import Ledger

    lg = Ledger(ws.store)
    with ws.store.read() as conn:
        size = lg.size(conn, log_id)
        cp = lg.latest_checkpoint(conn, log_id)
    if cp is None or cp.size < size:
        cp = lg.checkpoint(log_id, signer.sign)
    result = PushResult(log_id, url, cp.size, acked_size(ws, log_id, url))
    failures = resends = 0
    since = result.acked_size
    if since > cp.size:
        since = 0  # the terminal's state was restored from an older copy: let the centre say where it is
    while True:
        result.attempts += 1
        upto = min(cp.size, since + MAX_PUSH_ENTRIES)
        if upto < cp.size:
            checkpoint_at(ws, log_id, upto, signer.sign)
        body = export_increment(ws, since, log_id=log_id, upto=upto).data
        try:
            code, answer = _post(url, "/v1/push", body, sign_request(signer.kid, signer.sign, "POST", "/v1/push", body))
        except Unreachable as exc:
            failures += 1
            _record(ws, log_id, url, acked=None, error=exc.message)
            if failures >= attempts:
                raise Unreachable(
                    ngettext_attempts(failures, exc.message),
                    _("the records stay on this terminal; push again later ('ikrar ledger push')"),
                ) from None
            sleep(base_delay * 2 ** (failures - 1))
            continue
        if code == 200 and isinstance(answer.get("size"), int):
            pause_point("sync.ack")  # test-only (IKRAR_TEST_PAUSE_AT): the centre holds it, not yet recorded here
            result.acked_size = int(answer["size"])
            result.added += int(answer.get("added") or 0)
            _record(ws, log_id, url, acked=result.acked_size, error=None)
            if result.acked_size >= cp.size:
                return result
            since, failures = result.acked_size, 0  # the next piece
            continue
        if code == 409 and isinstance(answer.get("size"), int):
            theirs = int(answer["size"])
            resends += 1
            if theirs > cp.size or resends > MAX_RESENDS:
                exc2 = ConflictError(
                    _("The centre holds {size} entries of log {log}, this terminal {own}", size=theirs, log=log_id,
                      own=cp.size),
                    _("this terminal's database is older than what it sent; report it to the authority"),
                    code="centre_ahead",
                )  # fmt: skip
                _record(ws, log_id, url, acked=None, error=exc2.message)
                raise exc2
            since = theirs
            result.notes.append(_("the centre holds {size} entries; resending from there", size=theirs))
            continue
        err = _refused(code, answer)
        _record(ws, log_id, url, acked=None, error=err.message)
        raise err


def ngettext_attempts(n: int, why: str) -> str:
    from ..i18n import ngettext

    return ngettext("The centre was not reached after {n} attempt: {why}",
                    "The centre was not reached after {n} attempts: {why}", n, why=why)  # fmt: skip


def push(
    ws: Workspace, signer: TerminalSigner, url: str | None = None, **options: Any
) -> list[PushResult]:
    """Push every log this terminal signs (its own key's log)."""
    from ..recitation.attest import log_id_for

    target = sync_url(ws, url)
    return [push_log(ws, signer, target, log_id_for(signer.kid), **options)]


def fetch_proof(url: str, log_id: str, index: int) -> str:
    """The inclusion proof of entry ``index`` of a log, as the centre serves it (checked by the caller)."""
    base = sync_url_plain(url)
    return get(base, f"/v1/logs/{log_id}/proof/{int(index)}")[:1_000_000].decode("utf-8", "replace")


def sync_url_plain(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(_("{url} is not an http(s) URL", url=url), _("e.g. https://ikrar.example.go.id"))
    return url.rstrip("/")
