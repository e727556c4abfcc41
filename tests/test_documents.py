"""Office documents: Pakta Integritas, berita acara, follow-up letters, receipt lists, the compliance
PDF and CSV — each rendered to PNG (tests/artifacts), its text extracted and checked, its QR decoded
and verified."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from doc_helpers import PASS, build_office, indonesian_date, pdf_text, render, squash

POINTS_2024 = [
    "Menjaga dan menegakkan prinsip netralitas ASN dalam menjalankan fungsi pelayanan publik sebelum, selama, "
    "dan setelah Pilkada 2024.",
    "Menghindari konflik kepentingan, tidak melakukan intimidasi atau ancaman kepada ASN dan masyarakat, serta "
    "tidak memihak pada pasangan calon tertentu.",
    "Menggunakan media sosial secara bijak, tidak menyebarkan ujaran kebencian, dan menghindari berita bohong.",
    "Menolak politik uang dan segala bentuk pemberian yang tidak etis.",
]


@pytest.fixture
def office(ikrar, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def]
    return build_office(ikrar, tmp_path)


def verified(ikrar, path: Path) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Decode every QR in the PDF (zxing-cpp) and verify each receipt; all must be VALID.

    Returns (officer, ledger index) of each receipt found."""
    r = ikrar("verify", str(path), "--json")
    assert r.exit_code == 0, r.stdout
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert out and all(v["valid"] for v in out)
    return [(v["receipt"]["officer_id"], v["receipt"]["ledger_index"]) for v in out]


def key(att: dict) -> tuple[str, int]:
    return (att["officer_id"], att["ledger_index"])


# ------------------------------------------------------------------------------ Pakta Integritas
def test_pakta_one_officer_identity_points_sanction_date_and_verifiable_qr(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    out = office["tmp"] / "pakta-yani.pdf"
    r = ikrar("pakta", "--nip", "19860926 201505 1 001", "--pledge", "pilkada-2024", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    pages = pdf_text(out)
    assert len(pages) == 1
    text = squash(pages[0])
    for needle in (
        "PEMERINTAH KABUPATEN JENEPONTO",
        "BADAN KEPEGAWAIAN DAN PENGEMBANGAN SUMBER DAYA MANUSIA",
        "PAKTA INTEGRITAS",
        "Yang bertanda tangan di bawah ini:",
        "dr. Ahmad Yani, M.Kes.",  # the name with titles
        "198609262015051001",
        "IV/a",
        "Kepala Dinas",
        "Dinas Kesehatan",
        "Apabila saya melanggar hal-hal yang telah saya nyatakan dalam Pakta Integritas ini, saya bersedia "
        "menerima sanksi sesuai dengan ketentuan peraturan perundang-undangan.",
        "Jeneponto, " + indonesian_date(office["individual"]["attested_at"]),
        "Yang membuat pernyataan,",
        "Cara memeriksa: pindai QR",
    ):
        assert squash(needle) in text, needle
    for point in POINTS_2024:  # verbatim, in order
        assert squash(point) in text, point
    positions = [text.index(squash(p)) for p in POINTS_2024]
    assert positions == sorted(positions)
    assert verified(ikrar, out) == [key(office["individual"])]
    png = render(out, "pakta")
    assert png[0].stat().st_size > 20_000


def test_pakta_everyone_combined_or_one_file_each(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    out = office["tmp"] / "semua.pdf"
    r = ikrar("pakta", "--pledge", "pilkada-2024", "--all", "--out", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["officers"] == 5
    pages = pdf_text(out)
    assert len(pages) == 5  # one A4 page per officer
    found = set(verified(ikrar, out))
    assert found == {key(office["individual"])} | {key(c) for c in office["collective"]}
    folder = office["tmp"] / "per-pegawai"
    r = ikrar("pakta", "--session", "1", "--unit", "Dinas Kesehatan", "--out-dir", str(folder))
    assert r.exit_code == 0, r.stderr
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["pakta-198609262015051001-pilkada-2024.pdf", "pakta-200012312024211001-pilkada-2024.pdf"]
    assert "Siti Aminah, S.Kep." in pdf_text(folder / files[1])[0]


def test_pakta_refuses_unclear_requests(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    out = office["tmp"] / "x.pdf"
    r = ikrar("--lang", "en", "pakta", "--pledge", "pilkada-2024", "--out", str(out))
    assert r.exit_code == 2 and "Choose whom" in r.stderr
    r = ikrar("--lang", "en", "pakta", "--pledge", "pilkada-2024", "--nip", "199001012015032002", "--out", str(out))
    assert r.exit_code == 4 and "No pledge is recorded for 199001012015032002" in r.stderr
    assert not out.exists()


def test_profile_errors_are_one_line_with_where(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    cfg = office["home"] / "ikrar.yaml"
    cfg.write_text(cfg.read_text().replace("    minutes:", "    notulen:"), encoding="utf-8")
    r = ikrar("--lang", "en", "pakta", "--pledge", "pilkada-2024", "--all", "--out", str(office["tmp"] / "p.pdf"))
    assert r.exit_code == 3
    assert "unknown document kind 'notulen' in profile.signatories" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------ berita acara
def test_minutes_of_a_closed_session(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    out = office["tmp"] / "berita-acara.pdf"
    r = ikrar("session", "minutes", "1", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    text = squash("\n".join(pdf_text(out)))
    opened = sqlite3.connect(office["home"] / "ikrar.db").execute("SELECT opened_at FROM sessions").fetchone()[0]
    for needle in (
        "BERITA ACARA",
        indonesian_date(opened),
        "Halaman Kantor Bupati Jeneponto",
        "dipimpin oleh H. Muhammad Amir, S.Sos.",  # the leader: first signatory of the minutes
        "Apel Ikrar Netralitas ASN",
        "Sebanyak 5 pegawai berikrar dalam sesi ini (1 dengan konfirmasi perorangan, 4 dengan ikrar bersama)",
        "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
        "ukuran: 7",  # the session's open record, 5 receipts and its close record
        "Pimpinan Apel,",
        "Pembuat Berita Acara,",
        "NIP. 198203032006042009",
        "Jeneponto, " + indonesian_date(opened),
    ):
        assert squash(needle) in text, needle
    for point in POINTS_2024:
        assert squash(point) in text
    # counts per unit: Dinas Kesehatan has 4 active, 1 individual + 1 collective = 2, 50,0%
    assert squash("Dinas Kesehatan 4 1 1 2 50,0%") in text
    # the checkpoint QR decodes to exactly the note the session was closed with
    from ikrar_cli.receipts.qr import decode_file

    note = sqlite3.connect(office["home"] / "ikrar.db").execute("SELECT close_checkpoint FROM sessions").fetchone()[0]
    assert note in decode_file(out)
    import base64

    root = base64.b64encode(__import__("ikrar_cli.ledger.checkpoint", fromlist=["x"]).parse_checkpoint(note)[0].root)
    assert squash("akar: " + root.decode()) in text
    render(out, "minutes")


def test_minutes_need_a_closed_session(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    office = build_office(ikrar, tmp_path, close=False)
    out = office["tmp"] / "ba.pdf"
    r = ikrar("--lang", "en", "session", "minutes", "1", "--out", str(out))
    assert r.exit_code == 5 and "ikrar session close 1" in r.stderr and not out.exists()


# ------------------------------------------------------------------------------ follow-up per unit
def test_follow_up_letters_lists_xlsx_and_index(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    folder = office["tmp"] / "tindak-lanjut"
    r = ikrar("report", "follow-up", "--pledge", "pilkada-2024", "--out", str(folder), "--deadline", "2099-12-05",
              "--json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    units = {u["unit"]: u for u in data["units"]}
    assert set(units) == {"DINKES", "DPMD", "DP3A"}  # Dinas Pendidikan: everyone pledged
    assert units["DINKES"]["missing"] == 2
    text = squash("\n".join(pdf_text(Path(units["DINKES"]["pdf"]))))
    for needle in (
        "NOTA DINAS",
        "Kepada Yth.",
        "Kepala Dinas Kesehatan (dr. Ahmad Yani, M.Kes.)",
        "Kepala BKPSDM Kabupaten Jeneponto",
        "paling lambat tanggal 5 Desember 2099",
        "sebanyak 2 pegawai pada Dinas Kesehatan",
        "ikrar susulan",
        "DAFTAR PEGAWAI YANG BELUM MENGUCAPKAN IKRAR",
        "Paraf",
        "Keterangan",
        "Drs. H. Muhammad Syarif, M.Si.",
        "NIP. 196805121994031007",
    ):
        assert squash(needle) in text, needle
    # sorted by name without titles: Nur Aisyah before Zainal Abidin (not "Drs." before "dr.")
    assert text.index(squash("Drs. Nur Aisyah, M.Si.")) < text.index(squash("dr. Zainal Abidin"))
    assert "Ahmad Yani" not in text.split("DAFTARPEGAWAI")[1]  # pledged: not on the list
    from openpyxl import load_workbook

    ws = load_workbook(units["DINKES"]["xlsx"]).worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["No.", "NIP / ID", "Nama", "Jabatan", "Status", "Paraf", "Keterangan"]
    assert [r[1] for r in rows[1:]] == ["199001012015032002", "199203042019031005"]
    index = (folder / "index.csv").read_text(encoding="utf-8-sig").splitlines()
    assert index[0].split(";")[:3] == ["Kode unit", "Unit", "Belum"]
    assert "DINKES;Dinas Kesehatan;2;0;tindak-lanjut-DINKES.pdf;tindak-lanjut-DINKES.xlsx" in index
    render(Path(units["DINKES"]["pdf"]), "follow-up")
    r = ikrar("--lang", "en", "report", "follow-up", "--pledge", "pilkada-2024", "--out", str(folder),
              "--deadline", "2001-01-01")  # fmt: skip
    assert r.exit_code == 2 and "in the past" in r.stderr


# ------------------------------------------------------------------------------ compact collective output
def test_collective_pdf_is_a_compact_list_per_unit(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    tmp = office["tmp"]
    hadir = tmp / "susulan.csv"
    hadir.write_text("NIP\n199001012015032002\n199203042019031005\n199304052020122006\n198806072014022008\n")
    r = ikrar("session", "open", "--pledge", "pilkada-2024", "--title", "Apel susulan", "--location", "Aula",
              "--force", "--reason", "uji")  # fmt: skip
    assert r.exit_code == 0
    out = tmp / "daftar.pdf"
    r = ikrar("attest", "--session", "2", "--attendance", str(hadir), "--pdf", str(out), env=PASS)
    assert r.exit_code == 0, r.stderr
    pages = pdf_text(out)
    assert len(pages) == 3  # one page per unit (DINKES, DPMD, DP3A), rows side by side
    assert "DAFTAR TANDA TERIMA IKRAR" in pages[0] and "Dinas Kesehatan" in pages[0]
    assert "Drs. Nur Aisyah, M.Si." in pages[0] and "dr. Zainal Abidin" in pages[0]
    assert len(verified(ikrar, out)) == 4
    render(out, "receipt-list")
    slips = tmp / "slip.pdf"
    r = ikrar("session", "open", "--pledge", "pemilu-2024", "--title", "Apel", "--location", "Aula", "--force",
              "--reason", "uji")  # fmt: skip
    r = ikrar("attest", "--session", "3", "--attendance", str(hadir), "--pdf", str(slips), "--slips", env=PASS)
    assert r.exit_code == 0, r.stderr
    assert len(pdf_text(slips)) == 1  # four slips, six to a page (not four on one and wasted halves)
    assert len(verified(ikrar, slips)) == 4
    render(slips, "slips")


def test_session_receipts_list_for_4_units_paginates(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    out = office["tmp"] / "sesi1.pdf"
    r = ikrar("session", "receipts", "1", "--out", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data == {"officers": 5, "pages": 4, "file": str(out), "sealed": False}


# ------------------------------------------------------------------------------ compliance PDF and CSV
def test_compliance_pdf_full_names_sorted_without_titles_page_per_unit_signature(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    out = office["tmp"] / "laporan.pdf"
    r = ikrar("report", "compliance", "--pledge", "pilkada-2024", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    pages = pdf_text(out)
    text = squash("\n".join(pages))
    # both long unit names in full (the field test showed two "Dinas Pemberday…")
    assert text.count(squash("Dinas Pemberdayaan Masyarakat dan Desa")) >= 3
    assert text.count(squash("Dinas Pemberdayaan Perempuan dan Perlindungan Anak")) >= 3
    assert "…" not in "".join(pages) and "Pemberday..." not in text
    # a page of its own for each unit with staff missing
    lists = [p for p in pages if "belum berikrar," in p]
    assert len(lists) == 3 and all(sum(u in squash(p) for u in ("DINKES-", "DPMD-", "DP3A-")) == 1 for p in lists)
    dk = squash(next(p for p in lists if "DINKES-" in squash(p)))
    assert dk.index("NurAisyah") < dk.index("ZainalAbidin")
    assert squash("5 dari 9 pegawai sudah berikrar (55,6%)") in text
    for needle in ("Jeneponto, ", "Mengetahui,", "Kepala BKPSDM Kabupaten Jeneponto", "Drs. H. Muhammad Syarif, M.Si.",
                   "NIP. 196805121994031007"):  # fmt: skip
        assert squash(needle) in squash(pages[-1]), needle
    render(out, "compliance")


def test_compliance_csv_indonesian_dialect_and_all_names(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    out = office["tmp"] / "laporan.csv"
    r = ikrar("report", "compliance", "--pledge", "pilkada-2024", "--out", str(out), "--all")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][0] == "Kode unit" and rows[0][-1] == "Pegawai yang belum berikrar"
    dk = next(r for r in rows if r[0] == "DINKES")
    assert dk[6] == "50,0"  # decimal comma
    assert dk[-1] == "Drs. Nur Aisyah, M.Si. (199001012015032002); dr. Zainal Abidin (199203042019031005)"
    assert rows[-1][6] == "55,6"
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--out", str(out))
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[-1][6] == "55.6" and len(rows[0]) == 9  # English: comma-separated, decimal point, no names
    xl = office["tmp"] / "laporan.xlsx"
    assert ikrar("report", "compliance", "--pledge", "pilkada-2024", "--out", str(xl), "--all").exit_code == 0
    from openpyxl import load_workbook

    summary = load_workbook(xl).worksheets[0]
    names = {summary.cell(i, 1).value: summary.cell(i, 10).value for i in range(2, summary.max_row + 1)}
    assert names["DP3A"] == "Wahyuni (198806072014022008)"


def test_babel_dates_and_decimals() -> None:
    from datetime import date

    from ikrar_cli.documents.profile import decimal, long_date, percent, sort_name
    from ikrar_cli.i18n import set_language

    set_language("id")
    assert long_date(date(2026, 11, 25)) == "25 November 2026"
    assert long_date(date(2024, 8, 17)) == "17 Agustus 2024"
    assert (decimal(2979.25, 1), percent(0.6667)) == ("2.979,3", "66,7%")
    set_language("en")
    assert (long_date(date(2024, 8, 17)), percent(0.6667)) == ("17 August 2024", "66.7%")
    set_language("id")
    names = ["dr. Zainal Abidin", "Drs. Nur Aisyah, M.Si.", "Hj. Andi Cahaya, S.Pd.", "Muh. Basri"]
    assert sorted(names, key=sort_name) == ["Hj. Andi Cahaya, S.Pd.", "Muh. Basri", "Drs. Nur Aisyah, M.Si.",
                                            "dr. Zainal Abidin"]  # fmt: skip


def test_sanction_clause_is_a_template_field_outside_the_digest(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = ikrar("pledge", "show", "pilkada-2024", "--json")
    data = json.loads(r.stdout)
    assert data["sanction"].startswith("Apabila saya melanggar")
    # the digest is the one published before the field existed (docs/pledge-templates.md)
    assert data["digest"] == "sha256:bd9dd2fa5a124fa32bcb32999c129238ad5171b3ec2483cda165e5755f6e1669"
    bad = tmp_path / "t.yaml"
    src = (Path(__file__).resolve().parents[1] / "pledges" / "pilkada-2024.yaml").read_text(encoding="utf-8")
    bad.write_text(src.replace("id: pilkada-2024", "id: uji-sanksi").replace("sanction: >-", "sanction: [1, 2]\nx: >-"))
    r = ikrar("--lang", "en", "pledge", "validate", str(bad))
    assert r.exit_code == 3 and "sanction" in r.stderr + r.stdout
