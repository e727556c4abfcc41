"""The incremental-export vectors (tests/vectors/sync/increments.json) against ikrar's own merger:
a fresh centre (on each engine) accepts the files a case names first, then answers the case's
file exactly as the vector says; a refused file leaves the centre as it was. The same vectors are
checked by an independent re-implementation written from the docs (tests/reimpl/)."""

from __future__ import annotations

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
