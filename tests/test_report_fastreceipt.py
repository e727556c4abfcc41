"""The compliance report's per-receipt fast path (reports/fastreceipt.py) gives exactly what
``receipt_from_cose`` and ``Verifier.verify_receipt`` give: the same receipt or the same reason,
on the receipt vectors, on every mutation hypothesis tries, and on real reports. And the report
view (reports/view.py) keeps no officer's line once it has been read."""

from __future__ import annotations

import gc
import json
import sys
import weakref
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402
from report_world import PLEDGE, build  # noqa: E402

from ikrar_cli.errors import VerificationError  # noqa: E402
from ikrar_cli.keys.keyfiles import key_id, raw_public  # noqa: E402
from ikrar_cli.receipts.base45 import Base45Error, b45decode  # noqa: E402
from ikrar_cli.receipts.receipt import Receipt, receipt_from_cose, sign_receipt  # noqa: E402
from ikrar_cli.receipts.verify import Verifier  # noqa: E402
from ikrar_cli.reports.fastreceipt import ReceiptCheck, decode, signed_bytes  # noqa: E402

VECTORS = json.loads((Path(__file__).parent / "vectors" / "receipts.json").read_text())


def _outcome(read, cose: bytes) -> tuple[str, tuple[object, ...] | str]:  # type: ignore[no-untyped-def]
    try:
        r: Receipt = read(cose)
    except VerificationError as exc:
        return "error", f"{exc.code}: {exc.message}"
    return "receipt", (r.cose, r.claims, r.kid, r.signature, r.alg, r.protected, r.payload)


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


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vectors_read_and_checked_as_the_verifier_does(case: dict) -> None:  # type: ignore[type-arg]
    cose = _cose(case["receipt"])
    if cose is None:
        pytest.skip("not Base45: never a ledger entry")
    assert _outcome(decode, cose) == _outcome(receipt_from_cose, cose)
    try:
        r = decode(cose)
    except VerificationError:
        return
    bundle = h.bundle(**_extras(case))
    assert signed_bytes(r) == r.signed_bytes()
    assert ReceiptCheck(bundle).code(r) == Verifier(bundle, now=lambda: VECTORS["now"]).verify_receipt(r).code


def test_the_vectors_include_receipts_the_fast_reader_accepts_and_refuses() -> None:
    kinds = {_outcome(decode, c)[0] for c in filter(None, (_cose(x["receipt"]) for x in VECTORS["cases"]))}
    assert kinds == {"receipt", "error"}


def _valid(name: str | None = "Andi Baso Mappanyukki") -> bytes:
    term = h.terminal()
    return sign_receipt(h.claims(officer_name=name), term.sign, key_id(raw_public(term))).cose


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_mutation_is_read_as_the_strict_reader_reads_it(data: st.DataObject) -> None:
    cose = bytearray(_valid())
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, len(cose) - 1))
        if op == "flip":
            cose[at] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            cose.insert(at, data.draw(st.integers(0, 255)))
        elif op == "delete":
            del cose[at]
        else:
            del cose[at:]
        if not cose:
            cose.append(0)
    assert _outcome(decode, bytes(cose)) == _outcome(receipt_from_cose, bytes(cose))


@pytest.mark.parametrize("name", [None, "A", "N" * 200])
def test_signed_bytes_are_the_cose_sig_structure(name: str | None) -> None:
    r = decode(_valid(name))
    assert signed_bytes(r) == r.signed_bytes() and len(r.payload) > (255 if name and len(name) > 100 else 0)
    assert Verifier(h.bundle()).verify_receipt(r).valid and ReceiptCheck(h.bundle()).code(r) == "valid"
    forged = Receipt(None, r.cose, r.claims, r.kid, bytes(64), r.alg, r.protected, r.payload)
    assert ReceiptCheck(h.bundle()).code(forged) == "bad_signature" == Verifier(h.bundle()).verify_receipt(forged).code


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
