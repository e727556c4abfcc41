"""``report verify``'s outcomes, each with the digest it recomputed (both engines).

``verify_report`` computes the report's digest while it reads the file's units when they come in
its own order (``streamed.DigestFold``), and the officer's reason only for the officer it names
(``streamed.Status.detail``): every outcome here must carry the digest of the report as written,
and name the officer and the reason as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_world import PLEDGE, build

from ikrar_cli.i18n import set_language


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A workspace of 300 officers in 6 units (100 receipts) and its report as written by the command."""
    from ikrar_cli import api
    from ikrar_cli.reports.compliance import compute, gather

    home = tmp_path / "ws"
    day = build(home, 300, 100, per_unit=50)
    ws = api.open_workspace(home)
    try:
        result = compute(ws, gather(ws, PLEDGE, day))
        out = tmp_path / "report.json"
        with open(out, "wb") as fh:
            result.write_json(fh)
        result.close()
    finally:
        ws.close()
    return home, json.loads(out.read_bytes())


def _verify(home: Path, doc: dict[str, Any], tmp_path: Path) -> Any:
    from ikrar_cli import api
    from ikrar_cli.reports.proof import verify_report

    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    set_language("en")
    ws = api.open_workspace(home)
    try:
        return verify_report(ws, path)
    finally:
        ws.close()


def test_the_report_as_written_matches_with_its_own_digest(written, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home, doc = written
    out = _verify(home, doc, tmp_path)
    assert out.match and out.digest == doc["digest"]
    assert out.message == f"MATCH: the same figures from the same signed inputs ({doc['digest']})"


def test_units_in_another_order_differ_and_the_digest_is_still_ours(written, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home, doc = written
    edited = {**doc, "units": list(reversed(doc["units"]))}
    out = _verify(home, edited, tmp_path)
    assert not out.match and out.digest == doc["digest"]
    assert out.message.startswith("units differs: the report says [")


def test_a_stray_element_before_the_units_differs_with_our_digest(written, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home, doc = written
    edited = {**doc, "units": [{"note": "x"}, *doc["units"][1:]]}  # no unit code, then the rest in place
    out = _verify(home, edited, tmp_path)
    assert not out.match and out.digest == doc["digest"]
    first = doc["units"][0]["unit"]
    assert out.message == f"unit {first}: missing from the report ({doc['units'][0]['active']} officers expected)"


def test_a_missing_officer_claimed_pledged_names_the_reason(written, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home, doc = written
    edited = json.loads(json.dumps(doc))
    unit = next(u for u in edited["units"] if u["missing_staff"])
    gone = unit["missing_staff"].pop(0)
    out = _verify(home, edited, tmp_path)
    assert not out.match and out.digest == doc["digest"] and out.officer == gone["officer_id"]
    assert out.message == (f"unit {unit['unit']}, officer {gone['officer_id']}: the report says pledged; recomputed: "
                           f"missing (no valid receipt of {PLEDGE} by the end of {doc['as_of']})")  # fmt: skip


def test_a_pledged_officer_claimed_missing_names_the_receipt(written, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home, doc = written
    edited = json.loads(json.dumps(doc))
    unit = next(u for u in edited["units"] if u["unit"] == "U1")
    listed = {s["officer_id"] for s in unit["missing_staff"]}
    # officer i is in unit U(i % 6); the first is missing (every third one is), the second (U1) pledged
    # at entry 1 of the log
    pledged = str(198609262015051001 + 1)
    assert pledged not in listed and unit["missing_staff"]
    unit["missing_staff"].append({**unit["missing_staff"][0], "officer_id": pledged})
    out = _verify(home, edited, tmp_path)
    log = doc["inputs"]["logs"][0]["log"]
    assert not out.match and out.digest == doc["digest"] and out.officer == pledged
    assert out.message == (f"unit U1, officer {pledged}: the report says missing; recomputed: pledged "
                           f"(receipt at entry 1 of log {log[:8]})")  # fmt: skip


def test_an_edited_digest_alone_is_caught(written, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home, doc = written
    edited = {**doc, "digest": "sha256:" + "0" * 64}
    out = _verify(home, edited, tmp_path)
    assert not out.match and out.digest == doc["digest"]
    assert out.message == "the report's digest does not match its contents: it was edited after it was made"
