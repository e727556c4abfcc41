"""What every office document shares: A4 page, kop surat, signature blocks, QR, proof block, output.

fpdf2 is imported lazily. Text passes through :func:`ikrar_cli.receipts.slips.pdf_text` (the core fonts
cover Latin-1; anything else is transliterated, never dropped). Each writer returns the PDF
bytes to :func:`finish`, which seals them when asked and writes them atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import _
from .profile import Profile, Signatory

A4 = (210.0, 297.0)
MARGIN = 20.0
WIDTH = A4[0] - 2 * MARGIN
BOTTOM = A4[1] - 18.0


@dataclass(frozen=True)
class Proof:
    """A verifiable value printed as text and QR (a checkpoint, a report digest ...).

    The berita acara prints the session's checkpoint this way; the compliance report can
    plug in its report digest the same way (see :func:`proof_block`)."""

    title: str
    text: str
    qr: str
    note: str = ""


@dataclass
class Seal:
    """A PKCS#12 file and its passphrase: every document is sealed (PAdES) before it is written."""

    p12: Path
    passphrase: bytes | None
    reason: str = ""
    location: str = ""


def t(text: str) -> str:
    from ..receipts.slips import pdf_text

    return pdf_text(text)


#: the total-pages alias: long enough for "4000" without fpdf2 warning about the reserved width
NB = "{nb_pages}"


def new_pdf(
    title: str, footer: str = "", *, numbered: bool = True, page_offset: int = 0, page_total: int | None = None
) -> Any:
    """An A4 document with the footer (institution, "Halaman X dari Y"). A part of a longer document
    (documents/parted.py) numbers its pages from ``page_offset + 1`` of ``page_total``."""
    from fpdf import FPDF

    class Doc(FPDF):
        def footer(self) -> None:
            if not footer:
                return
            self.set_y(-12)
            self.set_font("Helvetica", "", 7)
            self.set_text_color(110, 110, 110)
            self.cell(0, 4, t(footer), align="L")
            if numbered:
                self.set_x(MARGIN)
                n = self.page_no() + page_offset
                if page_total is None:
                    self.cell(0, 4, t(_("Page {n} of {total}", n=n, total=NB)), align="R")
                else:  # placed where fpdf2 puts the alias's number: left in a box as wide as the alias
                    gap = self.get_string_width("0" * len(NB)) - self.get_string_width(str(page_total))
                    self.cell(WIDTH - gap, 4, t(_("Page {n} of {total}", n=n, total=page_total)), align="R")
            self.set_text_color(0, 0, 0)

    pdf = Doc(unit="mm", format="A4")
    pdf.set_margins(MARGIN, 15, MARGIN)
    pdf.set_auto_page_break(True, 20)
    pdf.set_creator("ikrar")
    pdf.set_title(t(title))
    pdf.alias_nb_pages(NB)
    return pdf


def letterhead(pdf: Any, profile: Profile) -> None:
    """The kop surat: logo left, centred lines, address, a thick and a thin rule."""
    top = pdf.get_y()
    x0, w = MARGIN, WIDTH
    if profile.logo is not None:
        from fpdf.errors import FPDFException

        from ..errors import InputError

        try:
            pdf.image(str(profile.logo), x=MARGIN, y=top, h=22)
        except (OSError, ValueError, RuntimeError, FPDFException) as exc:  # PIL's are OSError/ValueError
            raise InputError(
                _("The letterhead logo {path} cannot be read as an image", path=profile.logo),
                _("use a PNG or JPEG file"),
            ) from exc
        x0, w = MARGIN + 24, WIDTH - 48
    pdf.set_xy(x0, top)
    if profile.government:
        pdf.set_font("Helvetica", "B", 12)
        text_block(pdf, t(profile.government.upper()), x0, w, 5.5, align="C")
    pdf.set_font("Helvetica", "B", 13 if profile.government else 14)
    text_block(pdf, t(profile.institution.upper()), x0, w, 6, align="C")
    if profile.address:
        pdf.set_font("Helvetica", "", 8.5)
        text_block(pdf, t(profile.address), x0, w, 4, align="C")
    y = max(pdf.get_y(), top + (23 if profile.logo else 0)) + 1.5
    pdf.set_line_width(0.8)
    pdf.line(MARGIN, y, MARGIN + WIDTH, y)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, y + 1.1, MARGIN + WIDTH, y + 1.1)
    pdf.set_xy(MARGIN, y + 5)


def title(pdf: Any, lines: list[str], *, size: float = 12) -> None:
    for i, line in enumerate(lines):
        pdf.set_font("Helvetica", "B" if i == 0 else "", size if i == 0 else size - 1.5)
        text_block(pdf, t(line), MARGIN, WIDTH, 6 if i == 0 else 5, align="C")
    pdf.ln(3)


_LAYOUT: dict[tuple[str, float, str, float, str], list[list[tuple[float, str]]]] = {}


def _layout(pdf: Any, text: str, width: float, align: str) -> list[list[tuple[float, str]]]:
    """Lines of (x offset, word), broken and justified once per text, width and font.

    The same pledge points, sanction clause and closing lines are printed on thousands of pages;
    fpdf2's line breaking of them costs most of a page's time, so it is done once."""
    key = (text, width, pdf.font_family + pdf.font_style, pdf.font_size_pt, align)
    if key not in _LAYOUT:
        if len(_LAYOUT) > 20_000:  # names and values of many officers: keep memory bounded
            _LAYOUT.clear()
        lines = pdf.multi_cell(width, 5, text, dry_run=True, output="LINES")
        space = pdf.get_string_width(" ")
        out = []
        for n, line in enumerate(lines):
            words = line.split(" ")
            widths = [pdf.get_string_width(w) for w in words]
            gap = space
            if align == "J" and n < len(lines) - 1 and len(words) > 1:
                gap = (width - sum(widths)) / (len(words) - 1)
            used = sum(widths) + space * (len(words) - 1)
            x = {"C": (width - used) / 2, "R": width - used}.get(align, 0.0)
            placed = []
            for w, wd in zip(words, widths, strict=True):
                placed.append((x, w))
                x += wd + gap
            out.append(placed)
        _LAYOUT[key] = out
    return _LAYOUT[key]


def text_block(
    pdf: Any, text: str, x: float, width: float, h: float, *, align: str = "J", left: float = MARGIN
) -> None:
    """Like multi_cell (J, L, C or R), from the cached layout; leaves the cursor below it at ``left``."""
    y = pdf.get_y()
    for line in _layout(pdf, text, width, align):
        if y + h > pdf.page_break_trigger and pdf.auto_page_break:
            pdf.add_page()
            y = pdf.get_y()
        base = y + h / 2 + pdf.font_size * 0.3  # baseline where fpdf2 puts it in a cell
        for dx, word in line:
            pdf.text(x + dx, base, word)
        y += h
    pdf.set_xy(left, y)


def paragraph(pdf: Any, text: str, *, size: float = 10, style: str = "", h: float = 5, align: str = "J") -> None:
    pdf.set_font("Helvetica", style, size)
    text_block(pdf, t(text), MARGIN, WIDTH, h, align=align)


def fields(pdf: Any, rows: list[tuple[str, str]], *, label_w: float = 38, size: float = 10, indent: float = 6) -> None:
    """'Nama      : value' rows; long values wrap under themselves."""
    for label, value in rows:
        pdf.set_font("Helvetica", "", size)
        y = pdf.get_y()
        pdf.set_xy(MARGIN + indent, y)
        pdf.cell(label_w, 5.5, t(label))
        pdf.cell(4, 5.5, ":")
        text_block(pdf, t(value or "-"), MARGIN + indent + label_w + 4, WIDTH - indent - label_w - 4, 5.5, align="L")


def numbered(pdf: Any, items: list[str] | tuple[str, ...], *, size: float = 10, indent: float = 6) -> None:
    pdf.set_font("Helvetica", "", size)
    for i, item in enumerate(items, 1):
        pdf.set_x(MARGIN + indent)
        pdf.cell(7, 5.2, f"{i}.")
        pdf.set_x(MARGIN + indent)
        text_block(pdf, t(item), MARGIN + indent + 7, WIDTH - indent - 7, 5.2)
        pdf.ln(0.8)


def signature_block(
    pdf: Any, x: float, y: float, width: float, *, heading: list[str], signer: Signatory, space: float = 22
) -> float:
    """Heading lines (place+date, 'Yang membuat pernyataan,' / position), space to sign, name, NIP.

    A missing name or NIP leaves a dotted line to fill in by hand; returns the y below the block."""
    pdf.set_xy(x, y)
    pdf.set_font("Helvetica", "", 10)
    for line in heading:  # an empty line keeps its place, so blocks side by side line up
        if line:
            text_block(pdf, t(line), x, width, 5, align="C", left=x)
        else:
            pdf.set_xy(x, pdf.get_y() + 5)
    pdf.set_xy(x, pdf.get_y() + space)
    if signer.name:
        pdf.set_font("Helvetica", "B", 10)
        y = pdf.get_y()
        text_block(pdf, t(signer.name), x, width, 5, align="C", left=x)
        wd = min(pdf.get_string_width(t(signer.name)), width)
        pdf.line(x + (width - wd) / 2, y + 4.1, x + (width + wd) / 2, y + 4.1)  # underlined, as signed names are
    else:
        pdf.set_font("Helvetica", "", 10)
        text_block(pdf, "(" + "." * 40 + ")", x, width, 5, align="C", left=x)
    pdf.set_font("Helvetica", "", 10)
    nip = signer.nip or "." * 30
    text_block(pdf, t(_("NIP. {nip}", nip=nip)), x, width, 5, align="C", left=x)
    return float(pdf.get_y())


def signature_row(pdf: Any, blocks: list[tuple[list[str], Signatory]], *, space: float = 22) -> None:
    """Blocks side by side (two per row), the last one on the right as Indonesian letters do."""
    per_row = 2
    col_w = WIDTH / per_row
    rows = [blocks[i : i + per_row] for i in range(0, len(blocks), per_row)]
    for row in rows:
        lines = max(len(h) for h, _s in row)
        need = 5 * lines + space + 11
        if pdf.get_y() + need > min(float(pdf.page_break_trigger), BOTTOM + 4):
            pdf.add_page()
        y = pdf.get_y()
        bottom = y
        start = per_row - len(row)
        for i, (heading, signer) in enumerate(row):
            heading = [""] * (lines - len(heading)) + heading  # names on one line across the row
            x = MARGIN + (start + i) * col_w
            bottom = max(bottom, signature_block(pdf, x, y, col_w, heading=heading, signer=signer, space=space))
        pdf.set_xy(MARGIN, bottom + 4)


def sign_off(
    pdf: Any,
    profile: Profile,
    kind: str,
    day: Any,
    *,
    all_signers: bool = False,
    role: str | None = None,
    leader: str = "",
    space: float = 22,
) -> None:
    """A document's closing signature blocks, the same for every kind (follow-up letter, minutes,
    receipt list): the profile's signatories of ``kind`` (the first, or ``all_signers``); the place
    and date above the last block, as Indonesian letters have it; the signatory's role line
    ("Pimpinan Apel,") when ``role`` is given (its default); then the position. An unnamed first
    signatory takes the name ``leader`` (who led the apel)."""
    signers = profile.signers(kind) if all_signers else profile.signers(kind)[:1]
    blocks: list[tuple[list[str], Signatory]] = []
    for i, sg in enumerate(signers):
        if i == 0 and leader and not sg.name:
            sg = Signatory(name=leader, nip=sg.nip, position=sg.position, role=sg.role)
        heading = [profile.place_date(day) if i == len(signers) - 1 else ""]
        if role is not None:
            heading.append((sg.role or role) + ",")
        blocks.append(([*heading, sg.position], sg))
    signature_row(pdf, blocks, space=space)


def table_head(pdf: Any, headers: list[str], widths: list[float], *, height: float = 6) -> None:
    """A table's header row: bold labels centred on a light fill, each shrunk (down to 5 pt) to fit."""
    pdf.set_fill_color(221, 228, 238)
    for h, w in zip(headers, widths, strict=True):
        size = 8.0
        pdf.set_font("Helvetica", "B", size)
        while pdf.get_string_width(t(h)) > w - 1.5 and size > 5:
            size -= 0.25
            pdf.set_font("Helvetica", "B", size)
        pdf.cell(w, height, t(h), border=1, align="C", fill=True)
    pdf.ln(height)


def draw_qr(pdf: Any, text: str, x: float, y: float, size: float) -> None:
    """The dark runs as rectangles in module units under one transformation matrix: short integer
    operands ("12 30 3 1 re") instead of page coordinates, so thousands of QR codes stay small."""
    from ..receipts.qr import qr_matrix

    m = qr_matrix(text)
    k = pdf.k
    cell = size / len(m) * k
    ops = [f"q 0 g {cell:.4f} 0 0 {-cell:.4f} {x * k:.2f} {(pdf.h - y) * k:.2f} cm"]
    for r, row in enumerate(m):
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                ops.append(f"{start} {r} {c - start} 1 re")
            else:
                c += 1
    ops.append("f Q")
    pdf._out(" ".join(ops))  # noqa: SLF001 - fpdf2's raw content stream writer


def proof_block(pdf: Any, proof: Proof | None, *, qr_size: float = 30) -> None:
    """A framed block: the title, the value as text (monospace, wrapped) and its QR on the left."""
    if proof is None:
        return
    pdf.set_font("Courier", "", 7)
    chars = max(20, int((WIDTH - qr_size - 8) / pdf.get_string_width("M")))
    lines: list[str] = []
    for line in proof.text.splitlines():
        lines += [line[i : i + chars] for i in range(0, max(len(line), 1), chars)]
    height = max(qr_size, 6 + 3.2 * len(lines) + (8 if proof.note else 0)) + 4
    if pdf.get_y() + height > BOTTOM:
        pdf.add_page()
    y = pdf.get_y()
    pdf.set_draw_color(150, 150, 150)
    pdf.rect(MARGIN, y, WIDTH, height)
    draw_qr(pdf, proof.qr, MARGIN + 2, y + 2, qr_size)
    x = MARGIN + qr_size + 5
    pdf.set_xy(x, y + 2)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(WIDTH - qr_size - 7, 5, t(proof.title), new_x="LEFT", new_y="NEXT")
    pdf.set_font("Courier", "", 7)
    for line in lines:
        pdf.set_x(x)
        pdf.cell(WIDTH - qr_size - 7, 3.2, t(line), new_x="LEFT", new_y="NEXT")
    if proof.note:
        pdf.set_x(x)
        pdf.set_font("Helvetica", "", 7.5)
        pdf.multi_cell(WIDTH - qr_size - 7, 3.6, t(proof.note), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(MARGIN, y + height + 3)


def pdf_bytes(pdf: Any) -> bytes:
    return bytes(pdf.output())


def finish(data: bytes, path: Path, seal: Seal | None = None) -> None:
    """Seal (when asked) and write atomically: a failed seal leaves no file behind."""
    from ..fsutil import atomic_writer

    if seal is not None:
        from .seal import seal_pdf

        data = seal_pdf(data, seal)
    with atomic_writer(path) as fh:
        fh.write(data)
