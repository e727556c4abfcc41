"""Compliance reports: exact counts, joined-later staff, revocations, --as-of, safe CSV/XLSX, the PDF."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}
ROSTER = (
    "NIP,Nama,Jabatan,Unit Kerja\n"
    "198609262015051001,Ahmad Yani,Kepala Dinas,Dinas Kesehatan\n"
    "200012312024211001,Siti Aminah,Perawat,Dinas Kesehatan\n"
    "199001012015032002,Nur Aisyah,Bidan,Dinas Kesehatan\n"
    "197803122005011002,Andi Baso,Guru,Dinas Pendidikan\n"
    "198001012006041003,Made Wirawan,Guru,Dinas Pendidikan\n"
    '198502022010011004,Yohanes Siregar,Analis,=HYPERLINK("http://x")\n'
)


@pytest.fixture
def site(ikrar, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Authority + terminal in one workspace; two pledged individually, two collectively."""
    from tests_paths import home_of

    assert ikrar("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA").exit_code == 0
    for args in (
        ["key", "init-authority"],
        ["key", "new-terminal", "apel-1"],
        ["key", "certify", "apel-1", "--valid-from", "2024-01-01"],
    ):
        assert ikrar(*args, env=PASS).exit_code == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    assert ikrar("roster", "import", str(roster)).exit_code == 0
    # the signed roster reports read: everyone listed since three days ago
    r = ikrar("roster", "publish", "--as-of", _day(-3), env=PASS)
    assert r.exit_code == 0, r.stderr
    r = ikrar("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", "Halaman",
              "--force", "--reason", "uji")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    receipts = {}
    for nip in ("198609262015051001", "197803122005011002"):
        r = ikrar("attest", "--session", "1", "--nip", nip, "--yes", "--json", env=PASS)
        receipts[nip] = json.loads(r.stdout)["receipt"]
    att = tmp_path / "hadir.csv"
    att.write_text("NIP\n200012312024211001\n198502022010011004\n")
    assert ikrar("attest", "--session", "1", "--attendance", str(att), env=PASS).exit_code == 0
    # a report counts what signed checkpoints cover, against a signed bundle
    assert ikrar("ledger", "checkpoint", env=PASS).exit_code == 0
    assert ikrar("trust", "export", env=PASS).exit_code == 0
    return home_of(ikrar), receipts, tmp_path


def _day(offset: int) -> str:
    from ikrar_cli.reports.compliance import today_in

    return (date.fromisoformat(today_in("Asia/Makassar")) + timedelta(days=offset)).isoformat()


def report(ikrar, *args: str) -> dict:  # type: ignore[no-untyped-def]
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--json", *args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_counts_per_unit_weakest_first(ikrar, site) -> None:  # type: ignore[no-untyped-def]
    data = report(ikrar)
    units = [(u["unit_name"], u["active"], u["individual"], u["collective"], u["missing"], u["coverage_percent"])
             for u in data["units"]]  # fmt: skip
    assert units == [
        ("Dinas Pendidikan", 2, 1, 0, 1, 50.0),
        ("Dinas Kesehatan", 3, 1, 1, 1, 66.7),
        ('=HYPERLINK("http://x")', 1, 0, 1, 0, 100.0),
    ]
    assert [s["officer_id"] for s in data["units"][0]["missing_staff"]] == ["198001012006041003"]
    assert data["totals"] == {
        "active": 6, "attested": 4, "individual": 2, "collective": 2, "joined_later": 0, "missing": 2,
        "coverage_percent": 66.7,
    }  # fmt: skip
    one = report(ikrar, "--unit", "Dinas Kesehatan")
    assert [u["unit_name"] for u in one["units"]] == ["Dinas Kesehatan"]
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--unit", "Dinas Pertanian")
    assert r.exit_code == 4 and r.stderr.startswith("ikrar: Unit Dinas Pertanian is not in the roster")


def test_staff_who_joined_after_the_session_are_not_failures(ikrar, site) -> None:  # type: ignore[no-untyped-def]
    _home, _receipts, tmp = site
    more = tmp / "roster2.csv"
    more.write_text(ROSTER + "199505052020121005,Putri Baru,Staf,Dinas Kesehatan\n")
    assert ikrar("roster", "import", str(more)).exit_code == 0
    # listed first as of tomorrow, after today's session: joined later, for a make-up session
    assert ikrar("roster", "publish", "--as-of", _day(1), env=PASS).exit_code == 0
    data = report(ikrar, "--as-of", _day(1))
    kes = next(u for u in data["units"] if u["unit_name"] == "Dinas Kesehatan")
    assert (kes["active"], kes["joined_later"], kes["missing"], kes["coverage_percent"]) == (4, 1, 1, 66.7)
    assert [s["officer_id"] for s in kes["joined_later_staff"]] == ["199505052020121005"]
    assert kes["last_session"] == _day(0)
    # the local import time changes nothing: today the newcomer is not on any signed roster yet
    today = report(ikrar, "--as-of", _day(0))
    kes = next(u for u in today["units"] if u["unit_name"] == "Dinas Kesehatan")
    assert (kes["active"], kes["joined_later"], kes["missing"]) == (3, 0, 1)


def test_as_of_counts_only_what_was_recorded_by_then(ikrar, site) -> None:  # type: ignore[no-untyped-def]
    as_of = _day(-2)
    data = report(ikrar, "--as-of", as_of)
    assert data["as_of"] == as_of
    assert (data["totals"]["active"], data["totals"]["attested"]) == (6, 0)
    assert report(ikrar)["totals"]["attested"] == 4
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--as-of", "25-11-2026")
    assert r.exit_code == 2 and "is not a date" in r.stderr
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--as-of", _day(-5))
    assert r.exit_code == 4 and "No roster snapshot as of" in r.stderr


def test_revoked_receipts_are_left_out(ikrar, site) -> None:  # type: ignore[no-untyped-def]
    _home, receipts, _tmp = site
    r = ikrar("trust", "revoke-receipt", receipts["197803122005011002"], "--reason", "salah catat")
    assert r.exit_code == 0, r.stderr
    # reports use the signed bundle: the revocation counts once the authority exports it
    assert report(ikrar)["revoked_receipts_left_out"] == 0
    assert ikrar("trust", "export", env=PASS).exit_code == 0
    data = report(ikrar)
    assert data["revoked_receipts_left_out"] == 1
    assert data["inputs"]["trust_bundle"]["serial"] == 2
    pend = next(u for u in data["units"] if u["unit_name"] == "Dinas Pendidikan")
    assert (pend["attested"], pend["missing"]) == (0, 2)
    r = ikrar("--lang", "en", "report", "officer", "197803122005011002", "--json")
    (a,) = json.loads(r.stdout)["attestations"]
    assert a["revoked"] is True and a["receipt"] == receipts["197803122005011002"]


def test_officer_record(ikrar, site) -> None:  # type: ignore[no-untyped-def]
    _home, receipts, _tmp = site
    r = ikrar("--lang", "en", "report", "officer", "19860926 201505 1 001")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Ahmad Yani  198609262015051001  ")
    assert lines[1].startswith("pilkada-2024@1  ") and " WITA  individual  terminal apel-1, log " in lines[1]
    assert lines[2] == "  " + receipts["198609262015051001"]
    r = ikrar("--lang", "en", "report", "officer", "198001012006041003")
    assert r.exit_code == 0 and "No pledge recorded for this officer." in r.stderr
    r = ikrar("--lang", "en", "report", "officer", "199912312020121009")
    assert r.exit_code == 4 and "is neither on the roster nor in any receipt" in r.stderr


def test_csv_and_xlsx_are_safe_and_typed(ikrar, site) -> None:  # type: ignore[no-untyped-def]
    _home, _receipts, tmp = site
    out = tmp / "lap.csv"
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["Unit code", "Unit", "Active staff"]
    names = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names and not any(n.startswith("=") for n in names)
    assert rows[-1][2:] == ["6", "4", "2", "2", "66.7", "0", "2"]

    from openpyxl import load_workbook

    xl = tmp / "lap.xlsx"
    assert (
        ikrar("report", "compliance", "--pledge", "pilkada-2024", "--format", "xlsx", "--out", str(xl)).exit_code == 0
    )
    wb = load_workbook(xl)
    summary, staff = wb.worksheets
    assert summary.cell(2, 3).value == 2 and summary.cell(2, 7).number_format == "0.0%"
    assert abs(summary.cell(2, 7).value - 0.5) < 1e-9
    assert all(not str(c.value).startswith("=") for row in summary.iter_rows() for c in row if c.value)
    nips = [staff.cell(i, 3).value for i in range(2, staff.max_row + 1)]
    assert sorted(nips) == ["198001012006041003", "199001012015032002"]
    assert all(staff.cell(i, 3).data_type == "s" for i in range(2, staff.max_row + 1))
    assert summary.column_dimensions["B"].width > summary.column_dimensions["C"].width


def test_pdf_report_renders_with_bars_and_lists(ikrar, site) -> None:  # type: ignore[no-untyped-def]
    _home, _receipts, tmp = site
    pdf = tmp / "lap.pdf"
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--out", str(pdf))
    assert r.exit_code == 0, r.stderr
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    for needle in ("BKPSDM Uji", "Ikrar Netralitas ASN pada Pilkada 2024", "4 of 6 staff have pledged (66.7%)",
                   "Made Wirawan", "Nur Aisyah", "198001012006041003", "Page 1 of 3", "WITA"):  # fmt: skip
        assert needle in text, needle
    assert "Ahmad Yani" not in text  # pledged: not on any list
    # the proof block: the same inputs and digest as the JSON, as text (and a QR code)
    doc = report(ikrar)
    flat = " ".join(text.split())
    assert doc["digest"] in flat.replace(" ", "") or doc["digest"] in flat
    assert "Report digest" in text and doc["inputs"]["roster_snapshot"][:20] in text.replace("\n", "")
    import pypdfium2 as pdfium

    image = pdfium.PdfDocument(str(pdf))[0].render(scale=1).to_pil().convert("RGB")
    art = tmp / "report-page1.png"
    image.save(art)
    pixels = {c: n for n, c in image.getcolors(maxcolors=1 << 20)}
    # bars (not just the legend swatches of ~70 px): 50% and 66.7% red, 100% green, no amber bar
    assert pixels.get((198, 40, 40), 0) > 2000
    assert pixels.get((46, 125, 50), 0) > 2000
    assert pixels.get((230, 160, 0), 0) < 200
    r = ikrar("report", "compliance", "--pledge", "pilkada-2024", "--out", str(tmp / "lap.txt"))
    assert r.exit_code == 2 and "--format" in r.stderr
