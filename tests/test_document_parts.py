"""The parts documents share (issue 16 gap g): the closing signature blocks (follow-up letter,
minutes, receipt list), the table header, and the sheet of cut-out slips (4-up and 6-up)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from test_qr import _slip

from ikrar_cli.documents import pdfbase as pb
from ikrar_cli.documents.profile import Profile, Signatory
from ikrar_cli.i18n import set_language
from ikrar_cli.receipts.qr import decode_file


def _text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(path).pages]


def _profile() -> Profile:
    return Profile(
        institution="BKPSDM Kabupaten Jeneponto",
        place="Jeneponto",
        signatories={
            "minutes": [Signatory(nip="197001011990031001", position="Sekretaris Daerah", role="Pimpinan Apel"),
                        Signatory(name="Rahmawati, S.E.", nip="198203032006042009", position="Analis SDM")],
            "default": [Signatory(name="Drs. H. Muhammad Syarif, M.Si.", nip="196805121994031007",
                                  position="Kepala BKPSDM")],
        },
    )  # fmt: skip


def test_sign_off_blocks_place_date_roles_and_the_leader(tmp_path: Path) -> None:
    set_language("id")
    pdf = pb.new_pdf("uji")
    pdf.add_page()
    day = date(2026, 11, 25)
    pb.sign_off(pdf, _profile(), "minutes", day, all_signers=True, role="Pimpinan apel", leader="H. Muhammad Amir")
    pb.sign_off(pdf, _profile(), "follow_up", day)  # no such kind: the default signatory, the first only
    out = tmp_path / "t.pdf"
    pb.finish(pb.pdf_bytes(pdf), out)
    text = " ".join(_text(out)[0].split())
    assert text.count("Jeneponto, 25 November 2026") == 2  # above the last block of each sign-off only
    assert "Pimpinan Apel," in text and "Sekretaris Daerah" in text and "H. Muhammad Amir" in text
    assert "NIP. 197001011990031001" in text and "Rahmawati, S.E." in text and "NIP. 198203032006042009" in text
    assert "Drs. H. Muhammad Syarif, M.Si." in text and "Kepala BKPSDM" in text
    assert text.index("Pimpinan Apel,") < text.index("Jeneponto, 25 November 2026")  # leader left, date right


def test_table_head_fits_long_labels(tmp_path: Path) -> None:
    pdf = pb.new_pdf("uji")
    pdf.add_page()
    pb.table_head(pdf, ["No.", "Jumlah pegawai aktif"], [10.0, 14.0])
    assert pdf.font_size_pt < 8  # shrunk to fit its 14 mm column
    out = tmp_path / "t.pdf"
    pb.finish(pb.pdf_bytes(pdf), out)
    assert "Jumlah pegawai aktif" in " ".join(_text(out)[0].split())


def test_slip_sheets_four_and_six_to_a_page_every_qr_reads(tmp_path: Path) -> None:
    from ikrar_cli.documents.receiptlist import write_compact_slips
    from ikrar_cli.receipts.slips import write_slips_pdf

    six = tmp_path / "six.pdf"
    assert write_compact_slips(six, (_slip(i) for i in range(7))) == (7, 2)
    assert sorted(decode_file(six)) == sorted(_slip(i).receipt_text for i in range(7))
    four = tmp_path / "four.pdf"
    assert write_slips_pdf(four, (_slip(i) for i in range(5))) == 5
    assert len(_text(four)) == 2
    assert sorted(decode_file(four)) == sorted(_slip(i).receipt_text for i in range(5))
    empty = tmp_path / "empty.pdf"
    assert write_compact_slips(empty, iter(())) == (0, 1)
