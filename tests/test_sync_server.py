"""The centre's API in-process (Starlette TestClient): signed pushes, replay and staleness refused,
409 with the centre's size, public reads checked against the trust bundle, HR reads signed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sync_world import attest, log_of, make_world

from ikrar_cli.keys.keyfiles import key_id, load_terminal_signer, raw_public
from ikrar_cli.ledger.incremental import export_increment
from ikrar_cli.store.core import now
from ikrar_cli.sync.auth import sign_request
from ikrar_cli.workspace import Workspace

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from ikrar_cli.server.app import create_app, openapi_document  # noqa: E402

PW = b"rahasia-uji"


PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)


@pytest.fixture
def world(ikrar, tmp_path: Path):  # type: ignore[no-untyped-def]
    central, (t1, t2), nips = make_world(ikrar, tmp_path, 2)
    client = TestClient(create_app(central.home))
    return central, t1, t2, nips, client


def body_of(t, since: int) -> bytes:  # type: ignore[no-untyped-def]
    t("ledger", "checkpoint")
    ws = Workspace.open(t.home)
    try:
        return export_increment(ws, since).data
    finally:
        ws.close()


def signer_of(t):  # type: ignore[no-untyped-def]
    ws = Workspace.open(t.home)
    try:
        return load_terminal_signer(ws, PW)
    finally:
        ws.close()


def post(client, signer, body: bytes, **kw):  # type: ignore[no-untyped-def]
    headers = sign_request(signer.kid, signer.sign, "POST", "/v1/push", body, **kw)
    return client.post("/v1/push", content=body, headers=headers), headers


def test_push_then_replay_and_tampering_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, _t2, nips, client = world
    attest(t1, *nips[0:2])
    body = body_of(t1, 0)
    s1 = signer_of(t1)
    r, headers = post(client, s1, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"log": log_of(t1), "size": 3, "added": 2, "already_merged": 0}
    again = client.post("/v1/push", content=body, headers=headers)  # the very same request
    assert again.status_code == 401 and again.json()["error"]["code"] == "replayed"
    r, _h = post(client, s1, body)  # a fresh request with the same body: idempotent
    assert r.status_code == 200 and r.json()["added"] == 0
    # signed for one body, sent with another
    _r, h2 = post(client, s1, body)
    tampered = client.post("/v1/push", content=body.replace(b'"since":0', b'"since":1'), headers=h2)
    assert tampered.status_code == 401 and tampered.json()["error"]["code"] == "bad_signature"
    stale = client.post("/v1/push", content=body, headers=sign_request(s1.kid, s1.sign, "POST", "/v1/push", body,
                                                                       at=now() - 3600))  # fmt: skip
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_timestamp"
    unsigned = client.post("/v1/push", content=body)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "unsigned"
    assert central.log_size() == 3


def test_unknown_keys_and_other_terminals_logs_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, t2, nips, client = world
    attest(t1, nips[0])
    body = body_of(t1, 0)
    intruder = Ed25519PrivateKey.generate()
    r = client.post("/v1/push", content=body,
                    headers=sign_request(key_id(raw_public(intruder)), intruder.sign, "POST", "/v1/push", body))
    assert r.status_code == 403 and r.json()["error"]["code"] == "unknown_key"
    r, _h = post(client, signer_of(t2), body)  # t2 is certified, but this is t1's log
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_own_log"
    assert central.log_size() == 0


def test_a_revoked_terminal_cannot_push(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, _t2, nips, client = world
    attest(t1, nips[0])
    body = body_of(t1, 0)
    central("key", "revoke", log_of(t1), "--reason", "dicuri")
    r, _h = post(client, signer_of(t1), body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "key_revoked"


def test_a_gap_answers_409_with_the_centres_size(world) -> None:  # type: ignore[no-untyped-def]
    central, t1, _t2, nips, client = world
    attest(t1, nips[0])
    s1 = signer_of(t1)
    assert post(client, s1, body_of(t1, 0))[0].status_code == 200
    attest(t1, *nips[1:3])
    r, _h = post(client, s1, body_of(t1, 3))  # the centre holds 2
    assert r.status_code == 409
    assert r.json()["size"] == 2 and r.json()["log"] == log_of(t1)
    r, _h = post(client, s1, body_of(t1, 2))
    assert r.status_code == 200 and r.json()["size"] == 4 and r.json()["added"] == 2


def test_public_reads_and_hr_report(world) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.keys.keyfiles import load_authority_signer
    from ikrar_cli.ledger.checkpoint import verify_inclusion_proof
    from ikrar_cli.receipts.receipt import decode_receipt
    from ikrar_cli.recitation.attest import log_origin

    central, t1, _t2, nips, client = world
    receipts = attest(t1, *nips[0:2])
    s1 = signer_of(t1)
    assert post(client, s1, body_of(t1, 0))[0].status_code == 200
    log = log_of(t1)
    logs = client.get("/v1/logs").json()["logs"]
    assert logs == [{"log": log, "origin": log_origin("UJI", bytes.fromhex(log)), "size": 3, "checkpoint_size": 3}]
    note = client.get(f"/v1/logs/{log}/checkpoint").text
    assert note.startswith(log_origin("UJI", bytes.fromhex(log)) + "\n3\n")
    r = decode_receipt(receipts[1])
    proof = client.get(f"/v1/logs/{log}/proof/{r.claims.ledger_index}")
    assert proof.status_code == 200
    cp = verify_inclusion_proof(r.cose, proof.text, log_origin("UJI", r.kid), s1.public_key_raw)
    assert cp.size == 3
    assert client.get(f"/v1/logs/{log}/proof/7").status_code == 404
    assert client.get("/v1/trust-bundle").status_code == 404  # no signed bundle exported yet
    central("trust", "export")
    tb = client.get("/v1/trust-bundle")
    assert tb.status_code == 200 and json.loads(tb.content)
    assert client.get("/v1/roster-snapshot").status_code == 404
    central("roster", "publish", "--as-of", "2024-01-02")
    snap = client.get("/v1/roster-snapshot").json()
    assert snap["as_of"] == "2024-01-02" and snap["digest"].startswith("sha256:")
    # HR: the authority's key signs; a terminal key may not read reports
    path = "/v1/hr/compliance?pledge=pilkada-2024&as_of=2024-12-31"
    ws = Workspace.open(central.home)
    key, info = load_authority_signer(ws, PW)
    ws.close()
    ok = client.get(path, headers=sign_request(info.kid, key.sign, "GET", path, b""))
    assert ok.status_code == 200, ok.text
    assert ok.json()["pledge"].startswith("pilkada-2024")
    no = client.get(path, headers=sign_request(s1.kid, s1.sign, "GET", path, b""))
    assert no.status_code == 403 and no.json()["error"]["code"] == "not_hr"
    # HR: one officer's attestations, with the receipt (personal data: signed by the authority only)
    who = f"/v1/hr/officers/{nips[1]}"
    one = client.get(who, headers=sign_request(info.kid, key.sign, "GET", who, b""))
    assert one.status_code == 200, one.text
    assert one.json()["officer"]["officer_id"] == nips[1]
    assert [a["receipt"] for a in one.json()["attestations"]] == [receipts[1]]
    assert client.get(who).status_code == 401
    no = client.get(who, headers=sign_request(s1.kid, s1.sign, "GET", who, b""))
    assert no.status_code == 403 and no.json()["error"]["code"] == "not_hr"


def test_openapi_is_served_and_committed_and_covers_every_route(world) -> None:  # type: ignore[no-untyped-def]
    _central, _t1, _t2, _nips, client = world
    served = client.get("/openapi.json").json()
    docs = json.loads((Path(__file__).parents[1] / "docs" / "openapi.json").read_text())
    assert served == docs == openapi_document()
    routes = {r.path.replace(":str", "").replace(":int", "") for r in client.app.routes}  # type: ignore[attr-defined]
    assert routes == set(served["paths"])
