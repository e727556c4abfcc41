"""The steps of a roster import (issue 19's split, issue 14/20's speed work): the per-row fast
paths give exactly what the full checks give, repeats are sorted out after an unkeyed staging
load, and the rejects file keeps a conflicting row's own cells."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from engines import connect_db
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import IkrarError
from ikrar_cli.roster.fields import clean_text, row_is_clean
from ikrar_cli.roster.identifiers import identify, parse_identifier

TODAY = date(2026, 11, 25)


def _outcome(fn, raw: object, kind: str | None) -> object:  # type: ignore[no-untyped-def]
    try:
        return fn(raw, kind)
    except IkrarError as exc:
        return (type(exc), exc.message, exc.hint)


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


# NIP-shaped numbers near the real layouts (valid and broken dates, PPPK markers, serial 000)
_NIPISH = st.builds(
    lambda y, m, d, ay, am, mark, sex, serial: f"{y:04d}{m:02d}{d:02d}{ay:04d}{am}{sex}{serial:03d}"[:18],
    st.integers(1900, 2030),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(1900, 2030),
    st.sampled_from(["01", "06", "12", "13", "00", "21", "22", "29", "20", "99"]),
    st.just(0),
    st.sampled_from(["0", "1", "2", "3"]),
    st.integers(0, 999),
)


@settings(max_examples=400, deadline=None)
@given(
    digits=st.one_of(_NIPISH, _digits(18)),
    grouped=st.booleans(),
    kind=st.sampled_from([None, "nip", "nippppk", "nik", "internal"]),
)
def test_identify_is_parse_identifier(digits: str, grouped: bool, kind: str | None) -> None:
    """The import's identifier path (cached date checks, no object) accepts, normalises and
    refuses exactly as parse_identifier does, with the same message."""
    raw = f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}" if grouped else digits

    def full(r: object, k: str | None) -> tuple[str, str]:
        ident = parse_identifier(r, k, today=TODAY)
        return ident.kind, ident.value

    assert _outcome(lambda r, k: identify(r, k, TODAY), raw, kind) == _outcome(full, raw, kind)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=" ab|\t\x1b\u00a0é.", max_size=6),
            st.text(max_size=6),
            st.integers(0, 10**6),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_clean_row_means_every_cell_is_its_own_clean_text(cells: list) -> None:  # type: ignore[type-arg]
    """row_is_clean never says yes wrongly: then clean_text returns each cell unchanged (and so
    can neither refuse nor change it)."""
    if row_is_clean(cells):
        assert all(isinstance(c, str) and clean_text(c) == c for c in cells)


def test_clean_row_recognised() -> None:
    assert row_is_clean(["19860926 201505 1 001", "Ani, S.E.", "Dinas Kesehatan", ""])
    assert not row_is_clean(["Ani ", "Dinas"])
    assert not row_is_clean(["Ani", " Dinas"])
    assert not row_is_clean(["Ani  Budi"])
    assert not row_is_clean(["Ani", 198609262015051001])
    assert not row_is_clean(["Añi"])


def test_conflicting_repeat_keeps_its_own_cells_in_the_rejects(ikrar, workspace: Path, tmp_path: Path) -> None:
    """Repeats are sorted out after the whole file is staged; the rejects file still gets the
    conflicting row as the sheet had it (cells read again), and the good rows are imported."""
    from ikrar_cli.demo.office import write_sample_roster

    f = tmp_path / "big.csv"
    ids = write_sample_roster(f, 5100, seed=7)
    lines = f.read_text(encoding="utf-8-sig").splitlines()
    second = lines[2].split(";")
    other_unit = "Sekretariat Daerah" if second[6] != "Sekretariat Daerah" else "Inspektorat"
    conflict = ";".join(["7777", *second[1:6], other_unit, *second[7:]])
    f.write_text("\n".join([*lines[:4000], conflict, *lines[4000:], lines[5]]) + "\n", encoding="utf-8-sig")
    r = ikrar("--lang", "en", "roster", "import", str(f), "--json")
    assert r.exit_code == 3
    details = json.loads(r.stdout)["error"]["details"]
    assert [d["row"] for d in details["duplicate_rows"]] == [4001]
    assert [d["row"] for d in details["merged_rows"]] == [5103]
    assert connect_db(workspace).execute("SELECT COUNT(*) FROM officers").fetchone() == (0,)
    rejects = tmp_path / "rej.csv"
    r = ikrar("--lang", "en", "roster", "import", str(f), "--skip-invalid", "--rejects", str(rejects))
    assert r.exit_code == 0, r.stderr
    got = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert len(got) == 2 and got[1].startswith("7777;") and other_unit in got[1]
    assert got[1].endswith(f"'{second[6]}' ≠ '{other_unit}'")
    conn = connect_db(workspace)
    assert conn.execute("SELECT COUNT(*) FROM officers").fetchone() == (len(ids),)
    assert conn.execute("SELECT u.name FROM units u JOIN officers o ON o.unit_code = u.code WHERE o.officer_id = ?",
                        (ids[1],)).fetchone() == (second[6],)  # fmt: skip


def test_unchanged_reimport_writes_nothing_and_one_change_is_found(ikrar, workspace: Path, tmp_path: Path) -> None:
    """Only new and changed officers are written: an identical re-import leaves every row and
    its update time as they were; one changed cell is the one change reported and recorded."""
    from ikrar_cli.demo.office import write_sample_roster

    f = tmp_path / "r.csv"
    ids = write_sample_roster(f, 300, seed=2)
    assert ikrar("roster", "import", str(f)).exit_code == 0
    conn = connect_db(workspace)
    before = conn.execute("SELECT * FROM officers ORDER BY officer_id").fetchall()
    rep = json.loads(ikrar("roster", "import", str(f), "--json").stdout)
    assert (rep["added"], rep["updated"], rep["unchanged"], rep["changes"]) == (0, 0, 300, [])
    assert conn.execute("SELECT * FROM officers ORDER BY officer_id").fetchall() == before
    assert conn.execute("SELECT COUNT(*) FROM officer_history").fetchone() == (0,)
    lines = f.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[7].split(";")
    cells[5] = "Analis Kebijakan Ahli Muda"
    lines[7] = ";".join(cells)
    f.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    rep = json.loads(ikrar("roster", "import", str(f), "--json").stdout)
    assert (rep["added"], rep["updated"], rep["unchanged"]) == (0, 1, 299)
    assert [(c["kind"], c["field"], c["new"]) for c in rep["changes"]] == [
        ("field", "position", "Analis Kebijakan Ahli Muda")
    ]
    hist = conn.execute("SELECT officer_id, field, new_value FROM officer_history").fetchall()
    assert hist == [(ids[6], "position", "Analis Kebijakan Ahli Muda")]
