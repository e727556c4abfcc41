"""The staff roster: who must pledge, per unit (OPD), imported from HR's spreadsheets.

An import streams the file once into a temporary staging table (bounded memory),
validating every row, and then applies everything in ONE transaction: all-or-nothing
by default, so an invalid row or a crash leaves the roster exactly as it was.
Upsert by identifier; field-level changes go to ``officer_history``; staff missing
from a full roster are only marked inactive (``--retire-missing``), never deleted.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from ..i18n import _
from ..receipts.receipt import MAX_CLAIM_TEXT
from ..sheets.tabular import Cell, cell_text
from ..store.core import Store
from .changes import ChangeLog
from .fields import FIELD_SYNONYMS, MAX_FIELD_TEXT, check_length, clean_text, field_label
from .identifiers import parse_identifier
from .sheet_header import SkippedRow, header_key, open_sheet
from .unit_codes import suggest_unit_code

__all__ = [
    "ImportReport",
    "Officer",
    "RowProblem",
    "active_officers",
    "derive_unit_code",
    "find_officer",
    "import_roster",
    "list_officers",
    "lookup_officer",
    "map_headers",
    "rename_unit_code",
    "rename_unit_codes",
    "roster_stats",
    "split_titles",
    "unit_names",
]

FIELDS = (
    "officer_id",
    "id_type",
    "name",
    "gelar_depan",
    "gelar_belakang",
    "position",
    "unit",
    "sub_unit",
    "rank",
    "status",
    "nik",
    "email",
)
STORED = (
    "id_type",
    "name",
    "gelar_depan",
    "gelar_belakang",
    "position",
    "unit_code",
    "sub_unit",
    "rank",
    "status",
    "nik",
    "email",
)
ALIASES: dict[str, tuple[str, ...]] = {
    "officer_id": (
        "nip",
        "nipbaru",
        "nip18",
        "nippppk",
        "nipppk",
        "nipasn",
        "nomorindukpegawai",
        "idpegawai",
        "nomorpegawai",
        "nipnik",
        "nipnipppk",
    ),
    "id_type": ("jenisid", "idtype", "jenisidentitas", "tipeid"),
    "name": ("nama", "namalengkap", "namapegawai", "namagelar", "namadangelar", "namalengkapdangelar"),
    "gelar_depan": ("gelardepan",),
    "gelar_belakang": ("gelarbelakang",),
    "position": ("jabatan", "jabatannama", "jabataninstansinama", "namajabatan", "jabatanterakhir"),
    # the OPD: explicit unit columns first, then SIASN/SAPK's unorIndukNama, and only then the
    # sub-unit columns (unorNama) or the whole government (satuanKerja...)
    "unit": (
        "unitkerja",
        "opd",
        "perangkatdaerah",
        "skpd",
        "unitkerjaopd",
        "unorinduknama",
        "unorinduk",
        "unitorganisasi",
        "unornama",
        "satuankerja",
        "satuankerjanama",
        "satuankerjakerjanama",
        "instansi",
    ),
    "sub_unit": ("subunit", "subunitkerja", "unornama", "unor", "bidang", "bagian", "subbagian"),
    # the golongan (III/a) before the pangkat name (Penata): SIASN and SAPK export both
    "rank": (
        "golongan",
        "golruangakhir",
        "namagolongan",
        "golru",
        "gol",
        "golruang",
        "pangkatgolongan",
        "pangkatgol",
        "pangkatgolruang",
        "pangkat",
        "pangkatakhir",
        "namapangkat",
    ),
    "status": (
        "statuskepegawaian",
        "jenispegawai",
        "jenispegawainama",
        "statuspegawai",
        "kedudukanhukumnama",
        "status",
    ),
    "nik": ("nik", "noktp", "nomorindukkependudukan"),
    "email": ("email", "surel", "alamatemail"),
}
REQUIRED = ("officer_id", "name", "unit")
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


def _field_name(name: str) -> str:
    key = header_key(name)
    if name in FIELDS:
        return name
    if key in FIELD_SYNONYMS:
        return FIELD_SYNONYMS[key]
    for f in FIELDS:
        if header_key(f) == key:
            return f
    raise UsageError(
        _("--map: unknown field {field}", field=name),
        _("fields: {fields}", fields=", ".join(f"{f} ({field_label(f)})" for f in FIELDS)),
    )


def map_headers(
    headers: list[str], overrides: dict[str, str] | None = None, keys: list[tuple[str, ...]] | None = None
) -> dict[str, int]:
    """Field -> column index. ``overrides`` maps a field to the exact header (``--map field=Header``).

    ``keys`` (from header detection) gives each column the keys it answers to, best first: a
    two-row header's column answers to its lower heading, the joined one, then the one above.
    A column's best key wins over another column's fallback key.
    """
    col_keys = keys if keys is not None else [(header_key(h),) for h in headers]
    mapping: dict[str, int] = {}
    for fname, header in (overrides or {}).items():
        field_name = _field_name(fname)
        want = header_key(header)
        found = [i for i, h in enumerate(headers) if header_key(h) == want] or [
            i for i, ks in enumerate(col_keys) if want in ks
        ]
        if not found:
            raise InputError(
                _("--map {field}={header}: no such column", field=fname, header=header),
                _("columns found: {cols}", cols=", ".join(h for h in headers if h)),
            )
        mapping[field_name] = found[0]
    used = set(mapping.values())
    depth = max((len(k) for k in col_keys), default=1)
    for level in range(depth):
        for fname, aliases in ALIASES.items():
            if fname in mapping:
                continue
            for alias in aliases:
                hit = next(
                    (i for i, ks in enumerate(col_keys) if len(ks) > level and ks[level] == alias and i not in used),
                    None,
                )
                if hit is not None:
                    mapping[fname] = hit
                    used.add(hit)
                    break
    if "officer_id" not in mapping and "nik" in mapping:
        mapping["officer_id"] = mapping.pop("nik")  # non-ASN rosters: the NIK is the identifier
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise InputError(
            _(
                "Required column(s) not found: {missing}",
                missing=", ".join(f"{field_label(f)} [{f}]" for f in missing),
            ),
            _(
                'columns found: {cols}; name them with --map field=Header, e.g. --map {field}="{example}"',
                cols=", ".join(h for h in headers if h) or "-",
                field=missing[0],
                example=next((h for i, h in enumerate(headers) if h and i not in mapping.values()), "…"),
            ),
        )
    return mapping


def split_titles(full: str) -> tuple[str, str, str]:
    """'Dr. H. Ahmad Yani, S.H., M.Si.' -> ('Dr. H.', 'Ahmad Yani', 'S.H., M.Si.'). Best effort."""
    text = clean_text(full)
    name, _sep, back = text.partition(",")
    words = name.split()
    front = []
    while len(words) > 1 and words[0].lower() in FRONT_TITLES:
        front.append(words.pop(0))
    return " ".join(front), " ".join(words), back.strip()


def derive_unit_code(name: str, taken: set[str]) -> str:
    """A short code for a unit name (receipts carry the code, not the name): see unit_codes."""
    return suggest_unit_code(name, taken)


@dataclass
class Officer:
    officer_id: str
    id_type: str
    name: str
    gelar_depan: str | None
    gelar_belakang: str | None
    position: str | None
    unit_code: str | None
    unit_name: str | None
    rank: str | None
    status: str | None
    active: bool
    retired_at: str | None
    first_seen_at: int
    sub_unit: str | None = None

    @property
    def display_name(self) -> str:
        text = f"{self.gelar_depan} {self.name}" if self.gelar_depan else self.name
        return f"{text}, {self.gelar_belakang}" if self.gelar_belakang else text

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "display_name": self.display_name}


_OFFICER_SQL = (
    "SELECT o.officer_id, o.id_type, o.name, o.gelar_depan, o.gelar_belakang, o.position, o.unit_code, "
    "u.name, o.rank, o.status, o.active, o.retired_at, o.first_seen_at, o.sub_unit FROM officers o "
    "LEFT JOIN units u ON u.code = o.unit_code"
)


def _officer(row: tuple[Any, ...]) -> Officer:
    return Officer(*row[:10], bool(row[10]), row[11], row[12], row[13])  # type: ignore[call-arg]  # 14 columns


def find_officer(conn: sqlite3.Connection, officer_id: str) -> Officer | None:
    row = conn.execute(_OFFICER_SQL + " WHERE o.officer_id = ?", (officer_id,)).fetchone()
    return _officer(row) if row else None


def lookup_officer(conn: sqlite3.Connection, text: str) -> Officer | None:
    """Find an officer by any form import accepts: grouped digits, dots, a leading apostrophe,
    a scanned ID-card string."""
    from .identifiers import clean, extract_identifier

    raw = text.strip()
    if not raw:
        return None
    found = find_officer(conn, raw)
    if found is None:
        cleaned = clean(raw)
        digits = re.sub(r"[\s.\-_/]+", "", cleaned)
        for candidate in (cleaned, digits, extract_identifier(raw)):
            if candidate and (found := find_officer(conn, candidate)) is not None:
                break
    return found


def list_officers(conn: sqlite3.Connection, *, unit: str | None = None, status: str = "active") -> Iterator[Officer]:
    where, args = [], []
    if unit:
        where.append("o.unit_code = ?")
        args.append(unit)
    if status == "active":
        where.append("o.active = 1")
    elif status == "inactive":
        where.append("o.active = 0")
    sql = _OFFICER_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY o.unit_code, o.name"
    for row in conn.execute(sql, args):
        yield _officer(row)


def active_officers(conn: sqlite3.Connection, unit_code: str | None = None) -> Iterator[Officer]:
    return list_officers(conn, unit=unit_code, status="active")


def unit_names(conn: sqlite3.Connection) -> dict[str, str]:
    return {c: n for c, n in conn.execute("SELECT code, name FROM units ORDER BY code")}


def rename_unit_code(store: Store, name_or_code: str, new_code: str) -> tuple[str, str]:
    return rename_unit_codes(store, [(name_or_code, new_code)])[0]


def rename_unit_codes(
    store: Store, pairs: list[tuple[str, str]], *, labels: list[str] | None = None
) -> list[tuple[str, str]]:
    """Give units new codes, all or none, in one transaction (codes may be swapped).

    Each pair is (unit name or current code, new code); ``labels[i]`` says where pair i came
    from (``file.csv: row 5``) in messages.
    """
    from ..errors import ConflictError, NotFoundError
    from .unit_codes import MAX_LEN, MIN_LEN, is_valid_code, normalise_code

    with store.transaction() as conn:
        units = dict(conn.execute("SELECT code, name FROM units"))
        by_name = {n: c for c, n in units.items()}
        by_name_ci = {n.casefold(): c for c, n in units.items()}
        plan: dict[str, str] = {}
        for i, (unit, code) in enumerate(pairs):
            at = f"{labels[i]}: " if labels else ""
            new = normalise_code(code)
            if not is_valid_code(new):
                raise UsageError(
                    _(
                        "{at}unit code {code!r}: {min} to {max} characters of A-Z, 0-9, space and $ % * + - . / :",
                        at=at,
                        code=code,
                        min=MIN_LEN,
                        max=MAX_LEN,
                    ),
                    _("e.g. DISDIK or SATPOL PP"),
                )
            key = unit.strip()
            old = key.upper() if key.upper() in units else by_name.get(key) or by_name_ci.get(key.casefold())
            if old is None:
                raise NotFoundError(_("{at}unit {unit} not found", at=at, unit=unit), _("see 'ikrar roster units'"))
            if old in plan:
                raise UsageError(_("{at}unit {unit} is named twice", at=at, unit=unit), _("keep one line per unit"))
            plan[old] = new
        final = {c: plan.get(c, c) for c in units}
        taken: dict[str, str] = {}
        for old, new in final.items():
            if new in taken:
                raise ConflictError(
                    _("Unit code {code} is already used", code=new),
                    _("{a} and {b} would share it; choose another code", a=units[taken[new]], b=units[old]),
                )
            taken[new] = old
        changed = [(old, new) for old, new in plan.items() if old != new]
        from .unitregistry import check_new_code, record_code

        for old, new in changed:
            check_new_code(conn, units[old], new)  # only the authority renames; never to a retired code
        conn.execute("PRAGMA defer_foreign_keys = ON")
        for step, (old, _new) in enumerate(changed):  # via temporary codes, so swaps work
            conn.execute("UPDATE units SET code = ? WHERE code = ?", (f"\x00{step}", old))
            conn.execute("UPDATE officers SET unit_code = ? WHERE unit_code = ?", (f"\x00{step}", old))
        for step, (_old, new) in enumerate(changed):
            conn.execute("UPDATE units SET code = ? WHERE code = ?", (new, f"\x00{step}"))
            conn.execute("UPDATE officers SET unit_code = ? WHERE unit_code = ?", (new, f"\x00{step}"))
        for old, new in changed:
            record_code(conn, new, units[old])
    return [(old, new) for old, new in plan.items()]


# --------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------


@dataclass
class RowProblem:
    row: int
    column: str
    value: str
    reason: str
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    missing: int = 0
    invalid: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    merged: list[RowProblem] = field(default_factory=list)  # identical repeated rows, kept once
    skipped: list[SkippedRow] = field(default_factory=list)
    blank_rows: int = 0
    header_rows: tuple[int, ...] = (1,)
    mapping: list[dict[str, str]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    change_log: ChangeLog = field(default_factory=ChangeLog)
    written: bool = False
    dry_run: bool = False
    rejects_file: str | None = None

    @property
    def changes(self) -> list[dict[str, Any]]:
        """Every change as a list (for small imports and tests; the CLI streams ``change_log``)."""
        return list(self.change_log)

    def to_dict(self, *, changes: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": self.file,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "missing": self.missing,
            "invalid": len(self.invalid),
            "duplicates": len(self.duplicates),
            "merged_duplicates": len(self.merged),
            "written": self.written,
            "dry_run": self.dry_run,
            "header_rows": list(self.header_rows),
            "mapping": self.mapping,
            "unmapped_columns": self.unmapped,
            "notes": self.notes,
            "skipped_rows": [s.to_dict() for s in self.skipped],
            "blank_rows": self.blank_rows,
            "invalid_rows": [p.to_dict() for p in self.invalid],
            "duplicate_rows": [p.to_dict() for p in self.duplicates],
            "merged_rows": [p.to_dict() for p in self.merged],
            "summary": self.change_log.summary(),
            "rejects_file": self.rejects_file,
        }
        if changes:
            data["changes"] = self.changes
        return data


def _id_type(value: str) -> str | None:
    v = value.strip().lower()
    if not v:
        return None
    if v not in ID_TYPES:
        raise InputError(_("unknown id type {value!r}", value=value), _("use nip, nippppk, nik or internal"))
    return ID_TYPES[v]


# staging columns after (officer_id, row), in order; all but id_type/name/unit may be NULL
_STAGED = ("id_type", "name", "gelar_depan", "gelar_belakang", "position", "unit", "sub_unit", "rank", "status",
           "nik", "email")  # fmt: skip
_OPTIONAL = ("position", "sub_unit", "rank", "status", "email")


def _describe_mapping(report: ImportReport, headers: list[str], cols: dict[str, int]) -> None:
    report.mapping = [
        {"column": headers[i], "field": f, "label": field_label(f)} for f, i in sorted(cols.items(), key=lambda x: x[1])
    ]
    report.unmapped = [h for i, h in enumerate(headers) if h and i not in cols.values()]
    unit_key = header_key(headers[cols["unit"]])
    if unit_key in ("unorinduknama", "unorinduk"):
        sub = f" {headers[cols['sub_unit']]}" if "sub_unit" in cols else ""
        report.notes.append(
            _(
                "SIASN/SAPK export: the unit (OPD) is read from {unit}; the sub-unit{sub} is kept as a separate field",
                unit=headers[cols["unit"]],
                sub=sub,
            )
        )
    elif unit_key == "unornama":
        report.notes.append(
            _(
                "The unit is read from {unit}, which in SIASN exports is the sub-unit: add the unorIndukNama column "
                "to group staff by OPD",
                unit=headers[cols["unit"]],
            )
        )


def import_roster(
    store: Store,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    id_type: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    retire_missing: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
    today: date | None = None,
    header_row: int | None = None,
    clear_empty: bool = False,
    language: str | None = None,
) -> ImportReport:
    """Import a roster file. Raises InputError (nothing written) when rows are invalid and
    ``skip_invalid`` is false; the error's report is attached as ``exc.report``.

    A column absent from the file leaves its field unchanged; an empty cell in a present
    column leaves it unchanged too unless ``clear_empty`` (then the field is cleared).
    """
    table = open_sheet(path, ALIASES, sheet=sheet, encoding=encoding, header_row=header_row)
    headers = table.headers
    cols = map_headers(headers, mapping, table.keys)
    from .joined import roster_tmt, roster_tmt_column

    i_tmt = roster_tmt_column(table.keys)  # HR's joining date (TMT) for the signed roster snapshot
    if i_tmt is not None and i_tmt not in cols.values():
        cols["joined"] = i_tmt
    else:
        i_tmt = None
    table.protected = {cols["officer_id"], cols["name"]}
    report = ImportReport(file=str(path), dry_run=dry_run, header_rows=table.header_rows)
    report.skipped = list(table.skipped)
    _describe_mapping(report, headers, cols)
    conn = store.conn
    conn.execute("DROP TABLE IF EXISTS temp.staging")
    conn.execute(
        "CREATE TEMP TABLE staging (officer_id TEXT PRIMARY KEY, row INTEGER, id_type TEXT, name TEXT, "
        "gelar_depan TEXT, gelar_belakang TEXT, position TEXT, unit TEXT, sub_unit TEXT, rank TEXT, status TEXT, "
        "nik TEXT, email TEXT)"
    )
    conn.execute("DROP TABLE IF EXISTS temp.staging_joined")
    conn.execute("CREATE TEMP TABLE staging_joined (officer_id TEXT PRIMARY KEY, joined TEXT NOT NULL)")
    joined_batch: list[tuple[str, str]] = []
    from .rejects import RejectSpool

    rejects = RejectSpool(conn)
    batch: list[tuple[Any, ...]] = []
    batch_cells: list[list[Cell]] = []  # the raw cells of the batch, for the rejects file
    has_titles = "gelar_depan" in cols or "gelar_belakang" in cols
    today = today or date.today()

    width = len(headers) + 1
    pad: list[Cell] = [""] * width
    # unmapped fields read the always-empty extra column at the end of each padded row
    index = {f: cols.get(f, width - 1) for f in FIELDS}
    i_id, i_type, i_name, i_gd, i_gb = (
        index[f] for f in ("officer_id", "id_type", "name", "gelar_depan", "gelar_belakang")
    )
    i_unit, i_nik = index["unit"], index["nik"]
    i_pos, i_sub, i_rank, i_status, i_email = (index[f] for f in _OPTIONAL)
    absent = width - 1  # the index absent fields read

    def reject(row_no: int, cells: list[Cell], problem: RowProblem, into: list[RowProblem]) -> None:
        into.append(problem)
        rejects.add(row_no, cells[: len(headers)], problem.reason)

    def flush() -> None:
        """Stage a batch; the staging key finds repeated identifiers (no id set held in memory)."""
        before = conn.total_changes
        conn.executemany(
            "INSERT INTO staging VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (officer_id) DO NOTHING", batch
        )
        if conn.total_changes - before != len(batch):  # rare: some identifier was seen before
            _sort_duplicates(conn, batch, batch_cells, headers[cols["officer_id"]], report, reject)
        batch.clear()
        batch_cells.clear()
        if joined_batch:
            conn.executemany("INSERT INTO staging_joined VALUES (?, ?) ON CONFLICT DO NOTHING", joined_batch)
            joined_batch.clear()

    for row_no, cells in table:
        if len(cells) < width:
            cells = cells + pad[: width - len(cells)]
        fname = "officer_id"
        try:
            kind = _id_type(clean_text(cells[i_type])) if "id_type" in cols else id_type
            ident = parse_identifier(cells[i_id], kind, today=today)
            fname = "name"
            full = clean_text(cells[i_name])
            if not full:
                raise InputError(_("the name is empty"), "")
            if has_titles:
                front, name, back = clean_text(cells[i_gd]), full, clean_text(cells[i_gb])
            else:
                front, name, back = split_titles(full)
            if len(name) > MAX_CLAIM_TEXT:
                check_length("name", name)
            fname = "unit"
            unit = clean_text(cells[i_unit])
            if not unit:
                raise InputError(_("the unit is empty"), "")
            # absent columns read the padded empty cell: "" -> None (the field keeps its value)
            fname = "position"
            pos = clean_text(cells[i_pos]) if i_pos != absent else ""
            fname = "sub_unit"
            sub = clean_text(cells[i_sub]) if i_sub != absent else ""
            fname = "rank"
            rank = clean_text(cells[i_rank]) if i_rank != absent else ""
            fname = "status"
            status = clean_text(cells[i_status]) if i_status != absent else ""
            fname = "email"
            email = clean_text(cells[i_email]) if i_email != absent else ""
            fname = "nik"
            nik = clean_text(cells[i_nik]) or None
            fname = "joined"
            joined = roster_tmt(cells[i_tmt]) if i_tmt is not None else None
            if max(len(unit), len(pos), len(sub), len(rank), len(status), len(email), len(front) + len(back)) > (
                MAX_FIELD_TEXT
            ):
                fname, text = _too_long(unit, pos, sub, rank, status, email, front + back)
                check_length(fname, text)
        except InputError as exc:
            why = table.classify_row(cells) if fname in ("officer_id", "name") else None
            if why is not None:
                report.skipped.append(SkippedRow(row_no, why, " ".join(cell_text(c) for c in cells if c)[:80]))
                continue
            report.rows += 1
            col = cols.get(fname, cols["officer_id"])
            problem = RowProblem(row_no, headers[col], cell_text(cells[col]), exc.message, exc.hint or None)
            reject(row_no, cells, problem, report.invalid)
            continue
        report.rows += 1
        if ident.kind == "nik":
            nik = ident.value
        batch.append(
            (
                ident.value,
                row_no,
                ident.kind,
                name,
                front or None,
                back or None,
                pos or None,
                unit,
                sub or None,
                rank or None,
                status or None,
                nik,
                email or None,
            )
        )
        batch_cells.append(cells)
        if joined:
            joined_batch.append((ident.value, joined))
        if len(batch) >= 5000:
            flush()
            if progress:
                progress(report.rows, None)
    flush()
    if i_tmt is not None:
        report.notes.append(
            _("Joining dates (TMT) are read from column {col}; 'ikrar roster publish' signs them into the roster "
              "snapshot", col=headers[i_tmt])
        )  # fmt: skip
    report.blank_rows = table.blank_rows
    report.skipped.sort(key=lambda s: s.row)
    report.duplicates.sort(key=lambda p: p.row)
    report.merged.sort(key=lambda p: p.row)
    if rejects_path is not None and rejects.count:
        from .rejects import write_rejects

        ids = [cols["officer_id"]] + ([cols["nik"]] if "nik" in cols else [])
        write_rejects(
            rejects_path, headers, rejects.rows(), delimiter=table.delimiter, id_columns=ids, language=language
        )
        report.rejects_file = str(rejects_path)
    bad = report.invalid or report.duplicates
    if bad and not skip_invalid:
        first = min(report.invalid[:1] + report.duplicates[:1], key=lambda p: p.row)
        error = InputError(
            _(
                "{path}: {n} invalid or duplicate row(s); nothing was imported (first: row {row}, column "
                "{column}: {reason})",
                path=path,
                n=len(report.invalid) + len(report.duplicates),
                row=first.row,
                column=first.column,
                reason=first.reason,
            ),
            _("fix the rows, or import the valid ones with --skip-invalid --rejects FILE"),
        )
        error.report = report  # type: ignore[attr-defined]
        error.details = report.to_dict(changes=False)
        raise error
    from .apply import field_modes

    modes = field_modes(cols, clear_empty)
    _apply(store, report, path, retire_missing=retire_missing, dry_run=dry_run, today=today, modes=modes)
    if progress:
        progress(report.rows, report.rows)
    return report


def _too_long(*values: str) -> tuple[str, str]:
    """The first field past its bound (the rare path of the row loop)."""
    fields = ("unit", *_OPTIONAL, "gelar_depan")
    return next((f, t) for f, t in zip(fields, values, strict=True) if len(t) > MAX_FIELD_TEXT)


def _sort_duplicates(
    conn: sqlite3.Connection,
    batch: list[tuple[Any, ...]],
    batch_cells: list[list[Cell]],
    id_header: str,
    report: ImportReport,
    reject: Callable[[int, list[Cell], RowProblem, list[RowProblem]], None],
) -> None:
    """Repeated identifiers: an identical row is merged with a note; a different one is a
    conflict that names the fields that differ."""
    first: dict[str, tuple[Any, ...]] = {}
    ids = [b[0] for b in batch]
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        marks = ",".join("?" * len(part))
        for r in conn.execute(f"SELECT * FROM staging WHERE officer_id IN ({marks})", part):
            first[r[0]] = r
    for b, cells in zip(batch, batch_cells, strict=True):
        staged = first[b[0]]
        if staged[1] == b[1]:
            continue
        differ = [f for f, old, new in zip(_STAGED, staged[2:], b[2:], strict=True) if old != new]
        if not differ:
            why = _("identical to row {row}; kept once", row=staged[1])
            report.merged.append(RowProblem(b[1], id_header, b[0], why))
            continue
        detail = "; ".join(
            f"{field_label(f)} {staged[2 + _STAGED.index(f)] or '-'!r} ≠ {b[2 + _STAGED.index(f)] or '-'!r}"
            for f in differ
        )
        why = _("same identifier as row {row}, but these differ: {fields}", row=staged[1], fields=detail)
        reject(b[1], cells, RowProblem(b[1], id_header, b[0], why), report.duplicates)


def _apply(
    store: Store,
    report: ImportReport,
    path: Path,
    *,
    retire_missing: bool,
    dry_run: bool,
    today: date,
    modes: dict[str, str] | None = None,
) -> None:
    from .apply import COMPARE, DryRun, apply_in_transaction

    try:
        apply_in_transaction(
            store,
            report,
            path,
            retire_missing=retire_missing,
            dry_run=dry_run,
            today=today,
            modes=modes or {f: "set" for f in COMPARE},
        )
    except DryRun:
        return
    report.written = True


def roster_stats(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT u.code, u.name, SUM(CASE WHEN o.active = 1 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN o.active = 0 THEN 1 ELSE 0 END) FROM units u LEFT JOIN officers o "
        "ON o.unit_code = u.code GROUP BY u.code, u.name ORDER BY u.code"
    ).fetchall()
    return [{"unit": c, "name": n, "active": a or 0, "inactive": i or 0} for c, n, a, i in rows]
