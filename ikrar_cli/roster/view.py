"""What people see of the roster outside an import: one officer's history of changes and
the roster export (``ikrar roster show`` / ``ikrar roster export``), so the CLI holds no SQL."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store.core import Store

__all__ = ["EXPORT_HEADERS", "HistoryEntry", "export_roster", "officer_history"]

#: the export's columns, in the words of a BKPSDM sheet (the roster import reads them back)
EXPORT_HEADERS = (
    "NIP",
    "Jenis ID",
    "Gelar Depan",
    "Nama",
    "Gelar Belakang",
    "Jabatan",
    "Kode Unit",
    "Unit Kerja",
    "Sub Unit",
    "Golongan",
    "Status Kepegawaian",
    "Aktif",
    "Nonaktif Sejak",
)
_XLSX_KINDS = ("text",) * 11 + ("int", "text")


@dataclass(frozen=True)
class HistoryEntry:
    """One field change of an officer, as the roster import recorded it (UTC seconds)."""

    field: str
    old: str | None
    new: str | None
    changed_at: int


def officer_history(conn: sqlite3.Connection, officer_id: str) -> list[HistoryEntry]:
    """Every recorded change of one officer, oldest first."""
    rows = conn.execute(
        "SELECT field, old_value, new_value, changed_at FROM officer_history WHERE officer_id = ? ORDER BY id",
        (officer_id,),
    ).fetchall()
    return [HistoryEntry(f, a, b, t) for f, a, b, t in rows]


def export_roster(store: Store, out: Path, *, unit: str | None, status: str, language: str | None) -> int:
    """Write the roster (``status``: active, inactive or all) to ``out``: XLSX when it ends in
    ``.xlsx``, else CSV in the Excel dialect of ``language``. Returns the number of officers."""
    from ..sheets.export import csv_delimiter, write_csv, write_xlsx
    from .importer import list_officers

    with store.read() as conn:
        rows: list[list[Any]] = [
            [
                o.officer_id,
                o.id_type,
                o.gelar_depan,
                o.name,
                o.gelar_belakang,
                o.position,
                o.unit_code,
                o.unit_name,
                o.sub_unit,
                o.rank,
                o.status,
                1 if o.active else 0,
                o.retired_at,
            ]
            for o in list_officers(conn, unit=unit, status=status)
        ]
    headers = list(EXPORT_HEADERS)
    if out.suffix.lower() == ".xlsx":
        write_xlsx(out, [("Roster", headers, rows, list(_XLSX_KINDS))])
    else:
        write_csv(out, headers, rows, delimiter=csv_delimiter(language), id_columns=(0,))
    return len(rows)
