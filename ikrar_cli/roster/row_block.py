"""The roster import's row checks over a block of rows at once (issue 20, ``importquick``).

``RowChecker.check_rows`` hands each block of :data:`BLOCK` rows here first. When every row of
the block is one the fused per-row path (``RowChecker._fast``) would take as it is — all cells
printable ASCII text without surrounding or doubled spaces, an 18-digit identifier (bare or
grouped by spaces) whose dates pass, a name and a unit, every field within its bound — the
outcomes are built column by column: each test is one C-level pass over the block (``map``,
``zip``, ``str.join``, ``in``) instead of about forty bytecode steps per row. Any doubt about any
row (a number cell from XLSX, a short row, an id-type column, one unclean cell, one bad NIP …)
returns None and the block takes the per-row path, which is unchanged. So the outcomes are
exactly the per-row ones by construction (with the checker's ``empty=""``, which the importer
sets on SQLite, an empty optional field is "" instead of None: the staging insert stores both as
NULL); ``tests/test_roster_block_path.py`` checks it on
generated blocks with one bad row anywhere, invalid NIP/NIK and dates included.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from operator import add, itemgetter
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..receipts.receipt import MAX_CLAIM_TEXT
from ..sheets.tabular import Cell
from .fields import MAX_FIELD_TEXT
from .row_check import joined_is_clean

if TYPE_CHECKING:
    from .row_check import Outcome, RowChecker

BLOCK = 128  # rows per block: one odd row sends only its block down the per-row path

_ROW_NO, _CELLS = itemgetter(0), itemgetter(1)
#: the fields of ``RowChecker._get``, in its order
_FIELDS = ("raw", "full", "front", "back", "unit", "pos", "sub", "rank", "status", "email", "nik")


class BlockPlan:
    """What a checker's blocks read: the present columns (one ``itemgetter``), where each field
    of ``RowChecker._get`` comes from (a present column, or the always-empty absent cell), and
    the shortest row that holds every column read."""

    __slots__ = ("get", "slots", "min_len")

    def __init__(self, checker: RowChecker) -> None:
        indexes = (checker.i_id, checker.i_name, checker.i_gd, checker.i_gb, checker.i_unit, *checker.i_opt,
                   checker.i_nik)  # fmt: skip
        absent = checker.absent
        present = sorted({i for i in indexes if i != absent})
        where = {col: pos for pos, col in enumerate(present)}
        self.get = itemgetter(*present) if len(present) > 1 else None
        self.slots: tuple[int | None, ...] = tuple(None if i == absent else where[i] for i in indexes)
        need = [*present, *([checker.i_tmt] if checker.i_tmt is not None else [])]
        self.min_len = max(need) + 1


def block_outcomes(
    checker: RowChecker, plan: BlockPlan, rows: Sequence[tuple[int, list[Cell]]]
) -> list[Outcome] | None:
    """The outcomes of ``rows`` (all good, all by the fused path's rules), or None."""
    n = len(rows)
    if not n or plan.get is None or checker.i_type is not None:
        return None
    kind = checker.id_type
    if kind is not None and kind != "nip" and kind != "nippppk":
        return None
    cells = list(map(_CELLS, rows))
    if min(map(len, cells)) < plan.min_len:
        return None  # a short row: padded on the per-row path
    try:
        joined = "|".join(map("|".join, cells))  # numbers (XLSX) raise TypeError
    except TypeError:
        return None
    # the fused path's clean test over the whole block: each row's text is a "|"-bounded part of it
    if not joined_is_clean(joined):
        return None
    columns = list(zip(*map(plan.get, cells), strict=True))
    empty: tuple[str, ...] = ("",) * n
    raw, full, front, back, unit, pos, sub, rank, status, email, nik = (
        empty if s is None else columns[s] for s in plan.slots
    )
    if min(map(len, raw)) < 18 or max(map(len, raw)) > 21:
        return None
    idents = list(map(str.replace, raw, repeat(" ", n), repeat("", n)))
    if min(map(len, idents)) != 18 or max(map(len, idents)) != 18 or not "".join(idents).isdigit():
        return None
    found = list(map(checker._dates.kind, idents))
    if None in found or (kind == "nippppk" and "nip" in found):
        return None
    if "" in full or "" in unit:
        return None
    if checker.has_titles:
        name = full
    else:
        from .row_check import split_titles

        front, name, back = zip(*map(split_titles, full), strict=True)
    if max(map(len, name)) > MAX_CLAIM_TEXT or max(map(add, map(len, front), map(len, back))) > MAX_FIELD_TEXT:
        return None
    if max(max(map(len, col)) for col in (unit, pos, sub, rank, status, email)) > MAX_FIELD_TEXT:
        return None
    tmt: Any = repeat(None, n)
    if checker.i_tmt is not None:
        from .joined import roster_tmt

        try:
            tmt = list(map(roster_tmt, map(itemgetter(checker.i_tmt), cells)))
        except InputError:
            return None
    numbers = list(map(_ROW_NO, rows))
    optional: Any = (front, back, pos, sub, rank, status, nik, email)
    if checker.empty is None:
        optional = map(_nulls, optional)
    front, back, pos, sub, rank, status, nik, email = optional
    staged = zip(idents, numbers, found, name, front, back, pos, unit, sub, rank, status, nik, email, strict=True)
    return list(zip(numbers, staged, tmt, strict=True))


def _nulls(column: Sequence[str]) -> list[str | None]:
    """An empty cell is staged as None (the fused path's ``value or None``); with ``empty=""`` the
    staging insert makes it NULL (``Staging``) and the column goes as it is."""
    return [v or None for v in column]
