"""Compliance reports as files: CSV and XLSX (formula-injection safe) and a printable PDF.

The PDF is what goes to the Bupati/Sekda: a title block, one bar per unit showing coverage
(weakest first, colour and number both, so it reads in black and white too), the table, then
per unit the staff still to pledge with a column to initial, and a signature block.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..documents.profile import integer, percent
from ..i18n import _
from .report import ComplianceReport, UnitCompliance

if TYPE_CHECKING:
    from ..documents.pdfbase import Proof, Seal
    from ..documents.profile import Profile

A4 = (210.0, 297.0)
MARGIN = 15.0


def _headers() -> list[str]:
    return [
        _("Unit code"),
        _("Unit"),
        _("Active staff"),
        _("Attested"),
        _("Individual"),
        _("Collective"),
        _("Coverage"),
        _("Joined later"),
        _("Missing"),
    ]


def _row(u: UnitCompliance) -> list[Any]:
    return [u.code, u.name, u.active, u.attested, u.individual, u.collective, u.coverage, len(u.joined_later),
            len(u.missing)]  # fmt: skip


def _by_name(staff: Sequence[Any]) -> list[Any]:
    """Officers sorted by name without titles (dr., Drs., S.Pd. ... do not decide the order)."""
    from ..documents.profile import sort_name

    return sorted(staff, key=lambda s: (sort_name(s.name), s.officer_id))


def _names(u: UnitCompliance) -> str:
    return "; ".join(f"{s.name} ({s.officer_id})" for s in _by_name(u.missing)) if u.code != "*" else ""


# ------------------------------------------------------------------------------ PDF
def _colour(coverage: float) -> tuple[int, int, int]:
    if coverage >= 0.95:
        return (46, 125, 50)  # green
    if coverage >= 0.75:
        return (230, 160, 0)  # amber
    return (198, 40, 40)  # red


class _Doc:
    def __init__(self, report: ComplianceReport, pdf: Any):
        from ..receipts.slips import pdf_text

        self.t = pdf_text
        self.report = report
        self.pdf = pdf  # a PartedPdf (documents/parted.py)
        self.width = A4[0] - 2 * MARGIN

    def text(self, h: float, s: str, *, size: float = 9, style: str = "", align: str = "L") -> None:
        self.pdf.set_font("Helvetica", style, size)
        self.pdf.multi_cell(self.width, h, self.t(s), align=align, new_x="LMARGIN", new_y="NEXT")

    def room(self, need: float) -> None:
        if self.pdf.get_y() + need > A4[1] - 18:
            self.pdf.add_page()


def _new_part(report: ComplianceReport, stamp: str, page_total: int | None = None) -> Any:
    """The FPDF of one part (documents/parted.py) whose first page is ``first + 1`` of ``page_total``."""
    from fpdf import FPDF

    from ..receipts.slips import pdf_text as t

    def make(first: int) -> Any:
        class PDF(FPDF):
            def footer(self) -> None:
                self.set_y(-10)
                self.set_font("Helvetica", "", 7)
                self.set_text_color(110, 110, 110)
                self.cell(0, 4, t(f"{report.institution} · {report.pledge} · {stamp}"), align="L")
                self.set_x(MARGIN)
                n = self.page_no() + first
                if page_total is None:
                    self.cell(0, 4, t(_("Page {n} of {total}", n=n, total="{nb}")), align="R")
                else:  # where fpdf2 puts the alias's number: left in a box as wide as "000"
                    gap = self.get_string_width("000") - self.get_string_width(str(page_total))
                    text = t(_("Page {n} of {total}", n=n, total=page_total))
                    self.cell(A4[0] - 2 * MARGIN - gap, 4, text, align="R")

        pdf = PDF(unit="mm", format="A4")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, 16)
        pdf.set_creator("ikrar")
        pdf.set_title(t(_("Neutrality pledge compliance report")))
        pdf.alias_nb_pages()
        return pdf

    return make


def write_pdf(
    report: ComplianceReport,
    path: Path,
    *,
    stamp: str,
    as_of_label: str,
    profile: Profile | None = None,
    proof: Proof | None = None,
    seal: Seal | None = None,
) -> None:
    """``profile`` gives the letterhead and the signatory; ``proof`` (a report digest ...) is printed
    as text and QR above the signature; ``seal`` applies a PAdES seal."""
    from ..documents.parted import PartedPdf
    from ..documents.profile import Profile

    prof = profile or Profile(institution=report.institution)
    # In parts (documents/parted.py): a first pass only counts the pages (parts dropped unwritten)
    # for "Halaman X dari Y", the second writes them; the pages are never all in memory.
    with PartedPdf(_new_part(report, stamp), count_only=True) as counter:
        _draw(_Doc(report, counter), report, prof, as_of_label, stamp, proof)
        pages = counter.page_no()
    with PartedPdf(_new_part(report, stamp, pages)) as pdf:
        _draw(_Doc(report, pdf), report, prof, as_of_label, stamp, proof)
        pdf.finish(path, seal)


def _draw(
    d: _Doc, report: ComplianceReport, prof: Profile, as_of_label: str, stamp: str, proof: Proof | None
) -> None:
    from ..documents.pdfbase import letterhead, proof_block

    pdf = d.pdf
    pdf.add_page()
    # title block
    letterhead(pdf, prof)
    pdf.set_x(MARGIN)
    d.text(6, _("Neutrality pledge compliance report (Ikrar Netralitas ASN)"), size=11)
    d.text(5, f"{report.pledge_title}  [{report.pledge}]", size=9)
    d.text(5, _("Status as of: {when}", when=as_of_label), size=9)
    d.text(5, _("Generated: {when}", when=stamp), size=8)
    pdf.ln(2)
    t = report.total
    summary = _(
        "{attested} of {expected} staff have pledged ({pct}); {missing} missing; {later} joined after the last "
        "session; {active} active staff in {units} units.",
        attested=t.attested,
        expected=t.expected,
        pct=percent(t.coverage) if t.expected else "-",
        missing=len(t.missing),
        later=len(t.joined_later),
        active=t.active,
        units=len(report.units),
    )
    pdf.set_fill_color(238, 242, 248)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(d.width, 6, d.t(summary), fill=True, new_x="LMARGIN", new_y="NEXT", padding=2)
    pdf.ln(3)
    _bar_chart(d, report.units)
    pdf.ln(4)
    _unit_table(d, report)
    _missing_lists(d, report)
    pdf.ln(4)
    proof_block(pdf, proof)
    _signature_block(d, report, prof)


def _bar_chart(d: _Doc, units: Sequence[UnitCompliance]) -> None:
    pdf = d.pdf
    label_w, value_w = 58.0, 26.0
    bar_w = d.width - label_w - value_w
    row_h = 6.0
    d.text(6, _("Coverage per unit (weakest first)"), size=11, style="B")
    x0 = MARGIN + label_w

    def axis(top: float, bottom: float) -> None:
        pdf.set_draw_color(200, 200, 200)
        pdf.set_font("Helvetica", "", 6.5)
        pdf.set_text_color(110, 110, 110)
        for pct in (0, 25, 50, 75, 100):
            x = x0 + bar_w * pct / 100
            pdf.line(x, top, x, bottom)
            pdf.text(x - 2.5, top - 1, f"{pct}%")
        pdf.set_text_color(0, 0, 0)

    pdf.ln(4)
    top = pdf.get_y()
    start = 0
    for i, u in enumerate(units):
        if pdf.get_y() + row_h + 4 > A4[1] - 18:
            axis(top, pdf.get_y())
            pdf.add_page()
            pdf.ln(4)
            top = pdf.get_y()
            start = i
        y = pdf.get_y()
        pdf.set_font("Helvetica", "", 8)
        # the full name, wrapped onto as many lines as it needs (never cut: two OPDs may share a prefix)
        lines: list[str] = pdf.multi_cell(label_w - 2, 3.4, d.t(u.name), dry_run=True, output="LINES")
        label_h = 3.4 * len(lines)
        pdf.set_xy(MARGIN, y + max(0.0, (row_h - label_h) / 2))
        pdf.multi_cell(label_w - 2, 3.4, d.t(u.name), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(236, 236, 236)
        pdf.rect(x0, y + 1, bar_w, row_h - 2, style="F")
        pdf.set_fill_color(*_colour(u.coverage))
        if u.coverage > 0:
            pdf.rect(x0, y + 1, bar_w * min(u.coverage, 1.0), row_h - 2, style="F")
        pdf.set_xy(x0 + bar_w + 1.5, y)
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(value_w, row_h, f"{percent(u.coverage, 0)}  ({u.attested}/{u.expected})")
        pdf.set_y(y + max(row_h, label_h + 1))
    del start
    axis(top, pdf.get_y())
    pdf.set_x(MARGIN)
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 7)
    legend = [((46, 125, 50), _("95% or more")), ((230, 160, 0), _("75-94%")), ((198, 40, 40), _("below 75%"))]
    x = x0
    for colour, text in legend:
        pdf.set_fill_color(*colour)
        pdf.rect(x, pdf.get_y() + 0.8, 3, 3, style="F")
        pdf.text(x + 4, pdf.get_y() + 3.4, d.t(text))
        x += 30
    pdf.ln(5)


def _table(d: _Doc, headers: list[str], widths: list[float], rows: list[list[str]], aligns: str) -> None:
    pdf = d.pdf

    def head() -> None:
        pdf.set_fill_color(221, 228, 238)
        for h, w in zip(headers, widths, strict=True):
            size = 7.5  # shrink a long heading (e.g. Indonesian "Masuk kemudian") to fit its column
            pdf.set_font("Helvetica", "B", size)
            while pdf.get_string_width(d.t(h)) > w - 1.2 and size > 4.5:
                size -= 0.25
                pdf.set_font("Helvetica", "B", size)
            pdf.cell(w, 6, d.t(h), border=1, fill=True, align="C")
        pdf.ln(6)

    head()
    pdf.set_font("Helvetica", "", 7.5)
    for r in rows:
        bold = bool(r) and r[0] == "*"
        if bold:
            r = ["", *r[1:]]
        pdf.set_font("Helvetica", "B" if bold else "", 7.5)
        # every cell wraps (a unit name or position is never cut); the row takes the tallest cell
        n_lines = [len(pdf.multi_cell(w - 1.5, 3.6, d.t(v), dry_run=True, output="LINES")) if v else 1
                   for v, w in zip(r, widths, strict=True)]  # fmt: skip
        h = max(5.0, 3.6 * max(n_lines) + 1.4)
        if pdf.get_y() + h > A4[1] - 18:
            pdf.add_page()
            head()
            pdf.set_font("Helvetica", "B" if bold else "", 7.5)
        y = pdf.get_y()
        x = MARGIN
        for v, w, a in zip(r, widths, aligns, strict=True):
            pdf.rect(x, y, w, h)
            pdf.set_xy(x + 0.75, y + 0.7)
            pdf.multi_cell(w - 1.5, 3.6, d.t(v), align=a, new_x="RIGHT", new_y="TOP")
            x += w
        pdf.set_xy(MARGIN, y + h)


def _unit_table(d: _Doc, report: ComplianceReport) -> None:
    d.room(30)
    d.text(6, _("Per unit"), size=11, style="B")
    headers = _headers()
    widths = [16.0, 48.0, 18.0, 14.0, 16.0, 14.0, 15.0, 25.0, 14.0]  # 180 mm: A4 less margins
    rows = []
    for u in [*report.units, report.total]:
        r = _row(u)
        rows.append([str(r[0]), str(r[1])] + [integer(x) for x in r[2:6]] + [percent(r[6])] + [str(r[7]), str(r[8])])
    _table(d, headers, widths, rows, "LLRRRRRRR")


def _missing_lists(d: _Doc, report: ComplianceReport) -> None:
    pdf = d.pdf
    for u in report.units:
        if not u.missing and not u.joined_later:
            continue
        pdf.add_page()  # one page (or more) per unit: each OPD gets its own sheet to follow up
        d.text(6, f"{u.code} - {u.name}", size=10, style="B")
        d.text(
            4.5,
            _(
                "{n} not yet pledged, {later} joined after the last session (make-up session)",
                n=len(u.missing),
                later=len(u.joined_later),
            ),
            size=8,
        )
        headers = [_("No."), _("NIP / ID"), _("Name"), _("Position"), _("Status"), _("Initials / note")]
        widths = [9.0, 36.0, 50.0, 38.0, 20.0, 27.0]
        rows = []
        n = 0
        for status, staff in ((_("missing"), _by_name(u.missing)), (_("joined later"), _by_name(u.joined_later))):
            for s in staff:
                n += 1
                rows.append([str(n), s.officer_id, s.name, s.position or "", status, ""])
        _table(d, headers, widths, rows, "RLLLLL")


def _signature_block(d: _Doc, report: ComplianceReport, profile: Profile) -> None:
    """Place and date, position, space to sign, the signatory's name and NIP (blank lines when unnamed)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from ..documents.pdfbase import signature_block

    pdf = d.pdf
    d.room(50)
    pdf.ln(6)
    signer = profile.signers("compliance")[0]
    day = datetime.fromtimestamp(report.generated_at, tz=UTC).astimezone(ZoneInfo(report.zone)).date()
    heading = [profile.place_date(day), _("Approved by,"), signer.position or report.institution]
    signature_block(pdf, MARGIN + d.width - 85, pdf.get_y(), 85, heading=heading, signer=signer, space=20)
