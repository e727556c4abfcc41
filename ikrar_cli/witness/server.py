"""``ikrar witness serve``: POST <prefix>/add-checkpoint (c2sp.org/tlog-witness) on Starlette/uvicorn.

Imported only by that command (Starlette and uvicorn are the ``server`` extra). The witness's
decision and its atomic check-and-record are the library's (``WitnessWorkspace.add_checkpoint``);
this module only maps them to HTTP.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from ..errors import IkrarError, UsageError
from ..i18n import _, speaking
from ..server.language import choose_language, in_language
from .protocol import MAX_REQUEST_BYTES, http_status, parse_request
from .workspace import WitnessWorkspace


def make_app(ws: WitnessWorkspace, signer: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def add_checkpoint(request: Request) -> Response:
        lang = choose_language(request.headers.get("accept-language"))  # messages in the asker's language
        headers = {"Content-Language": lang, "Vary": "Accept-Language"}
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST_BYTES:
                with speaking(lang):
                    return PlainTextResponse(_("The request is too large") + "\n", status_code=413, headers=headers)
        try:
            with speaking(lang):
                req = parse_request(body)
            line = await run_in_threadpool(in_language, lang, ws.add_checkpoint, req, signer)
        except IkrarError as exc:
            status = http_status(exc)
            if exc.code == "old_size_mismatch" and exc.details:
                return Response(f"{exc.details['size']}\n", status_code=409, media_type="text/x.tlog.size")
            return PlainTextResponse(exc.message + "\n", status_code=status, headers=headers)
        return PlainTextResponse(line, status_code=200)

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"])])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, tls_cert: str | None, tls_key: str | None, insecure_public: bool) -> None:
    """A public address needs TLS settings, or an explicit --insecure-public (e.g. behind a proxy)."""
    if bool(tls_cert) != bool(tls_key):
        raise UsageError(_("--tls-cert and --tls-key go together"), _("give both files, or neither"))
    if not is_loopback(host) and not tls_cert and not insecure_public:
        raise UsageError(
            _("Refusing to serve on {host} without TLS", host=host),
            _("give --tls-cert and --tls-key, serve on 127.0.0.1 behind a TLS proxy, or pass --insecure-public"),
            code="public_without_tls",
        )


def serve(
    ws: WitnessWorkspace,
    signer: Any,
    *,
    host: str,
    port: int,
    tls_cert: str | None,
    tls_key: str | None,
    announce: Callable[[str], None],
) -> None:
    """Bind (port 0: any free port), announce the URL, serve until interrupted."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            _("Cannot listen on {host}:{port}: {reason}", host=host, port=port, reason=exc.strerror),
            _("choose another --port, or 0 for any free port"),
        ) from exc
    sock.listen(128)
    bound = sock.getsockname()[1]
    scheme = "https" if tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        make_app(ws, signer), log_level="warning", ssl_certfile=tls_cert, ssl_keyfile=tls_key, lifespan="off"
    )
    announce(f"{scheme}://{shown}:{bound}")
    uvicorn.Server(config).run(sockets=[sock])
