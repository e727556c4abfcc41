"""The sync vectors against independent re-implementations written from the documents alone
(tests/reimpl/: no ikrar import). If one of these fails while ikrar's own vector tests pass, the
documents do not say what ikrar does: fix the document."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from reimpl.increment_verifier import Centre, Refused, Terminal, Trust
from reimpl.request_signing import canonical, sign, verify

VECTORS = Path(__file__).parent / "vectors" / "sync"
INCREMENTS: dict[str, Any] = json.loads((VECTORS / "increments.json").read_text(encoding="utf-8"))


def trust() -> Trust:
    t = INCREMENTS["trust"]
    terminals = {x["kid_hex"]: Terminal(base64.b64decode(x["public_key_b64"]), x["name"], x["not_before"],
                                        x["not_after"]) for x in t["terminals"]}  # fmt: skip
    return Trust(INCREMENTS["institution_code"], terminals, {p["ref"]: p["digest"] for p in t["pledges"]})


def outcome(centre: Centre, data: bytes) -> dict[str, Any]:
    try:
        return centre.merge(data)
    except Refused as exc:
        out: dict[str, Any] = {"accepted": False, "reason": exc.reason}
        if exc.centre_size is not None:
            out["centre_size"] = exc.centre_size
        return out


@pytest.mark.parametrize("case", INCREMENTS["cases"], ids=lambda c: c["name"])
def test_increment_vector_by_the_document(case: dict[str, Any]) -> None:
    centre = Centre(trust())
    for before in case["accepted_before"]:
        assert outcome(centre, before.encode())["accepted"]
    held = {k: list(v.entries) for k, v in centre.logs.items()}
    assert outcome(centre, case["file"].encode()) == case["expect"], case["description"]
    if not case["expect"]["accepted"]:
        assert {k: v.entries for k, v in centre.logs.items()} == held


def test_request_vectors_by_the_document() -> None:
    for v in json.loads((VECTORS / "requests.json").read_text(encoding="utf-8")):
        body = v["body"].encode()
        assert canonical(v["method"], v["path"], body, v["timestamp"], v["nonce"]).decode() == v["canonical"]
        assert sign(bytes.fromhex(v["seed"]), v["method"], v["path"], body, v["timestamp"], v["nonce"]) == v["headers"]
        pub = base64.b64decode(v["public_key"])
        assert verify(pub, v["headers"], v["method"], v["path"], body)
        assert not verify(pub, v["headers"], v["method"], v["path"], body + b" ")
        assert not verify(pub, v["headers"], v["method"], v["path"] + "&x=1", body)
