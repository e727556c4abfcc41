"""Checks an XLSX file before the XLSX reader sees it: no zip bomb, no sheet too large to hold.

The reader (python-calamine) holds a sheet as one dense grid from its first to its last cell
and the shared strings in memory; it aborts the whole process when an allocation fails. So a
1.8 KB file with one cell at ``XFD1048576`` (16,384 × 1,048,576 cells) kills ikrar, and a
1.5 MB zip that inflates to gigabytes exhausts the machine. This module refuses such files
with one clear error, in bounded memory and time:

- the archive: at most ``MAX_ENTRIES`` members, each at most ``MAX_ENTRY_BYTES`` and all
  together at most ``MAX_TOTAL_BYTES`` when inflated, no member inflating more than
  ``MAX_RATIO`` times (past 1 MB); every member is inflated once in chunks, so a header
  that lies about a size fails its CRC check here;
- every worksheet: its declared ``<dimension>`` and the cells it actually names (streamed
  through expat; a DOCTYPE, which no XLSX has, is refused) span at most ``MAX_CELLS`` cells.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any, NoReturn

from ..errors import InputError
from ..i18n import _

MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 384 * 1024 * 1024
MAX_RATIO = 150
MAX_CELLS = 5_000_000  # e.g. 250,000 rows × 20 columns
CHUNK = 1 << 20

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _reexport() -> str:
    return _("open it in Excel, delete unused rows and columns, and save it again (or export CSV)")


def _refuse(path: Path, why: str) -> InputError:
    return InputError(
        _("{path} is not a roster workbook ikrar can read safely: {why}", path=path, why=why), _reexport()
    )


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _ref(value: str) -> tuple[int, int] | None:
    m = _REF.match(value.strip())
    return (int(m.group(2)), _col(m.group(1))) if m else None


def check_xlsx(path: Path) -> None:
    """Raise InputError if ``path`` would take the XLSX reader past the bounds above."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_sizes(path, infos)
            for info in infos:
                if _is_sheet(info.filename):
                    _check_sheet(path, zf, info)
                else:
                    _inflate(zf, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise InputError(
            _("{path} is not a readable XLSX workbook", path=path), _("open it in Excel and save it again as .xlsx")
        ) from exc


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml") and name.count("/") == 2


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise _refuse(path, _("it has {n} parts", n=len(infos)))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_ENTRY_BYTES or total > MAX_TOTAL_BYTES:
            raise _refuse(path, _("it inflates to more than {mb} MB", mb=MAX_TOTAL_BYTES >> 20))
        if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise _refuse(
                path,
                _(
                    "part {name} inflates {ratio} times (a zip bomb?)",
                    name=info.filename,
                    ratio=info.file_size // max(1, info.compress_size),
                ),
            )


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read a member to its end: zipfile stops at the declared size and checks the CRC."""
    with zf.open(info) as fh:
        while fh.read(CHUNK):
            pass


class _SheetScan:
    """The span of the cells a worksheet names, as the reader will lay them out."""

    def __init__(self, path: Path, name: str):
        self.path, self.name = path, name
        self.row = 0
        self.col = 0
        self.min_row = self.min_col = 1 << 40
        self.max_row = self.max_col = 0

    def doctype(self, *args: Any) -> NoReturn:
        raise _refuse(self.path, _("{name} declares a DOCTYPE", name=self.name))

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rsplit(":", 1)[-1]
        attrs = {k.rsplit(":", 1)[-1]: v for k, v in attrs.items()}  # x:r counts as r
        if local == "row":
            r = attrs.get("r")
            self.row = int(r) if r and r.strip().isdigit() else self.row + 1
            self.col = 0
        elif local == "c":
            ref = _ref(attrs["r"]) if "r" in attrs else None
            if ref:
                self.row, self.col = ref
            else:
                self.col += 1
            self.see(self.row, self.col)
        elif local == "dimension" and "ref" in attrs:
            corners = [_ref(x) for x in attrs["ref"].split(":")]
            for c in corners:
                if c:
                    self.see(*c)

    def see(self, row: int, col: int) -> None:
        self.min_row, self.max_row = min(self.min_row, row), max(self.max_row, row)
        self.min_col, self.max_col = min(self.min_col, col), max(self.max_col, col)
        area = (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)
        if area > MAX_CELLS:
            raise _refuse(
                self.path,
                _(
                    "sheet {name} spans {rows} rows × {cols} columns (at most {limit} cells)",
                    name=self.name,
                    rows=self.max_row - self.min_row + 1,
                    cols=self.max_col - self.min_col + 1,
                    limit=MAX_CELLS,
                ),
            )


# Fast path for ordinary sheets: a few regular expressions with literal starts over the whole part,
# no Python per cell. Every <c and <row element must carry a plain r="A1"-style attribute (the
# first r of the tag); a prefixed element (x:c), a cell without r, an entity or '>' inside a tag
# makes the counts differ, and expat decides instead.
_PREFIXED = re.compile(rb":(?:c|row|dimension)[\s/>]")
# the same elements, one group each: lists of bytes instead of tuples (sets of them are built in C)
_C_PLAIN_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_C_PLAIN_COL = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_C_REF = re.compile(rb"""<c\s[^>]*?(?<=\s)r\s*=\s*["']\$?([A-Za-z]{1,3})\$?([0-9]{1,7})["']""")
_ROW_REF = re.compile(rb"""<row\s[^>]*?(?<=\s)r\s*=\s*["']([0-9]{1,7})["']""")
_DIM_REF = re.compile(rb"""<dimension\s[^>]*?(?<=\s)ref\s*=\s*["']([^"'<]*)["']""")
FAST_PATH_BYTES = 64 * 1024 * 1024


_TAG_END = [bytes([b]) for b in b" \t\n\r\f\v/>"]  # what may follow a tag name: [\s/>] of a bytes pattern


def _starts(data: bytes, tag: bytes) -> int:
    r"""How many times ``tag`` starts an element: exactly len(re.findall(tag + rb"[\s/>]", data)),
    counted in C without building a list."""
    return sum(data.count(tag + end) for end in _TAG_END)


def _fast_scan(scan: _SheetScan, data: bytes) -> bool:
    """True when the regular expressions accounted for every c and row element."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        scan.doctype()
    if _PREFIXED.search(data):
        return False
    at = data.find(b"<dimension")
    if at >= 0:
        m = _DIM_REF.match(data, at, at + 4096)
        if m is None or data.find(b"<dimension", at + 1) >= 0:
            return False
        scan.start("dimension", {"ref": m.group(1).decode("ascii", "replace")})
    c_starts, row_starts = _starts(data, b"<c"), _starts(data, b"<row")
    cell_rows: list[bytes] = _C_PLAIN_ROW.findall(data)
    if len(cell_rows) == c_starts:  # every cell is <c r="A1" ...: its column by the same pattern
        cell_cols = set(_C_PLAIN_COL.findall(data))
    else:
        cells = _C_REF.findall(data)
        cell_rows, cell_cols = [r for _c, r in cells], {c for c, _r in cells}
    rows = _ROW_REF.findall(data)
    if len(cell_rows) != c_starts or len(rows) != row_starts:
        return False
    numbers = set(map(int, set(rows) | set(cell_rows)))
    columns = {_col(c.decode("ascii")) for c in {c.upper() for c in cell_cols}}
    if numbers:
        scan.see(min(numbers), min(columns) if columns else 1)
        scan.see(max(numbers), max(columns) if columns else 1)
    return True


def _check_sheet(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    from xml.parsers import expat

    if info.file_size <= FAST_PATH_BYTES:
        with zf.open(info) as fh:
            data = fh.read(FAST_PATH_BYTES + 1)
        if _fast_scan(_SheetScan(path, info.filename), data):
            return

    scan = _SheetScan(path, info.filename)
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = scan.doctype
    parser.StartElementHandler = scan.start
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _refuse(path, _("{name} is not well-formed XML", name=info.filename)) from exc
