"""Property tests for header detection (ikrar_cli/roster/sheet_header.py) and the unit code rules."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import InputError
from ikrar_cli.roster.importer import ALIASES, map_headers
from ikrar_cli.roster.sheet_header import classify_row, header_key, locate_header, open_sheet
from ikrar_cli.roster.unit_codes import QR_ALPHANUMERIC, curated_code, is_valid_code, suggest_unit_code

# how HR spells each field's column (several spellings per field)
SPELLINGS = {
    "officer_id": ["NIP", "nipBaru", "NIP_BARU", "N I P"],
    "name": ["Nama", "NAMA LENGKAP", "nama", "Nama Pegawai"],
    "unit": ["Unit Kerja", "OPD", "UNOR_INDUK_NAMA", "unorIndukNama"],
    "position": ["Jabatan", "JABATAN_INSTANSI_NAMA", "jabatanNama"],
    "rank": ["Golongan", "GOL", "golRuangAkhir", "Pangkat/Gol"],
}
ALL_ALIASES = {a for names in ALIASES.values() for a in names}
# words that never spell a known column, for titles, data and unknown columns
words = st.text(
    alphabet="ABCDEFGHIJKLMOQRSTUVWXYZ abcdefghjkloqrstuvwxyz0123456789.,-", min_size=1, max_size=20
).filter(
    lambda t: header_key(t) not in ALL_ALIASES and not any(a in header_key(t) for a in ("nip", "nama", "opd", "gol"))
)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[list[list[str]], int, dict[str, int], bool]:
    """A sheet: title rows, a header naming some known fields (at known columns) among unknown
    columns, maybe a numbering row, then data rows. Returns (rows, header index, field -> column)."""
    fields = ["officer_id", "name", "unit"] + draw(st.lists(st.sampled_from(["position", "rank"]), unique=True))
    extra = draw(st.lists(words, max_size=3))
    columns = [(f, draw(st.sampled_from(SPELLINGS[f]))) for f in fields] + [(None, e) for e in extra]
    columns = draw(st.permutations(columns))
    width = len(columns)
    titles = draw(st.lists(st.lists(words, min_size=1, max_size=width), max_size=4))
    title_rows = [(t + [""] * width)[:width] for t in titles]
    numbering = draw(st.booleans())
    data = draw(st.lists(st.lists(words, min_size=width, max_size=width), min_size=1, max_size=5))
    rows = title_rows + [[c for _f, c in columns]]
    if numbering:
        rows.append([str(i) for i in range(1, width + 1)])
    rows += data
    expected = {f: i for i, (f, _c) in enumerate(columns) if f is not None}
    return rows, len(title_rows), expected, numbering


@settings(max_examples=150, deadline=None)
@given(sheets())
def test_header_found_below_any_title_rows(sheet: tuple[list[list[str]], int, dict[str, int], bool]) -> None:
    rows, header_at, expected, numbering = sheet
    head = [(n, r) for n, r in enumerate(rows, 1) if any(c.strip() for c in r)]
    i, used, labels, keys, skipped = locate_header(head, ALIASES)
    assert head[i][0] == header_at + 1 and used == (header_at + 1,)
    assert [s.row for s in skipped] == [n for n, _r in head[:i]]
    assert all(s.reason == "title" for s in skipped)
    mapping = map_headers(labels, None, keys)
    assert {f: mapping[f] for f in expected} == expected
    if numbering:
        assert classify_row(rows[header_at + 1]) == "numbering"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets(), st.sampled_from([";", ",", "\t"]))
@example(  # found in CI: a title row of commas above a semicolon header was read as comma-separated
    sheet=([[",,", "", ""], ["NIP", "Nama", "Unit Kerja"], ["0", "0", "0"]], 1, {"officer_id": 0, "name": 1, "unit": 2},
           False),
    sep=";",
)  # fmt: skip
def test_same_header_from_a_csv_file(sheet: tuple[list[list[str]], int, dict[str, int], bool], sep: str) -> None:
    rows, header_at, expected, _numbering = sheet
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "s.csv"
        with open(f, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, delimiter=sep).writerows(rows)
        table = open_sheet(f, ALIASES)
        assert table.header_rows == (header_at + 1,)
        mapping = map_headers(table.headers, None, table.keys)
        assert {k: mapping[k] for k in expected} == expected
        assert len(list(table)) == len(rows) - header_at - 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (",,;;\nNIP;Nama;Unit Kerja\n0;0;0\n", ";"),  # a title of commas above a semicolon header
        ("DAFTAR PEGAWAI, DINAS PENDIDIKAN;;\nNIP;Nama;Unit Kerja\n1;Andi;X\n", ";"),
        ("No;NIP;Nama\n1;196001012000011001;Dr. Andi Saputra, S.E., M.Si.\n", ";"),  # degrees after commas
        ("DAFTAR PEGAWAI\nNIP,Nama,Unit\n1,\"Andi, S.E.\",X\n", ","),
        ("NIP\tNama\tUnit\n1\tAndi, S.E.\tX\n", "\t"),
        ("only a title\n", ","),
    ],
)
def test_delimiter_is_the_one_that_splits_the_lines_alike(text: str, expected: str) -> None:
    from ikrar_cli.sheets.tabular import detect_delimiter

    assert detect_delimiter(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=12))
def test_any_grid_gives_a_header_or_one_input_error(grid: list[list[str]]) -> None:
    head = [(n, r) for n, r in enumerate(grid, 1) if any(c.strip() for c in r)]
    try:
        i, used, labels, keys, _skipped = locate_header(head, ALIASES)
    except InputError:
        return
    assert used[0] == head[i][0] and len(labels) == len(keys)
    for row in grid:
        assert classify_row(row) in (None, "numbering", "subtotal", "heading")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=3), min_size=3, max_size=9))
def test_numbering_row_only_when_consecutive(steps: list[int]) -> None:
    nums, n = [], 1
    for s in steps:
        nums.append(n)
        n += s
    row = [str(x) for x in nums]
    assert (classify_row(row) == "numbering") == all(s == 1 for s in steps[:-1])


def test_two_row_header_with_merged_parent() -> None:
    head = [
        (1, ["DAFTAR PEGAWAI", "", "", "", "", ""]),
        (3, ["NO", "NIP", "NAMA", "PANGKAT / GOL", "", "UNIT KERJA"]),
        (4, ["", "", "", "GOL", "TMT", ""]),
        (5, ["1", "2", "3", "4", "5", "6"]),
    ]
    i, used, labels, keys, skipped = locate_header(head, ALIASES)
    assert (head[i][0], used) == (3, (3, 4))
    assert labels == ["NO", "NIP", "NAMA", "PANGKAT / GOL / GOL", "PANGKAT / GOL / TMT", "UNIT KERJA"]
    assert map_headers(labels, None, keys)["rank"] == 3
    assert [(s.row, s.reason) for s in skipped] == [(1, "title"), (4, "header")]


def test_header_row_override_and_its_error() -> None:
    head = [(1, ["NIP", "Nama", "Unit Kerja"]), (2, ["Jabatan", "NIP", "Nama"])]
    assert locate_header(head, ALIASES, header_row=2)[0] == 1
    try:
        locate_header(head, ALIASES, header_row=7, path="x.csv")
    except InputError as exc:
        assert exc.message == "--header-row 7: baris 7 pada x.csv kosong atau melewati akhir berkas"
    else:
        raise AssertionError("no error")


@given(st.text(max_size=60))
def test_every_suggested_unit_code_is_valid_and_free(name: str) -> None:
    taken = {"SETDA", "DK", "DINKES", "UNIT", "U2"}
    code = suggest_unit_code(name, taken)
    assert is_valid_code(code) and code not in taken and set(code) <= QR_ALPHANUMERIC


def test_curated_codes_from_the_issue() -> None:
    assert [
        curated_code(n)
        for n in (
            "Sekretariat DPRD",
            "Sekretariat Daerah",
            "Inspektorat Daerah",
            "Dinas Pariwisata",
            "Dinas Perhubungan",
            "Dinas Pertanian",
            "SATPOL PP",
            "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        )
    ] == ["SETWAN", "SETDA", "INSPEKTORAT", "DISPAR", "DISHUB", "DISTAN", "SATPOLPP", "BKPSDM"]
    assert is_valid_code("SATPOL PP") and not is_valid_code("SATPOL  PP") and not is_valid_code("dis#hub")
