"""Report formats are classes chosen by name, and every format renders every report kind.

Exhaustive both ways: a report kind added to ``REPORT_KINDS`` without a ``render_<kind>``
method on the base class (or without a sample report here) fails; a format class that misses
a kind cannot be instantiated, and one that is not registered fails; every registered format
renders a real compliance report computed from signed inputs.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import test_report

import ikrar_cli.cli.reports.report_table  # noqa: F401 - registers "table" whatever ran before
from ikrar_cli.cli.reports.report import FORMATS as CLI_FILE_FORMATS
from ikrar_cli.errors import UsageError
from ikrar_cli.reports.formats import (
    FORMATS,
    REPORT_KINDS,
    RenderOptions,
    ReportFormat,
    file_formats,
    format_for,
    get_format,
    report_kind,
)

site = test_report.site  # the workspace with two individual and two collective pledges


def _subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _subclasses(sub)
    return out


def _compliance(home: Path) -> Any:
    from ikrar_cli import api
    from ikrar_cli.reports.compliance import compute, gather, today_in

    ws = api.open_workspace(home)
    try:
        return compute(ws, gather(ws, "pilkada-2024", today_in(ws.config.timezone))), ws.config.timezone
    finally:
        ws.close()


def _officer(home: Path) -> Any:
    from ikrar_cli import api
    from ikrar_cli.keys.trustpolicy import officer_view
    from ikrar_cli.reports.officer import OfficerRecord

    ws = api.open_workspace(home)
    try:
        return OfficerRecord(officer_view(ws, "198609262015051001")), ws.config.timezone
    finally:
        ws.close()


#: one way to get a real report of each kind (a new kind needs one here)
SAMPLES: dict[str, Callable[[Path], Any]] = {"compliance": _compliance, "officer": _officer}


def test_every_report_kind_is_an_abstract_method_of_the_base_and_has_a_sample() -> None:
    methods = {m for m in ReportFormat.__abstractmethods__ if m.startswith("render_")}
    assert methods == {f"render_{kind}" for kind in REPORT_KINDS}
    assert set(SAMPLES) == set(REPORT_KINDS)


def test_every_format_class_is_registered_and_implements_every_kind() -> None:
    classes = _subclasses(ReportFormat)
    assert {cls.name: cls for cls in classes} == FORMATS
    for cls in classes:
        fmt = cls()  # an abstract render_<kind> left over raises TypeError here
        for kind in REPORT_KINDS:
            assert getattr(type(fmt), f"render_{kind}") is not getattr(ReportFormat, f"render_{kind}")


def test_a_format_missing_a_kind_cannot_be_made() -> None:
    class Half(ReportFormat):  # no render_compliance
        name = "half"

        def render_officer(self, record: Any, out: Path | None, options: RenderOptions) -> None:
            pass

    with pytest.raises(TypeError, match="render_compliance"):
        Half()  # type: ignore[abstract]

    class NoOfficer(ReportFormat):  # issue 19: report officer is a format too
        name = "no-officer"

        def render_compliance(self, result: Any, out: Path | None, options: RenderOptions) -> None:
            pass

    with pytest.raises(TypeError, match="render_officer"):
        NoOfficer()  # type: ignore[abstract]


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    assert set(FORMATS) == {"table", "json", "csv", "xlsx", "pdf"}
    assert CLI_FILE_FORMATS == file_formats() == ("csv", "xlsx", "pdf")
    assert [format_for(Path(f"laporan.{n.upper()}")) for n in file_formats()] == list(file_formats())
    with pytest.raises(UsageError):
        format_for(Path("laporan.txt"))
    with pytest.raises(UsageError):
        get_format("docx")


def _check_officer(name: str, out: Path, printed: str, record: Any) -> None:
    oid, receipt = "198609262015051001", record.attestations[0]["receipt"]
    if name == "table":
        assert oid in printed and receipt in printed and not out.exists()
    elif name == "json":
        assert json.loads(printed) == json.loads(json.dumps(record.data))
    elif name == "csv":
        rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
        assert [row[0] for row in rows[1:]] == [oid] and rows[1][-1] == receipt
    elif name == "xlsx":
        from openpyxl import load_workbook

        cells = [c.value for row in load_workbook(out).active.iter_rows() for c in row]
        assert oid in cells and receipt in cells
    else:
        from pypdf import PdfReader

        text = "".join(p.extract_text() for p in PdfReader(out).pages)
        assert name == "pdf" and oid in text and "pilkada-2024" in text


def _check(name: str, out: Path, printed: str, result: Any) -> None:
    if report_kind(result) == "officer":
        _check_officer(name, out, printed, result)
        return
    units = {u.code for u in result.report.units}
    if name == "table":
        assert all(code in printed for code in units) and not out.exists()
    elif name == "json":
        assert json.loads(printed)["digest"] == result.document["digest"]
    elif name == "csv":
        rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
        assert {row[0] for row in rows} >= units
    elif name == "xlsx":
        assert "xl/workbook.xml" in zipfile.ZipFile(out).namelist()
    else:
        assert name == "pdf" and out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("kind", sorted(REPORT_KINDS))
def test_every_format_renders_a_real_report_of_every_kind(site, kind: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.store.core import now

    home, _receipts, _tmp = site
    result, zone = SAMPLES[kind](home)
    assert report_kind(result) == kind
    for name in sorted(FORMATS):
        fmt = get_format(name)
        out = tmp_path / f"report{fmt.suffix or '.out'}"
        buf = io.StringIO()
        with redirect_stdout(buf):
            fmt.render(result, out if fmt.suffix else None, RenderOptions(zone=zone, generated_at=now(), names=True))
        _check(name, out, buf.getvalue(), result)
