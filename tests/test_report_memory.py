"""``report compliance`` and ``report verify`` in bounded memory (issue 20, issue 17).

The signed snapshot is verified while it streams, officers and first receipts go to a spool on
disk, and the JSON is written unit by unit; so the Python heap's peak (tracemalloc, no timing)
hardly grows when the roster is four times larger. Before, it grew with the roster (the whole
snapshot parsed, one entry per officer and per receipt, the whole document in memory): 4x.
Both engines; the JSON written in pieces is byte for byte the whole document rendered at once.
"""

from __future__ import annotations

import gc
import json
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from report_world import PLEDGE, build

SMALL, LARGE = (2_000, 200), (8_000, 800)  # officers, receipts (units of 50 officers)


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 25 entries and reads of 16 KiB (5,000 and 1 MiB in use), so that test-sized
    inputs are already larger than one batch or read: what is left is what grows with size."""
    from ikrar_cli.reports import compliance, jsonstream, spool
    from ikrar_cli.roster import snapshot_stream

    monkeypatch.setattr(compliance, "CHUNK", 25)
    monkeypatch.setattr(spool, "BATCH", 25)
    monkeypatch.setattr(snapshot_stream, "READ", 16 << 10)
    monkeypatch.setattr(jsonstream, "READ", 16 << 10)


def _peaks(home: Path, day: str, out: Path) -> tuple[int, int]:
    """Peak heap of (report compliance --json to a file, report verify of that file)."""
    from ikrar_cli import api
    from ikrar_cli.reports.compliance import compute, gather
    from ikrar_cli.reports.proof import verify_report

    ws = api.open_workspace(home)
    try:
        peaks = []
        for step in ("report", "verify"):
            gc.collect()
            tracemalloc.start()
            if step == "report":
                result = compute(ws, gather(ws, PLEDGE, day))
                with open(out, "wb") as fh:
                    result.write_json(fh)
                result.close()
                del result
            else:
                assert verify_report(ws, out).match
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        return peaks[0], peaks[1]
    finally:
        ws.close()


def _check(tmp_path: Path, use: Callable[[str], None] = lambda which: None) -> None:
    """``use(which)`` points the engine at the small or the large workspace's database."""
    small, large = tmp_path / "small", tmp_path / "large"
    use("small")
    day_s = build(small, *SMALL, per_unit=50)
    _peaks(small, day_s, tmp_path / "warm.json")  # first use imports modules: not part of the figure
    s = _peaks(small, day_s, tmp_path / "small.json")
    use("large")
    day_l = build(large, *LARGE, per_unit=50)
    big = _peaks(large, day_l, tmp_path / "large.json")
    doc = json.loads((tmp_path / "large.json").read_text(encoding="utf-8"))
    assert doc["totals"]["active"] == LARGE[0] and doc["totals"]["attested"] == LARGE[1]
    assert len(doc["units"]) == LARGE[0] // 50
    # four times the officers and receipts; the old code's peak grew about 4x
    assert big[0] < 1.6 * s[0], (s, big)
    assert big[1] < 1.6 * s[1], (s, big)


def test_report_and_verify_memory_is_bounded_on_sqlite(engine: str, tmp_path: Path) -> None:
    _check(tmp_path)


@pytest.mark.postgresql_only
def test_report_and_verify_memory_is_bounded_on_postgresql(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engines import create_database, drop_database

    urls = {"small": os.environ["IKRAR_DATABASE_URL"], "large": create_database()}
    try:
        _check(tmp_path, lambda which: monkeypatch.setenv("IKRAR_DATABASE_URL", urls[which]))
    finally:
        monkeypatch.setenv("IKRAR_DATABASE_URL", urls["small"])
        drop_database(urls["large"])


def test_streamed_json_is_the_whole_document_rendered_at_once(engine: str, tmp_path: Path) -> None:
    """write_json == render_json(document), document built from the in-memory report model."""
    from ikrar_cli import api
    from ikrar_cli.reports.compliance import compute, document_digest, gather, render_json

    day = build(tmp_path / "ws", 450, 200, per_unit=40)
    ws = api.open_workspace(tmp_path / "ws")
    try:
        result = compute(ws, gather(ws, PLEDGE, day))
        out = tmp_path / "r.json"
        with open(out, "wb") as fh:
            digest = result.write_json(fh)
        rep = result.report.to_dict()  # report.py's own model and serialisation
        doc = result.document
        assert [u["unit"] for u in rep["units"]] == [u["unit"] for u in doc["units"]]
        for mine, model in zip(doc["units"], rep["units"], strict=True):
            assert mine["missing_staff"] == model["missing_staff"]
            assert mine["joined_later_staff"] == model["joined_later_staff"]
        assert rep["totals"] == doc["totals"]
        assert out.read_bytes() == render_json(doc)
        assert digest == doc["digest"] == document_digest(doc)
        assert doc["totals"]["missing"] == 450 - 200 > 0
    finally:
        ws.close()
