"""Rejects files: the rows an import left out, in the input's own columns and format.

HR fixes the rows in Excel and imports the file again, so it keeps the input's headings
(a two-row header joined), adds one named reason column, and comes in the input's format:
XLSX for XLSX input, CSV with the input's separator (``;`` from Indonesian Excel) for CSV.
Identifiers stay text (XLSX text cells; grouped digits in CSV) and every cell is safe
against formula injection (``export.safe_cell``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..i18n import _
from ..sheets.export import csv_delimiter, write_csv, write_xlsx
from ..sheets.tabular import Cell, cell_text
from .sheet_header import header_key


def default_rejects_path(source: Path) -> Path:
    suffix = ".xlsx" if source.suffix.lower() in (".xlsx", ".xlsm") else ".csv"
    return source.with_name(source.stem + ".rejects" + suffix)


class RejectSpool:
    """Rejected rows kept in a temporary table of the import's connection (bounded memory),
    read back in row order."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.count = 0
        conn.execute("DROP TABLE IF EXISTS temp.rejects")
        conn.execute("CREATE TEMP TABLE rejects (row INTEGER, cells TEXT, reason TEXT)")

    def add(self, row: int, cells: Sequence[Cell], reason: str) -> None:
        self.count += 1
        self.conn.execute(
            "INSERT INTO rejects VALUES (?, ?, ?)",
            (row, json.dumps([cell_text(c) for c in cells], ensure_ascii=False), reason),
        )

    def rows(self) -> Iterator[tuple[int, list[str], str]]:
        for row, cells, reason in self.conn.execute("SELECT row, cells, reason FROM rejects ORDER BY row, rowid"):
            yield row, json.loads(cells), reason


def write_rejects(
    path: Path,
    headers: Sequence[str],
    rows: Iterator[tuple[int, list[str], str]],
    *,
    delimiter: str | None,
    id_columns: Sequence[int] = (),
    language: str | None = None,
) -> int:
    """Write the rejected rows; ``delimiter`` is the input's (None for XLSX input)."""
    label = _("Rejection reason")
    heads = list(headers)
    keys = [header_key(h) for h in heads]
    reason_at = keys.index(header_key(label)) if header_key(label) in keys else len(heads)
    if reason_at == len(heads):
        heads.append(label)
    width = len(heads)

    def body() -> Iterator[list[str]]:
        for _row, cells, reason in rows:
            line = (list(cells) + [""] * width)[:width]
            line[reason_at] = reason
            yield line

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        data = list(body())
        write_xlsx(path, [(_("Rejected rows"), heads, data, ["text"] * width)])
        return len(data)
    sep = delimiter or csv_delimiter(language)
    return write_csv(path, heads, body(), delimiter=sep, id_columns=id_columns)
