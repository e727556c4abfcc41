"""Slips PDF (4 per A4 page) in bounded memory (issue 20): peak RSS and time of a child process
writing N slips of real signed receipts, the one-document fpdf2 writer of before (``mono``)
against the parted writer of documents/parted.py (``parted``), and the parted writer sealed
(PAdES, pyHanko, on the joined file). The slips are made lazily in the child, so its peak is the
writer's, not a list of inputs.

    python bench/bench_slips_stream.py 20000 mono parted      # one table row per mode
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _slips(n: int) -> Iterator[object]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ikrar_cli.keys.keyfiles import key_id, raw_public
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.receipt import Claims, sign_receipt
    from ikrar_cli.receipts.slips import Slip

    term = Ed25519PrivateKey.generate()
    kid = key_id(raw_public(term))
    p = PledgeLibrary.load().get("pilkada-2024")
    labels = {k: k for k in ("officer", "id", "unit", "time", "terminal", "method")}
    for i in range(n):
        c = Claims(p.id, p.version, p.digest, f"1986092620150{i:05d}", "nip", "Andi Baso Mappanyukki", "DINKES",
                   1, 1727740800 + i, "Asia/Makassar", "collective", i)  # fmt: skip
        r = sign_receipt(c, term.sign, kid)
        yield Slip(r.text, "BKPSDM", p.title, p.points, c.officer_name, c.officer_id, "DINKES",
                   "2024-10-01 08:00:00 WITA", "t", "bersama", "ikrar verify", labels)  # fmt: skip


def _p12(folder: Path) -> Path:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BKPSDM Bench")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=2)).sign(key, hashes.SHA256()))  # fmt: skip
    path = folder / "segel.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"s", key, cert, None, serialization.NoEncryption()))
    return path


def peak_mb() -> float:
    """This process's peak RSS since it was started. Not ``ru_maxrss``: Linux keeps that across
    ``execve``, so a child of a large process (``bench/run.py`` after its 1,000,000-row benches)
    reports its parent's peak (every mode gave the same 454 MB). ``VmHWM`` is the high-water mark of
    the address space made at exec; ``ru_maxrss`` only where ``/proc`` is missing."""
    import re

    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        found = None
    if found:
        return int(found.group(1)) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, n: int, out: Path) -> dict[str, float]:
    from ikrar_cli.receipts.slips import A4, A6, _new_pdf, slip_sheets, write_slips_pdf

    render_peak = [0.0]

    def tick(done: int, total: int | None) -> None:  # the peak while slips are drawn (before the join)
        render_peak[0] = peak_mb()

    w0, c0 = time.perf_counter(), time.process_time()
    if mode == "mono":  # the writer before issue 20: the whole document in one FPDF, output() once
        pdf = _new_pdf(A4)
        slip_sheets(pdf, _slips(n), rows=2, height=A6[1], progress=tick)  # type: ignore[arg-type]
        out.write_bytes(bytes(pdf.output()))
    elif mode == "parted":
        write_slips_pdf(out, _slips(n), progress=tick)  # type: ignore[arg-type]
    elif mode == "sealed":
        from ikrar_cli.documents.pdfbase import Seal

        write_slips_pdf(out, _slips(n), seal=Seal(_p12(out.parent), None), progress=tick)  # type: ignore[arg-type]
    elif mode == "join":  # the end of a parted write of n slips: n/4 pages in parts of 400, joined and sealed
        from ikrar_cli.documents.parted import PAGES_PER_PART, PartedPdf
        from ikrar_cli.documents.pdfbase import Seal

        per_part = min(PAGES_PER_PART, -(-n // 4))  # --quick: a smaller part
        one = _new_pdf(A4)
        slip_sheets(one, _slips(4 * per_part), rows=2, height=A6[1])  # type: ignore[arg-type]
        part = bytes(one.output())
        del one
        tick(0, None)
        w0, c0 = time.perf_counter(), time.process_time()  # the join and the seal only
        with PartedPdf(lambda _first: _new_pdf(A4)) as pdf:
            for _ in range(-(-n // (4 * per_part))):
                pdf._spool.add(part)  # noqa: SLF001 - the parts a drawing pass would have written
            pdf.finish(out, Seal(_p12(out.parent), None))
    else:
        raise SystemExit(f"unknown mode {mode}")
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak = peak_mb()
    return {"wall": wall, "cpu": cpu, "peak_mb": peak, "render_peak_mb": render_peak[0],
            "size_mb": out.stat().st_size / 1e6}  # fmt: skip


def measure(mode: str, n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ikrar-bench-slips-") as d:
        out = Path(d) / "slips.pdf"
        p = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(n), str(out)],
            capture_output=True, text=True, check=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )  # fmt: skip
        res: dict[str, float] = json.loads(p.stdout.strip().splitlines()[-1])
        import pypdfium2

        res["pages"] = len(pypdfium2.PdfDocument(str(out)))
        return res


def run(n: int, modes: list[str], row: Callable[..., None]) -> None:
    for mode in modes:
        r = measure(mode, n)
        label = {"mono": "one fpdf2 document (before)", "parted": "parted writer", "sealed": "parted writer, sealed",
                 "join": "join + seal only (a real 400-page part repeated), peak while drawing = the one part"}
        row(
            f"slips PDF, {n:,} slips (4 per A4 page), {label[mode]}: child process",
            f"peak {r['peak_mb']:.0f} MB (while drawing {r['render_peak_mb']:.0f} MB), {r['wall']:.1f} s wall "
            f"(CPU {r['cpu']:.1f} s), {r['pages']:,} pages, {r['size_mb']:.1f} MB",
            "target 300 MB (issue 20)",
            f"{r['peak_mb'] / 300:.2f}x of the target",
            "< 300 MB",
        )


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))))
    else:
        n = int(sys.argv[1])

        def show(*cells: str) -> None:
            print("| " + " | ".join(cells) + " |", flush=True)

        run(n, sys.argv[2:] or ["parted"], show)
