"""The OpenAPI document of `ikrar serve` matches the app: every route with its methods, every
operation's language parameter, and every status the app answers in the requests below is one the
document lists for that operation (the other tests cover the bodies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from ikrar_cli.server.app import create_app, openapi_document  # noqa: E402

DOC = openapi_document()


def _template(path: str) -> str:
    return path.replace(":str", "").replace(":int", "")


def test_routes_and_methods_are_the_documented_ones(tmp_path: Path) -> None:
    app = create_app(tmp_path)
    routes = {_template(r.path): {m.lower() for m in r.methods or ()} - {"head"} for r in app.routes}  # type: ignore[attr-defined]
    assert routes == {p: set(ops) for p, ops in DOC["paths"].items()}
    assert json.loads((Path(__file__).parents[1] / "docs" / "openapi.json").read_text()) == DOC


def test_every_api_operation_takes_the_language_and_documents_its_errors() -> None:
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if path in ("/openapi.json", "/healthz"):
                continue
            refs = [p.get("$ref") for p in op.get("parameters", [])]
            assert "#/components/parameters/AcceptLanguage" in refs, (method, path)
            for status, resp in op["responses"].items():
                if status != "200" and "application/json" in resp.get("content", {}):
                    schema = resp["content"]["application/json"]["schema"]["$ref"]
                    assert schema in ("#/components/schemas/Error", "#/components/schemas/Behind"), (path, status)


def _documented(path: str, method: str) -> set[int]:
    for template, ops in DOC["paths"].items():
        parts, want = template.strip("/").split("/"), path.split("?")[0].strip("/").split("/")
        if len(parts) == len(want) and all(a == b or a.startswith("{") for a, b in zip(parts, want, strict=True)):
            return {int(s) for s in ops[method]["responses"]}
    raise AssertionError(path)


def test_the_statuses_answered_are_documented(ikrar, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.keys.keyfiles import load_authority_signer
    from ikrar_cli.sync.auth import sign_request
    from ikrar_cli.workspace import Workspace

    assert ikrar("key", "init-authority", env={"IKRAR_PASSPHRASE": "rahasia-uji"}).exit_code == 0
    ws = Workspace.open(workspace)
    key, info = load_authority_signer(ws, b"rahasia-uji")
    ws.close()
    client = TestClient(create_app(workspace))
    seen: list[tuple[str, str, int]] = []

    def call(method: str, path: str, body: bytes = b"", signed: bool = False) -> Any:
        headers = sign_request(info.kid, key.sign, method.upper(), path, body) if signed else {}
        r = client.request(method.upper(), path, content=body or None, headers=headers)
        seen.append((method, path, r.status_code))
        return r

    call("post", "/v1/push", b"{}\n")  # unsigned
    call("post", "/v1/push", b"{}\n", signed=True)  # an authority key may not push
    call("get", "/v1/trust-bundle")
    call("get", "/v1/logs")
    call("get", "/v1/logs/00/checkpoint")
    call("get", "/v1/logs/00/proof/0")
    call("get", "/v1/roster-snapshot")
    call("get", "/v1/hr/compliance?pledge=pilkada-2024&as_of=2024-12-31")  # unsigned
    call("get", "/v1/hr/compliance?pledge=pilkada-2024&as_of=kemarin", signed=True)
    call("get", "/v1/hr/compliance?pledge=pilkada-2024&as_of=2024-12-31", signed=True)  # no trust bundle yet
    assert ikrar("trust", "export", env={"IKRAR_PASSPHRASE": "rahasia-uji"}).exit_code == 0
    call("get", "/v1/trust-bundle")
    call("get", "/v1/hr/compliance?pledge=pilkada-2024&as_of=2024-12-31", signed=True)
    call("get", "/v1/hr/officers/198609262015051001")  # unsigned
    call("get", "/v1/hr/officers/198609262015051001", signed=True)
    call("get", "/v1/hr/officers/%20", signed=True)  # an empty identifier
    for method, path, status in seen:
        assert status in _documented(path, method), (method, path, status)
    assert {s for _m, _p, s in seen} >= {200, 400, 401, 403, 404, 422}
