"""Joining dates from HR (TMT) in the signed roster snapshot, and the date parser behind them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from compliance_world import UNITS, World, attest, export, open_session, today_local
from hypothesis import given
from hypothesis import strategies as st

from ikrar_cli.roster.joined import parse_day


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_every_spelling_of_a_day_reads_back(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    for form in (day.isoformat(), f"{day:%d-%m-%Y}", f"{day:%d/%m/%Y}", f"{day:%d.%m.%Y}", f"{day} 00:00:00",
                 float(serial), serial):  # fmt: skip
        assert parse_day(form) == day, form


@given(st.text(max_size=20))
def test_anything_else_is_no_day_and_never_raises(text: str) -> None:
    got = parse_day(text)
    assert got is None or isinstance(got, date)


def test_no_such_day() -> None:
    assert parse_day("31-02-2020") is None and parse_day("2020-13-01") is None and parse_day(True) is None


def test_tmt_decides_who_joined_later(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    today = today_local()
    late, early = w.nips[UNITS[0]][4], w.nips[UNITS[0]][3]
    tmt = tmp_path / "tmt.csv"
    tmt.write_text(f"NIP;Nama;TMT\n{late};Baru;{today + timedelta(days=1):%d-%m-%Y}\n{early};Lama;01/03/2015\n")
    r = w.authority("roster", "publish", "--as-of", "2024-01-03", "--joined", str(tmt), "--out", str(w.snapshot))
    body = json.loads(w.snapshot.read_text())["snapshot"]
    by_id = {o["id"]: o for o in body["officers"]}
    assert (by_id[early]["joined"], by_id[early]["joined_from"]) == ("2015-03-01", "hr")
    assert by_id[late]["joined_from"] == "hr" and by_id[w.nips[UNITS[1]][0]]["joined_from"] == "snapshot"
    t = w.terminal("apel-1")
    s = open_session(t)
    attest(t, s, w.nips[UNITS[0]][0])
    t("session", "close", s)
    w.authority("ledger", "merge", str(export(t, tmp_path / "e.jsonl")))

    def unit(day: date) -> dict:
        doc = json.loads(w.authority("report", "compliance", "--pledge", "pilkada-2024", "--as-of", day.isoformat(),
                                     "--json").stdout)  # fmt: skip
        return next(u for u in doc["units"] if u["unit_name"] == UNITS[0])

    now = unit(today)
    assert (now["active"], now["attested"], now["joined_later"], now["missing"]) == (4, 1, 0, 3)
    later = unit(today + timedelta(days=1))
    assert (later["active"], later["joined_later"], later["missing"]) == (5, 1, 3)
    assert [x["officer_id"] for x in later["joined_later_staff"]] == [late]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"NIP;TMT\n{early};kemarin\n")
    r = w.authority("roster", "publish", "--as-of", "2024-01-04", "--joined", str(bad), ok=False)
    assert r.exit_code == 3 and "row 2, column TMT: 'kemarin' is not a date" in r.stderr
