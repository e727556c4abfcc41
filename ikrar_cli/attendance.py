"""Attendance lists of a collective recitation: which column holds the identifiers, row by row.

Reuses the roster's table readers and header aliases, so an attendance sheet may be
the same CSV/XLSX export HR uses for the roster (or a one-column list of NIPs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .errors import InputError
from .i18n import _

__all__ = ["attendance_rows"]


def attendance_rows(path: Path, sheet: str | None = None, column: str | None = None) -> Iterator[tuple[int, str]]:
    """(row number, identifier text) from a CSV/XLSX attendance list.

    ``column`` names the column (any spelling the roster accepts); without it the first
    NIP/NIK column is used, or the only column of a one-column list.
    """
    from .roster import ALIASES, header_key
    from .tabular import cell_text, read_table

    table = read_table(path, sheet=sheet)
    keys = [header_key(h) for h in table.headers]
    if column:
        if header_key(column) not in keys:
            raise InputError(
                _("--column {column}: no such column", column=column),
                _("columns found: {cols}", cols=", ".join(table.headers)),
            )
        idx = keys.index(header_key(column))
    else:
        found = [keys.index(a) for a in ALIASES["officer_id"] + ALIASES["nik"] if a in keys]
        if found:
            idx = found[0]
        elif len(keys) == 1:
            idx = 0
        else:
            raise InputError(
                _("{path}: no NIP or NIK column found", path=path),
                _("columns found: {cols}; choose one with --column", cols=", ".join(table.headers)),
            )
    for row, cells in table:
        yield row, cell_text(cells[idx]) if idx < len(cells) else ""
