"""The roster import's block path (issue 20, ``importquick``: ``roster/row_block.py``) gives exactly
the per-row outcomes: a block of good rows is checked column by column, and a block with any row
the fused path would not take as it is (one bad NIP, an impossible birth or appointment date, a
NIK where a NIP is due, one unclean cell, a number cell, a short row, a field past its bound)
goes row by row, so every row's outcome, message and staged values are those of the general
check. The blocks here are mostly good rows with at most one odd row anywhere in them, which is
what sends a block down one path or the other."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.i18n import speaking
from ikrar_cli.roster.row_block import BLOCK, BlockPlan, block_outcomes
from ikrar_cli.roster.row_check import RowChecker

TODAY = date(2026, 11, 25)


def _general(checker: RowChecker, rows: list[tuple[int, list[Any]]]) -> list[tuple[Any, ...]]:
    """The outcomes by the general path alone (``check`` on every padded row)."""
    return [checker.general_outcome(row_no, checker.padded(cells)) for row_no, cells in rows]


_GOOD_NIP = st.builds(
    lambda y, m, d, ay, am, sex, serial, grouped: (
        f"{y:04d}{m:02d}{d:02d} {ay:04d}{am:02d} {sex} {serial:03d}"
        if grouped
        else f"{y:04d}{m:02d}{d:02d}{ay:04d}{am:02d}{sex}{serial:03d}"
    ),
    st.integers(1960, 1990),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(2010, 2020),
    st.integers(1, 12),
    st.sampled_from("12"),
    st.integers(1, 999),
    st.booleans(),
)
_GOOD_PPPK = st.builds(
    lambda y, m, d, ay, c, sex, serial: f"{y:04d}{m:02d}{d:02d}{ay:04d}2{c}{sex}{serial:03d}",
    st.integers(1970, 1995),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(2021, 2026),
    st.integers(1, 9),
    st.sampled_from("12"),
    st.integers(1, 999),
)
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,'/-()", min_size=1, max_size=12)
_PLAIN = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)  # clean text: single spaces inside
_OPTIONAL = st.one_of(st.just(""), _PLAIN)
_NAME = st.one_of(_PLAIN, st.sampled_from(["Dr. H. Ahmad Yani, S.H., M.Si.", "Hj. Siti, S.E.", "dr Ani", "Ir."]))
# what one odd row may hold: bad identifiers (dates, serials, lengths, NIK, Excel damage), cells that
# cleaning would change, numbers, empties, fields past their bounds
_BAD_ID = st.one_of(
    st.sampled_from(
        [
            "198609312015051001",  # 31 September
            "202601012015051001",  # born after the appointment / too young
            "190001012015051001",  # older than 80
            "198609262015131001",  # month 13, not a PPPK marker
            "198609262099051001",  # appointed in the future
            "198609262015053001",  # digit 15 not 1 or 2
            "198609262015051000",  # serial 000
            "199001012030211001",  # PPPK year in the future
            "19860926201505100",  # 17 digits
            "1986092620150510011",  # 19 digits
            "3201014509860003",  # a NIK
            "1.98609E+17",
            "19860926.201505.1.001",
            "'198609262015051001",
            " 198609262015051001",
            "19860926  201505 1 001",
            "1986O926201505100l",
            "",
            "NIP",
            "JUMLAH",
        ]
    ),  # fmt: skip
    st.text(alphabet="0123456789 ", min_size=16, max_size=22),
)
_BAD_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " Dinas",
            "Dinas ",
            "Dinas  Pendidikan",
            "Dinas\u00a0X",
            "Jos\u00e9",
            "a\tb",
            "x" * 251,
            "y" * 201,
            "Dinas|Kota",
            "\u200bX",
        ]
    ),  # fmt: skip
    st.text(max_size=5),
    st.integers(0, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
)
_LAYOUTS = [
    # (width with the pad cell, columns, identifier-type option, joining-date column)
    (10, {"officer_id": 1, "name": 2, "gelar_depan": 3, "gelar_belakang": 4, "position": 5, "unit": 6, "rank": 7,
          "status": 8}, None, None),
    (7, {"officer_id": 0, "name": 1, "unit": 2, "position": 3, "nik": 4, "email": 5}, None, None),
    (8, {"officer_id": 0, "id_type": 1, "name": 2, "unit": 3, "sub_unit": 4, "gelar_belakang": 5}, None, 6),
    (5, {"officer_id": 0, "name": 1, "unit": 2}, "nippppk", None),
    (5, {"officer_id": 0, "name": 1, "unit": 2}, "nip", 3),
    (6, {"officer_id": 0, "name": 1, "unit": 2, "sub_unit": 3, "rank": 4}, "nik", None),
]  # fmt: skip


def _row(layout: int, ident: str, texts: list[str]) -> list[Any]:
    width, cols, _kind, i_tmt = _LAYOUTS[layout]
    cells: list[Any] = [texts[i % len(texts)] for i in range(width - 1)]
    cells[cols["officer_id"]] = ident
    if "id_type" in cols:
        cells[cols["id_type"]] = ""
    if i_tmt is not None:
        cells[i_tmt] = "2020-01-02" if len(ident) % 2 else ""
    for f in ("name", "unit"):
        if not cells[cols[f]]:
            cells[cols[f]] = "Dinas Pendidikan"
    return cells


@settings(max_examples=200, deadline=None)
@given(
    layout=st.sampled_from(range(len(_LAYOUTS))),
    good=st.lists(st.tuples(st.one_of(_GOOD_NIP, _GOOD_PPPK), st.lists(_OPTIONAL, min_size=1, max_size=9), _NAME),
                  min_size=1, max_size=40),
    odd=st.one_of(
        st.none(),
        st.tuples(st.integers(0, 39), st.just("id"), _BAD_ID),
        st.tuples(st.integers(0, 39), st.integers(0, 9), _BAD_TEXT),
        st.tuples(st.integers(0, 39), st.just("short"), st.integers(0, 3)),
    ),
    lang=st.sampled_from(["id", "en"]),
)  # fmt: skip
def test_block_path_gives_the_general_outcome(layout: int, good: list[Any], odd: Any, lang: str) -> None:
    width, cols, id_type, i_tmt = _LAYOUTS[layout]
    checker = RowChecker(width, cols, id_type, TODAY, frozenset({"nip", "nama"}), frozenset({cols["officer_id"]}),
                         i_tmt)  # fmt: skip
    rows: list[tuple[int, list[Any]]] = []
    for i, (ident, texts, name) in enumerate(good):
        cells = _row(layout, ident, texts)
        cells[cols["name"]] = name
        rows.append((i + 2, cells))
    if odd is not None:
        at, what, value = odd
        cells = rows[at % len(rows)][1]
        if what == "id":
            cells[cols["officer_id"]] = value
        elif what == "short":
            del cells[max(value, 1) :]
        else:
            cells[what % len(cells)] = value
    with speaking(lang):
        assert checker.check_rows(rows) == _general(checker, rows)


def test_a_block_of_good_rows_takes_the_block_path_and_one_odd_row_does_not() -> None:
    """So the property above exercises both paths: good rows of the common layouts are accepted
    as a block, and each kind of odd row sends its block row by row."""
    for layout in (0, 1, 3, 4):
        width, cols, id_type, i_tmt = _LAYOUTS[layout]
        checker = RowChecker(width, cols, id_type, TODAY, i_tmt=i_tmt)
        ident = "199001012021211001" if id_type == "nippppk" else "19860926 201505 1 001"
        rows = [(n, _row(layout, ident, ["Ani Rahmawati", "", "S.E.", "Analis"])) for n in range(2, 2 + BLOCK)]
        plan = BlockPlan(checker)
        got = block_outcomes(checker, plan, rows)
        assert got is not None and got == _general(checker, rows)
        for bad in ("198609312015051001", "3201014509860003", "19860926201505100"):
            odd = [*rows[:5], (7, [bad if i == cols["officer_id"] else c for i, c in enumerate(rows[5][1])]),
                   *rows[6:]]  # fmt: skip
            assert block_outcomes(checker, plan, odd) is None
            assert checker.check_rows(odd) == _general(checker, odd)
            staged = checker.check_rows(odd)[5][1]
            assert (staged is not None and staged[2] == "nik") if len(bad) == 16 and id_type is None else staged is None
        for i in range(width - 1):
            for text in (" Ani", "Ani ", "A  B", "Jos\u00e9", 12.5):
                odd = [*rows[:9], (11, [text if j == i else c for j, c in enumerate(rows[9][1])]), *rows[10:]]
                assert block_outcomes(checker, plan, odd) is None
                assert checker.check_rows(odd) == _general(checker, odd)
        for f in ("name", "unit"):  # a required field empty in one row
            odd = [*rows[:3], (5, ["" if j == cols[f] else c for j, c in enumerate(rows[3][1])]), *rows[4:]]
            assert block_outcomes(checker, plan, odd) is None
            assert checker.check_rows(odd) == _general(checker, odd)
            assert checker.check_rows(odd)[3][1] is None


def test_fields_at_their_bounds_in_a_block() -> None:
    """Every field one character inside and outside its bound, alone in a block of good rows."""
    for layout in (0, 1, 4):
        width, cols, id_type, i_tmt = _LAYOUTS[layout]
        checker = RowChecker(width, cols, id_type, TODAY, i_tmt=i_tmt)
        base = _row(layout, "19860926 201505 1 001", ["Ani Rahmawati", "", "S.E."])
        for f, i in cols.items():
            if f == "officer_id":
                continue
            for n in (125, 126, 200, 201, 250, 251):
                for text in ("a" * n, "Dr. " + "a" * (n - 4) + ", S.E."):
                    cells = list(base)
                    cells[i] = text
                    rows = [(2, list(base)), (3, cells), (4, list(base))]
                    assert checker.check_rows(rows) == _general(checker, rows)


def _dump(conn: Any) -> list[list[tuple[Any, ...]]]:
    officers = ("officer_id, id_type, name, gelar_depan, gelar_belakang, position, unit_code, sub_unit, rank, status, "
                "nik, email, active, retired_at")  # fmt: skip
    return [
        conn.execute(f"SELECT {officers} FROM officers ORDER BY 1").fetchall(),
        conn.execute("SELECT * FROM units ORDER BY 1").fetchall(),
        conn.execute("SELECT officer_id, field, old_value, new_value FROM officer_history ORDER BY 1, 2, 3").fetchall(),
        conn.execute(
            "SELECT file, added, updated, unchanged, invalid, duplicates FROM import_runs ORDER BY id"
        ).fetchall(),
    ]


def test_sqlite_import_by_blocks_equals_import_row_by_row(tmp_path: Any, monkeypatch: Any) -> None:
    """SQLite stages the block path's empty fields as "" through NULLIF: the database after a first
    import and after a re-import with emptied and changed cells (an empty cell keeps the stored
    value), the reports and the change lists are those of the per-row path."""
    import json

    from ikrar_cli.demo.office import write_sample_roster
    from ikrar_cli.roster import row_block
    from ikrar_cli.roster.importer import import_roster
    from ikrar_cli.workspace import Workspace

    first = tmp_path / "r.csv"
    write_sample_roster(first, 700, seed=3)
    lines = first.read_text(encoding="utf-8-sig").splitlines()
    again = []
    for i, line in enumerate(lines):
        cells = line.split(";")
        if i and i % 7 == 0:
            cells[3], cells[4] = "", ""  # titles emptied: kept
        if i and i % 11 == 0:
            cells[5] = ""  # position emptied: kept
        if i and i % 13 == 0:
            cells[7] = "IV/b"
        if i == 400:
            cells[1] = "19860931 201505 1 001"  # one bad row: its block goes row by row
        again.append(";".join(cells))
    second = tmp_path / "r2.csv"
    second.write_text("\n".join(again) + "\n", encoding="utf-8-sig")
    results = []
    for blocks in (True, False):
        if not blocks:
            monkeypatch.setattr(row_block, "block_outcomes", lambda *a: None)
        ws = Workspace.init(tmp_path / f"ws{blocks}", institution="B", code="B", unit=None, timezone="WIB",
                            language="id")  # fmt: skip
        reports = [import_roster(ws.store, first, today=TODAY).to_dict(),
                   import_roster(ws.store, second, today=TODAY, skip_invalid=True).to_dict()]  # fmt: skip
        for r in reports:
            r.pop("file")
        results.append((json.dumps(reports, sort_keys=True, default=str), _dump(ws.store.conn)))
        ws.close()
    assert results[0] == results[1]
    officers = results[0][1][0]
    assert any(o[3] is None for o in officers) and not any("" in o for o in officers)  # NULL, never ""
    assert '"invalid": 1' in results[0][0]
