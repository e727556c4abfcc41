"""``report compliance`` (every format) and ``report verify`` in bounded memory (issue 20, issue 17).

The signed snapshot is verified while it streams, officers and first receipts go to a spool on
disk, and the JSON is written unit by unit; so the Python heap's peak (tracemalloc, no timing)
hardly grows when the roster is four times larger. Before, it grew with the roster (the whole
snapshot parsed, one entry per officer and per receipt, the whole document in memory): 4x.
Both engines; the JSON written in pieces is byte for byte the whole document rendered at once.
The CSV, XLSX, the table on stdout and the JSON served by ``ikrar serve`` are written the same
way (per-unit figures in memory, one unit's officers at a time): with every missing officer
listed, four times the lines cost a few bytes each, not the lines themselves.
"""

from __future__ import annotations

import gc
import json
import os
import tracemalloc
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from report_world import PASS, PLEDGE, build

SMALL, LARGE = (2_000, 200), (8_000, 800)  # officers, receipts (units of 50 officers)


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 25 entries and units and reads of 16 KiB (5,000, 200 and 1 MiB in use), so that test-sized
    inputs are already larger than one batch or read: what is left is what grows with size."""
    from ikrar_cli.cli.reports import report_table
    from ikrar_cli.reports import compliance, jsonstream, spool
    from ikrar_cli.roster import snapshot_stream

    monkeypatch.setattr(report_table, "ROWS", 25)  # units per piece of the table
    monkeypatch.setattr(compliance, "CHUNK", 25)
    monkeypatch.setattr(spool, "BATCH", 25)
    monkeypatch.setattr(snapshot_stream, "READ", 16 << 10)
    monkeypatch.setattr(jsonstream, "READ", 16 << 10)


STEPS = ("report", "verify", "csv", "xlsx", "table", "served")


def _writer(ws: object, home: Path, day: str, step: str, out: Path) -> Callable[..., None]:
    """One format of the report, computed (not traced), and what writes it to a file with every
    missing officer listed (``--all``): only the writing is traced."""
    from ikrar_cli.cli.output import reset_consoles
    from ikrar_cli.cli.reports.report_table import TableFormat
    from ikrar_cli.reports.compliance import compute, gather
    from ikrar_cli.reports.formats import RenderOptions, get_format

    if step == "served":  # GET /v1/hr/compliance, computed and its body consumed piece by piece
        from ikrar_cli.keys.keyfiles import load_authority_signer
        from ikrar_cli.server.service import Central
        from ikrar_cli.sync.auth import sign_request

        key, info = load_authority_signer(ws, PASS)  # type: ignore[arg-type]
        path = f"/v1/hr/compliance?pledge={PLEDGE}&as_of={day}"
        headers = sign_request(info.kid, key.sign, "GET", path, b"")
        central = Central(home)
        central.bundle()  # the trust bundle the server keeps for 10 s: not part of the figure

        def serve(close: bool = True) -> None:
            answer = central.compliance(headers, path, PLEDGE, day, None)
            assert answer.status == 200 and not isinstance(answer.body, bytes)
            with open(out.with_suffix(".served.json"), "wb") as fh:
                for piece in answer.body:
                    fh.write(piece)

        return serve
    result = compute(ws, gather(ws, PLEDGE, day))  # type: ignore[arg-type]
    options = RenderOptions(zone="Asia/Makassar", generated_at=0, names=True)

    def write(close: bool = True) -> None:
        if step == "table":
            reset_consoles()
            with open(out.with_suffix(".table.txt"), "w", encoding="utf-8") as fh, redirect_stdout(fh):
                TableFormat().render(result, None, options)
            reset_consoles()
        else:
            get_format(step).render(result, out.with_suffix("." + step), options)
        if close:
            result.close()

    if step == "table":
        write(close=False)  # rich keeps bounded caches (4,096 strings measured, ...): filled before the figure
    return write


def _peaks(home: Path, day: str, out: Path) -> dict[str, int]:
    """Peak heap of each step: report compliance --json to a file, report verify of that file,
    then the writing of each other format with every missing officer listed (CSV, XLSX, the
    table on stdout, the JSON served by ``ikrar serve``)."""
    from ikrar_cli import api
    from ikrar_cli.reports.compliance import compute, gather
    from ikrar_cli.reports.proof import verify_report

    ws = api.open_workspace(home)
    try:
        peaks = {}
        for step in STEPS:
            write = _writer(ws, home, day, step, out) if step not in ("report", "verify") else None
            gc.collect()
            tracemalloc.start()
            if step == "report":
                result = compute(ws, gather(ws, PLEDGE, day))
                with open(out, "wb") as fh:
                    result.write_json(fh)
                result.close()
                del result
            elif step == "verify":
                assert verify_report(ws, out).match
            else:
                assert write is not None
                write()
            peaks[step] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return peaks
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
    missing = doc["totals"]["missing"]
    assert missing == LARGE[0] - LARGE[1] and doc["totals"]["joined_later"] == 0
    # every format holds every line: the served JSON is the document, the CSV names each missing
    # officer, the XLSX has a row for each, the table lists each
    assert (tmp_path / "large.served.json").read_bytes() == (tmp_path / "large.json").read_bytes()
    ids = {s["officer_id"] for u in doc["units"] for s in u["missing_staff"]}
    csv_text = (tmp_path / "large.csv").read_text(encoding="utf-8-sig")
    assert sum(csv_text.count(f"({oid})") for oid in ids) == missing
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "large.xlsx", read_only=True)
    assert sum(1 for _row in wb.worksheets[1].iter_rows(min_row=2)) == missing
    wb.close()
    table = (tmp_path / "large.table.txt").read_text(encoding="utf-8")
    assert sum(1 for line in table.splitlines() if line.strip().split("  ")[0] in ids) == missing
    # four times the officers, receipts and missing lines; the old code's peak grew about 4x
    # (the JSON and verify before issue 20's stream)
    assert big["report"] < 1.6 * s["report"], (s, big)
    assert big["verify"] < 1.6 * s["verify"], (s, big)
    # each format, every missing officer listed: 5,400 more lines cost less than 8 bytes each
    # (measured: 1-3); when every line was held they cost 332 (CSV), 2,413 (XLSX), 90 (table) and
    # 1,366 (the server's whole document) bytes each
    extra = (LARGE[0] - LARGE[1]) - (SMALL[0] - SMALL[1])
    for step in ("csv", "xlsx", "table", "served"):
        assert big[step] - s[step] < 8 * extra, (step, s, big)


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
