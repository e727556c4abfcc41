"""Compact output of a collective recitation: a receipt list per unit (OPD), and tight slips.

The list: per unit a heading, then one row per officer (small QR, name, NIP, time, ledger
index), two columns and 30 rows a page, a new page for every unit, and a signature block at
the end of each unit. Individual slips, when asked for, are packed six to an A4 page (the A6
slip's blank lower part is cut away) with cut lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import _
from . import pdfbase as pb
from .profile import Profile, integer, local_date, long_date, long_datetime

if TYPE_CHECKING:
    from ..receipts.slips import Slip
    from ..workspace import Workspace

ROW_H = 16.5
QR = 14.5
COLS = 2


@dataclass(frozen=True)
class ListRow:
    unit_code: str
    unit_name: str
    officer_id: str
    name: str
    attested_at: int
    zone: str
    ledger_idx: int
    qr: str


def _unit_header(pdf: Any, profile: Profile, unit: str, n: int, heading: list[str]) -> None:
    pdf.add_page()
    pb.letterhead(pdf, profile)
    pb.title(pdf, [_("LIST OF PLEDGE RECEIPTS"), *heading], size=12)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(pb.WIDTH, 5, pb.t(_("Unit: {unit}", unit=unit)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    pdf.multi_cell(
        pb.WIDTH,
        4.5,
        pb.t(
            _(
                "{n} officers. Each QR is the officer's signed receipt; check one with 'ikrar verify' or the "
                "verifier page.",
                n=integer(n),
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)


def _cell(pdf: Any, row: ListRow, no: int, x: float, y: float, w: float) -> None:
    pdf.set_draw_color(200, 200, 200)
    pdf.rect(x, y, w - 2, ROW_H - 1)
    pb.draw_qr(pdf, row.qr, x + 1, y + 0.75, QR)
    tx = x + QR + 3
    tw = w - QR - 6
    pdf.set_xy(tx, y + 1)
    pdf.set_font("Helvetica", "B", 8)
    name = pb.t(f"{no}. {row.name}")
    while pdf.get_string_width(name) > tw and len(name) > 4:
        pdf.set_font_size(pdf.font_size_pt - 0.25)
        if pdf.font_size_pt < 6:
            break
    pdf.multi_cell(tw, 3.4, name, new_x="LEFT", new_y="NEXT", max_line_height=3.4)
    pdf.set_font("Helvetica", "", 7.5)
    pdf.set_x(tx)
    pdf.cell(tw, 3.3, pb.t(_("NIP / ID") + f": {row.officer_id}"), new_x="LEFT", new_y="NEXT")
    pdf.set_x(tx)
    pdf.cell(tw, 3.3, pb.t(long_datetime(row.attested_at, row.zone)), new_x="LEFT", new_y="NEXT")
    pdf.set_x(tx)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(tw, 3.3, pb.t(_("ledger #{n}", n=row.ledger_idx)), new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def write_receipt_list(
    path: Path,
    rows: Iterable[ListRow],
    *,
    profile: Profile,
    heading: list[str],
    seal: pb.Seal | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
    pages_per_part: int | None = None,
) -> tuple[int, int]:
    """Returns (officers, pages). Rows are grouped by unit (sorted by unit name, then name).

    Rendered in parts and joined into the file (documents/parted.py), so the pages' contents are
    never all in memory; the page count for "Halaman X dari Y" is found first by laying out the
    headings and signature blocks alone (the rows sit in fixed cells, so they move nothing)."""
    from .parted import PartedPdf
    from .profile import sort_name

    ordered = sorted(rows, key=lambda r: (r.unit_name.casefold(), sort_name(r.name), r.officer_id))
    counter = pb.new_pdf(_("List of pledge receipts"), footer=profile.institution)
    counter.set_auto_page_break(False)
    _lay_out(counter, ordered, profile, heading, draw=False)
    pages = int(counter.page_no())
    del counter

    def part(first: int) -> Any:
        pdf = pb.new_pdf(_("List of pledge receipts"), footer=profile.institution, page_offset=first, page_total=pages)
        pdf.set_auto_page_break(False)
        return pdf

    with PartedPdf(part, pages_per_part=pages_per_part) as pdf:
        n = _lay_out(pdf, ordered, profile, heading, draw=True, progress=progress, total=total)
        written = pdf.finish(path, seal)
    assert written == pages, (written, pages)  # the footers said "of {pages}"
    return n, pages


def _lay_out(
    pdf: Any,
    ordered: list[ListRow],
    profile: Profile,
    heading: list[str],
    *,
    draw: bool,
    progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> int:
    """The pages of the list; without ``draw`` only the headings and signature blocks (to count pages)."""
    col_w = pb.WIDTH / COLS
    n = 0
    for (_code, unit_name), group in groupby(ordered, key=lambda r: (r.unit_code, r.unit_name)):
        items = list(group)
        _unit_header(pdf, profile, unit_name, len(items), heading)
        top = pdf.get_y()
        per_col = int((pb.BOTTOM - top) // ROW_H)
        i = 0
        for no, row in enumerate(items, 1):
            if i == per_col * COLS:
                pdf.add_page()
                top = pdf.get_y()
                per_col = int((pb.BOTTOM - top) // ROW_H)
                i = 0
            col, line = divmod(i, per_col)
            if draw:
                _cell(pdf, row, no, pb.MARGIN + col * col_w, top + line * ROW_H, col_w)
            i += 1
            n += 1
            if progress and n % 200 == 0:
                progress(n, total)
        used = min(i, per_col)
        pdf.set_xy(pb.MARGIN, top + used * ROW_H + 4)
        last = max(r.attested_at for r in items)
        pb.sign_off(pdf, profile, "receipt_list", local_date(last, items[0].zone), space=16)
    if n == 0:
        pdf.add_page()
        pb.letterhead(pdf, profile)
        pb.title(pdf, [_("LIST OF PLEDGE RECEIPTS"), *heading])
    return n


SLIP_H = 99.0  # A4 height / 3: the A6 slip without its blank lower part


def write_compact_slips(
    path: Path,
    slips: Iterable[Slip],
    *,
    seal: pb.Seal | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> tuple[int, int]:
    """Individual slips six to an A4 page (2 x 3) with dashed cut lines; returns (slips, pages)."""
    from ..receipts.slips import A4, _new_pdf, slip_sheets
    from .parted import PartedPdf

    with PartedPdf(lambda _first: _new_pdf(A4)) as pdf:  # in parts: memory does not grow with the slips
        n = slip_sheets(pdf, slips, rows=3, height=SLIP_H, shift=-2, progress=progress, total=total)
        pages = pdf.finish(path, seal)
    return n, pages


def heading_for(pledge_title: str, session_title: str, location: str, day: Any) -> list[str]:
    return [pledge_title, f"{session_title} — {location}, {long_date(day)}"]


def session_rows(ws: Workspace, session_id: int, officer_ids: set[str] | None = None) -> list[Any]:
    """Receipt-list rows of a session (all of it, or only the given officers), names with titles."""
    from ..receipts.view import qr_payload

    with ws.store.read() as conn:
        rows = conn.execute(
            "SELECT a.officer_id, a.officer_name, o.gelar_depan, o.name, o.gelar_belakang, a.unit_code, "
            "COALESCE(u.name, a.unit_code), a.attested_at, s.timezone, a.ledger_idx, a.receipt "
            "FROM attestations a JOIN sessions s ON s.id = a.session_id "
            "LEFT JOIN officers o ON o.officer_id = a.officer_id LEFT JOIN units u ON u.code = a.unit_code "
            "WHERE a.session_id = ?",
            (session_id,),
        ).fetchall()
    out = []
    for oid, qr_name, front, name, back, code, unit_name, at, zone, idx, receipt in rows:
        if officer_ids is not None and oid not in officer_ids:
            continue
        full = name or qr_name or ""
        if name:
            full = f"{front} {name}" if front else name
            full = f"{full}, {back}" if back else full
        out.append(ListRow(code, unit_name, oid, full, int(at), zone, int(idx), qr_payload(ws, receipt)))
    return out
