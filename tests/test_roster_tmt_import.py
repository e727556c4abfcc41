"""Joining dates (TMT) come from the imported roster when the sheet has a TMT column (SIASN
``tmtCpns``, SAPK ``TMT_CPNS``, ``TMT Masuk``), are signed into the roster snapshot, and decide the
report (issue 13 gap b). A bare ``TMT`` (the rank's date on BKPSDM sheets) is not a joining date."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from compliance_world import UNITS, World, attest, export, open_session, today_local


def _snapshot(w: World, day: str) -> dict[str, dict]:
    w.authority("roster", "publish", "--as-of", day, "--out", str(w.snapshot))
    body = json.loads(w.snapshot.read_text())["snapshot"]
    return {o["id"]: o for o in body["officers"]}


def test_tmt_from_a_siasn_roster_import_goes_into_the_snapshot_and_the_report(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    today = today_local()  # the workspaces' day (WITA), not the machine's
    nips = w.nips[UNITS[0]]
    late, early, none = nips[4], nips[3], nips[2]
    siasn = tmp_path / "siasn.csv"  # a SIASN export of the first unit, with its TMT CPNS column
    rows = [f"{n};Pegawai {i};{UNITS[0]};" for i, n in enumerate(nips)]
    rows[4] += f"{today + timedelta(days=1):%d-%m-%Y}"
    rows[3] += "01-03-2015"
    siasn.write_text("nipBaru;nama;unorIndukNama;tmtCpns\n" + "\n".join(rows) + "\n", encoding="utf-8")
    dry = w.authority.json("roster", "import", str(siasn), "--dry-run")
    assert any(m["column"] == "tmtCpns" and m["field"] == "joined" for m in dry["mapping"])
    assert any("Joining dates (TMT) are read from column tmtCpns" in n for n in dry["notes"])
    assert _snapshot(w, "2024-01-03")[early]["joined_from"] == "snapshot"  # a dry run wrote nothing
    w.authority("roster", "import", str(siasn))
    by_id = _snapshot(w, "2024-01-04")  # no --joined sheet: the dates come from the import
    assert (by_id[early]["joined"], by_id[early]["joined_from"]) == ("2015-03-01", "hr")
    assert (by_id[late]["joined"], by_id[late]["joined_from"]) == ((today + timedelta(days=1)).isoformat(), "hr")
    assert by_id[none]["joined_from"] == "snapshot" and by_id[w.nips[UNITS[1]][0]]["joined_from"] == "snapshot"

    t = w.terminal("apel-1")
    s = open_session(t)
    attest(t, s, nips[0])
    t("session", "close", s)
    w.authority("ledger", "merge", str(export(t, tmp_path / "e.jsonl")))

    def unit(day: date) -> dict:
        doc = json.loads(w.authority("report", "compliance", "--pledge", "pilkada-2024", "--as-of", day.isoformat(),
                                     "--json").stdout)  # fmt: skip
        return next(u for u in doc["units"] if u["unit_name"] == UNITS[0])

    now = unit(today)  # the officer whose TMT is tomorrow is not expected yet
    assert (now["active"], now["attested"], now["joined_later"], now["missing"]) == (4, 1, 0, 3)
    later = unit(today + timedelta(days=1))
    assert (later["active"], later["joined_later"], later["missing"]) == (5, 1, 3)
    assert [x["officer_id"] for x in later["joined_later_staff"]] == [late]


def test_a_tmt_cell_that_is_no_date_is_refused_with_its_row_and_column(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    nip = w.nips[UNITS[0]][0]
    bad = tmp_path / "sapk.csv"
    bad.write_text(f"NIP_BARU;NAMA;UNOR_INDUK_NAMA;TMT_CPNS\n{nip};Pegawai;{UNITS[0]};kemarin\n", encoding="utf-8")
    r = w.authority("roster", "import", str(bad), ok=False)
    assert r.exit_code == 3 and "row 2, column TMT_CPNS: 'kemarin' is not a date" in r.stderr
    with w.authority.db() as db:
        assert db.execute("SELECT COUNT(*) FROM roster_joined").fetchone() == (0,)


def test_a_bare_tmt_column_is_the_ranks_date_not_a_joining_date(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    nip = w.nips[UNITS[0]][0]
    sheet = tmp_path / "kantor.csv"
    sheet.write_text(f"NIP;Nama;Golongan;TMT;Unit Kerja\n{nip};Pegawai;III/a;01-04-2023;{UNITS[0]}\n")
    w.authority("roster", "import", str(sheet))
    assert _snapshot(w, "2024-01-03")[nip]["joined_from"] == "snapshot"
