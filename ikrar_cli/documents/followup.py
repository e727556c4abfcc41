"""Per-unit follow-up: a nota dinas to the head of each unit (OPD) with officers still missing.

For every unit with officers who have not pledged (or joined after the last session), one PDF:
the cover letter (nota dinas) addressed to the head of the unit — who is missing, the deadline,
how to record the make-up pledge — and the list with *paraf* (initials) and *keterangan* (note)
columns; the same list as XLSX; and an index of every file written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import _
from . import pdfbase as pb
from .profile import Profile, Signatory, integer, long_date, sort_name

if TYPE_CHECKING:
    from ..reports.report import ComplianceReport, StaffLine, UnitCompliance


@dataclass(frozen=True)
class Written:
    unit: str
    unit_name: str
    missing: int
    joined_later: int
    pdf: Path
    xlsx: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "unit_name": self.unit_name,
            "missing": self.missing,
            "joined_later": self.joined_later,
            "pdf": str(self.pdf),
            "xlsx": str(self.xlsx),
        }


def _people(u: UnitCompliance) -> list[tuple[StaffLine, str]]:
    rows = [(s, _("not yet pledged")) for s in u.missing] + [(s, _("joined later")) for s in u.joined_later]
    return sorted(rows, key=lambda r: (sort_name(r[0].name), r[0].officer_id))


def _file_stem(code: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in code)
    return f"tindak-lanjut-{safe}"


def _letter(
    pdf: Any, report: ComplianceReport, u: UnitCompliance, profile: Profile, deadline: date, today: date, status: str
) -> None:
    head = profile.unit_heads.get(u.code) or Signatory(position=_("Head of {unit}", unit=u.name))
    sender = profile.signers("follow_up")[0]
    people = _people(u)
    pdf.add_page()
    pb.letterhead(pdf, profile)
    pb.title(pdf, [_("OFFICIAL MEMO"), _("Number: ........")], size=13)
    pb.fields(
        pdf,
        [
            (_("To"), head.position + (f" ({head.name})" if head.name else "")),
            (_("From"), sender.position or profile.institution),
            (_("Date"), long_date(today)),
            (_("Attachment"), _("1 (one) list of {n} officers", n=integer(len(people)))),
            (_("Subject"), _("Follow-up of the {pledge}", pledge=report.pledge_title)),
        ],
        indent=0,
        label_w=30,
    )
    y = pdf.get_y() + 1.5
    pdf.set_line_width(0.3)
    pdf.line(pb.MARGIN, y, pb.MARGIN + pb.WIDTH, y)
    pdf.set_y(y + 3)
    pb.paragraph(
        pdf,
        _(
            "According to the records of {institution} as of {status}, {n} officers of {unit} have not yet "
            "recited the {pledge}; {later} of them joined the unit after its last apel. Their names are in the "
            "attached list.",
            institution=profile.institution,
            status=status,
            n=integer(len(people)),
            unit=u.name,
            pledge=report.pledge_title,
            later=integer(len(u.joined_later)),
        ),
    )
    pdf.ln(2)
    pb.paragraph(
        pdf,
        _(
            "We ask you to make sure that each of them makes up the pledge no later than {deadline}, in one of "
            "these ways:",
            deadline=long_date(deadline),
        ),
    )
    pdf.ln(1)
    pb.numbered(
        pdf,
        [
            _("individually, at an apel terminal (kiosk) of {institution}: the officer brings the NIP, reads the "
              "pledge and confirms it, and receives a signed receipt;", institution=profile.institution),
            _("collectively, at a make-up apel held by the unit: the pledge is read together, every participant "
              "initials the attached list, and the list is sent back to {institution} to be recorded as a "
              "collective recitation.", institution=profile.institution),
        ],  # fmt: skip
    )
    pb.paragraph(
        pdf,
        _("Please write in the note column the reason of anyone who cannot pledge by then (leave, duty travel, "
          "illness, retirement, transfer)."),  # fmt: skip
    )
    pdf.ln(2)
    pb.paragraph(pdf, _("Thank you for your attention and cooperation."))
    pdf.ln(4)
    pb.sign_off(pdf, profile, "follow_up", today)


def _list(pdf: Any, report: ComplianceReport, u: UnitCompliance, profile: Profile) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(pb.WIDTH, 4.5, pb.t(_("Attachment to the official memo")), new_x="LMARGIN", new_y="NEXT")
    pb.title(pdf, [_("LIST OF OFFICERS WHO HAVE NOT YET PLEDGED"), report.pledge_title, u.name], size=11)
    headers = [_("No."), _("NIP / ID"), _("Name"), _("Position"), _("Status"), _("Initials"), _("Note")]
    widths = [9.0, 35.0, 42.0, 30.0, 18.0, 16.0, 20.0]

    def head() -> None:
        pb.table_head(pdf, headers, widths)

    head()
    for i, (s, status) in enumerate(_people(u), 1):
        cells = [str(i), s.officer_id, s.name, s.position or "", status, "", ""]
        pdf.set_font("Helvetica", "", 8)
        heights = [
            len(pdf.multi_cell(w - 2, 4, pb.t(v), dry_run=True, output="LINES")) if v else 1
            for v, w in zip(cells, widths, strict=True)
        ]
        h = max(8.0, 4.0 * max(heights) + 2)  # room to initial
        if pdf.get_y() + h > pb.BOTTOM:
            pdf.add_page()
            head()
            pdf.set_font("Helvetica", "", 8)
        y = pdf.get_y()
        x = pb.MARGIN
        for v, w in zip(cells, widths, strict=True):
            pdf.rect(x, y, w, h)
            pdf.set_xy(x + 1, y + 1)
            pdf.multi_cell(w - 2, 4, pb.t(v), align="L", new_x="RIGHT", new_y="TOP")
            x += w
        pdf.set_xy(pb.MARGIN, y + h)


def write_follow_up(
    folder: Path,
    report: ComplianceReport,
    *,
    profile: Profile,
    deadline: date,
    today: date,
    status: str,
    seal: pb.Seal | None = None,
) -> list[Written]:
    """One PDF and one XLSX per unit with anyone missing, and ``index.csv``; returns what was written."""
    from ..sheets.export import write_xlsx
    from .tables import write_table_csv

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    for u in sorted(report.units, key=lambda u: u.name.casefold()):
        people = _people(u)
        if not people:
            continue
        stem = _file_stem(u.code)
        pdf = pb.new_pdf(_("Follow-up of the neutrality pledge"), footer=f"{profile.institution} - {u.name}")
        _letter(pdf, report, u, profile, deadline, today, status)
        _list(pdf, report, u, profile)
        pdf_path = folder / f"{stem}.pdf"
        pb.finish(pb.pdf_bytes(pdf), pdf_path, seal)
        headers = [_("No."), _("NIP / ID"), _("Name"), _("Position"), _("Status"), _("Initials"), _("Note")]
        rows = [[i, s.officer_id, s.name, s.position or "", st, "", ""] for i, (s, st) in enumerate(people, 1)]
        xlsx_path = folder / f"{stem}.xlsx"
        write_xlsx(xlsx_path, [(u.code, headers, rows, ["int", "text", "text", "text", "text", "text", "text"])])
        written.append(Written(u.code, u.name, len(u.missing), len(u.joined_later), pdf_path, xlsx_path))
    index_headers = [_("Unit code"), _("Unit"), _("Missing"), _("Joined later"), _("PDF"), _("XLSX")]
    write_table_csv(
        folder / "index.csv",
        index_headers,
        [[w.unit, w.unit_name, w.missing, w.joined_later, w.pdf.name, w.xlsx.name] for w in written],
    )
    return written
