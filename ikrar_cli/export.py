"""Spreadsheet exports that are safe to open: no formula injection, identifiers as text.

OWASP ASVS 5.0 §1.2.10 / CWE-1236: a text cell whose first character is = + - @ tab CR
or NUL is prefixed with an apostrophe. NIP and NIK are always text cells, never numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .fsutil import atomic_writer

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """UTF-8 with BOM (Excel opens it with the right characters); returns the row count."""
    n = 0
    with atomic_writer(path, binary=False, encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([safe_cell(h) for h in headers])
        for row in rows:
            w.writerow([safe_cell("" if v is None else str(v)) for v in row])
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
    head = wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    text = wb.add_format({"num_format": "@"})
    pct = wb.add_format({"num_format": "0.0%"})
    for name, headers, rows, types in sheets:
        ws = wb.add_worksheet(name[:31])
        widths = [len(h) + 2 for h in headers]
        for c, h in enumerate(headers):
            ws.write_string(0, c, str(safe_cell(h)), head)
        r = 0
        for r, row in enumerate(rows, 1):
            for c, v in enumerate(row):
                kind = types[c] if c < len(types) else "text"
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
                widths[c] = min(60, max(widths[c], len(str(v)) + 2))
        for c, wdt in enumerate(widths):
            ws.set_column(c, c, wdt, text if (types[c] if c < len(types) else "text") == "text" else None)
        ws.freeze_panes(1, 0)
        if r:
            ws.autofilter(0, 0, r, len(headers) - 1)
    wb.close()
    with atomic_writer(path) as fh:
        fh.write(buf.getvalue())
