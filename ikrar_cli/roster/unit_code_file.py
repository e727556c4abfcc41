"""Reading many unit codes at once (``ikrar roster unit-code --from FILE``).

The file is any sheet HR keeps: a column naming the unit (its name or current code) and a
column with the new code, found by the same header detection as rosters (title rows and
the like are left out).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..i18n import _
from .fields import clean_text
from .sheet_header import open_sheet

ALIASES = {
    "unit": ("unit", "unitkerja", "namaunit", "opd", "perangkatdaerah", "skpd", "kodelama", "kodeunitlama", "nama"),
    "code": ("kode", "kodebaru", "kodeunit", "kodeunitbaru", "code", "newcode", "singkatan"),
}


def read_unit_codes(
    path: Path, *, sheet: str | None = None, header_row: int | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """(unit, new code) pairs, and for each where it came from (file and row) for messages."""
    table = open_sheet(path, ALIASES, sheet=sheet, header_row=header_row)
    found: dict[str, int] = {}
    for level in range(max(len(k) for k in table.keys) if table.keys else 1):
        for fname, aliases in ALIASES.items():
            if fname in found:
                continue
            for i, ks in enumerate(table.keys):
                if len(ks) > level and ks[level] in aliases and i not in found.values():
                    found[fname] = i
                    break
    if len(found) < 2:
        raise InputError(
            _("{path}: needs a unit column and a code column", path=path),
            _("columns found: {cols}; name them Unit and Code", cols=", ".join(h for h in table.headers if h)),
        )
    pairs: list[tuple[str, str]] = []
    rows: list[int] = []
    for row_no, cells in table:
        padded = list(cells) + [""] * (len(table.headers) + 1)
        unit, code = clean_text(padded[found["unit"]]), clean_text(padded[found["code"]])
        if not unit and not code:
            continue
        if not unit or not code:
            raise InputError(
                _("{path}: row {row}: the unit or its code is empty", path=path, row=row_no),
                _("fill in both, or delete the row"),
            )
        pairs.append((unit, code))
        rows.append(row_no)
    if not pairs:
        raise InputError(_("{path} lists no units", path=path), _("one unit and its new code per row"))
    return pairs, [_("{path}: row {row}", path=path, row=r) for r in rows]
