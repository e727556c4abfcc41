"""Roster import on the files HR really has; every outcome asserted exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from engines import connect_db
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import InputError
from ikrar_cli.i18n import set_language
from ikrar_cli.roster.identifiers import extract_identifier, parse_identifier
from ikrar_cli.roster.importer import derive_unit_code, split_titles

TODAY = date(2026, 11, 24)
HEAD = "No;NIP;Nama;Jabatan;Unit Kerja;Golongan\n"
ROWS = (
    "1;19860926 201505 1 001;Dr. H. Ahmad Yani, S.H., M.Si.;Kepala Dinas;Dinas Pendidikan dan Kebudayaan;IV/c\n"
    '2;200012312024211001;Siti Aminah;"Guru\nAhli Pertama";Dinas Pendidikan dan Kebudayaan;IX\n'
    "3;199001012015032002;Ni Luh Putu Ayu;Perawat;Dinas Kesehatan;III/b\n"
)


def officers(home: Path) -> list[tuple]:
    conn = connect_db(home)
    return conn.execute(
        "SELECT officer_id, name, gelar_depan, gelar_belakang, position, unit_code, active "
        "FROM officers ORDER BY officer_id"
    ).fetchall()


def write(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_semicolon_bom_embedded_newline(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "r.csv", HEAD + ROWS, bom=True)
    r = ikrar("roster", "import", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    assert (rep["rows"], rep["added"], rep["updated"], rep["unchanged"], rep["invalid"]) == (3, 3, 0, 0, 0)
    assert officers(workspace) == [
        ("198609262015051001", "Ahmad Yani", "Dr. H.", "S.H., M.Si.", "Kepala Dinas", "DISDIKBUD", 1),
        ("199001012015032002", "Ni Luh Putu Ayu", None, None, "Perawat", "DINKES", 1),
        ("200012312024211001", "Siti Aminah", None, None, "Guru Ahli Pertama", "DISDIKBUD", 1),
    ]


def test_utf16_and_tab_delimiter(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = tmp_path / "unicode.txt"
    f.write_bytes((HEAD + ROWS).replace(";", "\t").encode("utf-16"))
    assert ikrar("roster", "import", str(f)).exit_code == 0
    assert len(officers(workspace)) == 3


def test_latin1_names(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "l.csv", "NIP,Nama,Unit Kerja\n198609262015051001,Andr\xe9 Sim\xf5es,Dinas Kesehatan\n", "cp1252"
    )
    assert ikrar("roster", "import", str(f)).exit_code == 0
    assert officers(workspace)[0][1] == "André Simões"


def test_excel_damage_and_bad_dates_abort_everything(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "bad.csv",
        "NIP,Nama,Unit Kerja\n"
        "198609262015051001,Baik,Dinas Kesehatan\n"
        "1.98609E+17,Rusak,Dinas Kesehatan\n"
        "198609262015051000,Pembulatan,Dinas Kesehatan\n"
        "198602312015051001,Tanggal,Dinas Kesehatan\n"
        "198609262099011001,Masa depan,Dinas Kesehatan\n"
        "198609262015051001,Ganda,Dinas Kesehatan\n",
    )
    r = ikrar("--lang", "en", "roster", "import", str(f), "--json")
    assert r.exit_code == 3
    rep = json.loads(r.stdout)["error"]["details"]
    assert [(p["row"], p["column"]) for p in rep["invalid_rows"]] == [(3, "NIP"), (4, "NIP"), (5, "NIP"), (6, "NIP")]
    reasons = [p["reason"] for p in rep["invalid_rows"]]
    assert reasons[0] == (
        "'1.98609E+17' is in scientific notation: Excel stored the number as a float and lost its last digits"
    )
    assert "cannot be 000" in reasons[1] and "floating point" in reasons[1]
    assert reasons[2] == "198602312015051001: digits 1-8 (19860231) are not a real birth date"
    assert reasons[3] == "198609262099011001: appointment 209901 is in the future"
    assert rep["duplicate_rows"] == [
        {
            "row": 7,
            "column": "NIP",
            "value": "198609262015051001",
            "reason": "same identifier as row 2, but these differ: Name 'Baik' ≠ 'Ganda'",
            "hint": None,
        }
    ]
    assert rep["invalid_rows"][0]["hint"].startswith("format the column as Text in Excel")
    r = ikrar("--lang", "en", "roster", "import", str(f))
    assert r.stderr.splitlines()[0].endswith(
        "— format the column as Text in Excel (or export from SIASN as CSV) and export again"
    )
    assert officers(workspace) == []


def test_skip_invalid_writes_rejects_that_reimport(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "mix.csv",
        "NIP,Nama,Unit Kerja\n198609262015051001,Baik,Dinas Kesehatan\n1.98609E+17,Rusak,Dinas Kesehatan\n",
    )
    rej = tmp_path / "rej.csv"
    r = ikrar("roster", "import", str(f), "--skip-invalid", "--rejects", str(rej), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["added"] == 1
    lines = rej.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "NIP,Nama,Unit Kerja,Alasan penolakan" and lines[1].startswith(
        "1.98609E+17,Rusak,Dinas Kesehatan,"
    )
    fixed = rej.read_text(encoding="utf-8-sig").replace("1.98609E+17", "199001012015032002")
    rej.write_text(fixed, encoding="utf-8")
    r = ikrar("roster", "import", str(rej), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["added"] == 1
    assert len(officers(workspace)) == 2


def test_update_history_dry_run_and_retire(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "r.csv", HEAD + ROWS)
    assert ikrar("roster", "import", str(f)).exit_code == 0
    f2 = write(tmp_path / "r2.csv", HEAD + ROWS.replace("Kepala Dinas", "Sekretaris Dinas").split("3;")[0])
    dry = json.loads(ikrar("roster", "import", str(f2), "--dry-run", "--retire-missing", "--json").stdout)
    assert (dry["added"], dry["updated"], dry["unchanged"], dry["retired"], dry["written"]) == (0, 1, 1, 1, False)
    assert officers(workspace)[0][4] == "Kepala Dinas"  # nothing written
    real = json.loads(ikrar("roster", "import", str(f2), "--retire-missing", "--json").stdout)
    assert {k: real[k] for k in ("added", "updated", "unchanged", "retired")} == {
        k: dry[k] for k in ("added", "updated", "unchanged", "retired")
    }
    assert real["changes"] == [
        {"kind": "retired", "officer_id": "199001012015032002", "name": "Ni Luh Putu Ayu", "unit": "DINKES"},
        {
            "kind": "field",
            "officer_id": "198609262015051001",
            "field": "position",
            "old": "Kepala Dinas",
            "new": "Sekretaris Dinas",
        },
    ]
    rows = officers(workspace)
    assert rows[0][4] == "Sekretaris Dinas" and rows[1][6] == 0  # retired, not deleted
    show = json.loads(ikrar("roster", "show", "198609262015051001", "--json").stdout)
    assert show["history"][0]["field"] == "position"
    again = json.loads(ikrar("roster", "import", str(f2), "--json").stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_map_override_and_missing_columns(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "m.csv", "Nomor,Nama Pegawai,Bagian\n198609262015051001,Andi,Dinas Kesehatan\n")
    r = ikrar("--lang", "en", "roster", "import", str(f))
    assert r.exit_code == 3
    assert r.stderr == (
        "ikrar: Required column(s) not found: Identifier (NIP/NI PPPK/NIK) [officer_id], Unit (OPD) [unit] — "
        'columns found: Nomor, Nama Pegawai, Bagian; name them with --map field=Header, e.g. --map officer_id="Nomor"\n'
    )
    r = ikrar("roster", "import", str(f), "--map", "officer_id=Nomor", "--map", "unit=Bagian")
    assert r.exit_code == 0 and officers(workspace)[0][1] == "Andi"


def test_siasn_camel_case_and_nik_and_internal(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "siasn.csv",
        "nipBaru,nama,gelarDepan,gelarBelakang,jabatanNama,unorNama\n"
        "198609262015051001,Ahmad Yani,Dr.,M.Si.,Analis,Badan Kepegawaian dan Pengembangan SDM (BKPSDM)\n",
    )
    assert ikrar("roster", "import", str(f)).exit_code == 0
    assert officers(workspace)[0][2:6] == ("Dr.", "M.Si.", "Analis", "BKPSDM")
    g = write(tmp_path / "honorer.csv", "NIK,Nama,OPD\n3273014509860001,Rina,Dinas Kesehatan\n")
    assert ikrar("roster", "import", str(g)).exit_code == 0
    h = write(tmp_path / "internal.csv", "NIP,Nama,OPD\nHON-0042,Joko,Dinas Kesehatan\n")
    assert ikrar("roster", "import", str(h), "--id-type", "internal").exit_code == 0
    ids = {r[0] for r in officers(workspace)}
    assert {"3273014509860001", "HON-0042"} <= ids


def test_xlsx_with_numeric_nips(ikrar, workspace: Path, tmp_path: Path) -> None:
    import xlsxwriter

    f = tmp_path / "pegawai.xlsx"
    wb = xlsxwriter.Workbook(str(f))
    ws = wb.add_worksheet("Data Pegawai")
    for c, v in enumerate(["NIP", "Nama", "Unit Kerja"]):
        ws.write(0, c, v)
    ws.write_number(1, 0, 198609262015051001)  # an 18-digit number: Excel keeps 15 digits
    ws.write(1, 1, "Angka")
    ws.write(1, 2, "Dinas Kesehatan")
    ws.write_string(2, 0, "199001012015032002")
    ws.write(2, 1, "Teks")
    ws.write(2, 2, "Dinas Kesehatan")
    wb.close()
    r = ikrar("--lang", "en", "roster", "import", str(f), "--sheet", "Data Pegawai", "--json")
    assert r.exit_code == 3
    bad = json.loads(r.stdout)["error"]["details"]["invalid_rows"]
    assert [b["row"] for b in bad] == [2] and "stored as a number" in bad[0]["reason"]
    r = ikrar("--lang", "en", "roster", "import", str(f), "--sheet", "Nope")
    assert r.exit_code == 3 and "sheets in the file: Data Pegawai" in r.stderr


def test_export_is_safe_against_formula_injection(ikrar, workspace: Path, tmp_path: Path) -> None:
    f = write(
        tmp_path / "evil.csv",
        "NIP,Nama,Jabatan,Unit Kerja\n"
        '198609262015051001,=HYPERLINK("http://x"),+SUM(1),Dinas Kesehatan\n'
        "199001012015032002,@cmd,-2+3,Dinas Kesehatan\n",
    )
    assert ikrar("roster", "import", str(f)).exit_code == 0
    out = tmp_path / "out.xlsx"
    assert ikrar("roster", "export", "--out", str(out)).exit_code == 0
    import openpyxl

    ws = openpyxl.load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert values[0][0] == "198609262015051001" and ws.cell(2, 1).data_type == "s"
    assert values[0][3] == '\'=HYPERLINK("http://x")' and values[0][5] == "'+SUM(1)"
    assert values[1][3] == "'@cmd" and values[1][5] == "'-2+3"
    csv_out = tmp_path / "out.csv"
    assert ikrar("roster", "export", "--out", str(csv_out)).exit_code == 0
    text = csv_out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02binary\x00", "binary data"),
        (b"NIP,Nama,Unit Kerja\n", None),
    ],
)
def test_bad_files_one_clear_line(ikrar, workspace: Path, tmp_path: Path, content: bytes, message: str | None) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    r = ikrar("--lang", "en", "roster", "import", str(f))
    if message is None:
        assert r.exit_code == 0
    else:
        assert r.exit_code == 3 and message in r.stderr and len(r.stderr.splitlines()) == 1
    assert ikrar("roster", "import", str(tmp_path / "missing.csv")).exit_code == 3
    assert ikrar("roster", "import", str(tmp_path)).exit_code == 3


def test_identifier_rules() -> None:
    set_language("en")
    assert parse_identifier("'198609262015051001", today=TODAY).kind == "nip"
    assert parse_identifier("200012312024211001", today=TODAY).kind == "nippppk"
    nik = parse_identifier("3273014509860001", today=TODAY)
    assert (nik.kind, nik.sex, nik.birth_date) == ("nik", "P", date(1986, 9, 5))
    with pytest.raises(InputError, match="before the officer turned 17"):
        parse_identifier("200012312010011001", today=TODAY)
    with pytest.raises(InputError, match="digit 15 must be 1"):
        parse_identifier("198609262015053001", today=TODAY)
    with pytest.raises(InputError, match="15 digits"):
        parse_identifier("198609262015051", today=TODAY)
    assert extract_identifier("NIP: 19860926 201505 1 001 | Andi") == "198609262015051001"
    assert extract_identifier("https://id.example/?nik=3273014509860001") == "3273014509860001"
    assert extract_identifier("no number") is None


@st.composite
def nips(draw: st.DrawFn) -> str:
    born = draw(st.dates(date(1960, 1, 1), date(2000, 12, 31)))
    year = draw(st.integers(born.year + 18, 2025))
    month = draw(st.integers(1, 12))
    return f"{born:%Y%m%d}{year}{month:02d}{draw(st.sampled_from('12'))}{draw(st.integers(1, 999)):03d}"


@given(nips())
def test_valid_nips_round_trip(nip: str) -> None:
    spaced = f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    assert parse_identifier(spaced, today=TODAY).value == nip


@given(st.one_of(st.text(max_size=30), st.floats(allow_nan=True), st.integers().map(str)))
def test_parse_identifier_only_raises_input_error(value: object) -> None:
    try:
        parse_identifier(value, today=TODAY)
    except InputError:
        pass


def test_titles_and_unit_codes() -> None:
    assert split_titles("Dr. H. Ahmad  Yani, S.H., M.Si.") == ("Dr. H.", "Ahmad Yani", "S.H., M.Si.")
    assert split_titles("Siti") == ("", "Siti", "")
    taken: set[str] = set()
    a = derive_unit_code("Dinas Kesehatan", taken)
    taken.add(a)
    assert (a, derive_unit_code("Dinas Kebudayaan", taken)) == ("DINKES", "DK")
    taken |= {"DK"}
    assert derive_unit_code("Dinas Kebersihan", taken) == "DKEB"
    assert derive_unit_code("Dinas Kebersihan", taken | {"DKEB"}) == "DKEBE"
    assert derive_unit_code("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", set()) == "BKPSDM"


def test_killed_import_leaves_roster_exactly_as_before(workspace: Path, tmp_path: Path) -> None:
    """kill -9 inside the import's transaction, every row already written and the commit next: the
    database is exactly as before, and a rerun imports everything."""
    from pausepoints import assert_write_transaction_open, dump, kill_hard, start_paused

    small = write(tmp_path / "a.csv", "NIP,Nama,Unit Kerja\n198609262015051001,Awal,Dinas Kesehatan\n")
    env = dict(os.environ, IKRAR_HOME=str(workspace))
    subprocess.run(
        [sys.executable, "-m", "ikrar_cli", "roster", "import", str(small)], env=env, check=True, capture_output=True
    )
    before = dump(workspace / "ikrar.db")
    # 20,000 distinct valid NIPs (birth date, TMT year and month, gender, sequence); row 71 is the officer
    # imported above under another name; two rows at the end repeat earlier NIPs
    nips = [
        f"19860926{2005 + i % 15}{1 + i // 15 % 12:02d}{1 + i // 180 % 2}{1 + i // 360:03d}" for i in range(20_000)
    ]
    assert len(set(nips)) == 20_000 and nips[70] == "198609262015051001"
    big = tmp_path / "big.csv"
    with open(big, "w") as fh:
        fh.write("NIP,Nama,Unit Kerja\n")
        for i, nip in enumerate(nips):
            fh.write(f"{nip},Pegawai {i},Unit {i % 40}\n")
        fh.write(f"{nips[5]},Lagi,Unit 5\n{nips[19_999]},Lagi,Unit 7\n")
    cmd = [sys.executable, "-m", "ikrar_cli", "roster", "import", str(big), "--skip-invalid"]
    cmd += ["--rejects", str(tmp_path / "rej.csv")]
    proc = start_paused(cmd, env, "roster.commit", stdout=subprocess.DEVNULL)
    assert_write_transaction_open(workspace / "ikrar.db")  # held inside the import's transaction
    kill_hard(proc)
    assert dump(workspace / "ikrar.db") == before
    done = subprocess.run([*cmd, "--json"], env={**env, "IKRAR_LANG": "en"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rep = json.loads(done.stdout)
    assert (rep["added"], rep["updated"], rep["unchanged"]) == (19_999, 1, 0)
    assert [(d["row"], d["reason"]) for d in rep["duplicate_rows"]] == [
        (20_002, "same identifier as row 7, but these differ: Name 'Pegawai 5' ≠ 'Lagi'"),
        (
            20_003,
            "same identifier as row 20001, but these differ: Name 'Pegawai 19999' ≠ 'Lagi'; "
            "Unit (OPD) 'Unit 39' ≠ 'Unit 7'",
        ),
    ]
    assert len((tmp_path / "rej.csv").read_text(encoding="utf-8-sig").splitlines()) == 3
    assert len(officers(workspace)) == 20_000
    assert ("198609262015051001", "Pegawai 70") in {o[:2] for o in officers(workspace)}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 ", min_size=16, max_size=24), st.sampled_from([None, "nip", "nippppk"]))
def test_fast_and_full_identifier_paths_agree(raw: str, kind: str | None) -> None:
    """The fast path for clean 18-digit NIPs gives exactly what the full path gives ('\\t' forces it)."""
    from datetime import date

    from ikrar_cli.errors import IkrarError
    from ikrar_cli.roster.identifiers import parse_identifier

    def outcome(value: str) -> object:
        try:
            return parse_identifier(value, kind, today=date(2026, 11, 25))
        except IkrarError as exc:
            return (type(exc), exc.message.replace("\t", ""))

    assert outcome(raw) == outcome("\t" + raw)


def test_duplicate_far_apart_is_found_without_holding_every_id(ikrar, workspace: Path, tmp_path: Path) -> None:
    """Duplicates are found by the staging key across batches (5,000 rows each), in file order."""
    from ikrar_cli.demo.office import write_sample_roster

    f = tmp_path / "big.csv"
    ids = write_sample_roster(f, 5200, seed=4)
    text = f.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    first = lines[1].split(";")
    moved = ";".join(
        [
            "9999",
            *first[1:6],
            "Kecamatan Binamu (KECBNM)" if "KECBNM" not in first[6] else "Sekretariat Daerah",
            *first[7:],
        ]
    )
    f.write_text("\n".join([*lines, moved, lines[3]]) + "\n", encoding="utf-8")  # a conflict, and an exact copy
    r = ikrar("--lang", "en", "roster", "import", str(f), "--json")
    assert r.exit_code == 3
    details = json.loads(r.stdout)["error"]["details"]
    assert [(d["row"], d["reason"].split(",")[0]) for d in details["duplicate_rows"]] == [
        (5202, "same identifier as row 2")
    ]
    assert details["duplicate_rows"][0]["reason"].endswith(
        f"these differ: Unit (OPD) {first[6]!r} ≠ {moved.split(';')[6]!r}"
    )
    assert [(d["row"], d["reason"]) for d in details["merged_rows"]] == [(5203, "identical to row 4; kept once")]
    rejects = tmp_path / "rej.csv"
    r = ikrar("roster", "import", str(f), "--skip-invalid", "--rejects", str(rejects))
    assert r.exit_code == 0
    assert len(rejects.read_text(encoding="utf-8-sig").splitlines()) == 2
    assert connect_db(workspace).execute("SELECT COUNT(*) FROM officers").fetchone() == (len(ids),)
