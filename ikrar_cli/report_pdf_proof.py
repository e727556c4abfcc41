"""The proof block of the compliance PDF: the report's signed inputs and digest, as text and QR."""

from __future__ import annotations

from typing import Any

from .i18n import _


def proof_block(pdf: Any, width: float, lines: list[str], qr_text: str) -> None:
    from .slips import _draw_qr, pdf_text

    qr = 30.0
    if pdf.get_y() + qr + 12 > pdf.h - 15:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(width, 5, pdf_text(_("Proof: signed inputs of this report")), new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y()
    x = pdf.l_margin
    if qr_text:
        _draw_qr(pdf, qr_text, x + width - qr, y, qr)
    pdf.set_font("Courier", "", 6.5)
    for line in lines:
        pdf.multi_cell(width - qr - 3, 3.2, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), y + qr) + 2)
