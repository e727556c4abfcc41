"""``ikrar attest``: record attestations from scripts (one officer) or attendance lists (collective)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .options import terminal_option
from .output import emit_json, progress, say
from .passphrase import passphrase_option

if TYPE_CHECKING:
    from ..recitation import Attestation
    from ..workspace import Workspace


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
@click.option("--allow-unlisted", is_flag=True, help=_("Record an officer who is not on the roster (flagged for HR)"))
@click.option(
    "--pdf",
    "pdf_out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=_("Write the new receipts as printable slips (4 per A4 page)"),
)
@click.option(
    "--png-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=_("Write one PNG QR code per new receipt into this folder"),
)
@terminal_option
@passphrase_option
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
    allow_unlisted: bool,
    pdf_out: Path | None,
    png_dir: Path | None,
    terminal: str | None,
    passphrase_file: Path | None,
) -> None:
    from ..errors import UsageError

    if (nip is None) == (attendance is None):
        raise UsageError(_("Give either --nip or --attendance"), _("see 'ikrar attest --help'"))
    if nip is not None and not yes:
        raise UsageError(
            _("Recording an attestation needs --yes"),
            _("add --yes to confirm that the officer acknowledged the pledge, or use 'ikrar recite'"),
        )
    from .recitation_common import open_recorder

    recorder, signer = open_recorder(app, passphrase_file, terminal)
    new = []
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
        from ..attendance import attendance_rows

        assert attendance is not None
        out = sys.stdout

        def committed(batch: list[Attestation]) -> None:
            new.extend(batch)
            lines = [json.dumps(a.to_dict(), ensure_ascii=False) if app.json else a.receipt for a in batch]
            out.write("\n".join(lines) + "\n")
            out.flush()

        with progress(_("Recording"), None, enabled=not app.json) as tick:
            report = recorder.attest_many(
                session_id, attendance_rows(attendance, sheet, column), on_committed=committed, progress=tick
            )
        if app.json:
            click.echo(json.dumps({"summary": report.to_dict()}, ensure_ascii=False))
        else:
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
            for p in report.invalid + report.unknown + report.duplicates + report.inactive:
                say(_("row {row}: {value!r}: {reason}", row=p.row, value=p.value, reason=p.reason))
    if new and (pdf_out or png_dir):
        write_outputs(app, recorder.workspace, new, signer.name, pdf_out, png_dir)


def write_outputs(
    app: AppContext,
    ws: Workspace,
    attestations: list[Attestation],
    terminal: str,
    pdf_out: Path | None,
    png_dir: Path | None,
) -> None:
    """Slips and PNGs are rendered only when asked (rendering costs far more than signing)."""
    from ..pledges import PledgeLibrary
    from ..receipt import decode_receipt
    from ..receipt_view import caption, qr_payload, slip_for, unit_names

    library = PledgeLibrary.load(ws.config.extra_template_dirs)
    units = unit_names(ws)
    decoded = [(a, decode_receipt(a.receipt).claims) for a in attestations]
    if pdf_out:
        from ..slips import write_slips_pdf

        with progress(_("Writing slips"), len(decoded), enabled=not app.json) as tick:
            n = write_slips_pdf(
                pdf_out,
                (slip_for(ws, library, a.receipt, c, terminal, units) for a, c in decoded),
                progress=tick,
                total=len(decoded),
            )
        say(_("{n} slips written to {path}", n=n, path=pdf_out))
    if png_dir:
        from ..qr import write_png

        png_dir.mkdir(parents=True, exist_ok=True)
        for a, c in decoded:
            write_png(png_dir / f"{a.officer_id}.png", qr_payload(ws, a.receipt), caption(c, terminal))
        say(_("{n} PNG files written to {path}", n=len(decoded), path=png_dir))
