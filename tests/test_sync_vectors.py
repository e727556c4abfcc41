"""The incremental-export vectors (tests/vectors/sync/increments.json) against ikrar's own merger:
a fresh centre (on each engine) accepts the files a case names first, then answers the case's
file exactly as the vector says; a refused file leaves the centre as it was. The same vectors are
checked by an independent re-implementation written from the docs (tests/reimpl/)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from engines import central_db_args

VECTORS = Path(__file__).parent / "vectors" / "sync" / "increments.json"
DATA: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
CASES = {c["name"]: c for c in DATA["cases"]}
PG_CENTRAL_ONLY = True


def test_the_vectors_are_what_the_generator_writes() -> None:
    import make_increment_vectors

    assert make_increment_vectors.build() == DATA


def test_every_reason_and_outcome_is_covered() -> None:
    reasons = {c["expect"].get("reason") for c in DATA["cases"]}
    assert {"behind", "fork", "gap", "root_mismatch", "bad_proof", "unknown_key", "wrong_key", "malformed",
            "bad_checkpoint_signature", "time_backwards"} <= reasons  # fmt: skip
    assert any(c["expect"]["accepted"] and c["expect"]["already_merged"] for c in DATA["cases"])


def _outcome(merger: Any, data: bytes) -> dict[str, Any]:
    from ikrar_cli.errors import IkrarError, InputError
    from ikrar_cli.ledger.incremental import BehindError

    try:
        m = merger.merge_bytes(data, "vector")
    except BehindError as exc:
        return {"accepted": False, "reason": "behind", "centre_size": exc.centre_size}
    except InputError as exc:
        assert exc.code is None, exc.code
        return {"accepted": False, "reason": "malformed"}
    except IkrarError as exc:
        return {"accepted": False, "reason": exc.code}
    return {"accepted": True, "size": m.size, "added": m.added, "already_merged": m.known}


@pytest.mark.parametrize("name", list(CASES))
def test_vector(name: str, ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import receipt_helpers as h
    from engines import dump_db

    from ikrar_cli.ledger.incremental import IncrementMerger
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    case = CASES[name]
    home = tmp_path / "centre"
    r = ikrar("--home", str(home), "init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA",
              *central_db_args())  # fmt: skip
    assert r.exit_code == 0, r.stderr
    bundle = h.bundle(h.certificate(h.terminal(), h.authority()))
    ws = Workspace.open(home)
    try:
        merger = IncrementMerger(ws, Verifier(bundle))
        for before in case["accepted_before"]:
            assert _outcome(merger, before.encode())["accepted"]
        was = dump_db(home)
        got = _outcome(merger, case["file"].encode())
        assert got == case["expect"], case["description"]
        if not got["accepted"]:
            assert dump_db(home) == was  # nothing of a refused file is kept
        else:
            with ws.store.read() as conn:
                n = conn.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
            assert n == got["size"]
    finally:
        ws.close()


@pytest.mark.sqlite_only  # the parser, not the engine
def test_a_damaged_file_is_refused_by_ikrar_and_by_the_reimplementation(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Any one damage to a valid increment (a bit flipped, a byte dropped or added, the file cut) is
    refused by ikrar with an IkrarError and nothing stored, and refused by the verifier written from
    the docs too; one centre serves every example (a refused file leaves it as it was)."""
    import receipt_helpers as h
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from reimpl.increment_verifier import Centre, Refused, Terminal, Trust

    from ikrar_cli.ledger.incremental import IncrementMerger
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    case = CASES["continue"]
    base, good = case["accepted_before"][0].encode(), case["file"].encode()
    home = tmp_path / "centre"
    r = ikrar("--home", str(home), "init", "--institution", "B", "--code", "UJI", "--timezone", "WITA")
    assert r.exit_code == 0
    ws = Workspace.open(home)
    merger = IncrementMerger(ws, Verifier(h.bundle(h.certificate(h.terminal(), h.authority()))))
    assert _outcome(merger, base)["accepted"]
    t = DATA["trust"]["terminals"][0]
    terminal = Terminal(base64.b64decode(t["public_key_b64"]), t["name"], t["not_before"], t["not_after"])
    trust = Trust("UJI", {t["kid_hex"]: terminal}, {p["ref"]: p["digest"] for p in DATA["trust"]["pledges"]})

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(["flip", "drop", "add", "cut"]), st.integers(0, len(good) - 1), st.integers(0, 7))
    def check(op: str, pos: int, bit: int) -> None:
        if op == "flip":
            bad = good[:pos] + bytes([good[pos] ^ (1 << bit)]) + good[pos + 1 :]
        elif op == "drop":
            bad = good[:pos] + good[pos + 1 :]
        elif op == "add":
            bad = good[:pos] + b" " + good[pos:]
        else:
            bad = good[:pos]
        got = _outcome(merger, bad)
        assert not got["accepted"], (op, pos, bit)
        with ws.store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0] == 5
        other = Centre(trust)
        other.merge(base)
        with pytest.raises(Refused):
            other.merge(bad)

    try:
        check()
    finally:
        ws.close()
