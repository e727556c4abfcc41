"""Printable receipt slips (PDF, through fpdf2).

One A6 slip, or A4 sheets with four A6 slips and cut marks for collective recitation.
The QR is drawn as vector rectangles (crisp in print, and thousands of slips take
seconds). fpdf2's core fonts cover Latin-1; any other character in a name is
transliterated (e.g. 'ł' -> 'l'), never dropped silently and never a crash — the QR
itself always carries the exact receipt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .receipt import wrap_receipt

if TYPE_CHECKING:
    from ..documents.pdfbase import Seal

A6 = (105.0, 148.0)
A4 = (210.0, 297.0)


@dataclass(frozen=True)
class Slip:
    receipt_text: str
    institution: str
    pledge_title: str
    points: tuple[str, ...]
    officer_name: str | None
    officer_id: str
    unit: str
    time_local: str
    terminal: str
    method: str
    verify_hint: str
    labels: dict[str, str]  # translated: officer, id, unit, time, terminal, method


_FALLBACK = {"ł": "l", "Ł": "L", "’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "…": "..."}


def pdf_text(text: str) -> str:
    """Text the core fonts can print: Latin-1 kept, anything else transliterated."""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            if ch in _FALLBACK:
                out.append(_FALLBACK[ch])
            else:
                base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
                out.append(base or "?")
    return "".join(out)


def _draw_qr(pdf: Any, text: str, x: float, y: float, size: float) -> None:
    """The QR as the documents draw it (one filled path in module units: documents/pdfbase.py)."""
    from ..documents.pdfbase import draw_qr

    draw_qr(pdf, text, x, y, size)


_LINE_CACHE: dict[tuple[tuple[str, ...], float], list[str]] = {}


def _point_lines(pdf: Any, points: tuple[str, ...], width: float) -> list[str]:
    """The pledge points broken into lines once per template (every slip has the same points)."""
    key = (points, width)
    if key not in _LINE_CACHE:
        lines: list[str] = []
        for i, point in enumerate(points, 1):
            lines += pdf.multi_cell(width, 2.5, pdf_text(f"{i}. {point}"), dry_run=True, output="LINES")
        _LINE_CACHE[key] = lines
    return _LINE_CACHE[key]


def _slip(pdf: Any, s: Slip, ox: float, oy: float) -> None:
    w, _h = A6
    margin = 6.0
    inner = w - 2 * margin
    pdf.set_xy(ox + margin, oy + margin)
    pdf.set_font("Helvetica", "B", 7)
    pdf.set_text_color(60, 60, 60)
    pdf.cell(inner, 3.5, pdf_text(s.institution.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(ox + margin)
    pdf.set_font("Helvetica", "B", 8.5)
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(inner, 3.8, pdf_text(s.pledge_title), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_draw_color(150, 150, 150)
    y = pdf.get_y() + 1
    pdf.line(ox + margin, y, ox + w - margin, y)
    pdf.set_xy(ox + margin, y + 1.2)
    pdf.set_font("Helvetica", "", 5.6)
    for line in _point_lines(pdf, s.points, inner):
        pdf.set_x(ox + margin)
        pdf.cell(inner, 2.5, line, new_x="LEFT", new_y="NEXT")
    y = pdf.get_y() + 1.5
    qr = 38.0
    _draw_qr(pdf, s.receipt_text, ox + margin, y, qr)
    fx = ox + margin + qr + 3
    pdf.set_xy(fx, y)
    fields = [
        (s.labels["officer"], s.officer_name or "-"),
        (s.labels["id"], s.officer_id),
        (s.labels["unit"], s.unit),
        (s.labels["time"], s.time_local),
        (s.labels["terminal"], s.terminal),
        (s.labels["method"], s.method),
    ]
    for label, value in fields:
        pdf.set_x(fx)
        pdf.set_font("Helvetica", "", 5.5)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(inner - qr - 3, 2.4, pdf_text(label), new_x="LEFT", new_y="NEXT")
        pdf.set_x(fx)
        pdf.set_font("Helvetica", "B", 7)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(inner - qr - 3, 3.1, pdf_text(value), new_x="LEFT", new_y="NEXT", align="L")
    y = max(pdf.get_y(), y + qr) + 2
    pdf.set_xy(ox + margin, y)
    pdf.set_font("Helvetica", "", 5.6)
    pdf.multi_cell(inner, 2.6, pdf_text(s.verify_hint), new_x="LEFT", new_y="NEXT")
    pdf.set_x(ox + margin)
    pdf.set_font("Courier", "", 4.2)
    pdf.set_text_color(70, 70, 70)
    # Courier is fixed-width. The receipt is printed as it is (spaces as spaces) and broken only
    # where a verifier joins it back (docs/receipt-format.md §1), so a copied text verifies.
    per_line = max(20, int(inner / pdf.get_string_width("M")))
    # with receipt.verify_url the QR holds a link: print only the receipt, what 'ikrar verify' takes
    for line in wrap_receipt(printed_receipt(s.receipt_text), per_line):
        pdf.set_x(ox + margin)
        pdf.cell(inner, 1.9, line, new_x="LEFT", new_y="NEXT")


def printed_receipt(qr_text: str) -> str:
    """The bare receipt of a QR text: a link's fragment, percent-decoded (``%20``, ``%25``)."""
    if "#" not in qr_text:
        return qr_text
    frag = qr_text.rpartition("#")[2]
    return re.sub("%(2[05])", lambda m: " " if m.group(1) == "20" else "%", frag, flags=re.IGNORECASE)


def _new_pdf(fmt: tuple[float, float]) -> Any:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=fmt)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("ikrar")
    return pdf


def slip_sheets(
    pdf: Any,
    slips: Iterable[Slip],
    *,
    rows: int,
    height: float,
    shift: float = 0.0,
    progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> int:
    """Slips two across and ``rows`` down on A4 pages, ``height`` apart (a slip's blank lower part
    may be cut away), with dashed cut lines; returns how many. Used by the 4-up and 6-up sheets."""
    per_page = 2 * rows
    n = 0
    for s in slips:
        pos = n % per_page
        if pos == 0:
            pdf.add_page()
            pdf.set_draw_color(170, 170, 170)
            pdf.set_dash_pattern(dash=1.5, gap=1.5)
            pdf.line(A6[0], 0, A6[0], A4[1])
            for k in range(1, rows):
                pdf.line(0, height * k, A4[0], height * k)
            pdf.set_dash_pattern()
        _slip(pdf, s, (pos % 2) * A6[0], (pos // 2) * height + shift)
        n += 1
        if progress and n % 100 == 0:
            progress(n, total)
    if n == 0:
        pdf.add_page()
    return n


def write_slip_pdf(path: Path, slip: Slip, seal: Seal | None = None) -> None:
    """One A6 slip; sealed (PAdES) when ``seal`` is given, like every other document."""
    from ..documents.pdfbase import finish

    pdf = _new_pdf(A6)
    pdf.add_page()
    _slip(pdf, slip, 0, 0)
    finish(bytes(pdf.output()), path, seal)


def write_slips_pdf(
    path: Path,
    slips: Iterable[Slip],
    *,
    progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
    seal: Seal | None = None,
    pages_per_part: int | None = None,
) -> int:
    """A4 sheets with four A6 slips each and dashed cut lines; returns the number of slips.

    Rendered in parts and joined into the file (documents/parted.py): memory does not grow with
    the number of slips; sealed (PAdES) after joining when ``seal`` is given."""
    from ..documents.parted import PartedPdf

    with PartedPdf(lambda _first: _new_pdf(A4), pages_per_part=pages_per_part) as pdf:
        n = slip_sheets(pdf, slips, rows=2, height=A6[1], progress=progress, total=total)
        pdf.finish(path, seal)
    return n
