"""Long PDFs written in parts (documents/parted.py): the same document as one fpdf2 document,
memory that does not hold every page, and nothing left behind (slips carry personal data)."""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import tracemalloc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_qr import _slip

from ikrar_cli.documents.parted import PartedPdf
from ikrar_cli.errors import InputError
from ikrar_cli.receipts.slips import A4, A6, Slip, _new_pdf, slip_sheets, write_slips_pdf

ROOT = Path(__file__).resolve().parents[1]


def _one_document(path: Path, slips: list[Slip], rows: int = 2, height: float = A6[1], shift: float = 0.0) -> None:
    """The writer before parts: every page in one FPDF, output() once."""
    pdf = _new_pdf(A4)
    slip_sheets(pdf, slips, rows=rows, height=height, shift=shift)
    path.write_bytes(bytes(pdf.output()))


def _pixels(path: Path) -> list[str]:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    try:
        return [hashlib.sha256(page.render(scale=1.5).to_pil().tobytes()).hexdigest() for page in doc]
    finally:
        doc.close()


def _texts(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the writer uses, watched by the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_parted_slips_are_the_same_document_page_for_page(tmp_path: Path, private_tmp: Path) -> None:
    slips = [_slip(i, name=f"Ni Luh Putu Ayu {i}") for i in range(21)]  # 6 pages, the last with one slip
    one, parted = tmp_path / "one.pdf", tmp_path / "parted.pdf"
    _one_document(one, slips)
    assert write_slips_pdf(parted, iter(slips), pages_per_part=2) == 21  # three parts joined
    assert len(_texts(parted)) == 6
    assert _texts(parted) == _texts(one)
    assert _pixels(parted) == _pixels(one)  # pdfium draws the same pixels on every page
    assert stat.S_IMODE(parted.stat().st_mode) == 0o600  # names: private
    assert os.listdir(private_tmp) == []


def test_parted_compact_slips_sealed_are_the_same_and_the_seal_covers_the_joined_file(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from doc_helpers import make_p12
    from test_seal_printer import status

    from ikrar_cli.documents import parted
    from ikrar_cli.documents.pdfbase import Seal
    from ikrar_cli.documents.receiptlist import SLIP_H, write_compact_slips

    monkeypatch.setattr(parted, "PAGES_PER_PART", 1)  # the default of PartedPdf is read at call time
    slips = [_slip(i) for i in range(13)]  # 6 a page: 3 pages, 3 parts
    one, sealed = tmp_path / "one.pdf", tmp_path / "sealed.pdf"
    _one_document(one, slips, rows=3, height=SLIP_H, shift=-2)
    p12, ca = make_p12(tmp_path, passphrase=None)
    assert write_compact_slips(sealed, iter(slips), seal=Seal(p12, None, reason="Tanda terima")) == (13, 3)
    assert _pixels(sealed) == _pixels(one)
    st = status(sealed.read_bytes(), ca)
    assert (st["sealed"], st["intact"], st["valid"], st["trusted"]) == (True, True, True, True)
    assert "ENTIRE_FILE" in st["coverage"]
    assert os.listdir(private_tmp) == []


def test_pages_rendered_by_pdftoppm_look_the_same(tmp_path: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the pdfium comparison above still ran")
    slips = [_slip(i) for i in range(9)]
    one, parted = tmp_path / "one.pdf", tmp_path / "parted.pdf"
    _one_document(one, slips)
    write_slips_pdf(parted, iter(slips), pages_per_part=1)
    for pdf in (one, parted):
        subprocess.run([pdftoppm, "-r", "60", "-png", str(pdf), str(tmp_path / pdf.stem)], check=True)
    pngs = sorted(p.name for p in tmp_path.glob("parted-*.png"))
    assert len(pngs) == 3
    for name in pngs:
        assert (tmp_path / name).read_bytes() == (tmp_path / name.replace("parted", "one")).read_bytes()


def test_parts_already_written_are_not_held(tmp_path: Path) -> None:
    """The FPDF of a finished part is gone once the next part starts."""
    seen: list[weakref.ref[object]] = []
    with PartedPdf(lambda _first: _new_pdf(A4), pages_per_part=1) as pdf:

        def slips() -> Iterator[Slip]:
            for i in range(12):
                if i in (3, 7):  # the last slip of the first and of the second page (part)
                    seen.append(weakref.ref(pdf.current))
                yield _slip(i)

        slip_sheets(pdf, slips(), rows=2, height=A6[1])
        gc.collect()
        assert pdf.parts == 2 and pdf.page_no() == 3
        assert [ref() is None for ref in seen] == [True, True]  # the finished parts' FPDF objects are freed
        assert weakref.ref(pdf.current)() is not None and pdf.current.page == 1
        pdf.finish(tmp_path / "s.pdf")


def _peak(tmp_path: Path, n: int, per_part: int | None) -> int:
    """tracemalloc's peak while the slips are drawn (the join and the seal, measured as the RSS of a
    child process in tests/test_pdf_join_memory.py, come after)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with PartedPdf(lambda _first: _new_pdf(A4), pages_per_part=per_part or 1000) as pdf:
            slip_sheets(pdf, (_slip(i % 8) for i in range(n)), rows=2, height=A6[1])
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            pdf.finish(tmp_path / f"s{n}.pdf")
        return peak
    finally:
        tracemalloc.stop()


def test_python_memory_does_not_grow_with_the_pages(tmp_path: Path) -> None:
    """tracemalloc's peak (Python objects: fpdf2's pages, the parts' bytes) while drawing 4N slips
    is the peak for N within a small constant; one document (a part as large as the document) grows
    by about 55 KB a page, so the same comparison fails for it."""
    _peak(tmp_path, 8, 2)  # caches (pledge point lines, QR tables) filled before measuring
    small, large = _peak(tmp_path, 24, 2), _peak(tmp_path, 96, 2)  # 6 pages vs 24 pages
    assert large - small < 64_000, (small, large)  # measured: within 10 KB
    one_small, one_large = _peak(tmp_path, 24, 1000), _peak(tmp_path, 96, 1000)
    assert one_large - one_small > 10 * 64_000, (one_small, one_large)  # the comparison sees growth (~1 MB)


def test_a_failure_midway_leaves_no_file_and_no_temporary_file(tmp_path: Path, private_tmp: Path) -> None:
    out = tmp_path / "out" / "slips.pdf"
    out.parent.mkdir()
    names_during: list[list[str]] = []

    def slips() -> Iterator[Slip]:
        for i in range(30):
            if i == 20:  # five parts written by now
                names_during.append(os.listdir(private_tmp))
                raise InputError("row 21: broken")
            yield _slip(i)

    with pytest.raises(InputError, match="row 21"):
        write_slips_pdf(out, slips(), pages_per_part=1)
    assert names_during == [[]]  # the parts never had a name on disk
    assert os.listdir(out.parent) == [] and os.listdir(private_tmp) == []


def test_without_anonymous_files_the_parts_live_in_a_private_folder_removed_on_failure(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ikrar_cli import platform_guard

    monkeypatch.setattr(platform_guard, "open_file_name", lambda fd: None)  # as on Windows
    out = tmp_path / "slips.pdf"
    during: list[tuple[int, list[str]]] = []

    def slips(fail: bool) -> Iterator[Slip]:
        for i in range(12):
            if i == 9:
                (folder,) = private_tmp.iterdir()
                during.append((stat.S_IMODE(folder.stat().st_mode), sorted(os.listdir(folder))))
                if fail:
                    raise InputError("stop")
            yield _slip(i)

    with pytest.raises(InputError):
        write_slips_pdf(out, slips(True), pages_per_part=1)
    assert during == [(0o700, ["part-1.pdf", "part-2.pdf"])]
    assert not out.exists() and os.listdir(private_tmp) == []
    assert write_slips_pdf(out, slips(False), pages_per_part=1) == 12  # and the joined file is right
    assert len(_texts(out)) == 3 and os.listdir(private_tmp) == []


CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from pathlib import Path
    from test_qr import _slip
    from ikrar_cli.receipts.slips import write_slips_pdf

    def slips():
        for i in range(40):
            if i == 24:  # six parts written
                print("parts-written", flush=True)
                sys.stdin.readline()  # held here until the test kills the process
            yield _slip(i)

    write_slips_pdf(Path(sys.argv[1]), slips(), pages_per_part=1)
    """
)


def test_a_writer_killed_midway_leaves_no_file_and_no_temporary_file(tmp_path: Path) -> None:
    tmp, out_dir = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out_dir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out_dir / "slips.pdf"), str(ROOT / "tests")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "parts-written"
        fds = os.listdir(f"/proc/{child.pid}/fd") if os.path.isdir(f"/proc/{child.pid}/fd") else []
        assert os.listdir(tmp) == [] and os.listdir(out_dir) == []
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert os.listdir(tmp) == [] and os.listdir(out_dir) == []
    if fds:  # Linux: the six parts were open files with no name
        assert len(fds) >= 6


def test_receipt_list_in_parts_numbers_pages_of_the_whole_document(tmp_path: Path) -> None:
    from test_document_parts import _profile

    from ikrar_cli.documents.receiptlist import ListRow, write_receipt_list
    from ikrar_cli.i18n import set_language

    set_language("id")
    rows = [
        ListRow(f"U{u}", f"Dinas {u}", f"19860926201505{i:04d}", f"Pegawai {i}", 1727740800 + i, "Asia/Makassar", i,
                _slip(i).receipt_text)
        for u in range(2) for i in range(70)
    ]  # fmt: skip
    whole, parted = tmp_path / "whole.pdf", tmp_path / "parted.pdf"
    kw = {"profile": _profile(), "heading": ["Ikrar Netralitas ASN", "Apel"]}
    assert write_receipt_list(whole, iter(rows), **kw) == (140, 6)  # type: ignore[arg-type]  # one part
    assert write_receipt_list(parted, iter(rows), pages_per_part=1, **kw) == (140, 6)  # type: ignore[arg-type]
    texts = _texts(parted)
    assert [t.rstrip()[-16:] for t in texts] == [f"Halaman {k} dari 6" for k in range(1, 7)]
    assert texts == _texts(whole)
    assert _pixels(parted) == _pixels(whole)


def test_the_total_where_fpdf2_puts_its_alias(tmp_path: Path) -> None:
    """A part's footer prints the known total where fpdf2 prints its "{nb_pages}" alias: same pixels."""
    from ikrar_cli.documents import pdfbase as pb

    for name, total in (("alias", None), ("number", 12)):
        pdf = pb.new_pdf("T", footer="BKPSDM Kabupaten Jeneponto", page_total=total)
        for i in range(12):
            pdf.add_page()
            pdf.set_font("Helvetica", "", 10)
            pdf.cell(0, 5, f"halaman {i}")
        (tmp_path / f"{name}.pdf").write_bytes(bytes(pdf.output()))
    assert _pixels(tmp_path / "number.pdf") == _pixels(tmp_path / "alias.pdf")


def test_pakta_in_parts_is_the_same_document(tmp_path: Path) -> None:
    from test_document_parts import _profile

    from ikrar_cli.documents.pakta import PaktaEntry, write_pakta
    from ikrar_cli.pledges.templates import PledgeLibrary

    pledge = PledgeLibrary.load().get("pilkada-2024")
    entries = [
        PaktaEntry(f"19860926201505{i:04d}", "nip", f"dr. Pegawai {i}, M.Kes.", "III/c", "Analis", "U1", "Dinas Satu",
                   _slip(i).receipt_text, 1727740800 + i, "Asia/Makassar", pledge.id, pledge.version, 1)
        for i in range(5)
    ]  # fmt: skip
    kw = {"pledge_for": lambda e: pledge, "profile": _profile(), "qr_for": lambda s: s}
    whole, parted = tmp_path / "whole.pdf", tmp_path / "parted.pdf"
    assert write_pakta(whole, iter(entries), **kw) == 5  # type: ignore[arg-type]
    assert write_pakta(parted, iter(entries), pages_per_part=2, **kw) == 5  # type: ignore[arg-type]
    assert _texts(parted) == _texts(whole) and len(_texts(parted)) >= 5
    assert _pixels(parted) == _pixels(whole)


def test_compliance_report_pdf_in_parts_counts_its_pages_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ikrar_cli.documents import parted
    from ikrar_cli.reports.render import write_pdf
    from ikrar_cli.reports.report import ComplianceReport, StaffLine, UnitCompliance

    units = [
        UnitCompliance(f"U{u}", f"Dinas Nomor {u}", active=80, individual=10, collective=20,
                       missing=[StaffLine(f"19860926201505{u}{i:03d}", f"Pegawai {u}-{i}", "Analis", f"U{u}", 0)
                                for i in range(50)])
        for u in range(3)
    ]  # fmt: skip
    report = ComplianceReport("BKPSDM Kabupaten Jeneponto", "pilkada-2024", "Ikrar Netralitas ASN", None,
                              1727740800, "Asia/Makassar", units, 0, 0)  # fmt: skip
    whole, parted_pdf = tmp_path / "whole.pdf", tmp_path / "parted.pdf"
    kw = {"stamp": "1 Oktober 2024 08.00 WITA", "as_of_label": "1 Oktober 2024"}
    write_pdf(report, whole, **kw)  # type: ignore[arg-type]  # one part (400 pages a part)
    monkeypatch.setattr(parted, "PAGES_PER_PART", 1)
    write_pdf(report, parted_pdf, **kw)  # type: ignore[arg-type]
    texts = _texts(parted_pdf)
    pages = len(texts)
    assert pages >= 7  # letterhead, table, three units of two pages each
    assert [f"Halaman {k} dari {pages}" in t for k, t in enumerate(texts, 1)] == [True] * pages
    assert texts == _texts(whole)
    assert _pixels(parted_pdf) == _pixels(whole)
