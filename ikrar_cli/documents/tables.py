"""CSV the way the reader's Excel expects it: Indonesian dialect (``;``, decimal comma) in Indonesian.

Indonesian-locale Excel reads ``;`` as the list separator and ``,`` as the decimal mark, so a
CSV written with commas and decimal points opens as one column, or with 66.7 read as 667.
English keeps ``,`` and the decimal point. Cells are safe against formula injection (export.py).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..i18n import get_language


def dialect() -> tuple[str, str]:
    """(delimiter, decimal mark) for the current language."""
    return (";", ",") if get_language() == "id" else (",", ".")


def cell(value: Any) -> str:
    from ..sheets.export import safe_cell

    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", dialect()[1])
    return str(safe_cell(str(value)))


def write_table_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """UTF-8 with BOM, the language's delimiter and decimal mark; returns the row count."""
    from ..fsutil import atomic_writer
    from ..sheets.export import safe_cell

    n = 0
    with atomic_writer(path, binary=False, encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=dialect()[0])
        w.writerow([safe_cell(h) for h in headers])
        for row in rows:
            w.writerow([cell(v) for v in row])
            n += 1
    return n
