"""``ikrar report officer``: the record of one officer as a report object, so that it is drawn by
the same ``ReportFormat`` classes as the compliance report (``formats.py``: json, csv, xlsx,
pdf; ``table`` in the CLI). The data is ``keys.trustpolicy.officer_view``'s."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import _

__all__ = ["OfficerRecord", "write_csv", "write_pdf", "write_xlsx"]


@dataclass
class OfficerRecord:
    """``data`` = {"officer": {...}, "attestations": [...]} (docs/library.md, ``officer_view``)."""

    data: dict[str, Any]

    @property
    def officer(self) -> dict[str, Any]:
        return dict(self.data["officer"])

    @property
    def attestations(self) -> list[dict[str, Any]]:
        return list(self.data["attestations"])

    def flags(self, a: dict[str, Any]) -> list[str]:
        out = []
        if a["revoked"]:
            out.append(_("REVOKED"))
        if a["duplicate"]:
            out.append(_("duplicate (counted once)"))
        return out

    def heading(self) -> str:
        o = self.officer
        if o.get("on_roster") is False:
            return _("{id} (not on the roster)", id=o["officer_id"])
        state = _("active") if o["active"] else _("inactive since {date}", date=o["retired_at"])
        return f"{o['name']}  {o['officer_id']}  {o['unit'] or ''} {o['unit_name'] or ''}  ({state})"

    def rows(self) -> list[list[Any]]:
        from ..zones import format_local

        return [
            [a["pledge"], format_local(a["attested_at"], a["timezone"]), a["method"], a["terminal"], a["log"],
             a["index"], ", ".join(self.flags(a)), a["receipt"]]
            for a in self.attestations
        ]  # fmt: skip


def headers() -> list[str]:
    return [_("Pledge"), _("Time"), _("Method"), _("Terminal"), "Log", "#", _("Status"), "Receipt"]


def write_csv(record: OfficerRecord, path: Path) -> None:
    """One row per receipt, under the officer's line (the CSV dialect of the reader's language)."""
    from ..documents.tables import write_table_csv

    o = record.officer
    rows = [[o["officer_id"], o.get("name", ""), o.get("unit") or "", *row] for row in record.rows()]
    write_table_csv(path, [_("NIP / ID"), _("Name"), _("Unit code"), *headers()], rows)


def write_xlsx(record: OfficerRecord, path: Path) -> None:
    from ..sheets.export import write_xlsx as xlsx_out

    o = record.officer
    rows = [[o["officer_id"], o.get("name", ""), o.get("unit") or "", *row] for row in record.rows()]
    types = ["text"] * 8 + ["int", "text", "text"]
    xlsx_out(path, [(_("Pledge"), [_("NIP / ID"), _("Name"), _("Unit code"), *headers()], rows, types)])


def write_pdf(record: OfficerRecord, path: Path, *, stamp: str, seal: Any = None) -> None:
    """The officer's line, then each receipt with its status and its text (QR-verifiable)."""
    from ..documents.pdfbase import fields, finish, new_pdf, paragraph, pdf_bytes, title

    pdf = new_pdf(record.heading(), stamp)
    pdf.add_page()
    title(pdf, [_("Pledge record of an officer"), record.heading()], size=11)
    if not record.attestations:
        paragraph(pdf, _("No pledge recorded for this officer."))
    for a, row in zip(record.attestations, record.rows(), strict=True):
        fields(pdf, [(h, str(v)) for h, v in zip(headers()[:-1], row[:-1], strict=True)], size=9)
        paragraph(pdf, str(a["receipt"]), size=7, align="L")
        pdf.ln(3)
    finish(pdf_bytes(pdf), path, seal)
