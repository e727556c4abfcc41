"""HR's joining dates (TMT) for the signed roster snapshot.

``ikrar roster publish --joined FILE`` reads the identifier and TMT column of an HR sheet (the
usual BKPSDM roster or a SIASN export: ``TMT``, ``TMT Masuk``, ``TMT CPNS``, ``TMT PPPK``,
``Tanggal Masuk``). An officer with such a date joins on it in every snapshot; everyone else joins
on the as-of day of the first snapshot that listed them. Dates may be ``YYYY-MM-DD``,
``DD-MM-YYYY``, ``DD/MM/YYYY`` or an Excel date cell.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..i18n import _

if TYPE_CHECKING:
    from ..workspace import Workspace

TMT_HEADERS = ("tmt", "tmtmasuk", "tanggalmasuk", "tmtcpns", "tmtpns", "tmtpppk", "tmtasn", "tglmasuk")


def parse_day(value: object) -> date | None:
    """A date cell as HR sheets hold it; None when it is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1000 < value < 80000:  # an Excel serial day number
            return date(1899, 12, 30) + timedelta(days=int(value))
        return None
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    parts: tuple[int, int, int] | None = None
    if m:
        parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    else:
        m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
        if m:
            parts = (int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return None


def read_joined(path: Path) -> dict[str, str]:
    """identifier -> YYYY-MM-DD from an HR sheet; a bad date names its row and column."""
    from ..sheets.tabular import cell_text, read_table
    from .identifiers import parse_identifier
    from .importer import ALIASES, header_key

    table = read_table(path)
    keys = [header_key(h) for h in table.headers]
    ids = [i for i, k in enumerate(keys) if k in ALIASES["officer_id"] or k == "nik"]
    tmt = [i for i, k in enumerate(keys) if k in TMT_HEADERS]
    if not ids or not tmt:
        raise InputError(
            _("{path}: needs an identifier column (NIP) and a TMT column", path=path),
            _("columns found: {cols}", cols=", ".join(table.headers)),
        )
    out: dict[str, str] = {}
    for row_no, cells in table:
        if len(cells) <= max(ids[0], tmt[0]) or not cell_text(cells[ids[0]]).strip():
            continue
        raw = cells[tmt[0]]
        if not cell_text(raw).strip():
            continue
        day = parse_day(raw)
        if day is None:
            raise InputError(
                _("{path}: row {row}, column {col}: {value!r} is not a date", path=path, row=row_no,
                  col=table.headers[tmt[0]], value=cell_text(raw)),
                _("write dates as YYYY-MM-DD or DD-MM-YYYY"),
            )  # fmt: skip
        out[parse_identifier(cells[ids[0]]).value] = day.isoformat()
    return out


def record_joined(ws: Workspace, joined: dict[str, str]) -> int:
    with ws.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO roster_joined (officer_id, joined) VALUES (?, ?) "
            "ON CONFLICT (officer_id) DO UPDATE SET joined = excluded.joined",
            sorted(joined.items()),
        )
    return len(joined)


# ------------------------------------------------------------------------------ from the roster import
#: columns of a roster sheet read as the joining date, best first. A bare ``TMT`` is not among them:
#: on a BKPSDM sheet it is the rank's date (under ``PANGKAT / GOLONGAN``), not when someone joined.
ROSTER_TMT_HEADERS = ("tmtmasuk", "tanggalmasuk", "tglmasuk", "tmtcpns", "tmtpppk", "tmtasn", "tmtpns")


def roster_tmt_column(keys: list[tuple[str, ...]]) -> int | None:
    """The column of an imported roster that holds the joining date (SIASN ``tmtCpns``, SAPK
    ``TMT_CPNS``, ``TMT Masuk`` …), if any; ``keys`` are the column keys of header detection."""
    for alias in ROSTER_TMT_HEADERS:
        for i, options in enumerate(keys):
            if alias in options:
                return i
    return None


def roster_tmt(value: object) -> str | None:
    """A roster cell's joining date as YYYY-MM-DD; None when empty; InputError when not a date."""
    from ..sheets.tabular import cell_text

    if value is None or not cell_text(value).strip():  # type: ignore[arg-type]
        return None
    day = parse_day(value)
    if day is None:
        raise InputError(
            _("{value!r} is not a date", value=cell_text(value)),  # type: ignore[arg-type]
            _("write dates as YYYY-MM-DD or DD-MM-YYYY"),
        )
    return day.isoformat()
