"""Finding the header of the sheets offices really make, for rosters and attendance lists alike.

An office sheet has merged title rows above the table ("DAFTAR PEGAWAI ..."), a header that
spans two rows (a merged "PANGKAT / GOL" over "GOL" and "TMT"), a ``1 2 3 …`` numbering row
under it, ``JUMLAH`` subtotal rows, blank separator rows and a signature block at the end.
``open_sheet`` reads the first rows, picks the row whose cells name the most known fields
(joining it with the next row when that names more), and reports every row it leaves out
with its spreadsheet row number and why. ``--header-row N`` overrides the choice.

Rows below the header are classified lazily: only a row whose identifier does not parse is
looked at again (``classify_row``), so clean data rows cost nothing extra.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..i18n import _
from ..sheets.tabular import Cell, cell_text, read_table

LOOKAHEAD = 30  # header rows searched for
_SUBTOTAL = re.compile(r"^(SUB ?TOTAL|GRAND ?TOTAL|TOTAL|JUMLAH|JML\b|REKAP|REKAPITULASI)", re.IGNORECASE)
_NUMBER = re.compile(r"^\(?(\d{1,3})\)?\.?$")


def header_key(text: str) -> str:
    """'Unit Kerja' / 'UNIT_KERJA' / 'unitKerja' -> 'unitkerja' (what aliases are compared on)."""
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", text).lower())


@dataclass
class SkippedRow:
    row: int
    reason: str  # 'title' | 'header' | 'numbering' | 'subtotal' | 'heading' | 'repeated_header'
    text: str = ""

    def describe(self) -> str:
        return {
            "title": _("title row above the header"),
            "header": _("second header row, joined with the one above"),
            "numbering": _("column numbering row (1 2 3 …)"),
            "subtotal": _("subtotal row"),
            "heading": _("heading or signature row inside the table (one cell filled, no identifier)"),
            "repeated_header": _("the header repeated (a new page of the printout)"),
        }[self.reason]

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason, "description": self.describe(), "text": self.text}


@dataclass
class Sheet:
    """A table with its header found: column labels, the keys each column answers to, the rows."""

    source: Path
    headers: list[str]  # the user's own headings (two-row headers joined with ' / ')
    keys: list[tuple[str, ...]]  # per column: the keys to match aliases against, best first
    header_rows: tuple[int, ...]
    skipped: list[SkippedRow]
    rows: Iterator[tuple[int, list[Cell]]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    is_xlsx: bool = False
    blank_rows: int = 0
    header_set: set[str] = field(default_factory=set)
    #: columns (identifier, name) whose lone filled cell makes a row data, never a heading
    protected: set[int] = field(default_factory=set)

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        """Data rows; counts the blank rows between them (the readers leave those out)."""
        expected = self.header_rows[-1] + 1
        for row_no, cells in self.rows:
            if row_no != expected:
                self.blank_rows += row_no - expected
            expected = row_no + 1
            yield row_no, cells

    def classify_row(self, cells: Sequence[Cell]) -> str | None:
        """Why a row that is not data can be left out, or None when it must be reported as invalid."""
        return classify_row(cells, self.header_set, self.protected)


def _texts(cells: Sequence[Cell]) -> list[str]:
    return [" ".join(cell_text(c).split()) for c in cells]


def _is_numbering(texts: Sequence[str]) -> bool:
    filled = [t for t in texts if t]
    if len(filled) < 2:
        return False
    nums = []
    for t in filled:
        m = _NUMBER.match(t)
        if not m:
            return False
        nums.append(int(m.group(1)))
    return nums[0] in (0, 1) and all(b == a + 1 for a, b in itertools.pairwise(nums))


def classify_row(
    cells: Sequence[Cell],
    header_set: set[str] | frozenset[str] = frozenset(),
    protected: set[int] | frozenset[int] = frozenset(),
) -> str | None:
    texts = _texts(cells)
    filled = [t for t in texts if t]
    if not filled:
        return "heading"
    if _is_numbering(texts):
        return "numbering"
    if any(_SUBTOTAL.match(t) for t in filled[:4]):
        return "subtotal"
    if header_set and sum(1 for t in filled if header_key(t) in header_set) >= 2:
        return "repeated_header"
    if len(filled) == 1 and not any(texts[i] for i in protected if i < len(texts)):
        return "heading"  # a lone name or identifier is a person with a problem, not a heading
    return None


def _ffill(texts: list[str], below: list[str]) -> list[str]:
    """A merged parent heading is only in its first cell: carry it right over the columns that
    have a heading below and nothing above."""
    out, last = [], ""
    for top, bottom in itertools.zip_longest(texts, below, fillvalue=""):
        if top:
            last = top
            out.append(top)
        elif bottom and last:
            out.append(last)
        else:
            last = "" if not bottom else last
            out.append("")
    return out


def _columns(top: list[str], bottom: list[str] | None) -> tuple[list[str], list[tuple[str, ...]]]:
    if bottom is None:
        return top, [(header_key(t),) if t else () for t in top]
    filled_top = _ffill(top, bottom)
    labels: list[str] = []
    keys: list[tuple[str, ...]] = []
    for t, b in itertools.zip_longest(filled_top, bottom, fillvalue=""):
        if t and b and header_key(t) != header_key(b):
            labels.append(f"{t} / {b}")
            keys.append((header_key(b), header_key(t + b), header_key(t)))
        else:
            label = b or t
            labels.append(label)
            keys.append((header_key(label),) if label else ())
    return labels, keys


def _second_header_row(top: list[str], below: list[str]) -> bool:
    """A row under the header that holds sub-headings: text (no identifier-like digits) under
    a merged parent (an empty cell above), and not the column numbering."""
    if _is_numbering(below) or any(re.search(r"\d{5}", t) for t in below):
        return False
    under_merged = any(b and not t for t, b in itertools.zip_longest(top, below, fillvalue=""))
    return under_merged and sum(1 for b in below if b) < sum(1 for t in top if t)


def _score(keys: list[tuple[str, ...]], aliases: Mapping[str, Sequence[str]]) -> int:
    found = set()
    lookup = {a: f for f, names in aliases.items() for a in names}
    for options in keys:
        for k in options:
            if k in lookup:
                found.add(lookup[k])
                break
    return len(found)


def locate_header(
    head: list[tuple[int, list[str]]],
    aliases: Mapping[str, Sequence[str]],
    *,
    header_row: int | None = None,
    path: Path | str = "",
) -> tuple[int, tuple[int, ...], list[str], list[tuple[str, ...]], list[SkippedRow]]:
    """The header among the first non-blank rows ``head`` ((row number, cell texts), in order):
    (its index in ``head``, the row numbers it spans, column labels, column keys, rows above)."""
    if header_row is not None:
        pos = next((i for i, (n, _c) in enumerate(head) if n == header_row), None)
        if pos is None:
            raise InputError(
                _("--header-row {row}: row {row} of {path} is empty or past the end", row=header_row, path=path),
                _("give the number of the row that names the columns, as the spreadsheet shows it"),
            )
        best = (pos, 0)
    else:
        best_score, best = 0, (-1, 0)
        for i, (_row_no, texts) in enumerate(head):
            s1 = _score(_columns(texts, None)[1], aliases)
            if s1 > best_score:
                best_score, best = s1, (i, 0)
        if best_score == 0:
            first_row, first_cells = head[0] if head else (1, [])
            shown = [t for t in first_cells if t][:6]
            raise InputError(
                _(
                    "{path}: no header row found in the first {n} rows (row {row} reads: {cells})",
                    path=path,
                    n=LOOKAHEAD,
                    row=first_row,
                    cells=", ".join(shown) or "-",
                ),
                _(
                    "the header must name columns such as NIP, Nama and Unit Kerja; give its row with --header-row N",
                ),
            )
    i = best[0]
    top = head[i][1]
    single_labels, single_keys = _columns(top, None)
    rows_used: tuple[int, ...] = (head[i][0],)
    labels, keys = single_labels, single_keys
    if i + 1 < len(head) and head[i + 1][0] == head[i][0] + 1:
        below = head[i + 1][1]
        two_labels, two_keys = _columns(top, below)
        s1, s2 = _score(single_keys, aliases), _score(two_keys, aliases)
        if s2 > s1 or (s2 == s1 and _second_header_row(top, below)):
            labels, keys, rows_used = two_labels, two_keys, (head[i][0], head[i + 1][0])
    skipped = [SkippedRow(n, "title", " ".join(t for t in texts if t)[:80]) for n, texts in head[:i]]
    if len(rows_used) == 2:
        skipped.append(SkippedRow(rows_used[1], "header", " ".join(t for t in head[i + 1][1] if t)[:80]))
    return i, rows_used, labels, keys, skipped


def open_sheet(
    path: Path,
    aliases: Mapping[str, Sequence[str]],
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> Sheet:
    """Open a CSV/XLSX table and find its header among the first rows (see the module doc)."""
    table = read_table(path, sheet=sheet, encoding=encoding)
    it = iter(table)
    head: list[tuple[int, list[str]]] = [(table.header_row, list(table.headers))]
    raw: list[tuple[int, list[Cell]]] = [(table.header_row, list(table.headers))]
    limit = max(LOOKAHEAD, (header_row or 0) + 1)
    for row_no, cells in it:
        raw.append((row_no, cells))
        head.append((row_no, _texts(cells)))
        if row_no > limit:
            break
    i, rows_used, labels, keys, skipped = locate_header(head, aliases, header_row=header_row, path=path)
    rest = raw[i + len(rows_used) :]
    header_set = {k for options in keys for k in options[:1] if k}
    return Sheet(
        source=path,
        headers=labels,
        keys=keys,
        header_rows=rows_used,
        skipped=skipped,
        rows=itertools.chain(rest, it),
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        is_xlsx=table.sheet is not None,
        header_set=header_set,
    )
