"""The Starlette application of ``ikrar serve`` (docs/server.md). Imported only by that command and
by tests: the rest of ikrar never needs Starlette."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..i18n import _, speaking
from .language import choose_language, in_language
from .service import MAX_PUSH_BYTES, Answer, Central

__all__ = ["OPENAPI_PATH", "create_app", "openapi_document"]
OPENAPI_PATH = Path(__file__).with_name("openapi.json")


def _response(a: Answer, lang: str) -> Response:
    headers = {"Content-Language": lang, "Vary": "Accept-Language"}
    if isinstance(a.body, Iterator):  # a compliance report, sent as it is written (bounded memory)
        return StreamingResponse(a.body, status_code=a.status, media_type=a.content_type, headers=headers)
    if a.content_type == "application/json" and not isinstance(a.body, bytes | str):
        return JSONResponse(a.body, status_code=a.status, headers=headers)
    return Response(a.body, status_code=a.status, media_type=a.content_type, headers=headers)


def _lang(request: Request) -> str:
    return choose_language(request.headers.get("accept-language"))


async def _call(request: Request, fn: Any, *args: Any) -> Response:
    """``fn(*args)`` in a worker thread, its messages in the request's language."""
    lang = _lang(request)
    return _response(await run_in_threadpool(in_language, lang, fn, *args), lang)


def _error(request: Request, status: int, kind: str, code: str, message: str) -> Response:
    lang = _lang(request)
    return JSONResponse({"error": {"kind": kind, "code": code, "message": message, "hint": None}},
                        status_code=status, headers={"Content-Language": lang, "Vary": "Accept-Language"})  # fmt: skip


def _target(request: Request) -> str:
    """The signed path: path and query exactly as sent (a reverse proxy must pass them unchanged)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


async def _body(request: Request) -> bytes | None:
    """The body, or None when it is larger than a push may be (read no further)."""
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_PUSH_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(home: Path) -> Starlette:
    central = Central(home)

    async def push(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            with speaking(_lang(request)):
                why = _("the push is larger than {n} bytes", n=MAX_PUSH_BYTES)
            return _error(request, 413, "input", "too_large", why)
        headers = {k.lower(): v for k, v in request.headers.items()}
        return await _call(request, central.push, headers, _target(request), body)

    async def trust_bundle(request: Request) -> Response:
        return await _call(request, central.trust_bundle)

    async def logs(request: Request) -> Response:
        return await _call(request, central.logs)

    async def checkpoint(request: Request) -> Response:
        return await _call(request, central.checkpoint, request.path_params["log"])

    async def proof(request: Request) -> Response:
        return await _call(request, central.proof, request.path_params["log"], request.path_params["index"])

    async def roster(request: Request) -> Response:
        return await _call(request, central.roster_snapshot)

    async def compliance(request: Request) -> Response:
        q = request.query_params
        headers = {k.lower(): v for k, v in request.headers.items()}
        return await _call(request, central.compliance, headers, _target(request), q.get("pledge", ""),
                           q.get("as_of"), q.get("unit"), q.get("snapshot"))  # fmt: skip

    async def officer(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return await _call(request, central.officer, headers, _target(request), request.path_params["officer_id"])

    async def http_error(request: Request, exc: Exception) -> Response:
        """Starlette's own answers (no such path, method not allowed) as JSON errors, translated."""
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        path = request.url.path
        with speaking(_lang(request)):
            if status == 405:
                kind, code = "usage", "method_not_allowed"
                why = _("{method} is not allowed on {path}", method=request.method, path=path)
            elif status == 404:
                kind, code, why = "not_found", "not_found", _("No such endpoint: {path}", path=path)
            else:
                kind, code = "usage", "bad_request"
                why = _("The request could not be handled (HTTP {status})", status=status)
        return _error(request, status, kind, code, why)

    async def openapi(request: Request) -> Response:
        return Response(OPENAPI_PATH.read_bytes(), media_type="application/json")

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes = [
        Route("/v1/push", push, methods=["POST"]),
        Route("/v1/trust-bundle", trust_bundle, methods=["GET"]),
        Route("/v1/logs", logs, methods=["GET"]),
        Route("/v1/logs/{log:str}/checkpoint", checkpoint, methods=["GET"]),
        Route("/v1/logs/{log:str}/proof/{index:int}", proof, methods=["GET"]),
        Route("/v1/roster-snapshot", roster, methods=["GET"]),
        Route("/v1/hr/compliance", compliance, methods=["GET"]),
        Route("/v1/hr/officers/{officer_id:str}", officer, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})


def openapi_document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return doc
