"""Reading the spreadsheets HR actually has: CSV from Excel or SIASN, and XLSX.

CSV: UTF-8 with or without BOM, UTF-16 ("Unicode text"), Windows-1252 / Latin-1
fallback; delimiter ``,`` ``;`` or tab detected; quoted fields with embedded newlines.
XLSX through python-calamine (fast, well kept); numeric cells are passed through as
numbers so identifier checks can recognise Excel's floating-point damage.
Row numbers are the ones a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..errors import InputError
from ..i18n import _

Cell = str | float | int


def detect_encoding(path: Path) -> str:
    """BOMs first; then UTF-8 if the whole file decodes, else Windows-1252 (Latin-1 for its gaps)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        try:
            while chunk := fh.read(1 << 20):
                chunk.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def detect_delimiter(sample: str) -> str:
    """The delimiter (``,`` ``;`` or tab) that splits the most of the first 30 non-blank lines into
    one same number (more than one) of columns; on a tie the more columns, then ``,`` ``;`` tab in
    that order; ``,`` when none splits anything. Counting the characters of one line misreads a
    title row above the header that holds commas in a semicolon file (``,,;;`` then ``NIP;Nama``)."""
    lines = [ln for ln in sample.split("\n")[:30] if ln.strip()]
    best, best_score = ",", (0, 0)
    for d in (",", ";", "\t"):
        try:
            widths = Counter(len(row) for row in csv.reader(lines, delimiter=d) if len(row) > 1)
        except csv.Error:
            continue
        score = max(((n, w) for w, n in widths.items()), default=(0, 0))
        if score > best_score:
            best, best_score = d, score
    return best


@dataclass
class TableReader:
    source: Path
    headers: list[str]
    _rows: Iterator[tuple[int, list[Cell]]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1  # the spreadsheet row number of ``headers``

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        return self._rows


def _is_xlsx(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def read_table(path: Path, *, sheet: str | None = None, encoding: str | None = None) -> TableReader:
    """Open a CSV or XLSX file for streaming rows; the first non-empty row is the header."""
    if not path.exists():
        raise InputError(_("File not found: {path}", path=path), _("check the path"))
    if path.is_dir():
        raise InputError(_("{path} is a directory, not a file", path=path), _("give a file name"))
    try:
        if path.stat().st_size == 0:
            raise InputError(_("{path} is empty", path=path), _("check that this is the right file"))
        if _is_xlsx(path):
            return _read_xlsx(path, sheet)
        if sheet:
            raise InputError(
                _("--sheet applies to XLSX files, and {path} is not one", path=path),
                _("leave out --sheet for CSV files"),
            )
        return _read_csv(path, encoding)
    except PermissionError as exc:
        raise InputError(
            _("Cannot read {path}: permission denied", path=path), _("check the file's permissions")
        ) from exc


def _read_csv(path: Path, encoding: str | None) -> TableReader:
    enc = encoding or detect_encoding(path)
    try:
        fh = open(path, encoding=enc, newline="", errors="strict")  # noqa: SIM115 - closed by the generator
        sample = fh.read(65536)
    except (LookupError, UnicodeDecodeError) as exc:
        raise InputError(
            _("{path} cannot be read as {encoding}", path=path, encoding=enc),
            _("try --encoding utf-8, cp1252 or utf-16"),
        ) from exc
    if "\x00" in sample:
        fh.close()
        raise InputError(
            _("{path} is not a text table (it contains binary data)", path=path), _("export the sheet as CSV or XLSX")
        )
    delim = detect_delimiter(sample)
    fh.seek(0)
    reader = csv.reader(fh, delimiter=delim)
    headers: list[str] | None = None
    row_no = 0
    try:
        for row in reader:
            row_no += 1
            if any(c.strip() for c in row):
                headers = [c.strip() for c in row]
                break
    except (csv.Error, UnicodeDecodeError) as exc:
        fh.close()
        raise InputError(
            _("{path}: row {row}: {reason}", path=path, row=row_no + 1, reason=exc),
            _("check the quoting in the file, or save it again from Excel"),
        ) from exc
    if headers is None:
        fh.close()
        raise InputError(_("{path} has no header row", path=path), _("the first row must name the columns"))

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        n = row_no
        try:
            for row in reader:  # a new list per row: handed on as is
                n += 1
                if "".join(row).strip():  # some cell is not blank (one C call, no generator)
                    yield n, cast("list[Cell]", row)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(
                _("{path}: row {row}: {reason}", path=path, row=n + 1, reason=exc),
                _("check the quoting in the file, or save it again from Excel"),
            ) from exc
        finally:
            fh.close()

    return TableReader(path, headers, rows(), encoding=enc, delimiter=delim, header_row=row_no)


def _read_xlsx(path: Path, sheet: str | None) -> TableReader:
    import python_calamine

    from .xlsx_guard import check_xlsx

    check_xlsx(path)  # no zip bomb, no sheet too large: the reader aborts the process on those
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except (python_calamine.CalamineError, OSError, ValueError) as exc:
        raise InputError(
            _("{path} is not a readable XLSX workbook", path=path), _("open it in Excel and save it again as .xlsx")
        ) from exc
    names = list(wb.sheet_names)
    if sheet is None:
        name = names[0]
    elif sheet in names:
        name = sheet
    else:
        raise InputError(
            _("{path} has no sheet {sheet!r}", path=path, sheet=sheet),
            _("sheets in the file: {names}", names=", ".join(names)),
        )
    ws = wb.get_sheet_by_name(name)
    it = iter(ws.iter_rows())
    headers = None
    row_no = 0
    for row in it:
        row_no += 1
        if any(_cell_text(c).strip() for c in row):
            headers = [_cell_text(c).strip() for c in row]
            break
    if headers is None:
        raise InputError(_("{path} has no header row", path=path), _("the first row must name the columns"))

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        n = row_no
        for row in it:
            n += 1
            try:  # a row of text cells (most rows): as it is, blank when the joined text is
                if "".join(row).strip():  # type: ignore[arg-type]  # a non-text cell raises
                    yield n, cast("list[Cell]", row)
                continue
            except TypeError:
                pass
            cells = [c if type(c) is str else _cell_value(c) for c in row]  # text cells as they are
            if any(c.strip() if type(c) is str else str(c).strip() for c in cells):
                yield n, cells

    return TableReader(path, headers, rows(), sheet=name, header_row=row_no)


def _cell_value(c: Any) -> Cell:
    if isinstance(c, bool):
        return str(c)
    if isinstance(c, int | float):
        return c
    if c is None:
        return ""
    return str(c)


def _cell_text(c: Any) -> str:
    if isinstance(c, float) and c.is_integer() and abs(c) < 1e15:
        return str(int(c))
    return "" if c is None else str(c)


def cell_text(c: Cell) -> str:
    """A cell as text (numbers from XLSX that are whole and small are written without '.0')."""
    if isinstance(c, float):
        return str(int(c)) if c.is_integer() and abs(c) < 1e15 else repr(c)
    return str(c)


def sniff_text(data: bytes) -> str:
    return io.TextIOWrapper(io.BytesIO(data)).read()
