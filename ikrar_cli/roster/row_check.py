"""Checking one roster row: the validation step of a roster import (``importer.import_roster``).

A ``RowChecker`` holds only plain values (column positions, the import's options, the header
keys), so it can check rows in another process as well as in this one; ``check_rows`` turns a
chunk of rows into outcomes in the same order, and the importer consumes them in file order.
An outcome is ``(row, staged values, joining date)`` for a good row and ``(row, None, Failure)``
for one that is left out, so the first error of an import never depends on how rows were split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple

from ..errors import InputError
from ..i18n import _
from ..receipts.receipt import MAX_CLAIM_TEXT
from ..sheets.tabular import Cell, cell_text
from .fields import MAX_FIELD_TEXT, check_length, clean_text, row_is_clean
from .identifiers import identify, nip_dates
from .sheet_header import classify_row

#: optional text fields after the unit, in the order they are checked
OPTIONAL = ("position", "sub_unit", "rank", "status", "email")

ID_TYPES = {
    "nip": "nip",
    "pns": "nip",
    "nippppk": "nippppk",
    "pppk": "nippppk",
    "nipppk": "nippppk",
    "nik": "nik",
    "ktp": "nik",
    "internal": "internal",
    "internal id": "internal",
    "lainnya": "internal",
}
FRONT_TITLES = {"dr.", "drs.", "dra.", "ir.", "h.", "hj.", "prof.", "drg.", "ns.", "kh.", "apt.", "dr"}


def split_titles(full: str) -> tuple[str, str, str]:
    """'Dr. H. Ahmad Yani, S.H., M.Si.' -> ('Dr. H.', 'Ahmad Yani', 'S.H., M.Si.'). Best effort."""
    text = clean_text(full)
    name, _sep, back = text.partition(",")
    words = name.split()
    front = []
    while len(words) > 1 and words[0].lower() in FRONT_TITLES:
        front.append(words.pop(0))
    return " ".join(front), " ".join(words), back.strip()


def id_type_of(value: str) -> str | None:
    v = value.strip().lower()
    if not v:
        return None
    if v not in ID_TYPES:
        raise InputError(_("unknown id type {value!r}", value=value), _("use nip, nippppk, nik or internal"))
    return ID_TYPES[v]


class Failure(NamedTuple):
    """Why a row was left out: ``skip`` names a non-data row (title, subtotal …) to report as
    skipped; otherwise ``field`` failed with ``message``/``hint`` and the row is invalid."""

    field: str
    message: str
    hint: str | None
    skip: str | None = None
    text: str = ""


Outcome = tuple[int, Any, Any]  # (row, staged tuple, joined) or (row, None, Failure)


def _too_long(*values: str) -> tuple[str, str]:
    """The first field past its bound (the rare path of the row check)."""
    fields = ("unit", *OPTIONAL, "gelar_depan")
    return next((f, t) for f, t in zip(fields, values, strict=True) if len(t) > MAX_FIELD_TEXT)


def joined_is_clean(joined: str) -> bool:
    """The fused path's clean test over cells joined by ``|`` (one row, or a block's rows joined by
    ``|`` again): printable ASCII, no doubled space, no space at either end of any cell."""
    if not (joined.isascii() and joined.isprintable()) or "  " in joined or "| " in joined or " |" in joined:
        return False
    return joined[:1] != " " and joined[-1:] != " "


@dataclass
class RowChecker:
    """The per-row checks of an import with its column positions (fields that have no column
    read ``absent``, the always-empty cell each row is padded with)."""

    width: int  # padded row length: the header's columns and one empty cell
    cols: dict[str, int]
    id_type: str | None
    today: date
    header_set: frozenset[str] = frozenset()
    protected: frozenset[int] = frozenset()
    i_tmt: int | None = None
    #: how the block path stages an empty optional field: None, or "" where the staging insert
    #: turns it into NULL itself (SQLite: binding None costs the driver an adapter lookup per cell)
    empty: str | None = None

    def __post_init__(self) -> None:
        absent = self.width - 1
        get = self.cols.get
        self.absent = absent
        self.i_id, self.i_name, self.i_unit = self.cols["officer_id"], self.cols["name"], self.cols["unit"]
        self.i_type = get("id_type")
        self.i_gd, self.i_gb = get("gelar_depan", absent), get("gelar_belakang", absent)
        self.has_titles = "gelar_depan" in self.cols or "gelar_belakang" in self.cols
        self.i_opt = tuple(get(f, absent) for f in OPTIONAL)
        self.i_nik = get("nik", absent)
        self.pad: list[Cell] = [""] * self.width
        self._get = itemgetter(self.i_id, self.i_name, self.i_gd, self.i_gb, self.i_unit, *self.i_opt, self.i_nik)
        self._dates = nip_dates(self.today)
        from .row_block import BlockPlan

        self._block = BlockPlan(self)

    def padded(self, cells: list[Cell]) -> list[Cell]:
        return cells + self.pad[: self.width - len(cells)] if len(cells) < self.width else cells

    def check_rows(self, rows: Sequence[tuple[int, list[Cell]]]) -> list[Outcome]:
        """Outcomes of a chunk of (row number, cells), in the same order. A block of rows that are
        all good by the fused path's rules is checked column by column (``row_block``); any other
        block goes row by row: the fused path (``_fast``) first, whatever that path does not accept
        as is takes ``check``."""
        out: list[Outcome] = []
        from .row_block import BLOCK, block_outcomes

        for start in range(0, len(rows), BLOCK):
            block = rows[start : start + BLOCK]
            got = block_outcomes(self, self._block, block)  # every row good, checked column by column
            out.extend(self._check_each(block) if got is None else got)
        return out

    def _check_each(self, rows: Sequence[tuple[int, list[Cell]]]) -> list[Outcome]:
        """Outcomes row by row: the fused path, else the general ``check``."""
        out: list[Outcome] = []
        width, pad, fast = self.width, self.pad, self._fast
        for row_no, cells in rows:
            if len(cells) < width:
                cells = cells + pad[: width - len(cells)]
            got = fast(row_no, cells)
            out.append(self.general_outcome(row_no, cells) if got is None else got)
        return out

    def general_outcome(self, row_no: int, cells: list[Cell]) -> Outcome:
        """The outcome of the general ``check`` of one padded row: its values, or its failure."""
        try:
            values, joined = self.check(row_no, cells)
        except _Failed as failed:
            return (row_no, None, self._failure(cells, failed))
        return (row_no, values, joined)

    def _fast(self, row_no: int, cells: list[Cell]) -> Outcome | None:
        """The outcome of ``check`` for the common row, in one pass: every cell printable ASCII
        text without surrounding or doubled spaces (``fields.row_is_clean``: cleaning changes
        nothing), an identifier of 18 digits (bare or grouped by spaces) whose dates pass, and
        every field within its bound. None for any other row, which then takes ``check`` (and
        fails there with its message, or passes by the general rules). Property-tested to give
        exactly ``check``'s outcome whenever it gives one."""
        try:
            joined = "|".join(cells)  # type: ignore[arg-type]  # numbers (XLSX) raise: general path
        except TypeError:
            return None
        if not joined_is_clean(joined):
            return None
        raw, full, front, back, unit, pos, sub, rank, status, email, nik = self._get(cells)
        if self.i_type is None:
            kind = self.id_type
        else:
            typed: str = cells[self.i_type]  # type: ignore[assignment]  # text: the row is clean
            kind = ID_TYPES.get(typed.lower()) if typed else None
            if typed and kind is None:
                return None
        if (kind is not None and kind != "nip" and kind != "nippppk") or not 18 <= len(raw) <= 21:
            return None
        ident = raw.replace(" ", "") if len(raw) > 18 else raw
        if len(ident) != 18 or not ident.isdigit():
            return None
        found = self._dates.kind(ident)
        if found is None or (kind is not None and kind != found and not (kind == "nip" and found == "nippppk")):
            return None
        if not full or not unit:
            return None
        if self.has_titles:
            name = full
        else:
            front, name, back = split_titles(full)
        if len(name) > MAX_CLAIM_TEXT or max(len(unit), len(pos), len(sub), len(rank), len(status), len(email),
                                             len(front) + len(back)) > MAX_FIELD_TEXT:  # fmt: skip
            return None
        tmt = None
        if self.i_tmt is not None:
            from .joined import roster_tmt

            try:
                tmt = roster_tmt(cells[self.i_tmt])
            except InputError:
                return None
        return row_no, (ident, row_no, found, name, front or None, back or None, pos or None, unit, sub or None,
                        rank or None, status or None, nik or None, email or None), tmt  # fmt: skip

    def _failure(self, cells: list[Cell], failed: _Failed) -> Failure:
        exc = failed.error
        if failed.field in ("officer_id", "name"):
            why = classify_row(cells, self.header_set, self.protected)
            if why is not None:
                return Failure(failed.field, exc.message, exc.hint or None, why,
                               " ".join(cell_text(c) for c in cells if c)[:80])  # fmt: skip
        return Failure(failed.field, exc.message, exc.hint or None)

    def check(self, row_no: int, cells: list[Cell]) -> tuple[tuple[Any, ...], str | None]:
        """The staged values of a padded row and its joining date; ``_Failed`` names the field."""
        ct = str if row_is_clean(cells) else clean_text  # a clean row's cells are their own clean text
        fname = "officer_id"
        try:
            kind = id_type_of(ct(cells[self.i_type])) if self.i_type is not None else self.id_type
            kind, ident = identify(cells[self.i_id], kind, self.today)
            fname = "name"
            full = ct(cells[self.i_name])
            if not full:
                raise InputError(_("the name is empty"), "")
            if self.has_titles:
                front, name, back = ct(cells[self.i_gd]), full, ct(cells[self.i_gb])
            else:
                front, name, back = split_titles(full)
            if len(name) > MAX_CLAIM_TEXT:
                check_length("name", name)
            fname = "unit"
            unit = ct(cells[self.i_unit])
            if not unit:
                raise InputError(_("the unit is empty"), "")
            # absent columns read the padded empty cell: "" -> None (the field keeps its value)
            absent = self.absent
            i_pos, i_sub, i_rank, i_status, i_email = self.i_opt
            fname = "position"
            pos = ct(cells[i_pos]) if i_pos != absent else ""
            fname = "sub_unit"
            sub = ct(cells[i_sub]) if i_sub != absent else ""
            fname = "rank"
            rank = ct(cells[i_rank]) if i_rank != absent else ""
            fname = "status"
            status = ct(cells[i_status]) if i_status != absent else ""
            fname = "email"
            email = ct(cells[i_email]) if i_email != absent else ""
            fname = "nik"
            nik = ct(cells[self.i_nik]) or None
            fname = "joined"
            joined = None
            if self.i_tmt is not None:
                from .joined import roster_tmt

                joined = roster_tmt(cells[self.i_tmt])
            if max(len(unit), len(pos), len(sub), len(rank), len(status), len(email), len(front) + len(back)) > (
                MAX_FIELD_TEXT
            ):
                fname, text = _too_long(unit, pos, sub, rank, status, email, front + back)
                check_length(fname, text)
        except InputError as exc:
            raise _Failed(fname, exc) from None
        if kind == "nik":
            nik = ident
        return (ident, row_no, kind, name, front or None, back or None, pos or None, unit, sub or None, rank or None,
                status or None, nik, email or None), joined  # fmt: skip


class _Failed(Exception):
    def __init__(self, field: str, error: InputError) -> None:
        super().__init__(field)
        self.field = field
        self.error = error
