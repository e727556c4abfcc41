"""Roster fields as HR names them, and the checks every imported cell passes.

Field labels are what messages and the dry run show (``Nama``, ``Unit Kerja (OPD)``), never
the internal English names alone. Cell text is checked here for what would break later:
control characters (C0/C1, ESC, bidi overrides) are refused, invisible copy-paste debris is
removed, and every field that goes into a receipt must fit the receipt format's own limits
(docs/receipt-format.md: text claims are 1-200 characters).
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import InputError
from ..i18n import _
from ..receipts.receipt import MAX_CLAIM_TEXT
from ..sheets.tabular import Cell, cell_text

# invisible characters that copy-paste leaves in cells: removed without a word
_DEBRIS = re.compile("[\u200b\u2060\ufeff\u00ad]")
# refused: C0 and C1 controls that are not white space (ESC, NUL, BEL ...) and bidi controls
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: longest position, rank, status, sub-unit, unit name or e-mail kept (not in receipts)
MAX_FIELD_TEXT = 250


def field_label(name: str) -> str:
    """The field's name as HR knows it, in the current language."""
    labels = {
        "officer_id": _("Identifier (NIP/NI PPPK/NIK)"),
        "id_type": _("Identifier type"),
        "name": _("Name"),
        "gelar_depan": _("Title before the name"),
        "gelar_belakang": _("Title after the name"),
        "position": _("Position"),
        "unit": _("Unit (OPD)"),
        "sub_unit": _("Sub-unit"),
        "rank": _("Rank (golongan)"),
        "status": _("Employment status"),
        "nik": _("NIK"),
        "email": _("E-mail"),
        "unit_code": _("Unit code"),
        "active": _("Active"),
        "joined": _("Joining date (TMT)"),
    }
    return labels.get(name, name)


#: names accepted by --map besides the internal ones (Indonesian, as HR types them)
FIELD_SYNONYMS = {
    "nip": "officer_id",
    "identitas": "officer_id",
    "id": "officer_id",
    "nama": "name",
    "jenisid": "id_type",
    "gelardepan": "gelar_depan",
    "gelarbelakang": "gelar_belakang",
    "jabatan": "position",
    "unitkerja": "unit",
    "opd": "unit",
    "subunit": "sub_unit",
    "golongan": "rank",
    "pangkat": "rank",
    "statuskepegawaian": "status",
    "surel": "email",
}


def describe_char(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def check_text(text: str) -> str:
    """Refuse control characters; drop invisible debris. ``text`` is already NFC."""
    m = _FORBIDDEN.search(text)
    if m:
        raise InputError(
            _("the text contains the control character {char}", char=describe_char(m.group())),
            _("remove the character in the spreadsheet (it can hide or reorder text on screens and slips)"),
        )
    return _DEBRIS.sub("", text) if _DEBRIS.search(text) else text


def clean_text(value: Cell | None) -> str:
    """NFC, white space collapsed, controls refused. Clean ASCII text (most cells) is returned as is."""
    if type(value) is str:
        if value.isascii():
            if "  " not in value and value.strip() == value and value.isprintable():
                return value  # already clean: most cells
            text = value
        else:
            text = unicodedata.normalize("NFC", value)
    else:
        text = unicodedata.normalize("NFC", cell_text(value) if value is not None else "")
    return " ".join(check_text(text).split())


def row_is_clean(cells: list[Cell]) -> bool:
    """True when ``clean_text`` would return every cell of the row unchanged: all cells are
    printable ASCII text without surrounding or doubled spaces (most rows of most sheets). A
    false "no" only costs the per-cell path; a "yes" is exact (a '|' inside a cell can only
    make the pattern match more)."""
    try:
        joined = "|".join(cells)  # type: ignore[arg-type]  # numbers (XLSX) raise: not clean
    except TypeError:
        return False
    if not (joined.isascii() and joined.isprintable()):
        return False
    # a space at a cell's start or end, or two in a row (substring searches in C, no pattern)
    return not ("  " in joined or "| " in joined or " |" in joined or joined.startswith(" ") or joined.endswith(" "))


def check_length(fname: str, text: str) -> None:
    """Receipt fields must fit the receipt format; the others a sane bound."""
    limit = MAX_CLAIM_TEXT if fname == "name" else MAX_FIELD_TEXT
    if len(text) > limit:
        raise InputError(
            _(
                "{field} is {n} characters long; at most {max} fit",
                field=field_label(fname),
                n=len(text),
                max=limit,
            ),
            _("shorten it in the spreadsheet (a receipt carries the name and must stay decodable)")
            if fname == "name"
            else _("shorten it in the spreadsheet"),
        )
