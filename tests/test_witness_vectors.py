"""The published witness vectors (tests/vectors/witness.json, docs/witness.md) hold for this code."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.errors import IkrarError
from ikrar_cli.keys.keyfiles import raw_public
from ikrar_cli.ledger.checkpoint import parse_checkpoint
from ikrar_cli.witness.cosignature import (
    cosignature_key_id,
    cosigned_message,
    find_cosignature,
    note_body,
    parse_vkey,
    sign_cosignature,
    verify_cosignature,
)
from ikrar_cli.witness.policy import check_note, parse_policy
from ikrar_cli.witness.protocol import LogKey, Recorded, decide, http_status, parse_request

VECTORS = json.loads((Path(__file__).parent / "vectors" / "witness.json").read_text(encoding="utf-8"))


def test_vectors_file_is_what_the_generator_writes() -> None:
    from make_witness_vectors import build

    assert json.loads(json.dumps(build())) == VECTORS


def test_witness_key_id_and_vkey() -> None:
    w = VECTORS["witness"]
    pub = raw_public(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(w["seed"])))
    assert base64.b64decode(w["public_key"]) == pub
    assert cosignature_key_id(w["name"], pub).hex() == w["key_id"]
    cosigner = parse_vkey(w["vkey"])
    assert (cosigner.name, cosigner.public_key) == (w["name"], pub)
    name, key_id, data = w["vkey"].split("+", 2)
    assert key_id == w["key_id"] and base64.b64decode(data)[0] == 0x04


@pytest.mark.parametrize("i", range(len(VECTORS["cosignatures"])))
def test_cosignature_lines(i: int) -> None:
    case = VECTORS["cosignatures"][i]
    w = VECTORS[case.get("witness", "witness")]
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(w["seed"]))
    note = VECTORS["checkpoints"][case["checkpoint"]]
    body = note_body(note)
    if "message" in case:
        assert cosigned_message(body, case["time"]).decode() == case["message"]
        assert case["message"].startswith(f"cosignature/v1\ntime {case['time']}\n")
    assert sign_cosignature(w["name"], raw_public(key), key.sign, body, case["time"]) == case["line"]
    blob = base64.b64decode(case["line"].split(" ")[2])
    assert len(blob) == 4 + 8 + 64 and int.from_bytes(blob[4:12], "big") == case["time"]
    cosigner = parse_vkey(w["vkey"])
    found = find_cosignature(note + case["line"], cosigner)
    assert found is not None and verify_cosignature(body, cosigner, found)
    other = VECTORS["checkpoints"]["forged_7"]
    assert not verify_cosignature(note_body(other), cosigner, found)


@pytest.mark.parametrize("case", VECTORS["requests"], ids=lambda c: c["case"])
def test_add_checkpoint_requests(case: dict) -> None:
    log = VECTORS["log"]
    log_key = parse_vkey(log["vkey"], sig_type=0x01)
    keys = [LogKey(log["origin"], log_key.name, log_key.public_key)]
    recorded = None
    if case["state"]:
        cp = parse_checkpoint(VECTORS["checkpoints"][case["state"]])[0]
        recorded = Recorded(cp.size, cp.root)
    req = parse_request(case["body"].encode())
    origin = parse_checkpoint(req.note)[0].origin
    try:
        cp = decide(req, keys if origin == log["origin"] else [], recorded)
    except IkrarError as exc:
        assert http_status(exc) == case["status"], exc.message
        if "response" in case:
            assert exc.details == {"origin": origin, "size": int(case["response"])}
        return
    assert case["status"] == 200
    if "response" in case:
        w = VECTORS["witness"]
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(w["seed"]))
        assert (
            sign_cosignature(w["name"], raw_public(key), key.sign, note_body(req.note), case["time"])
            == case["response"]
        )
        assert cp.size == parse_checkpoint(req.note)[0].size


@pytest.mark.parametrize("case", VECTORS["policies"], ids=lambda c: str(VECTORS["policies"].index(c)))
def test_policy_vectors(case: dict) -> None:
    policy = parse_policy(case["text"])
    check = check_note(policy, VECTORS["checkpoints"][case["note"]] + "".join(case["lines"]))
    assert check.ok is case["ok"]
    assert check.valid == case.get("valid", [])
    assert check.missing == case.get(
        "missing", [n for n in policy.witnesses if n not in case.get("valid", []) + case.get("invalid", [])]
    )
    assert check.invalid == case.get("invalid", [])
