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
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..i18n import _
from ..sheets.tabular import Cell, cell_text
from ..store.core import Store
from .changes import ChangeLog
from .fields import FIELD_SYNONYMS, field_label
from .row_check import FRONT_TITLES, ID_TYPES, Failure, RowChecker, split_titles
from .sheet_header import Sheet, SkippedRow, header_key, open_sheet
from .unit_codes import suggest_unit_code

if TYPE_CHECKING:
    from .rejects import RejectSpool
    from .staging import Staging

__all__ = [
    "FRONT_TITLES",
    "ID_TYPES",
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
        # via temporary codes, so swaps work: "~~N" is no valid code (nor a parked "~CODE"), and has no
        # NUL byte, which PostgreSQL's text refuses
        for step, (old, _new) in enumerate(changed):
            conn.execute("UPDATE units SET code = ? WHERE code = ?", (f"~~{step}", old))
            conn.execute("UPDATE officers SET unit_code = ? WHERE unit_code = ?", (f"~~{step}", old))
        for step, (_old, new) in enumerate(changed):
            conn.execute("UPDATE units SET code = ? WHERE code = ?", (new, f"~~{step}"))
            conn.execute("UPDATE officers SET unit_code = ? WHERE unit_code = ?", (new, f"~~{step}"))
        for old, new in changed:
            record_code(conn, new, units[old])
        if changed:
            from .roster_version import bump

            bump(conn)  # an import summarised meanwhile must look again
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
    workers: int | None = None,
) -> ImportReport:
    """Import a roster file. Raises InputError (nothing written) when rows are invalid and
    ``skip_invalid`` is false; the error's report is attached as ``exc.report``.

    A column absent from the file leaves its field unchanged; an empty cell in a present
    column leaves it unchanged too unless ``clear_empty`` (then the field is cleared).
    ``workers``: helper processes for the row checks (None: one per core, 0: none; the outcome is
    the same either way, see ``check_pool``).

    The steps: read the sheet and find its header (``_RosterSheet``), check every row and
    stage the good ones (``_stage_rows``), sort out repeated identifiers (``Staging.finish``),
    write the rejects file, refuse a file with bad rows (``_refuse_bad_rows``), then summarise
    the changes and apply them in one transaction (``apply.apply_in_transaction``).
    """
    today = today or date.today()
    from ..store.bigjob import big_job_cache, input_size

    with big_job_cache(store, input_size(path)):  # a national-size sheet: more page cache while it runs
        opened = _RosterSheet.open(path, mapping, sheet=sheet, encoding=encoding, header_row=header_row)
        return _import_opened(store, path, opened, dry_run=dry_run, skip_invalid=skip_invalid,
                              rejects_path=rejects_path, retire_missing=retire_missing, progress=progress,
                              today=today, clear_empty=clear_empty, language=language, workers=workers,
                              id_type=id_type, sheet=sheet, encoding=encoding, header_row=header_row)  # fmt: skip


def _import_opened(
    store: Store,
    path: Path,
    opened: _RosterSheet,
    *,
    dry_run: bool,
    skip_invalid: bool,
    rejects_path: Path | None,
    retire_missing: bool,
    progress: Callable[[int, int | None], None] | None,
    today: date,
    clear_empty: bool,
    language: str | None,
    workers: int | None,
    id_type: str | None,
    sheet: str | None,
    encoding: str | None,
    header_row: int | None,
) -> ImportReport:
    report = opened.new_report(dry_run)
    from .rejects import RejectSpool
    from .staging import Staging

    rejects = RejectSpool(store.conn)
    staging = Staging(store.conn)
    empty = "" if isinstance(store.conn, sqlite3.Connection) else None  # see RowChecker.empty
    _stage_rows(opened, opened.checker(id_type, today, empty), staging, report, rejects, progress, workers)
    conflicts = staging.finish(report, opened.headers[opened.cols["officer_id"]])
    opened.add_tmt_note(report)
    report.blank_rows = opened.table.blank_rows
    for problems in (report.skipped, report.duplicates, report.merged):
        problems.sort(key=lambda p: p.row)
    if rejects_path is not None:
        if conflicts:
            opened.reread_rejects(staging.conflicts(), rejects, sheet=sheet, encoding=encoding, header_row=header_row)
        _write_rejects(opened, rejects, rejects_path, report, language)
    _refuse_bad_rows(path, report, skip_invalid)
    from .apply import field_modes

    modes = field_modes(opened.cols, clear_empty)
    _apply(store, report, path, retire_missing=retire_missing, dry_run=dry_run, today=today, modes=modes)
    if progress:
        progress(report.rows, report.rows)
    return report


@dataclass
class _RosterSheet:
    """The read/detect-header step: the sheet with its header found and the columns mapped."""

    path: Path
    table: Sheet
    headers: list[str]
    cols: dict[str, int]  # field -> column; "joined" when a joining-date (TMT) column is read
    i_tmt: int | None

    @classmethod
    def open(
        cls,
        path: Path,
        mapping: dict[str, str] | None,
        *,
        sheet: str | None,
        encoding: str | None,
        header_row: int | None,
    ) -> _RosterSheet:
        table = open_sheet(path, ALIASES, sheet=sheet, encoding=encoding, header_row=header_row)
        cols = map_headers(table.headers, mapping, table.keys)
        from .joined import roster_tmt_column

        i_tmt = roster_tmt_column(table.keys)  # HR's joining date (TMT) for the signed roster snapshot
        if i_tmt is not None and i_tmt not in cols.values():
            cols["joined"] = i_tmt
        else:
            i_tmt = None
        table.protected = {cols["officer_id"], cols["name"]}
        return cls(path, table, table.headers, cols, i_tmt)

    def new_report(self, dry_run: bool) -> ImportReport:
        report = ImportReport(file=str(self.path), dry_run=dry_run, header_rows=self.table.header_rows)
        report.skipped = list(self.table.skipped)
        _describe_mapping(report, self.headers, self.cols)
        return report

    def checker(self, id_type: str | None, today: date, empty: str | None = None) -> RowChecker:
        cols = {f: i for f, i in self.cols.items() if f != "joined"}
        return RowChecker(len(self.headers) + 1, cols, id_type, today, frozenset(self.table.header_set),
                          frozenset(self.table.protected), self.i_tmt, empty)  # fmt: skip

    def problem(self, row_no: int, cells: list[Cell], failure: Failure) -> RowProblem:
        col = self.cols.get(failure.field, self.cols["officer_id"])
        return RowProblem(row_no, self.headers[col], cell_text(cells[col]), failure.message, failure.hint)

    def add_tmt_note(self, report: ImportReport) -> None:
        if self.i_tmt is not None:
            report.notes.append(
                _("Joining dates (TMT) are read from column {col}; 'ikrar roster publish' signs them into the roster "
                  "snapshot", col=self.headers[self.i_tmt])
            )  # fmt: skip

    def reread_rejects(
        self,
        wanted: Iterator[tuple[int, str]],
        rejects: RejectSpool,
        *,
        sheet: str | None,
        encoding: str | None,
        header_row: int | None,
    ) -> None:
        """Conflicting repeats are found after staging: their cells for the rejects file come from
        a second read of the sheet (only then, and only for a rejects file)."""
        want = next(wanted, None)
        again = open_sheet(self.path, ALIASES, sheet=sheet, encoding=encoding, header_row=header_row)
        for row_no, cells in again:
            while want is not None and want[0] < row_no:
                want = next(wanted, None)
            if want is None:
                break
            if want[0] == row_no:
                rejects.add(row_no, cells[: len(self.headers)], want[1])


def _stage_rows(
    opened: _RosterSheet,
    checker: RowChecker,
    staging: Staging,
    report: ImportReport,
    rejects: RejectSpool,
    progress: Callable[[int, int | None], None] | None,
    workers: int | None = None,
) -> None:
    """The validate-and-stage step: rows in chunks, checked (``RowChecker``, on the machine's cores:
    ``check_pool``) and staged in file order; left-out rows go to the report and the rejects spool
    as they come."""
    from .check_pool import checked_chunks

    width = len(opened.headers)
    with_joined = opened.i_tmt is not None
    for part, outcomes in checked_chunks(checker, opened.table, workers=workers):
        good = [values for _n, values, _x in outcomes if values is not None]
        joined = (
            [(values[0], extra) for _n, values, extra in outcomes if values is not None and extra]
            if with_joined
            else []
        )
        report.rows += len(good)
        if len(good) < len(outcomes):  # rows left out: to the report and the rejects spool, in file order
            for (row_no, values, extra), (_n, cells) in zip(outcomes, part, strict=True):
                if values is not None:
                    continue
                if extra.skip is not None:
                    report.skipped.append(SkippedRow(row_no, extra.skip, extra.text))
                else:
                    report.rows += 1
                    cells = checker.padded(cells)
                    problem = opened.problem(row_no, cells, extra)
                    report.invalid.append(problem)
                    rejects.add(row_no, cells[:width], problem.reason)
        staging.add(good, joined)
        if progress:
            progress(report.rows, None)


def _write_rejects(
    opened: _RosterSheet, rejects: RejectSpool, rejects_path: Path, report: ImportReport, language: str | None
) -> None:
    if not rejects.count:
        return
    from .rejects import write_rejects

    cols = opened.cols
    ids = [cols["officer_id"]] + ([cols["nik"]] if "nik" in cols else [])
    write_rejects(rejects_path, opened.headers, rejects.rows(), delimiter=opened.table.delimiter, id_columns=ids,
                  language=language)  # fmt: skip
    report.rejects_file = str(rejects_path)


def _refuse_bad_rows(path: Path, report: ImportReport, skip_invalid: bool) -> None:
    """All-or-nothing: invalid or conflicting rows stop the import unless ``skip_invalid``."""
    if not (report.invalid or report.duplicates) or skip_invalid:
        return
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
