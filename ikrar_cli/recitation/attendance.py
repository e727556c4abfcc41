"""Attendance lists of a collective recitation: the same header detection as rosters, and a
rejects file in the list's own columns and format for the rows that were not recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError
from ..i18n import _
from ..roster.importer import ALIASES
from ..roster.sheet_header import Sheet, SkippedRow, header_key, open_sheet
from ..sheets.tabular import cell_text

__all__ = ["attendance_rows", "write_attendance_rejects"]

ATTENDANCE_ALIASES = {"officer_id": ALIASES["officer_id"], "nik": ALIASES["nik"], "name": ALIASES["name"],
                      "unit": ALIASES["unit"], "position": ALIASES["position"]}  # fmt: skip


def _id_column(table: Sheet, path: Path, column: str | None) -> int:
    if column:
        want = header_key(column)
        found = [i for i, h in enumerate(table.headers) if header_key(h) == want] or [
            i for i, ks in enumerate(table.keys) if want in ks
        ]
        if not found:
            raise InputError(
                _("--column {column}: no such column", column=column),
                _("columns found: {cols}", cols=", ".join(h for h in table.headers if h)),
            )
        return found[0]
    for level in range(max((len(k) for k in table.keys), default=1)):
        for alias in ALIASES["officer_id"] + ALIASES["nik"]:
            for i, ks in enumerate(table.keys):
                if len(ks) > level and ks[level] == alias:
                    return i
    if len([h for h in table.headers if h]) == 1:
        return next(i for i, h in enumerate(table.headers) if h)
    raise InputError(
        _("{path}: no NIP or NIK column found", path=path),
        _("columns found: {cols}; choose one with --column", cols=", ".join(h for h in table.headers if h)),
    )


def _open(path: Path, sheet: str | None, header_row: int | None) -> Sheet:
    try:
        return open_sheet(path, ATTENDANCE_ALIASES, sheet=sheet, header_row=header_row)
    except InputError:
        if header_row is not None:
            raise
        # a one-column list of numbers with no header at all: every row is data
        return open_sheet(path, ATTENDANCE_ALIASES, sheet=sheet, header_row=1)


def attendance_rows(
    path: Path,
    sheet: str | None = None,
    column: str | None = None,
    header_row: int | None = None,
    skipped: list[SkippedRow] | None = None,
) -> Iterator[tuple[int, str]]:
    """(row number, identifier text) for each data row of a CSV/XLSX attendance list.

    ``column`` names the column (any spelling the roster accepts); without it the first
    NIP/NIK column is used, or the only column of a one-column list. Rows that are not data
    (title, numbering, subtotal, heading rows) are left out and appended to ``skipped``.
    """
    table = _open(path, sheet, header_row)
    idx = _id_column(table, path, column)
    names = [i for i, ks in enumerate(table.keys) if ks and ks[0] in ALIASES["name"]]
    table.protected = {idx, *names[:1]}
    if skipped is not None:
        skipped.extend(table.skipped)
    for row, cells in table:
        text = cell_text(cells[idx]) if idx < len(cells) else ""
        if sum(ch.isdigit() for ch in text) < 8:  # not an identifier: maybe a subtotal or heading row
            why = table.classify_row(cells)
            if why is not None:
                if skipped is not None:
                    skipped.append(SkippedRow(row, why, " ".join(cell_text(c) for c in cells if c)[:80]))
                continue
        yield row, text


def write_attendance_rejects(
    source: Path,
    out: Path,
    reasons: dict[int, str],
    *,
    sheet: str | None = None,
    column: str | None = None,
    header_row: int | None = None,
    language: str | None = None,
) -> int:
    """Read the list again and write the rows named in ``reasons`` with their reason."""
    from ..roster.rejects import write_rejects

    table = _open(source, sheet, header_row)
    idx = _id_column(table, source, column)

    def rows() -> Iterator[tuple[int, list[str], str]]:
        for row, cells in table:
            if row in reasons:
                yield row, [cell_text(c) for c in cells], reasons[row]

    return write_rejects(out, table.headers, rows(), delimiter=table.delimiter, id_columns=[idx], language=language)
