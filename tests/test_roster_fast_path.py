"""The roster import's fused per-row path (issue 20, ``importfast``) gives exactly the outcome of
the general row check: the same staged values for a good row, and for any row it does not take,
the general path's own outcome (message, field, skip reason). The NIP date caches accept exactly
what the full NIP parser accepts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import IkrarError
from ikrar_cli.i18n import speaking
from ikrar_cli.roster.identifiers import NipDates, _nip_like
from ikrar_cli.roster.row_check import RowChecker
from ikrar_cli.sheets.tabular import read_table

TODAY = date(2026, 11, 25)

# NIP-shaped numbers near the real layouts: real and broken dates, ages near 17 and 80, PPPK markers
_NIPISH = st.builds(
    lambda y, m, d, ay, am, sex, serial: f"{y:04d}{m:02d}{d:02d}{ay:04d}{am}{sex}{serial:03d}",
    st.integers(1940, 2030),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(1950, 2030),
    st.sampled_from(["01", "02", "06", "11", "12", "13", "00", "21", "22", "29", "20", "99"]),
    st.sampled_from(["0", "1", "2", "3"]),
    st.sampled_from([0, 1, 7, 999]),
)
_DIGITS18 = st.text(alphabet="0123456789", min_size=18, max_size=18)


def _kind_of(d: str, today: date) -> str | None:
    try:
        return _nip_like(d, today).kind
    except IkrarError:
        return None


@settings(max_examples=600, deadline=None)
@given(digits=st.one_of(_NIPISH, _DIGITS18), days=st.integers(-4000, 400))
def test_nip_dates_accept_exactly_what_the_parser_accepts(digits: str, days: int) -> None:
    today = TODAY + timedelta(days=days)
    dates = NipDates(today)
    assert dates.kind(digits) == _kind_of(digits, today)
    assert dates.kind(digits) == _kind_of(digits, today)  # again, from the caches


def test_nip_dates_at_the_seventeenth_birthday_and_leap_days() -> None:
    dates = NipDates(TODAY)
    assert dates.kind("19860926200309" + "1001") is None  # appointed 25 days before turning 17
    assert dates.kind("19860901200309" + "1001") == "nip"  # appointed on the 17th birthday
    assert dates.kind("19880229200503" + "1001") == "nip"  # born on a leap day: 17 by March
    assert dates.kind("19880229200502" + "1001") is None
    for d in ("19880229200503" + "1001", "19880229200502" + "1001", "19860926200309" + "1001"):
        assert dates.kind(d) == _kind_of(d, TODAY)


def _general(checker: RowChecker, rows: list[tuple[int, list[Any]]]) -> list[tuple[Any, ...]]:
    """The outcomes by the general path alone (``check`` on every padded row)."""
    return [checker.general_outcome(row_no, checker.padded(cells)) for row_no, cells in rows]


_GOOD_IDS = [
    "19860926 201505 1 001",
    "198609262015051001",
    "199001012020122001",
    "19750315 200003 2 012",
    "199001012021211001",
]
_ID = st.one_of(
    st.sampled_from(_GOOD_IDS),
    _NIPISH,
    _NIPISH.map(lambda d: f"{d[:8]} {d[8:14]} {d[14]} {d[15:]}"),
    st.sampled_from(["19860926 201505 1 001", "198609262015051001", "3201014509860003", "'198609262015051001",
                     "19860926.201505.1.001", " 198609262015051001", "1.98609E+17", "", "ABC-12", "NIP"]),
)  # fmt: skip
_CLEAN = st.one_of(
    st.sampled_from(["", "Dinas Pendidikan", "Ani Rahmawati", "Dr. H. Ahmad Yani, S.H., M.Si.", "S.E.", "Hj.",
                     "III/a", "PNS", "PPPK", "nip", "NIK", "internal", "x", "JUMLAH", "NIP", "Nama", "2020-01-02"]),
    st.sampled_from(["a" * 200, "a" * 201, "b" * 250, "b" * 251, "S" * 125, "S" * 126]),  # at the bounds
)  # fmt: skip
_TEXT = st.one_of(
    _CLEAN,
    st.text(alphabet="ab .,|-", max_size=8),
    st.text(max_size=6),  # anything: controls, bidi, non-ASCII, white space
    st.integers(0, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
)
_CELLS = st.one_of(st.lists(_CLEAN, max_size=9), st.lists(_TEXT, max_size=9))  # mostly clean rows, and any
_LAYOUTS = [
    # (width with the pad cell, columns, identifier-type option, joining-date column)
    (10, {"officer_id": 1, "name": 2, "gelar_depan": 3, "gelar_belakang": 4, "position": 5, "unit": 6, "rank": 7,
          "status": 8}, None, None),
    (7, {"officer_id": 0, "name": 1, "unit": 2, "position": 3, "nik": 4, "email": 5}, None, None),
    (8, {"officer_id": 0, "id_type": 1, "name": 2, "unit": 3, "sub_unit": 4, "gelar_belakang": 5}, None, 6),
    (5, {"officer_id": 0, "name": 1, "unit": 2}, "nippppk", None),
    (5, {"officer_id": 0, "name": 1, "unit": 2}, "nik", 3),
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    layout=st.sampled_from(range(len(_LAYOUTS))),
    rows=st.lists(st.tuples(_ID, _CELLS), min_size=1, max_size=12),
    lang=st.sampled_from(["id", "en"]),
)
def test_fused_path_gives_the_general_outcome(layout: int, rows: list[tuple[str, list[Any]]], lang: str) -> None:
    width, cols, id_type, i_tmt = _LAYOUTS[layout]
    checker = RowChecker(width, cols, id_type, TODAY, frozenset({"nip", "nama"}), frozenset({cols["officer_id"]}),
                         i_tmt)  # fmt: skip
    numbered: list[tuple[int, list[Any]]] = []
    for i, (ident, rest) in enumerate(rows):
        cells = list(rest[: width - 1])
        cells[cols["officer_id"] : cols["officer_id"]] = [ident]  # the identifier in its column
        numbered.append((i + 2, cells[: width - 1] if i % 3 else cells[: width - 2]))  # full and short rows
    with speaking(lang):
        assert checker.check_rows(numbered) == _general(checker, numbered)


def test_the_fused_path_takes_the_common_rows() -> None:
    """The rows of a typical BKPSDM sheet go the fused path (so the property above tests it)."""
    width, cols, _k, _t = _LAYOUTS[0]
    checker = RowChecker(width, cols, None, TODAY)
    row = ["1", "19860926 201505 1 001", "Ani Rahmawati", "", "S.E.", "Analis", "Dinas Pendidikan", "III/a", "PNS", ""]
    got = checker._fast(2, row)
    assert got == (2, ("198609262015051001", 2, "nip", "Ani Rahmawati", None, "S.E.", "Analis", "Dinas Pendidikan",
                       None, "III/a", "PNS", None, None), None)  # fmt: skip
    assert [got] == _general(checker, [(2, row[:-1])])
    assert checker._fast(2, [*row[:2], " Ani", *row[3:]]) is None  # cleaning would change it: general path


def test_csv_rows_are_read_as_before(tmp_path: Any) -> None:
    """Blank rows (white space only) are left out and counted; others come as the reader gives them."""
    f = tmp_path / "r.csv"
    f.write_text("NIP;Nama\n198609262015051001;Ani\n ; \n;\n\t;x\n", encoding="utf-8")
    table = read_table(f)
    assert table.headers == ["NIP", "Nama"]
    assert list(table) == [(2, ["198609262015051001", "Ani"]), (5, ["\t", "x"])]


def test_fields_at_their_bounds_take_the_general_outcome() -> None:
    """Every field one character inside and outside its bound, in every layout: the fused path
    agrees with the general one (the bounds are where a fast path most easily drifts)."""
    for width, cols, id_type, i_tmt in _LAYOUTS:
        checker = RowChecker(width, cols, id_type, TODAY, i_tmt=i_tmt)
        base: list[Any] = [""] * (width - 1)
        base[cols["officer_id"]] = {"nik": "3201014509860003", "nippppk": "199001012021211001"}.get(
            id_type or "", _GOOD_IDS[0]
        )
        base[cols["name"]], base[cols["unit"]] = "Ani Rahmawati", "Dinas Pendidikan"
        rows = [(2, base)]
        for f, i in cols.items():
            if f in ("officer_id", "id_type"):
                continue
            for n in (125, 126, 200, 201, 250, 251):
                cells = list(base)
                cells[i] = "a" * n
                rows.append((len(rows) + 2, cells))
                cells = list(base)
                cells[i] = "Dr. " + "a" * (n - 4) + ", S.E."  # titles split from a long name
                rows.append((len(rows) + 2, cells))
        assert checker.check_rows(rows) == _general(checker, rows)
        assert sum(values is not None for _n, values, _j in checker.check_rows(rows)) > 1
