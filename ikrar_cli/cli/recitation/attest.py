"""``ikrar attest``: record attestations from scripts (one officer) or attendance lists (collective)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ...i18n import _
from ..app import AppContext, json_option, pass_app
from ..documents.docopts import seal_from, seal_options
from ..keys.passphrase import passphrase_option
from ..options import terminal_option
from ..output import emit_json, json_text, progress, say

if TYPE_CHECKING:
    from ...recitation.attest import Attestation
    from ...recitation.spool import AttestationSpool
    from ...workspace import Workspace


@click.command(
    help=_(
        "Record attestations: one officer (--nip … --yes), or everyone on an attendance list "
        "(--attendance FILE) for a collective recitation."
    )
)
@click.option("--session", "session_id", type=int, required=True, help=_("Session number"))
@click.option("--nip", default=None, help=_("One officer's NIP / NI PPPK / NIK"))
@click.option("--yes", is_flag=True, help=_("Confirm that the officer acknowledged the pledge"))
@click.option(
    "--attendance",
    type=click.Path(path_type=Path),
    default=None,
    help=_("Attendance list (CSV/XLSX) of a collective recitation"),
)
@click.option("--sheet", default=None, help=_("XLSX sheet name"))
@click.option("--column", default=None, help=_("Column holding the identifiers"))
@click.option(
    "--header-row",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=_("The row that names the columns (default: found among the first 30 rows)"),
)
@click.option(
    "--rejects",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=_("Write the rows not recorded (unknown, invalid, inactive, repeated) with a reason column"),
)
@click.option("--allow-unlisted", is_flag=True, help=_("Record an officer who is not on the roster (flagged for HR)"))
@click.option(
    "--pdf",
    "pdf_out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=_("Write the new receipts as a PDF: a compact list per unit (one row and a small QR per officer)"),
)
@click.option(
    "--slips", is_flag=True, help=_("With --pdf: individual cut-out slips (6 per A4 page) instead of the list")
)
@click.option(
    "--png-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=_("Write one PNG QR code per new receipt into this folder"),
)
@terminal_option
@passphrase_option
@seal_options
@json_option
@pass_app
def attest(
    app: AppContext,
    session_id: int,
    nip: str | None,
    yes: bool,
    attendance: Path | None,
    sheet: str | None,
    column: str | None,
    header_row: int | None,
    rejects: Path | None,
    allow_unlisted: bool,
    pdf_out: Path | None,
    slips: bool,
    png_dir: Path | None,
    terminal: str | None,
    passphrase_file: Path | None,
    seal_p12: Path | None,
    seal_passphrase_file: Path | None,
) -> None:
    from ...errors import UsageError

    if (nip is None) == (attendance is None):
        raise UsageError(_("Give either --nip or --attendance"), _("see 'ikrar attest --help'"))
    if nip is not None and not yes:
        raise UsageError(
            _("Recording an attestation needs --yes"),
            _("add --yes to confirm that the officer acknowledged the pledge, or use 'ikrar recite'"),
        )
    from ...recitation.spool import AttestationSpool
    from .recitation_common import open_recorder

    seal = seal_from(app.workspace(), seal_p12, seal_passphrase_file, _("Pledge receipts")) if pdf_out else None
    recorder, signer = open_recorder(app, passphrase_file, terminal)
    with AttestationSpool() as new:  # on disk, not in memory: documents are written after every commit
        _attest(app, recorder, signer.name, new, session_id, nip, allow_unlisted, attendance, sheet, column,
                header_row, rejects, pdf_out, slips, png_dir, seal)  # fmt: skip


def _attest(
    app: AppContext,
    recorder: Any,
    terminal_name: str,
    new: AttestationSpool,
    session_id: int,
    nip: str | None,
    allow_unlisted: bool,
    attendance: Path | None,
    sheet: str | None,
    column: str | None,
    header_row: int | None,
    rejects: Path | None,
    pdf_out: Path | None,
    slips: bool,
    png_dir: Path | None,
    seal: Any,
) -> None:
    if nip is not None:
        att = recorder.attest(session_id, nip, allow_unlisted=allow_unlisted)
        if att.existing:
            say(_("{id} already pledged for this template; here is the existing receipt.", id=att.officer_id))
        else:
            new.append(att)
        if app.json:
            emit_json(att.to_dict())
        else:
            click.echo(att.receipt)
    else:
        from ...recitation.attendance import attendance_rows
        from ...roster.sheet_header import SkippedRow

        assert attendance is not None
        out = sys.stdout
        skipped: list[SkippedRow] = []

        keep = bool(pdf_out or png_dir)  # without documents nothing is kept: memory stays bounded

        def committed(batch: list[Attestation]) -> None:
            if keep:
                new.extend(batch)
            lines = [json_text(a.to_dict()) if app.json else a.receipt for a in batch]
            out.write("\n".join(lines) + "\n")
            out.flush()

        with progress(_("Recording"), None, enabled=not app.json) as tick:
            report = recorder.attest_many(
                session_id,
                attendance_rows(attendance, sheet, column, header_row, skipped),
                on_committed=committed,
                progress=tick,
            )
        problems = report.invalid + report.unknown + report.duplicates + report.inactive
        if rejects is not None and problems:
            from ...recitation.attendance import write_attendance_rejects

            write_attendance_rejects(
                attendance,
                rejects,
                {p.row: p.reason for p in problems},
                sheet=sheet,
                column=column,
                header_row=header_row,
                language=recorder.workspace.config.language,
            )
        if app.json:
            summary = dict(report.to_dict(), skipped_rows=[r.to_dict() for r in skipped])
            if rejects is not None and problems:
                summary["rejects_file"] = str(rejects)
            click.echo(json.dumps({"summary": summary}, ensure_ascii=False))
        else:
            for r in skipped:
                say(_("row {row} left out: {reason}", row=r.row, reason=r.describe()))
            say(
                _(
                    "Collective recitation: {n} recorded, {a} had already pledged, {u} unknown, {i} invalid, "
                    "{d} duplicates, {x} inactive",
                    n=report.attested,
                    a=report.already,
                    u=len(report.unknown),
                    i=len(report.invalid),
                    d=len(report.duplicates),
                    x=len(report.inactive),
                )
            )
            for p in sorted(problems, key=lambda p: p.row):
                say(_("row {row}: {value!r}: {reason}", row=p.row, value=p.value, reason=p.reason))
            if rejects is not None and problems:
                say(_("Rows not recorded written to {path}", path=rejects))
    if new and (pdf_out or png_dir):
        if pdf_out and not slips:
            from ..documents.docopts import write_list_for

            write_list_for(app, recorder.workspace, session_id, new, pdf_out, seal)
            pdf_out = None
        write_outputs(app, recorder.workspace, new, terminal_name, pdf_out, png_dir, seal)


def write_outputs(
    app: AppContext,
    ws: Workspace,
    attestations: AttestationSpool | list[Attestation],
    terminal: str,
    pdf_out: Path | None,
    png_dir: Path | None,
    seal=None,
) -> None:
    """Slips and PNGs are rendered only when asked (rendering costs far more than signing)."""
    from ...pledges.templates import PledgeLibrary
    from ...receipts.receipt import decode_receipt
    from ...receipts.view import caption, qr_payload, slip_for, unit_names

    library = PledgeLibrary.load(ws.config.extra_template_dirs)
    units = unit_names(ws)
    def decoded() -> Iterator[tuple[Attestation, Any]]:  # decoded one at a time: the claims are not all kept
        for a in attestations:
            yield a, decode_receipt(a.receipt).claims

    if pdf_out:
        from ...documents.receiptlist import write_compact_slips

        with progress(_("Writing slips"), len(attestations), enabled=not app.json) as tick:
            n, _pages = write_compact_slips(
                pdf_out,
                (slip_for(ws, library, a.receipt, c, terminal, units) for a, c in decoded()),
                seal=seal,
                progress=tick,
                total=len(attestations),
            )
        say(_("{n} slips written to {path}", n=n, path=pdf_out))
    if png_dir:
        from ...fsutil import confined_path
        from ...receipts.qr import write_png

        png_dir.mkdir(parents=True, exist_ok=True)
        for a, c in decoded():
            write_png(confined_path(png_dir, a.officer_id, ".png"), qr_payload(ws, a.receipt), caption(c, terminal))
        say(_("{n} PNG files written to {path}", n=len(attestations), path=png_dir))
