"""The join and the seal of a long PDF in bounded memory (documents/pdfjoin.py, issue 20).

The peak RSS of a child process (C memory included, which tracemalloc does not see) that joins and
seals N pages of slips in parts is compared with the same for 4N pages: the growth per extra page
must stay well below the size of the pages' streams, so a join that holds the pages' contents (or
a writer that keeps every page) fails. At these test sizes qpdf's join (the writer before) also
passes: its 8.4 KB a page shows at thousands of pages of real slips (bench/README.md). Not timed:
only memory and the document's content are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from test_qr import _slip
    from ikrar_cli.documents.parted import PartedPdf
    from ikrar_cli.documents.pdfbase import Seal
    from ikrar_cli.documents.receiptlist import SLIP_H
    from ikrar_cli.receipts.slips import A4, _new_pdf, slip_sheets

    parts, per_part, p12, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    one = _new_pdf(A4)  # one real part of slips (6 a page), drawn once and joined `parts` times
    slip_sheets(one, (_slip(i % 8) for i in range(6 * per_part)), rows=3, height=SLIP_H, shift=-2)
    part = bytes(one.output())
    del one
    with PartedPdf(lambda _first: _new_pdf(A4), pages_per_part=per_part) as pdf:
        for _ in range(parts):
            pdf._spool.add(part)  # the parts a drawing pass would have written
        pdf.finish(out, Seal(Path(p12), None))
    print(json.dumps({"part_bytes": len(part), "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """
)

PER_PART = 20


def _child(tmp_path: Path, parts: int, p12: Path) -> tuple[dict[str, int], Path]:
    out = tmp_path / f"doc-{parts}.pdf"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(ROOT), str(ROOT / "tests"))))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(parts), str(PER_PART), str(p12), str(out)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), out


@pytest.mark.xdist_group("pdf_memory")  # one worker: no two of these children at the same time
def test_join_and_seal_memory_does_not_grow_with_the_pages(tmp_path: Path) -> None:
    from doc_helpers import make_p12
    from pypdf import PdfReader
    from test_seal_printer import status

    p12, ca = make_p12(tmp_path, passphrase=None)
    small, _small_pdf = _child(tmp_path, 30, p12)  # 600 pages
    large, large_pdf = _child(tmp_path, 120, p12)  # 2,400 pages
    extra_pages = 90 * PER_PART
    grown = (large["peak_kb"] - small["peak_kb"]) * 1024 / extra_pages
    per_page = large["part_bytes"] / PER_PART  # the page streams (about 7 KB a page of these slips)
    # measured here: about 3 KB a page (the cross-reference table, allocator slack); a join that
    # holds the pages' streams fails it
    assert grown < 0.85 * per_page, (small, large, f"{grown:.0f} bytes a page")

    reader = PdfReader(large_pdf)  # every page, in order, in one document
    assert len(reader.pages) == 120 * PER_PART
    for i in (0, 7, 19):  # the same part joined 120 times: its pages come back in order, every time
        text = reader.pages[i].extract_text()
        assert text and all(reader.pages[i + k * PER_PART].extract_text() == text for k in (1, 61, 119))
    assert reader.trailer["/Root"]["/Pages"]["/Count"] == 2400
    st = status(large_pdf.read_bytes(), ca)
    assert (st["sealed"], st["intact"], st["valid"], st["trusted"]) == (True, True, True, True)
    assert "ENTIRE_FILE" in st["coverage"]


def test_a_part_that_cannot_be_joined_fails_whole_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part file damaged after it was written (the temporary folder failed): the join stops with
    a StorageError, the document is not written and no temporary file is left."""
    from fpdf import FPDF

    from ikrar_cli.documents.parted import PartedPdf
    from ikrar_cli.errors import StorageError

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    out = tmp_path / "out.pdf"
    with PartedPdf(lambda _first: FPDF(), pages_per_part=1) as pdf:
        for i in range(4):
            pdf.add_page()
            pdf.set_font("Helvetica", "", 9)
            pdf.cell(50, 5, f"page {i}")
        second = pdf._spool.names[1]  # noqa: SLF001 - the part file as the join will read it
        with open(second, "r+b") as fh:
            fh.truncate(0)
            fh.write(b"%PDF-1.3\nnot a pdf\n")
        with pytest.raises(StorageError):
            pdf.finish(out)
    assert not out.exists()
    assert os.listdir(folder) == []


def test_the_attestation_spool_gives_back_what_was_committed_in_order_without_holding_it() -> None:
    import tracemalloc

    from ikrar_cli.recitation.attest import Attestation
    from ikrar_cli.recitation.spool import AttestationSpool

    def att(i: int) -> Attestation:
        name = "Ni Luh Putu Ayu Łukasz ’" if i % 7 == 0 else None
        return Attestation(1, f"19860926201505{i:04d}", "nip", name, "DINKES", "collective", 1727740800 + i, i,
                           "HC1:" + "X" * 300 + str(i), unlisted=i % 5 == 0)  # fmt: skip

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            with AttestationSpool() as spool:
                for start in range(0, n, 500):  # committed batches
                    spool.extend([att(i) for i in range(start, min(n, start + 500))])
                assert len(spool) == n
                assert sum(1 for _ in spool) == n
                return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    with AttestationSpool() as spool:
        assert not spool and list(spool) == []
        spool.extend([att(i) for i in range(30)])
        spool.append(att(30))
        assert list(spool) == [att(i) for i in range(31)]
        assert list(spool) == [att(i) for i in range(31)]  # read again for the PNGs after the PDF
    peak(500)
    small, large = peak(2_000), peak(8_000)
    assert large - small < 200_000, (small, large)  # a list of them: about 1 KB each, 6 MB more
