"""Pakta Integritas: one A4 page per officer who pledged, with the receipt's QR to verify it.

The page: kop surat, title, the officer's identity (name with titles, NIP, rank/grade,
position, unit), the pledge points verbatim (the template's words: the same bytes the
receipt's digest names), the template's sanction clause, place and date of the pledge,
a signature space and the receipt QR with a one-line note on how to verify it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, UsageError
from ..i18n import _
from . import pdfbase as pb
from .profile import Profile, Signatory, local_date

if TYPE_CHECKING:
    from ..pledges.templates import Pledge


@dataclass(frozen=True)
class PaktaEntry:
    officer_id: str
    id_type: str
    name: str  # with titles
    rank: str
    position: str
    unit_code: str
    unit_name: str
    receipt: str
    attested_at: int
    zone: str
    pledge_id: str
    pledge_version: int
    session_id: int


def _full(front: str | None, name: str, back: str | None) -> str:
    out = f"{front} {name}" if front else name
    return f"{out}, {back}" if back else out


def select(
    conn: sqlite3.Connection,
    *,
    pledge_id: str | None,
    nip: str | None = None,
    unit: str | None = None,
    session: int | None = None,
) -> Iterator[PaktaEntry]:
    """The earliest receipt per officer (and pledge), ordered by unit then name; call inside a read."""
    where: list[str] = []
    args: list[object] = []
    if pledge_id:
        where.append("a.pledge_id = ?")
        args.append(pledge_id)
    if nip:
        where.append("a.officer_id = ?")
        args.append(nip)
    if unit:
        row = conn.execute("SELECT code FROM units WHERE code = ? OR lower(name) = lower(?)", (unit, unit)).fetchone()
        if row is None:
            raise NotFoundError(_("Unit {unit} is not in the roster", unit=unit), _("see 'ikrar roster units'"))
        where.append("a.unit_code = ?")
        args.append(row[0])
    if session is not None:
        where.append("a.session_id = ?")
        args.append(session)
    sql = (
        "SELECT a.officer_id, a.id_type, o.gelar_depan, COALESCE(o.name, a.officer_name, ''), o.gelar_belakang, "
        "o.rank, o.position, a.unit_code, COALESCE(u.name, a.unit_code), a.receipt, a.attested_at, s.timezone, "
        "a.pledge_id, a.pledge_version, a.session_id "
        "FROM attestations a JOIN sessions s ON s.id = a.session_id "
        "LEFT JOIN officers o ON o.officer_id = a.officer_id LEFT JOIN units u ON u.code = a.unit_code"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.attested_at, a.log_id, a.ledger_idx"
    )
    seen: set[tuple[str, str]] = set()
    out = []
    for r in conn.execute(sql, args):
        key = (r[0], r[12])
        if key in seen:
            continue  # a duplicate from a second terminal: the earliest counts (as in reports)
        seen.add(key)
        out.append(
            PaktaEntry(r[0], r[1], _full(r[2], r[3], r[4]), r[5] or "", r[6] or "", r[7], r[8], r[9], int(r[10]),
                       r[11], r[12], int(r[13]), int(r[14]))  # fmt: skip
        )
    if nip and not out:
        raise NotFoundError(
            _("No pledge is recorded for {id}", id=nip), _("see 'ikrar report officer {id}'", id=nip)
        )
    from .profile import sort_name

    out.sort(key=lambda e: (e.unit_name.casefold(), sort_name(e.name), e.officer_id))
    yield from out


def _page(pdf: Any, e: PaktaEntry, pledge: Pledge, profile: Profile, qr_text: str, witness: Signatory | None) -> None:
    pdf.add_page()
    pb.letterhead(pdf, profile)
    pb.title(pdf, [_("INTEGRITY PACT"), _("NEUTRALITY OF THE STATE CIVIL APPARATUS (ASN)"), pledge.title], size=13)
    pb.paragraph(pdf, _("The undersigned:"))
    pdf.ln(1)
    pb.fields(
        pdf,
        [
            (_("Name"), e.name),
            (_("NIP / ID"), e.officer_id),
            (_("Rank / grade"), e.rank),
            (_("Position"), e.position),
            (_("Unit"), e.unit_name),
        ],
    )
    pdf.ln(2)
    pb.paragraph(pdf, pledge.opening or _("hereby declare that I will:"))
    pdf.ln(1)
    pb.numbered(pdf, pledge.points)
    if pledge.closing:
        pb.paragraph(pdf, pledge.closing)
        pdf.ln(1)
    sanction = getattr(pledge, "sanction", None)
    if sanction:
        pb.paragraph(pdf, sanction)
        pdf.ln(1.5)
    pb.paragraph(
        pdf, _("This integrity pact is made truthfully and without coercion from any party, to be used as needed.")
    )
    pdf.ln(4)
    day = profile.place_date(local_date(e.attested_at, e.zone))
    officer = Signatory(name=e.name, nip=e.officer_id)
    blocks: list[tuple[list[str], Signatory]] = []
    if witness is not None:
        blocks.append((["", _("Acknowledged by,"), witness.position], witness))
    blocks.append(([day, _("The declarant,"), ""], officer))
    pb.signature_row(pdf, blocks, space=20)
    # the receipt QR, bottom left, with one line on how to verify it
    size = 30.0
    y = max(pdf.get_y() + 2, pb.BOTTOM - size - 8)
    if y + size > pb.BOTTOM + 4:
        pdf.add_page()
        y = pdf.get_y()
    pb.draw_qr(pdf, qr_text, pb.MARGIN, y, size)
    pdf.set_xy(pb.MARGIN + size + 4, y + size - 14)
    pdf.set_font("Helvetica", "", 7.5)
    note = _("Electronic receipt of this pledge (ledger, session {session}).", session=e.session_id) + " "
    note += _("To verify: scan the QR with the institution's verifier page, or run 'ikrar verify' on it.")
    pb.text_block(pdf, pb.t(note), pb.MARGIN + size + 4, pb.WIDTH - size - 4, 3.6, align="L")


def write_pakta(
    path: Path,
    entries: Iterable[PaktaEntry],
    *,
    pledge_for: Callable[[PaktaEntry], Pledge],
    profile: Profile,
    qr_for: Callable[[str], str],
    seal: pb.Seal | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
    pages_per_part: int | None = None,
) -> int:
    """One combined PDF, one page per officer; returns the number of officers. Rendered in parts
    and joined into the file (documents/parted.py): memory does not grow with the officers."""
    from .parted import PartedPdf

    def part(_first: int) -> Any:
        pdf = pb.new_pdf(_("Integrity Pact"), footer=profile.institution, numbered=False)
        pdf.set_auto_page_break(False)
        return pdf

    witness = profile.signatories.get("pakta", [None])[0]
    n = 0
    with PartedPdf(part, pages_per_part=pages_per_part) as pdf:
        for e in entries:
            _page(pdf, e, pledge_for(e), profile, qr_for(e.receipt), witness)
            n += 1
            if progress and n % 100 == 0:
                progress(n, total)
        if n == 0:
            raise UsageError(_("Nobody matched: no Pakta Integritas to write"), _("check --nip, --unit or --session"))
        pdf.finish(path, seal)
    return n


def write_pakta_each(
    folder: Path,
    entries: Iterable[PaktaEntry],
    *,
    pledge_for: Callable[[PaktaEntry], Pledge],
    profile: Profile,
    qr_for: Callable[[str], str],
    seal: pb.Seal | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> list[Path]:
    """One PDF per officer, ``<NIP>-<pledge>.pdf``; returns the files written."""
    witness = profile.signatories.get("pakta", [None])[0]
    written = []
    for e in entries:
        pdf = pb.new_pdf(_("Integrity Pact"), footer=profile.institution, numbered=False)
        pdf.set_auto_page_break(False)
        _page(pdf, e, pledge_for(e), profile, qr_for(e.receipt), witness)
        out = folder / f"pakta-{e.officer_id}-{e.pledge_id}.pdf"
        pb.finish(pb.pdf_bytes(pdf), out, seal)
        written.append(out)
        if progress and len(written) % 100 == 0:
            progress(len(written), total)
    if not written:
        raise UsageError(_("Nobody matched: no Pakta Integritas to write"), _("check --nip, --unit or --session"))
    return written
