"""Office documents at the scale of a regency: Pakta Integritas and the compact receipt list for n
officers in 20 units, against the old four-slips-per-page PDF of the same receipts (same run)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable


def _pages(path) -> int:  # type: ignore[no-untyped-def]
    import pypdfium2

    return len(pypdfium2.PdfDocument(str(path)))


def run(n: int, row: Callable[..., None]) -> None:
    import receipt_env

    from ikrar_cli.documents.pakta import PaktaEntry, write_pakta
    from ikrar_cli.documents.profile import Profile, Signatory
    from ikrar_cli.documents.receiptlist import ListRow, write_receipt_list
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.slips import Slip, write_slips_pdf

    env = receipt_env.make(n, bundle=False)
    pledge = PledgeLibrary.load().get("pilkada-2024")
    profile = Profile(
        institution="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        government="PEMERINTAH KABUPATEN JENEPONTO",
        address="Jalan Lanto Dg. Pasewang No. 1, Jeneponto 92311",
        place="Jeneponto",
        signatories={"default": [Signatory("Drs. H. Muhammad Syarif, M.Si.", "196805121994031007", "Kepala BKPSDM")]},
    )
    units = [(f"U{i:02d}", f"Dinas Nomor {i:02d} Kabupaten Jeneponto") for i in range(20)]
    entries, rows, slips = [], [], []
    labels = {k: k for k in ("officer", "id", "unit", "time", "terminal", "method")}
    for i, r in enumerate(env.receipts):
        code, name = units[i % len(units)]
        c = r.claims
        entries.append(PaktaEntry(c.officer_id, "nip", f"dr. {c.officer_name}, M.Kes.", "III/c", "Analis", code, name,
                                  r.text, c.issued_at, c.zone, pledge.id, pledge.version, 1))  # fmt: skip
        rows.append(ListRow(code, name, c.officer_id, f"dr. {c.officer_name}, M.Kes.", c.issued_at, c.zone, i, r.text))
        slips.append(Slip(r.text, "BKPSDM", pledge.title, pledge.points, c.officer_name, c.officer_id, code,
                          "2024-10-01 08:00:00 WITA", "t", "bersama", "ikrar verify", labels))  # fmt: skip
    def timed(fn: Callable[[], object]) -> tuple[float, float]:
        """(wall, CPU) seconds: CPU time stays meaningful on a machine shared with other work."""
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - w0, time.process_time() - c0

    w_slips, c_slips = timed(lambda: write_slips_pdf(env.dir / "slips.pdf", slips))
    p_slips = _pages(env.dir / "slips.pdf")
    ref = f"4 slips/page: {w_slips:.1f} s (CPU {c_slips:.1f} s), {p_slips:,} pages"

    w, c = timed(lambda: write_receipt_list(env.dir / "list.pdf", rows, profile=profile, heading=[pledge.title, "A"]))
    pages = _pages(env.dir / "list.pdf")
    size = (env.dir / "list.pdf").stat().st_size / 1e6
    row(f"receipt list of {n:,} officers (20 units, small QR per row)",
        f"{w:.1f} s (CPU {c:.1f} s), {pages:,} pages, {size:.1f} MB",
        ref, f"{pages / p_slips:.2f}x pages, {c / c_slips:.2f}x CPU", "fewer pages than slips")  # fmt: skip

    w, c = timed(
        lambda: write_pakta(env.dir / "pakta.pdf", entries, pledge_for=lambda e: pledge, profile=profile,
                            qr_for=lambda s: s)  # fmt: skip
    )
    pages = _pages(env.dir / "pakta.pdf")
    size = (env.dir / "pakta.pdf").stat().st_size / 1e6
    row(f"Pakta Integritas for {n:,} officers (one A4 page each, letterhead, QR)",
        f"{w:.1f} s (CPU {c:.1f} s, {n / c:,.0f}/CPU-s), {pages:,} pages, {size:.1f} MB", ref,
        f"{c / c_slips:.2f}x CPU", "report it")  # fmt: skip
    shutil.rmtree(env.dir, ignore_errors=True)
