"""Berita acara (minutes) of an apel session.

What happened, in the form an Indonesian office files it: the day and date, the place, who
led the apel, the pledge text as read, how many officers of each unit pledged (individually
or by collective recitation), the session's signed ledger checkpoint (size and root as text,
the whole note as a QR, so anyone can later prove a receipt was part of this apel), and the
signature blocks. Other verifiable values (e.g. a signed session record) plug in as more
:class:`~ikrar_cli.documents.pdfbase.Proof` blocks.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConflictError
from ..i18n import _
from . import pdfbase as pb
from .profile import Profile, integer, local_date, long_date, percent

if TYPE_CHECKING:
    from ..pledges.templates import Pledge
    from ..recitation.attest import Session


@dataclass
class UnitCount:
    code: str
    name: str
    active: int
    individual: int = 0
    collective: int = 0

    @property
    def total(self) -> int:
        return self.individual + self.collective


@dataclass
class Minutes:
    session: Session
    pledge: Pledge
    units: list[UnitCount]
    leader: str
    checkpoint_size: int
    checkpoint_root: str
    checkpoint_note: str
    proofs: list[pb.Proof] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "session": self.session.id,
            "title": self.session.title,
            "location": self.session.location,
            "pledge": self.session.pledge_ref,
            "leader": self.leader,
            "units": [
                {"unit": u.code, "unit_name": u.name, "active": u.active, "individual": u.individual,
                 "collective": u.collective}  # fmt: skip
                for u in self.units
            ],
            "checkpoint": {"size": self.checkpoint_size, "root": self.checkpoint_root},
        }


def gather(conn: sqlite3.Connection, session: Session, pledge: Pledge, leader: str) -> Minutes:
    """Counts per unit from one read snapshot; the session must be closed (its checkpoint is signed)."""
    from ..ledger.checkpoint import parse_checkpoint

    if session.is_open or not session.close_checkpoint:
        raise ConflictError(
            _("Session {id} is still open: its checkpoint is signed when it closes", id=session.id),
            _("close it first with 'ikrar session close {id}'", id=session.id),
        )
    cp, _sigs = parse_checkpoint(session.close_checkpoint)
    units: dict[str, UnitCount] = {}
    where = " WHERE o.unit_code = ?" if session.unit_code else ""
    args = (session.unit_code,) if session.unit_code else ()
    for code, name, active in conn.execute(
        "SELECT u.code, u.name, SUM(CASE WHEN o.active = 1 THEN 1 ELSE 0 END) FROM units u "
        f"JOIN officers o ON o.unit_code = u.code{where} GROUP BY u.code, u.name",
        args,
    ):
        units[code] = UnitCount(code, name, int(active or 0))
    for code, method, n in conn.execute(
        "SELECT unit_code, method, COUNT(DISTINCT officer_id) FROM attestations WHERE session_id = ? "
        "GROUP BY unit_code, method",
        (session.id,),
    ):
        u = units.setdefault(code, UnitCount(code, code, 0))
        if method == "individual":
            u.individual += int(n)
        else:
            u.collective += int(n)
    ordered = sorted((u for u in units.values() if u.active or u.total), key=lambda u: u.name.casefold())
    return Minutes(
        session, pledge, ordered, leader, cp.size, base64.b64encode(cp.root).decode(), session.close_checkpoint
    )


def _weekday(day: date) -> str:
    from babel.dates import format_date

    from .profile import _locale

    return str(format_date(day, format="EEEE", locale=_locale()))


def write_minutes(path: Path, m: Minutes, *, profile: Profile, seal: pb.Seal | None = None) -> int:
    """Returns the number of pages."""
    s = m.session
    pdf = pb.new_pdf(_("Minutes of the apel"), footer=profile.institution)
    pdf.add_page()
    pb.letterhead(pdf, profile)
    pb.title(
        pdf,
        [_("MINUTES"), _("OF THE NEUTRALITY PLEDGE APEL OF THE STATE CIVIL APPARATUS (ASN)"), _("Number: ........")],
        size=13,
    )
    day = local_date(s.opened_at, s.timezone)
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from ..zones import ABBREVIATIONS

    start = datetime.fromtimestamp(s.opened_at, tz=UTC).astimezone(ZoneInfo(s.timezone))
    pb.paragraph(
        pdf,
        _(
            "On {weekday}, {date}, at {time} {zone}, at {place}, the {title} was held, led by {leader}; the "
            "participants recited the {pledge} as follows:",
            weekday=_weekday(day),
            date=long_date(day),
            time=f"{start:%H.%M}",
            zone=ABBREVIATIONS.get(s.timezone, s.timezone),
            place=s.location,
            title=s.title,
            leader=m.leader or "....................",
            pledge=m.pledge.title,
        ),
    )
    pdf.ln(2)
    if m.pledge.opening:
        pb.paragraph(pdf, m.pledge.opening, style="I")
    pb.numbered(pdf, m.pledge.points)
    if m.pledge.closing:
        pb.paragraph(pdf, m.pledge.closing, style="I")
    pdf.ln(2)
    total = UnitCount("*", _("Total"), sum(u.active for u in m.units))
    for u in m.units:
        total.individual += u.individual
        total.collective += u.collective
    pb.paragraph(
        pdf,
        _(
            "{n} officers pledged in this session ({ind} by individual confirmation, {col} by collective "
            "recitation). Per unit:",
            n=integer(total.total),
            ind=integer(total.individual),
            col=integer(total.collective),
        ),
    )
    pdf.ln(1)
    _count_table(pdf, m.units, total)
    pdf.ln(3)
    pb.paragraph(
        pdf,
        _(
            "Every pledge is recorded as a signed receipt in the tamper-evident ledger of terminal {terminal}. "
            "When the session closed the ledger held {size} entries; its signed checkpoint below fixes them: "
            "a receipt shown later can be proven to be one of them ('ikrar ledger prove').",
            terminal=s.terminal_name,
            size=integer(m.checkpoint_size),
        ),
        size=9,
    )
    pdf.ln(2)
    pb.proof_block(
        pdf,
        pb.Proof(
            title=_("Ledger checkpoint of session {id}", id=s.id),
            text=_("size: {size}", size=m.checkpoint_size) + "\n" + _("root: {root}", root=m.checkpoint_root),
            qr=m.checkpoint_note,
            note=_("The QR holds the whole signed checkpoint."),
        ),
        qr_size=26,
    )
    for proof in m.proofs:  # further verifiable values (e.g. a signed session record) plug in here
        pb.proof_block(pdf, proof)
    pb.paragraph(pdf, _("These minutes are made truthfully, to be used as needed."))
    pdf.ln(2)
    pb.sign_off(pdf, profile, "minutes", day, all_signers=True, role=_("Apel leader"), leader=m.leader or "",
                space=16)  # fmt: skip
    pages = int(pdf.page_no())
    pb.finish(pb.pdf_bytes(pdf), path, seal)
    return pages


def _count_table(pdf: object, units: list[UnitCount], total: UnitCount) -> None:
    from typing import Any

    p: Any = pdf
    headers = [_("No."), _("Unit"), _("Active staff"), _("Individual"), _("Collective"), _("Pledged"), _("Share")]
    widths = [10.0, 62.0, 22.0, 20.0, 18.0, 18.0, 20.0]

    def head() -> None:
        pb.table_head(p, headers, widths)

    head()
    for i, u in enumerate([*units, total], 1):
        is_total = u is total
        lines = p.multi_cell(widths[1] - 2, 4, pb.t(u.name), dry_run=True, output="LINES")
        h = max(5.0, 4.0 * len(lines) + 1)
        if p.get_y() + h > pb.BOTTOM:
            p.add_page()
            head()
        p.set_font("Helvetica", "B" if is_total else "", 8)
        y = p.get_y()
        x = pb.MARGIN
        share = percent(u.total / u.active) if u.active else "-"
        cells = ["" if is_total else str(i), u.name, integer(u.active), integer(u.individual), integer(u.collective),
                 integer(u.total), share]  # fmt: skip
        for j, (v, w) in enumerate(zip(cells, widths, strict=True)):
            p.rect(x, y, w, h)
            p.set_xy(x + 1, y + 0.5)
            if j == 1:
                p.multi_cell(w - 2, 4, pb.t(v), align="L", new_x="RIGHT", new_y="TOP")
            else:
                p.cell(w - 2, h - 1, pb.t(v), align="C" if j == 0 else "R")
            x += w
        p.set_xy(pb.MARGIN, y + h)
