"""The staff roster: who must pledge, per unit (OPD), imported from HR's spreadsheets.

An import streams the file once into a temporary staging table (bounded memory),
validating every row, and then applies everything in ONE transaction: all-or-nothing
by default, so an invalid row or a crash leaves the roster exactly as it was.
Upsert by identifier; field-level changes go to ``officer_history``; staff missing
from a full roster are only marked inactive (``--retire-missing``), never deleted.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import InputError, UsageError
from .i18n import _
from .identifiers import parse_identifier
from .store import Store, now
from .tabular import Cell, cell_text, read_table
from .testpoints import pause_point

FIELDS = (
    "officer_id",
    "id_type",
    "name",
    "gelar_depan",
    "gelar_belakang",
    "position",
    "unit",
    "rank",
    "status",
    "nik",
    "email",
)
STORED = ("id_type", "name", "gelar_depan", "gelar_belakang", "position", "unit_code", "rank", "status", "nik", "email")
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
    ),
    "id_type": ("jenisid", "idtype", "jenisidentitas", "tipeid"),
    "name": ("nama", "namalengkap", "namapegawai"),
    "gelar_depan": ("gelardepan",),
    "gelar_belakang": ("gelarbelakang",),
    "position": ("jabatan", "jabatannama", "jabataninstansinama", "namajabatan"),
    "unit": (
        "unitkerja",
        "opd",
        "satuankerja",
        "unitorganisasi",
        "unornama",
        "unorindukNama".lower(),
        "satuankerjakerjanama",
        "satuankerjanama",
        "perangkatdaerah",
        "skpd",
        "instansi",
    ),
    "rank": ("golongan", "pangkat", "golruangakhir", "namagolongan", "pangkatgolongan", "golru", "pangkatakhir"),
    "status": ("statuskepegawaian", "jenispegawai", "jenispegawainama", "statuspegawai", "kedudukanhukumnama"),
    "nik": ("nik", "noktp"),
    "email": ("email", "surel"),
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
STOP_WORDS = {"dan", "serta", "&", "dari", "untuk", "pada", "di", "kabupaten", "kota", "provinsi"}


def header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", text).lower())


def map_headers(headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, int]:
    """Field -> column index. ``overrides`` maps a field to the exact header (``--map field=Header``)."""
    keys = [header_key(h) for h in headers]
    mapping: dict[str, int] = {}
    for fname, header in (overrides or {}).items():
        if fname not in FIELDS:
            raise UsageError(
                _("--map: unknown field {field}", field=fname), _("fields: {fields}", fields=", ".join(FIELDS))
            )
        if header_key(header) not in keys:
            raise InputError(
                _("--map {field}={header}: no such column", field=fname, header=header),
                _("columns found: {cols}", cols=", ".join(headers)),
            )
        mapping[fname] = keys.index(header_key(header))
    for fname, aliases in ALIASES.items():
        if fname in mapping:
            continue
        for alias in aliases:
            if alias in keys and keys.index(alias) not in mapping.values():
                mapping[fname] = keys.index(alias)
                break
    if "officer_id" not in mapping and "nik" in mapping:
        mapping["officer_id"] = mapping.pop("nik")  # non-ASN rosters: the NIK is the identifier
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise InputError(
            _("Required column(s) not found: {missing}", missing=", ".join(missing)),
            _("columns found: {cols}; name them with --map field=Header", cols=", ".join(headers)),
        )
    return mapping


def clean_text(value: Cell | None) -> str:
    """NFC, white space collapsed. ASCII text (most cells) skips normalisation."""
    if type(value) is str:
        if value.isascii():
            if "  " not in value and value.strip() == value and value.isprintable():
                return value  # already clean: most cells
            text = value
        else:
            text = unicodedata.normalize("NFC", value)
    else:
        text = unicodedata.normalize("NFC", cell_text(value) if value is not None else "")
    return " ".join(text.split())


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
    """A short code (<= 8 of A-Z0-9) for a unit name; receipts carry the code, not the name."""
    m = re.search(r"\(([A-Za-z0-9]{2,8})\)", name)
    if m:
        base = m.group(1).upper()
    else:
        words = [w for w in re.split(r"[^A-Za-z0-9]+", unicodedata.normalize("NFKD", name)) if w]
        significant = [w for w in words if w.lower() not in STOP_WORDS] or words or ["UNIT"]
        base = "".join(w[0] if not w.isdigit() else w for w in significant).upper()[:8]
        if len(base) < 2:
            base = significant[0][:8].upper()
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[: 8 - len(str(n))]}{n}"
    return code


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

    @property
    def display_name(self) -> str:
        text = f"{self.gelar_depan} {self.name}" if self.gelar_depan else self.name
        return f"{text}, {self.gelar_belakang}" if self.gelar_belakang else text

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "display_name": self.display_name}


_OFFICER_SQL = (
    "SELECT o.officer_id, o.id_type, o.name, o.gelar_depan, o.gelar_belakang, o.position, o.unit_code, "
    "u.name, o.rank, o.status, o.active, o.retired_at, o.first_seen_at FROM officers o "
    "LEFT JOIN units u ON u.code = o.unit_code"
)


def _officer(row: tuple[Any, ...]) -> Officer:
    return Officer(*row[:10], bool(row[10]), row[11], row[12])  # type: ignore[call-arg]  # 13 columns


def find_officer(conn: sqlite3.Connection, officer_id: str) -> Officer | None:
    row = conn.execute(_OFFICER_SQL + " WHERE o.officer_id = ?", (officer_id,)).fetchone()
    return _officer(row) if row else None


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
    new = new_code.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{2,8}", new):
        raise UsageError(_("A unit code is 2 to 8 letters or digits"), _("e.g. DISDIK"))
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT code, name FROM units WHERE code = ? OR name = ?",
            (name_or_code.strip().upper(), name_or_code.strip()),
        ).fetchone()
        if row is None:
            from .errors import NotFoundError

            raise NotFoundError(_("Unit {unit} not found", unit=name_or_code), _("see 'ikrar roster units'"))
        if conn.execute("SELECT 1 FROM units WHERE code = ?", (new,)).fetchone():
            from .errors import ConflictError

            raise ConflictError(_("Unit code {code} is already used", code=new), _("choose another code"))
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("UPDATE units SET code = ? WHERE code = ?", (new, row[0]))
        conn.execute("UPDATE officers SET unit_code = ? WHERE unit_code = ?", (new, row[0]))
    return row[0], new


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
    invalid: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    rejects_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "invalid": len(self.invalid),
            "duplicates": len(self.duplicates),
            "written": self.written,
            "dry_run": self.dry_run,
            "invalid_rows": [p.to_dict() for p in self.invalid],
            "duplicate_rows": [p.to_dict() for p in self.duplicates],
            "changes": self.changes[:1000],
            "rejects_file": self.rejects_file,
        }


def _id_type(value: str) -> str | None:
    v = value.strip().lower()
    if not v:
        return None
    if v not in ID_TYPES:
        raise InputError(_("unknown id type {value!r}", value=value), _("use nip, nippppk, nik or internal"))
    return ID_TYPES[v]


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
) -> ImportReport:
    """Import a roster file. Raises InputError (nothing written) when rows are invalid and
    ``skip_invalid`` is false; the error's report is attached as ``exc.report``."""
    table = read_table(path, sheet=sheet, encoding=encoding)
    cols = map_headers(table.headers, mapping)
    headers = table.headers
    report = ImportReport(file=str(path), dry_run=dry_run)
    conn = store.conn
    conn.execute("DROP TABLE IF EXISTS temp.staging")
    conn.execute(
        "CREATE TEMP TABLE staging (officer_id TEXT PRIMARY KEY, row INTEGER, id_type TEXT, name TEXT, "
        "gelar_depan TEXT, gelar_belakang TEXT, position TEXT, unit TEXT, rank TEXT, status TEXT, "
        "nik TEXT, email TEXT)"
    )
    rejects: list[tuple[int, list[Cell], str]] = []
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
    i_pos, i_unit, i_rank, i_status, i_nik, i_email = (
        index[f] for f in ("position", "unit", "rank", "status", "nik", "email")
    )

    def get(cells: list[Cell], fname: str) -> Cell:
        return cells[index[fname]]

    def flush() -> None:
        """Stage a batch; the staging key finds repeated identifiers (no id set held in memory)."""
        before = conn.total_changes
        conn.executemany(
            "INSERT INTO staging VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (officer_id) DO NOTHING", batch
        )
        if conn.total_changes - before != len(batch):  # rare: some identifier was seen before
            first: dict[str, int] = {}
            ids = [b[0] for b in batch]
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                marks = ",".join("?" * len(part))
                first.update(conn.execute(f"SELECT officer_id, row FROM staging WHERE officer_id IN ({marks})", part))
            for b, cells in zip(batch, batch_cells, strict=True):
                oid, row_no = b[0], b[1]
                if first[oid] != row_no:
                    why = _("same identifier as row {row}", row=first[oid])
                    report.duplicates.append(RowProblem(row_no, headers[cols["officer_id"]], oid, why))
                    rejects.append((row_no, cells, why))
        batch.clear()
        batch_cells.clear()

    for row_no, cells in table:
        if len(cells) < width:
            cells = cells + pad[: width - len(cells)]
        report.rows += 1
        column = headers[cols["officer_id"]]
        try:
            kind = _id_type(clean_text(cells[i_type])) if "id_type" in cols else id_type
            ident = parse_identifier(cells[i_id], kind, today=today)
            column = headers[cols["name"]]
            full = clean_text(cells[i_name])
            if not full:
                raise InputError(_("the name is empty"), "")
            if has_titles:
                front, name, back = (
                    clean_text(cells[i_gd]),
                    full,
                    clean_text(cells[i_gb]),
                )
            else:
                front, name, back = split_titles(full)
            column = headers[cols["unit"]]
            unit = clean_text(cells[i_unit])
            if not unit:
                raise InputError(_("the unit is empty"), "")
        except InputError as exc:
            value = cell_text(get(cells, {headers[i]: f for f, i in cols.items()}.get(column, "officer_id")))
            problem = RowProblem(row_no, column, value, exc.message, exc.hint or None)
            report.invalid.append(problem)
            rejects.append((row_no, cells, exc.message))
            continue
        nik = clean_text(cells[i_nik]) or None
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
                clean_text(cells[i_pos]) or None,
                unit,
                clean_text(cells[i_rank]) or None,
                clean_text(cells[i_status]) or None,
                nik,
                clean_text(cells[i_email]) or None,
            )
        )
        batch_cells.append(cells)
        if len(batch) >= 5000:
            flush()
            if progress:
                progress(report.rows, None)
    flush()
    rejects.sort(key=lambda r: r[0])  # duplicates are found per batch: back in file order
    report.duplicates.sort(key=lambda p: p.row)
    if rejects_path is not None and rejects:
        from .export import write_csv

        write_csv(
            rejects_path,
            list(headers) + [_("reason")],
            ([cell_text(c) for c in cells] + [""] * (len(headers) - len(cells)) + [why] for _r, cells, why in rejects),
        )
        report.rejects_file = str(rejects_path)
    bad = report.invalid or report.duplicates
    if bad and not skip_invalid:
        error = InputError(
            _(
                "{path}: {n} invalid or duplicate row(s); nothing was imported (first: row {row}, column "
                "{column}: {reason})",
                path=path,
                n=len(report.invalid) + len(report.duplicates),
                row=(report.invalid or report.duplicates)[0].row,
                column=(report.invalid or report.duplicates)[0].column,
                reason=(report.invalid or report.duplicates)[0].reason,
            ),
            _("fix the rows, or import the valid ones with --skip-invalid --rejects FILE"),
        )
        error.report = report  # type: ignore[attr-defined]
        error.details = report.to_dict()
        raise error
    _apply(store, report, path, retire_missing=retire_missing, dry_run=dry_run, today=today)
    if progress:
        progress(report.rows, report.rows)
    return report


_COMPARE = ("id_type", "name", "gelar_depan", "gelar_belakang", "position", "rank", "status", "nik", "email")


def _apply(store: Store, report: ImportReport, path: Path, *, retire_missing: bool, dry_run: bool, today: date) -> None:
    try:
        _apply_in_transaction(store, report, path, retire_missing=retire_missing, dry_run=dry_run, today=today)
    except _DryRun:
        return
    report.written = True


def _apply_in_transaction(
    store: Store, report: ImportReport, path: Path, *, retire_missing: bool, dry_run: bool, today: date
) -> None:
    with store.transaction() as conn:
        taken = {c for (c,) in conn.execute("SELECT code FROM units")}
        existing_units = {n: c for c, n in conn.execute("SELECT code, name FROM units")}
        unit_map: dict[str, str] = {}
        for (uname,) in conn.execute("SELECT DISTINCT unit FROM staging ORDER BY unit"):
            code = existing_units.get(uname)
            if code is None:
                code = derive_unit_code(uname, taken)
                taken.add(code)
                conn.execute("INSERT INTO units (code, name) VALUES (?, ?)", (code, uname))
            unit_map[uname] = code
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS unit_map (name TEXT PRIMARY KEY, code TEXT)")
        conn.execute("DELETE FROM unit_map")
        conn.executemany("INSERT INTO unit_map VALUES (?, ?)", unit_map.items())
        stamp = now()
        run_id = conn.execute(
            "INSERT INTO import_runs (file, sha256, started_at) VALUES (?, ?, ?)", (path.name, _sha256(path), stamp)
        ).lastrowid
        report.added = conn.execute(
            "SELECT COUNT(*) FROM staging s WHERE NOT EXISTS "
            "(SELECT 1 FROM officers o WHERE o.officer_id = s.officer_id)"
        ).fetchone()[0]
        fields_sql = (
            " OR ".join(f"o.{f} IS NOT s.{f}" for f in _COMPARE) + " OR o.unit_code IS NOT m.code OR o.active = 0"
        )
        changed_ids = [
            r[0]
            for r in conn.execute(
                f"SELECT s.officer_id FROM staging s JOIN officers o ON o.officer_id = s.officer_id "
                f"JOIN unit_map m ON m.name = s.unit WHERE {fields_sql}"
            )
        ]
        report.updated = len(changed_ids)
        report.unchanged = conn.execute("SELECT COUNT(*) FROM staging").fetchone()[0] - report.added - report.updated
        for f in (*_COMPARE, "unit_code", "active"):
            src = {"unit_code": "m.code", "active": "1"}.get(f, f"s.{f}")
            for oid, old, new in conn.execute(
                f"SELECT s.officer_id, o.{f}, {src} FROM staging s JOIN officers o ON o.officer_id = s.officer_id "
                f"JOIN unit_map m ON m.name = s.unit WHERE o.{f} IS NOT {src}"
            ):
                if len(report.changes) < 10_000:
                    report.changes.append({"officer_id": oid, "field": f, "old": old, "new": new})
                conn.execute(
                    "INSERT INTO officer_history (officer_id, field, old_value, new_value, changed_at, run_id) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (oid, f, None if old is None else str(old), None if new is None else str(new), stamp, run_id),
                )
        conn.execute(
            "INSERT INTO officers (officer_id, id_type, name, gelar_depan, gelar_belakang, position, unit_code, rank, "
            "status, nik, email, active, retired_at, first_seen_at, updated_at) "
            "SELECT s.officer_id, s.id_type, s.name, s.gelar_depan, s.gelar_belakang, s.position, m.code, s.rank, "
            "s.status, s.nik, s.email, 1, NULL, ?, ? FROM staging s JOIN unit_map m ON m.name = s.unit WHERE true "
            "ON CONFLICT (officer_id) DO UPDATE SET id_type = excluded.id_type, name = excluded.name, "
            "gelar_depan = excluded.gelar_depan, gelar_belakang = excluded.gelar_belakang, "
            "position = excluded.position, unit_code = excluded.unit_code, rank = excluded.rank, "
            "status = excluded.status, nik = excluded.nik, email = excluded.email, active = 1, retired_at = NULL, "
            "updated_at = CASE WHEN officers.name IS NOT excluded.name OR officers.unit_code IS NOT excluded.unit_code "
            "OR officers.position IS NOT excluded.position OR officers.active = 0 THEN excluded.updated_at "
            "ELSE officers.updated_at END",
            (stamp, stamp),
        )
        if retire_missing:
            missing = [
                r[0]
                for r in conn.execute(
                    "SELECT officer_id FROM officers WHERE active = 1 AND officer_id NOT IN "
                    "(SELECT officer_id FROM staging)"
                )
            ]
            report.retired = len(missing)
            conn.executemany(
                "INSERT INTO officer_history (officer_id, field, old_value, new_value, changed_at, run_id) "
                "VALUES (?, 'active', '1', '0', ?, ?)",
                [(m, stamp, run_id) for m in missing],
            )
            conn.execute(
                "UPDATE officers SET active = 0, retired_at = ?, updated_at = ? WHERE active = 1 AND "
                "officer_id NOT IN (SELECT officer_id FROM staging)",
                (today.isoformat(), stamp),
            )
        conn.execute(
            "UPDATE import_runs SET finished_at = ?, added = ?, updated = ?, unchanged = ?, invalid = ?, "
            "duplicates = ?, retired = ? WHERE id = ?",
            (
                now(),
                report.added,
                report.updated,
                report.unchanged,
                len(report.invalid),
                len(report.duplicates),
                report.retired,
                run_id,
            ),
        )
        pause_point("roster.commit")  # test-only (IKRAR_TEST_PAUSE_AT); no effect otherwise
        if dry_run:
            raise _DryRun


class _DryRun(Exception):
    """Raised inside the transaction so a dry run rolls back everything it computed."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def roster_stats(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT u.code, u.name, SUM(CASE WHEN o.active = 1 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN o.active = 0 THEN 1 ELSE 0 END) FROM units u LEFT JOIN officers o "
        "ON o.unit_code = u.code GROUP BY u.code, u.name ORDER BY u.code"
    ).fetchall()
    return [{"unit": c, "name": n, "active": a or 0, "inactive": i or 0} for c, n, a, i in rows]
