"""The bulk check shared by ``ledger merge`` and the compliance report, ``Verifier.receipt_code``,
gives exactly the reason ``Verifier.verify_receipt`` gives, on the receipt vectors and on a forged
signature (the fast CBOR reader behind ``receipt_from_cose`` is held to the exact one by
tests/test_merge_fastpaths.py). And the report view (reports/view.py) keeps no officer's line
once it has been read."""

from __future__ import annotations

import gc
import json
import sys
import weakref
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402
from report_world import PLEDGE, build  # noqa: E402

from ikrar_cli.errors import VerificationError  # noqa: E402
from ikrar_cli.keys.keyfiles import key_id, raw_public  # noqa: E402
from ikrar_cli.receipts.base45 import Base45Error, b45decode  # noqa: E402
from ikrar_cli.receipts.receipt import Receipt, receipt_from_cose, sign_receipt  # noqa: E402
from ikrar_cli.receipts.verify import Verifier  # noqa: E402

VECTORS = json.loads((Path(__file__).parent / "vectors" / "receipts.json").read_text())


def _extras(case: dict) -> dict:  # type: ignore[type-arg]
    extra: dict = {}  # type: ignore[type-arg]
    if case.get("with") == "receipt_revoked":
        extra["revoked_receipts"] = {bytes.fromhex(VECTORS["revoked_receipt_ids_used"]["receipt_revoked"])}
    if case.get("with") == "key_revoked":
        r = VECTORS["key_revocation_used"]["key_revoked"]
        extra["revocations"] = {bytes.fromhex(r["kid"]): (r["revoked_at"], "stolen")}
    return extra


def _cose(text: str) -> bytes | None:
    try:
        return b45decode(text.removeprefix("IKR1:"))
    except (Base45Error, ValueError):
        return None


def _read(case: dict) -> Receipt | None:  # type: ignore[type-arg]
    """The vector's receipt, or None when it is refused before any check (not Base45, not a receipt)."""
    cose = _cose(case["receipt"])
    if cose is None:
        return None
    try:
        return receipt_from_cose(cose)
    except VerificationError:
        return None


CHECKED = [c for c in VECTORS["cases"] if _read(c) is not None]


def test_the_vectors_reach_every_reason_code() -> None:
    """The cases below are the vectors that get as far as the checks; every reason is among them."""
    codes = {c["expect"] for c in CHECKED}
    wanted = {"valid", "unknown_key", "key_revoked", "receipt_revoked", "certificate_not_valid", "unknown_pledge"}
    assert wanted <= codes  # bad_signature: test_a_forged_signature_is_refused_by_both


@pytest.mark.parametrize("case", CHECKED, ids=lambda c: c["name"])
def test_vectors_give_the_reason_verify_receipt_gives(case: dict) -> None:  # type: ignore[type-arg]
    r = _read(case)
    assert r is not None
    bundle = h.bundle(**_extras(case))
    assert Verifier(bundle).receipt_code(r) == Verifier(bundle, now=lambda: VECTORS["now"]).verify_receipt(r).code


def _valid(name: str | None = "Andi Baso Mappanyukki") -> bytes:
    term = h.terminal()
    return sign_receipt(h.claims(officer_name=name), term.sign, key_id(raw_public(term))).cose


@pytest.mark.parametrize("name", [None, "A", "N" * 200])
def test_a_forged_signature_is_refused_by_both(name: str | None) -> None:
    r = receipt_from_cose(_valid(name))
    assert Verifier(h.bundle()).verify_receipt(r).valid and Verifier(h.bundle()).receipt_code(r) == "valid"
    forged = Receipt(None, r.cose, r.claims, r.kid, bytes(64), r.alg, r.protected, r.payload)
    assert (
        Verifier(h.bundle()).receipt_code(forged) == "bad_signature" == Verifier(h.bundle()).verify_receipt(forged).code
    )


def test_the_report_view_keeps_no_line_once_read(engine: str, tmp_path: Path) -> None:
    """Each unit's lines are read from the spool when iterated and dropped after: the view and the
    result hold none of them (before, ``result.report`` held every line of every unit)."""
    from ikrar_cli import api
    from ikrar_cli.reports.compliance import compute, gather

    day = build(tmp_path / "ws", 300, 60, per_unit=50)
    ws = api.open_workspace(tmp_path / "ws")
    try:
        result = compute(ws, gather(ws, PLEDGE, day))
        rep = result.report
        seen = []
        total = 0
        for u in rep.units:
            lines = list(u.missing)
            assert len(lines) == len(u.missing) and lines == list(u.missing)  # read again, the same
            total += len(lines)
            seen += [weakref.ref(s) for s in lines]
            del lines
        gc.collect()
        assert total == rep.total.missing.__len__() == 300 - 60 and seen
        assert all(ref() is None for ref in seen)
        doc = result.document
        assert [s["officer_id"] for u in doc["units"] for s in u["missing_staff"]] == [
            s.officer_id for s in rep.total.missing
        ]
        result.close()
    finally:
        ws.close()
