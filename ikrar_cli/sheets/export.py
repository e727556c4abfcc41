"""Spreadsheet exports that are safe to open: no formula injection, identifiers as text.

OWASP ASVS 5.0 §1.2.10 / CWE-1236: a text cell whose first character is = + - @ tab CR
or NUL is prefixed with an apostrophe. NIP and NIK are always text cells, never numbers.
CSV follows the Excel of the workspace's language (docs/spreadsheets.md): Indonesian Excel
reads ``;`` between cells and a decimal comma; identifiers are written grouped
(``19860926 201505 1 001``) so that Excel keeps them as text instead of ``1,98609E+17``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..fsutil import atomic_writer

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def csv_delimiter(language: str | None) -> str:
    """The list separator Excel expects in a CSV: ';' for Indonesian (decimal comma), else ','."""
    return ";" if (language or "id") == "id" else ","


def decimal_text(value: float, places: int, language: str | None) -> str:
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if csv_delimiter(language) == ";" else text


def excel_text_id(value: str) -> str:
    """An 18-digit NIP / NI PPPK or a 16-digit NIK grouped with spaces, as BKPSDM sheets print
    them: Excel keeps that as text, and every ikrar command reads it back."""
    if len(value) == 18 and value.isdigit():
        return f"{value[:8]} {value[8:14]} {value[14]} {value[15:]}"
    if len(value) == 16 and value.isdigit():
        return f"{value[:6]} {value[6:12]} {value[12:]}"
    return value


def write_csv(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ",",
    id_columns: Sequence[int] = (),
) -> int:
    """UTF-8 with BOM (Excel opens it with the right characters); returns the row count.

    ``id_columns``: cells written with ``excel_text_id`` so Excel does not turn them into numbers.
    """
    n = 0
    ids = set(id_columns)
    with atomic_writer(path, binary=False, encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow([safe_cell(h) for h in headers])
        for row in rows:
            cells = [safe_cell("" if v is None else str(v)) for v in row]
            for i in ids:
                if i < len(cells):
                    cells[i] = excel_text_id(cells[i])
            w.writerow(cells)
            n += 1
    return n


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[str]]]) -> None:
    """Sheets of (name, headers, rows, column types: 'text' | 'int' | 'float' | 'percent')."""
    import io

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    fill_workbook(wb, sheets)
    wb.close()
    with atomic_writer(path) as fh:
        fh.write(buf.getvalue())


def fill_workbook(wb: Any, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[str]]]) -> None:
    """Write the sheets into an open xlsxwriter ``Workbook`` (in memory or ``constant_memory``):
    bold header row, text cells as text through ``safe_cell``, numbers by column type, widths from
    the content (at most 60), the header frozen and filtered. Rows are read once, in order."""
    head = wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    text = wb.add_format({"num_format": "@"})
    pct = wb.add_format({"num_format": "0.0%"})
    for name, headers, rows, types in sheets:
        ws = wb.add_worksheet(name[:31])
        kinds = [types[c] if c < len(types) else "text" for c in range(len(headers))]
        widths = [len(h) + 2 for h in headers]
        for c, h in enumerate(headers):
            ws.write_string(0, c, str(safe_cell(h)), head)
        r = 0
        for r, row in enumerate(rows, 1):
            for c, v in enumerate(row):
                kind = kinds[c] if c < len(kinds) else "text"
                if v is None or v == "":
                    ws.write_blank(r, c, None, text if kind == "text" else None)
                elif kind == "int":
                    ws.write_number(r, c, int(v))
                elif kind == "float":
                    ws.write_number(r, c, float(v))
                elif kind == "percent":
                    ws.write_number(r, c, float(v), pct)
                else:
                    ws.write_string(r, c, str(safe_cell(str(v))), text)
                if c < len(widths):
                    widths[c] = min(60, max(widths[c], len(str(v)) + 2))
        for c, wdt in enumerate(widths):
            ws.set_column(c, c, wdt, text if kinds[c] == "text" else None)
        ws.freeze_panes(1, 0)
        if r:
            ws.autofilter(0, 0, r, len(headers) - 1)
