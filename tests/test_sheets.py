"""The sheets HR really has (tests/sheet_corpus.py): each shape as XLSX and as Indonesian-locale
CSV imports with the right units, and next month's file gives the right change summary."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sheet_corpus import FORMATS, NEW, PROMOTED, RETIRED, SHAPES, TRANSFERS, UNITS, staff, unit_code, write_sheet

CASES = [(s, f) for s in SHAPES for f in FORMATS]


def db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "ikrar.db")


@pytest.mark.parametrize(("shape", "fmt"), CASES)
def test_first_import_right_units(ikrar, workspace: Path, tmp_path: Path, shape: str, fmt: str) -> None:
    f = write_sheet(tmp_path / f"{shape}.{fmt}", shape, 1, fmt)
    r = ikrar("roster", "import", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    people = staff(1)
    assert (rep["rows"], rep["added"], rep["invalid"], rep["duplicates"]) == (len(people), len(people), 0, 0)
    assert rep["summary"]["new"] == len(people) and rep["summary"]["transfers"] == 0
    got = dict(db(workspace).execute("SELECT officer_id, unit_code FROM officers"))
    assert got == {p.nip: unit_code(p.unit) for p in people}
    assert dict(db(workspace).execute("SELECT code, name FROM units")) == {c: n for n, c in UNITS}
    subs = dict(db(workspace).execute("SELECT officer_id, sub_unit FROM officers"))
    if shape in ("siasn", "sapk"):
        assert subs == {p.nip: p.sub_unit for p in people}
        assert any("unorIndukNama" in n or "UNOR_INDUK_NAMA" in n for n in rep["notes"])
    else:
        assert set(subs.values()) == {None}
    ranks = dict(db(workspace).execute("SELECT officer_id, rank FROM officers"))
    assert ranks == {p.nip: p.rank for p in people}


def test_office_sheet_rows_left_out_are_reported(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write_sheet(tmp_path / "kantor.xlsx", "office", 1)
    rep = json.loads(ikrar("roster", "import", str(f), "--dry-run", "--json").stdout)
    assert rep["header_rows"] == [5, 6]
    reasons: dict[str, list[int]] = {}
    for s in rep["skipped_rows"]:
        reasons.setdefault(s["reason"], []).append(s["row"])
    per_unit = len(staff(1)) // len(UNITS)
    first_subtotal = 8 + per_unit
    assert reasons == {
        "title": [1, 2, 3],
        "header": [6],
        "numbering": [7],
        "subtotal": [first_subtotal + k * (per_unit + 2) for k in range(len(UNITS))],
        "heading": [first_subtotal + 8 * (per_unit + 2) + 2, first_subtotal + 8 * (per_unit + 2) + 3,
                    first_subtotal + 8 * (per_unit + 2) + 5],
    }  # fmt: skip
    assert rep["blank_rows"] == len(UNITS) + 1  # one after each unit, one inside the signature block
    mapping = {m["column"]: m["field"] for m in rep["mapping"]}
    assert mapping == {
        "NIP": "officer_id",
        "NAMA": "name",
        "PANGKAT / GOLONGAN / GOL. RUANG": "rank",
        "JABATAN": "position",
        "UNIT KERJA": "unit",
    }
    assert rep["unmapped_columns"] == ["NO", "PANGKAT / GOLONGAN / TMT"]


def _month2_expectations(rep: dict, *, retired: bool) -> None:
    s = rep["summary"]
    assert (s["new"], s["transfers"], s["reactivated"]) == (2, 3, 0)
    assert (s["retired"], s["missing"]) == ((2, 0) if retired else (0, 2))
    assert s["field_changes"] == {"rank": 1}
    kinds = [c["kind"] for c in rep["changes"]]
    assert kinds == ["new"] * 2 + ["transfer"] * 3 + ["retired" if retired else "missing"] * 2 + ["field"]
    assert {c["officer_id"] for c in rep["changes"] if c["kind"] == "new"} == set(NEW)
    moves = {c["officer_id"]: (c["from"], c["to"]) for c in rep["changes"] if c["kind"] == "transfer"}
    old_unit = {p.nip: unit_code(p.unit) for p in staff(1)}
    assert moves == {nip: (old_unit[nip], UNITS[to][1]) for nip, to in TRANSFERS.items()}
    gone = {c["officer_id"] for c in rep["changes"] if c["kind"] in ("retired", "missing")}
    assert gone == set(RETIRED)
    field = [c for c in rep["changes"] if c["kind"] == "field"]
    assert field == [{"kind": "field", "officer_id": PROMOTED, "field": "rank", "old": "III/c", "new": "IV/b"}]


@pytest.mark.parametrize(("shape", "fmt"), CASES)
def test_next_month_change_summary(ikrar, workspace: Path, tmp_path: Path, shape: str, fmt: str) -> None:
    """Transfers, retirements, a promotion, new staff; the rank column renamed and the status
    column left out: rank follows the renamed column, status is kept, nothing else changes."""
    first = write_sheet(tmp_path / f"okt.{fmt}", shape, 1, fmt)
    assert ikrar("roster", "import", str(first)).exit_code == 0
    statuses = dict(db(workspace).execute("SELECT officer_id, status FROM officers"))
    nxt = write_sheet(tmp_path / f"nov.{fmt}", shape, 2, fmt)
    dry = json.loads(ikrar("roster", "import", str(nxt), "--dry-run", "--json").stdout)
    _month2_expectations(dry, retired=False)
    real = json.loads(ikrar("roster", "import", str(nxt), "--retire-missing", "--json").stdout)
    _month2_expectations(real, retired=True)
    rows = {
        r[0]: r[1:] for r in db(workspace).execute("SELECT officer_id, unit_code, rank, status, active FROM officers")
    }
    for nip, to in TRANSFERS.items():
        assert rows[nip][0] == UNITS[to][1]
    assert rows[PROMOTED][1] == "IV/b"
    assert all(rows[n][3] == 0 for n in RETIRED) and all(rows[n][3] == 1 for n in NEW)
    kept = {n: rows[n][2] for n in statuses}
    assert kept == statuses  # the absent status column changed nothing
    again = json.loads(ikrar("roster", "import", str(nxt), "--json").stdout)
    assert (again["updated"], again["summary"]["field_changes"], again["changes"]) == (0, {}, [])


RANK_COLUMN = {"bkpsdm": "GOL", "siasn": "golRuang", "sapk": "GOL_RUANG", "office": "PANGKAT / GOLONGAN / GOL"}
TEXT = {
    "id": {
        "header": "Judul kolom: baris {rows}",
        "lines": [
            "Pegawai baru: 2",
            "Mutasi antarunit: 3",
            "Tidak ada di berkas ini, masih aktif: 2 (tandai nonaktif dengan --retire-missing)",
            "Perubahan isian: Pangkat/golongan 1",
        ],
        "rank": "Pangkat/golongan",
    },
    "en": {
        "header": "Header: row {rows}",
        "lines": [
            "New staff: 2",
            "Transfers between units: 3",
            "Missing from this file, still active: 2 (mark them inactive with --retire-missing)",
            "Field changes: Rank (golongan) 1",
        ],
        "rank": "Rank (golongan)",
    },
}


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("shape", "fmt"), CASES)
def test_change_summary_text_in_both_languages(
    ikrar, workspace: Path, tmp_path: Path, shape: str, fmt: str, lang: str
) -> None:
    text = TEXT[lang]
    assert ikrar("roster", "import", str(write_sheet(tmp_path / f"a.{fmt}", shape, 1, fmt))).exit_code == 0
    nxt = write_sheet(tmp_path / f"b.{fmt}", shape, 2, fmt)
    r = ikrar("--lang", lang, "roster", "import", str(nxt), "--dry-run")
    assert r.exit_code == 0, r.stderr
    out = r.stdout.splitlines()
    assert text["header"].format(rows="5-6" if shape == "office" else "1") in out[1]
    for line in text["lines"]:
        assert line in out, (line, out)
    order = [out.index(line) for line in text["lines"]]
    assert order == sorted(order)  # new staff, transfers, missing, then field changes
    assert any(o.startswith(f"  {RANK_COLUMN[shape]} ") and o.endswith(f"→ {text['rank']}") for o in out)
    moved = {p.nip: p for p in staff(1)}[sorted(TRANSFERS)[0]]
    to = UNITS[TRANSFERS[moved.nip]][1]
    name = moved.name.upper() if shape == "sapk" else moved.name
    assert f"    {moved.nip}  {name}: {unit_code(moved.unit)} → {to}" in out


def test_json_lists_every_change_uncapped(ikrar, workspace: Path, tmp_path: Path) -> None:
    """2,500 transfers and 2,500 rank changes: all of them in --json, transfers first."""
    from ikrar_cli.demo.office import write_sample_roster

    f = tmp_path / "big.csv"
    write_sample_roster(f, 2500, seed=7)
    assert ikrar("roster", "import", str(f)).exit_code == 0
    text = f.read_text(encoding="utf-8-sig")
    moved = text.replace(";Kecamatan Binamu (KECBNM);", ";Dinas Kesehatan (DINKES);")
    lines = [ln.rsplit(";", 3) for ln in moved.splitlines()]
    out = "\n".join([";".join(lines[0])] + [f"{a};{u};X/x;{s}" for a, u, _g, s in lines[1:]]) + "\n"
    g = tmp_path / "next.csv"
    g.write_text(out, encoding="utf-8-sig")
    rep = json.loads(ikrar("roster", "import", str(g), "--dry-run", "--json").stdout)
    transfers = [c for c in rep["changes"] if c["kind"] == "transfer"]
    assert len(transfers) == rep["summary"]["transfers"] == text.count(";Kecamatan Binamu (KECBNM);")
    assert rep["summary"]["field_changes"] == {"rank": 2500}
    assert len(rep["changes"]) == len(transfers) + 2500
    assert rep["changes"][: len(transfers)] == transfers


def test_absent_column_keeps_value_and_clear_empty_clears(ikrar, workspace: Path, tmp_path: Path) -> None:
    nip = staff(1)[1].nip
    a = tmp_path / "a.csv"
    a.write_text(f"NIP;Nama;Unit Kerja;Golongan;Jabatan\n{nip};Ani;Dinas Kesehatan;III/a;Analis\n", encoding="utf-8")
    assert ikrar("roster", "import", str(a)).exit_code == 0
    b = tmp_path / "b.csv"  # no Golongan column, an empty Jabatan cell
    b.write_text(f"NIP;Nama;Unit Kerja;Jabatan\n{nip};Ani;Dinas Kesehatan;\n", encoding="utf-8")
    rep = json.loads(ikrar("roster", "import", str(b), "--json").stdout)
    assert (rep["updated"], rep["changes"]) == (0, [])
    assert db(workspace).execute("SELECT rank, position FROM officers").fetchone() == ("III/a", "Analis")
    rep = json.loads(ikrar("roster", "import", str(b), "--clear-empty", "--json").stdout)
    assert rep["changes"] == [{"kind": "field", "officer_id": nip, "field": "position", "old": "Analis", "new": None}]
    assert db(workspace).execute("SELECT rank, position FROM officers").fetchone() == ("III/a", None)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_rejects_in_the_inputs_own_format(ikrar, workspace: Path, tmp_path: Path, fmt: str) -> None:
    """A bad row in the office sheet: the rejects file has the sheet's own (joined) headings and
    a named reason column, as semicolon CSV (the input's) or XLSX; it imports again once fixed."""
    src = write_sheet(tmp_path / f"kantor.{fmt}", "office", 1, fmt)
    if fmt == "csv":
        text = src.read_bytes().decode("cp1252").replace(staff(1)[2].grouped_nip, "1.98609E+17")
        src.write_bytes(text.encode("cp1252"))
    else:
        from python_calamine import CalamineWorkbook
        from sheet_corpus import rows_of

        rows, _merges = rows_of("office", 1)
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(src))
        ws = wb.add_worksheet()
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                ws.write_string(r, c, "1.98609E+17" if v == staff(1)[2].grouped_nip else v)
        wb.close()
        assert CalamineWorkbook.from_path(str(src)).sheet_names == ["Sheet1"]
    r = ikrar("roster", "import", str(src), "--skip-invalid", "--json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    rejects = Path(rep["rejects_file"])
    assert rejects.name == f"kantor.rejects.{fmt}"
    if fmt == "csv":
        lines = rejects.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0] == (
            "NO;NIP;NAMA;PANGKAT / GOLONGAN / GOL. RUANG;PANGKAT / GOLONGAN / TMT;JABATAN;UNIT KERJA;Alasan penolakan"
        )
        assert lines[1].startswith("3;1.98609E+17;") and lines[1].endswith("kehilangan digit terakhirnya")
        fixed = "\n".join(lines).replace("1.98609E+17", staff(1)[2].grouped_nip)
    else:
        from python_calamine import CalamineWorkbook

        got = CalamineWorkbook.from_path(str(rejects)).get_sheet_by_index(0).to_python()
        assert got[0][-1] == "Alasan penolakan" and got[1][1] == "1.98609E+17" and len(got) == 2
        fixed = "\n".join(";".join(str(c) for c in row) for row in got).replace("1.98609E+17", staff(1)[2].grouped_nip)
    again = tmp_path / "fixed.csv"
    again.write_text(fixed + "\n", encoding="utf-8-sig")
    rep2 = json.loads(ikrar("roster", "import", str(again), "--json").stdout)
    assert (rep2["added"], rep2["invalid"]) == (1, 0)


def test_identical_duplicates_merged_conflicts_named(ikrar, workspace: Path, tmp_path: Path) -> None:
    p, q = staff(1)[:2]
    f = tmp_path / "d.csv"
    f.write_text(
        "NIP;Nama;Unit Kerja\n"
        f"{p.nip};Ani;Dinas Kesehatan\n{q.nip};Budi;Dinas Kesehatan\n"
        f"{p.nip};Ani;Dinas Kesehatan\n{q.nip};Budi;Dinas Pertanian\n",
        encoding="utf-8",
    )
    r = ikrar("--lang", "en", "roster", "import", str(f))
    assert r.exit_code == 3
    assert r.stderr.splitlines()[0] == (
        f"row 5, column NIP, value '{q.nip}': same identifier as row 3, but these differ: "
        "Unit (OPD) 'Dinas Kesehatan' ≠ 'Dinas Pertanian'"
    )
    f.write_text("\n".join(f.read_text().splitlines()[:4]) + "\n", encoding="utf-8")
    r = ikrar("--lang", "en", "roster", "import", str(f))
    assert r.exit_code == 0
    assert "row 4: identical to row 2; kept once" in r.stdout.splitlines()
    assert db(workspace).execute("SELECT COUNT(*) FROM officers").fetchone() == (2,)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("Ani\x1b[31m", "the text contains the control character U+001B"),
        ("Ani\u202eisuB", "the text contains the control character U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Ani\x85Budi\x07", "the text contains the control character U+0007"),
        ("A" * 201, "Name is 201 characters long; at most 200 fit"),
    ],
)
def test_receipt_fields_checked_at_import(ikrar, workspace: Path, tmp_path: Path, cell: str, reason: str) -> None:
    f = tmp_path / "c.csv"
    f.write_text(f"NIP;Nama;Unit Kerja\n{staff(1)[0].nip};{cell};Dinas Kesehatan\n", encoding="utf-8")
    rep = json.loads(ikrar("--lang", "en", "roster", "import", str(f), "--json").stdout)["error"]["details"]
    assert rep["invalid_rows"][0]["column"] == "Nama" and rep["invalid_rows"][0]["reason"].startswith(reason)


def test_invisible_debris_removed_and_200_characters_fit_a_receipt(ikrar, workspace: Path, tmp_path: Path) -> None:
    from ikrar_cli.receipts.receipt import Claims, decode_receipt, sign_receipt

    name = "B\u200bu\ufeffdi " + "é" * 194
    f = tmp_path / "c.csv"
    f.write_text(f"NIP;Nama;Unit Kerja\n{staff(1)[0].nip};{name};Satuan Polisi Pamong Praja\n", encoding="utf-8")
    assert ikrar("roster", "import", str(f)).exit_code == 0
    stored, unit = db(workspace).execute("SELECT name, unit_code FROM officers").fetchone()
    assert stored == "Budi " + "é" * 194 and len(stored) == 199
    claims = Claims("jakut-pemilu-2024", 1, b"\0" * 12, staff(1)[0].nip, "nip", stored + "x", unit, 300, 2**31,
                    "Asia/Makassar", "collective", 70_000)  # fmt: skip
    receipt = sign_receipt(claims, lambda m: b"\1" * 64, b"\2" * 8)
    assert decode_receipt(receipt.text).claims.officer_name == stored + "x"


def test_roster_show_accepts_every_import_form_with_dated_history(ikrar, workspace: Path, tmp_path: Path) -> None:
    p = staff(1)[0]
    assert ikrar("roster", "import", str(write_sheet(tmp_path / "a.csv", "bkpsdm", 1))).exit_code == 0
    assert ikrar("roster", "import", str(write_sheet(tmp_path / "b.csv", "bkpsdm", 2))).exit_code == 0
    for form in (p.grouped_nip, "'" + p.nip, p.grouped_nip.replace(" ", "."), f"NIP: {p.nip}"):
        r = ikrar("roster", "show", form)
        assert r.exit_code == 0, (form, r.stderr)
    out = ikrar("roster", "show", p.grouped_nip).stdout.splitlines()
    assert out[0].startswith("Nomor identitas") and out[0].split()[-1] == p.nip
    assert any(line.startswith("Unit kerja (OPD)") and line.endswith("DINKES Dinas Kesehatan") for line in out)
    hist = [line for line in out if "Kode unit: SETDA → DINKES" in line]
    assert len(hist) == 1 and hist[0].startswith("  20") and hist[0][6:7] == "-"
    en = ikrar("--lang", "en", "roster", "show", p.grouped_nip).stdout.splitlines()
    assert en[0].split() == ["Identifier", p.nip] and any("Unit code: SETDA → DINKES" in x for x in en)


def test_stats_has_a_header_and_list_keeps_identifiers_whole(ikrar, workspace: Path, tmp_path: Path) -> None:
    assert ikrar("roster", "import", str(write_sheet(tmp_path / "a.csv", "siasn", 1))).exit_code == 0
    stats = ikrar("roster", "stats").stdout.splitlines()
    assert stats[0].split() == ["Kode", "Aktif", "Nonaktif", "Unit"]
    assert stats[1].split()[:3] == ["DINKES", "4", "0"]
    r = ikrar("roster", "list", env={"COLUMNS": "80"})
    nips = {p.nip for p in staff(1)}
    found = {line.split()[0] for line in r.stdout.splitlines()[1:] if line.strip() and line.split()[0].isdigit()}
    assert found == nips


def test_export_csv_follows_the_workspace_language(ikrar, workspace: Path, tmp_path: Path) -> None:
    assert ikrar("roster", "import", str(write_sheet(tmp_path / "a.xlsx", "siasn", 1))).exit_code == 0
    out = tmp_path / "roster.csv"
    assert ikrar("roster", "export", "--out", str(out)).exit_code == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("NIP;Jenis ID;Gelar Depan;Nama;")
    p = sorted(staff(1), key=lambda p: (unit_code(p.unit), p.name))[0]
    assert any(line.startswith(f"{p.grouped_nip};nip;") for line in lines)  # text to Excel, read back by import
    again = json.loads(ikrar("roster", "import", str(out), "--dry-run", "--json").stdout)
    assert (again["invalid"], again["updated"], again["added"]) == (0, 0, 0)
    cfg = workspace / "ikrar.yaml"
    cfg.write_text(cfg.read_text().replace("language: id", "language: en"))
    out2 = tmp_path / "roster-en.csv"
    assert ikrar("roster", "export", "--out", str(out2)).exit_code == 0
    assert out2.read_text(encoding="utf-8-sig").splitlines()[0].startswith("NIP,Jenis ID,")


def test_unit_codes_from_a_file(ikrar, workspace: Path, tmp_path: Path) -> None:
    assert ikrar("roster", "import", str(write_sheet(tmp_path / "a.csv", "bkpsdm", 1))).exit_code == 0
    f = tmp_path / "kode.csv"
    f.write_text(
        "DAFTAR KODE UNIT\n\nUnit Kerja;Kode Baru\nSatuan Polisi Pamong Praja;SATPOL PP\nDINKES;KES\n"
        "Dinas Pariwisata;PAR\ninspektorat;ITDA\n",
        encoding="cp1252",
    )
    r = ikrar("roster", "unit-code", "--from", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == [
        {"old": "SATPOLPP", "new": "SATPOL PP"},
        {"old": "DINKES", "new": "KES"},
        {"old": "DISPAR", "new": "PAR"},
        {"old": "INSPEKTORAT", "new": "ITDA"},
    ]
    codes = dict(db(workspace).execute("SELECT name, code FROM units"))
    assert (codes["Dinas Kesehatan"], codes["Dinas Pariwisata"], codes["Satuan Polisi Pamong Praja"]) == (
        "KES",
        "PAR",
        "SATPOL PP",
    )
    swap = tmp_path / "tukar.csv"  # a code once given to one unit is never reused (the unit registry)
    swap.write_text("Unit;Kode\nKES;PAR2\nDinas Pertanian;DINKES\n", encoding="utf-8")
    assert ikrar("roster", "unit-code", "--from", str(swap)).exit_code == 5
    assert dict(db(workspace).execute("SELECT name, code FROM units")) == codes
    n = db(workspace).execute("SELECT COUNT(*) FROM officers WHERE unit_code = 'SATPOL PP'").fetchone()[0]
    assert n == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("Unit;Kode\nDinas Pertanian;DISTAN\nDinas Perhubungan;dis#hub\n", encoding="utf-8")
    r = ikrar("--lang", "en", "roster", "unit-code", "--from", str(bad))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"ikrar: {bad}: row 3: unit code 'dis#hub': 2 to 16 characters of A-Z")
    assert dict(db(workspace).execute("SELECT name, code FROM units")) == codes  # all or nothing


def test_attendance_office_sheet_with_rejects(ikrar, tmp_path: Path) -> None:
    """The attendance list is an office sheet too: the same header detection, and a rejects
    file for the rows not recorded."""
    from sheet_corpus import rows_of
    from test_recitation import PASS, setup_terminal

    roster = "\n".join(";".join(r) for r in rows_of("bkpsdm", 1)[0]) + "\n"
    setup_terminal(ikrar, tmp_path, roster=roster, attest=False)
    hadir = write_sheet(tmp_path / "hadir.csv", "office", 2)  # two new staff are not on the roster yet
    rej = tmp_path / "tidak-dicatat.csv"
    r = ikrar("attest", "--session", "1", "--attendance", str(hadir), "--rejects", str(rej), "--json", env=PASS)
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])["summary"]
    assert summary["attested"] == len(staff(2)) - 2
    assert sorted(u["value"] for u in summary["unknown"]) == sorted(f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}" for n in NEW)
    assert {s["reason"] for s in summary["skipped_rows"]} == {"title", "header", "numbering", "subtotal", "heading"}
    lines = rej.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].endswith(";Alasan penolakan") and len(lines) == 3
    assert all(line.split(";")[1] in {f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}" for n in NEW} for line in lines[1:])


def test_roster_list_keeps_identifiers_whole_with_inactive_staff(ikrar, workspace: Path, tmp_path: Path) -> None:
    assert ikrar("roster", "import", str(write_sheet(tmp_path / "a.csv", "bkpsdm", 1))).exit_code == 0
    nxt = write_sheet(tmp_path / "b.csv", "bkpsdm", 2)
    assert ikrar("roster", "import", str(nxt), "--retire-missing").exit_code == 0
    r = ikrar("roster", "list", "--status", "all", env={"COLUMNS": "80"})
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "…" not in r.stdout
    first = {line[:20].strip() for line in r.stdout.splitlines()[1:]} - {""}  # the identifier column
    assert first == {p.nip for p in staff(1)} | set(NEW)
    assert "nonaktif" in r.stdout


def test_key_list_keeps_key_ids_whole(ikrar, workspace: Path) -> None:
    env = {"IKRAR_PASSPHRASE": "rahasia-uji", "COLUMNS": "80"}
    assert ikrar("key", "init-authority", env=env).exit_code == 0
    name = "apel-halaman-kantor-bupati-jeneponto-terminal-cadangan"
    assert ikrar("key", "new-terminal", name, "--unit", "SATPOLPP", env=env).exit_code == 0
    keys = json.loads(ikrar("key", "list", "--json", env=env).stdout)
    out = ikrar("key", "list", env=env).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    for k in keys:
        assert k["kid"] in out
    assert "SATPOLPP" in out


def test_pledge_new_writes_a_valid_template(ikrar, tmp_path: Path) -> None:
    out = tmp_path / "pilkada-2029.yaml"
    args = ["pledge", "new", "--from", "pilkada-2024", "--id", "pilkada-2029", "--title", "Ikrar Netralitas ASN 2029"]
    r = ikrar(*args, "--valid-from", "2029-07-01", "--valid-until", "2030-03-31", "--out", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["ref"] == "pilkada-2029@1" and made["path"] == str(out)
    check = json.loads(ikrar("pledge", "validate", str(out), "--json").stdout)
    assert check["problems"] == [] and check["valid"][0]["digest"] == made["digest"]
    text = out.read_text()
    assert "valid:\n  from: 2029-07-01\n  until: 2030-03-31\n" in text and "year: 2029" in text
    source = json.loads(ikrar("pledge", "show", "pilkada-2024", "--json").stdout)
    new = json.loads(ikrar("--lang", "en", "pledge", "validate", str(out), "--json").stdout)["valid"][0]
    assert new["ref"] == "pilkada-2029@1"
    import yaml

    data = yaml.safe_load(text)
    assert data["points"] == source["points"] and data["title"] == "Ikrar Netralitas ASN 2029"
    again = ikrar(*args, "--valid-from", "2029-07-01", "--valid-until", "2030-03-31", "--out", str(out))
    assert again.exit_code != 0 and "sudah ada" in again.stderr
    bad = ikrar(*args, "--valid-from", "2030-07-01", "--valid-until", "2029-03-31", "--out", str(tmp_path / "x.yaml"))
    assert bad.exit_code == 3 and "valid.until" in bad.stderr and not (tmp_path / "x.yaml").exists()
    r = ikrar(*args, "--valid-from", "1 Juli 2029", "--valid-until", "2030-03-31", "--out", str(tmp_path / "y.yaml"))
    assert r.exit_code == 2 and "--valid-from '1 Juli 2029' bukan tanggal" in r.stderr, r.stderr


def test_header_row_override_and_indonesian_map_names(ikrar, workspace: Path, tmp_path: Path) -> None:
    """Two tables in one sheet: --header-row picks the second; --map takes Indonesian field names."""
    p = staff(1)[3]
    f = tmp_path / "dua.csv"
    f.write_text(
        f"NIP;Nama;Unit Kerja\n;;\nREKAP PER OPD;;\nNomor;Nama Pegawai;Satker\n{p.nip};{p.name};Dinas Kesehatan\n",
        encoding="utf-8",
    )
    r = ikrar(
        "roster", "import", str(f), "--header-row", "4", "--map", "nip=Nomor", "--map", "unitkerja=Satker", "--json"
    )
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["header_rows"] == [4] and [(s["row"], s["reason"]) for s in rep["skipped_rows"]] == [
        (1, "title"),
        (3, "title"),
    ]
    assert {m["column"]: m["field"] for m in rep["mapping"]} == {
        "Nomor": "officer_id",
        "Nama Pegawai": "name",
        "Satker": "unit",
    }
    r = ikrar("--lang", "en", "roster", "import", str(f), "--header-row", "9")
    assert (r.exit_code, r.stderr) == (
        3,
        f"ikrar: --header-row 9: row 9 of {f} is empty or past the end — give the number of the row that names "
        "the columns, as the spreadsheet shows it\n",
    )
    r = ikrar("roster", "import", str(f), "--map", "pangkat=Satker", "--header-row", "4")
    assert (r.exit_code, r.stderr) == (
        3,
        "ikrar: Kolom wajib tidak ditemukan: Identitas (NIP/NI PPPK/NIK) [officer_id], Unit kerja (OPD) [unit] — "
        "kolom yang ditemukan: Nomor, Nama Pegawai, Satker; tunjuk dengan --map isian=Judul, "
        'mis. --map officer_id="Nomor"\n',
    )
