"""The compliance report as CSV and XLSX, written as a stream (issue 20: bounded memory).

Rows are made one at a time from the report view (``view.py``: per-unit figures in memory, one
unit's officers read from the spool at a time) and written as they come: the CSV through
``documents.tables.write_table_csv``, the XLSX through xlsxwriter's ``constant_memory`` mode (each
row goes to a temporary file in a private folder as soon as the next row starts; inline strings,
no shared-string table). Both stay formula-injection safe (``sheets.export.safe_cell``, OWASP ASVS
§1.2.10): every text cell, header and sheet name passes through it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from ..i18n import _
from .render import _by_name, _headers, _names, _row
from .report import ComplianceReport

__all__ = ["write_csv", "write_xlsx", "write_xlsx_stream"]

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[str]]


def _summary(report: ComplianceReport, names: bool, csv: bool) -> Iterator[list[Any]]:
    for u in chain(report.units, [report.total]):
        r = _row(u)
        if csv:
            r[6] = round(r[6] * 100, 1)
        if names:
            r.append(_names(u))  # one unit's names at a time
        yield r


def write_csv(report: ComplianceReport, path: Path, *, names: bool = False) -> None:
    """Indonesian dialect (';' and decimal comma) in Indonesian; with ``names`` the missing officers too."""
    from ..documents.tables import write_table_csv

    write_table_csv(path, _headers() + ([_("Missing officers")] if names else []), _summary(report, names, True))


def _staff(report: ComplianceReport) -> Iterator[list[Any]]:
    for u in report.units:
        for status, lines in ((_("missing"), u.missing), (_("joined later"), u.joined_later)):
            if lines:
                for s in _by_name(lines):
                    yield [u.code, u.name, s.officer_id, s.name, s.position or "", status]


def write_xlsx(report: ComplianceReport, path: Path, *, names: bool = False) -> None:
    types = ["text", "text", "int", "int", "int", "int", "percent", "int", "int"] + (["text"] if names else [])
    staff_headers = [_("Unit code"), _("Unit"), _("NIP / ID"), _("Name"), _("Position"), _("Status")]
    write_xlsx_stream(
        path,
        [
            (_("Summary"), _headers() + ([_("Missing officers")] if names else []), _summary(report, names, False),
             types),
            (_("Not yet pledged"), staff_headers, _staff(report), ["text"] * 6),
        ],
    )  # fmt: skip


def write_xlsx_stream(path: Path, sheets: Sequence[Sheet]) -> None:
    """``sheets.export.write_xlsx`` (the same cells, formats and safety) with rows written as they
    come: sheets of (name, headers, rows, column types: 'text' | 'int' | 'float' | 'percent')."""
    import xlsxwriter

    from ..fsutil import atomic_writer
    from ..sheets.export import fill_workbook

    scratch = tempfile.mkdtemp(prefix="ikrar-xlsx-")  # 0700: the rows are personal data
    try:
        with atomic_writer(path) as fh:
            wb = xlsxwriter.Workbook(fh, {"constant_memory": True, "tmpdir": scratch, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})  # fmt: skip
            fill_workbook(wb, sheets)
            wb.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
