"""``ikrar report``: compliance per unit (a pure function of signed inputs), its verification
elsewhere, and the record of one officer. Parse, call the library, render: no SQL, no policy."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import _
from ...reports.formats import file_formats
from ..app import AppContext, json_option, pass_app
from ..documents.docopts import seal_from, seal_options
from ..options import out_file_option
from ..output import emit_json, say

#: the file formats --format offers: those of report_formats.FORMATS written to a file
FORMATS = file_formats()


@click.group(help=_("Compliance reports: who has pledged, per unit, and who has not."))
def report() -> None:
    pass


@report.command(help=_("Per unit: active staff, attested (individual / collective), coverage, who is missing."))
@click.option("--pledge", "pledge_ref", required=True, help=_("Pledge ID (any version) or ID@VERSION"))
@click.option("--unit", default=None, help=_("Only this unit (code or name)"))
@click.option("--as-of", "as_of", default=None, help=_("Status at the end of this day (YYYY-MM-DD; default today)"))
@click.option("--snapshot", default=None, help=_("Roster snapshot digest (default: the latest as of that day)"))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help=_("Write a file: csv, xlsx or pdf"))
@out_file_option()
@click.option("--all", "show_all", is_flag=True, help=_("List every missing officer (default: first 10 per unit)"))
@seal_options
@json_option
@pass_app
def compliance(
    app: AppContext,
    pledge_ref: str,
    unit: str | None,
    as_of: str | None,
    snapshot: str | None,
    fmt: str | None,
    out: Path | None,
    show_all: bool,
    seal_p12: Path | None = None,
    seal_passphrase_file: Path | None = None,
) -> None:
    from ...errors import UsageError
    from ...reports.compliance import compute, gather, today_in
    from ...reports.formats import RenderOptions, format_for, get_format
    from ...store.core import now
    from .report_table import TableFormat

    ws = app.workspace()
    if fmt and out is None:
        raise UsageError(_("--format needs --out FILE"), _("e.g. --format pdf --out laporan.pdf"))
    if out is not None and fmt is None:
        fmt = format_for(out)
    inputs = gather(ws, pledge_ref, as_of or today_in(ws.config.timezone), unit=unit, snapshot=snapshot)
    result = compute(ws, inputs)
    options = RenderOptions(
        zone=ws.config.timezone,
        generated_at=now(),
        names=show_all,
        workspace=ws,
        seal=lambda title: seal_from(ws, seal_p12, seal_passphrase_file, title),
    )
    if fmt and out:
        get_format(fmt).render(result, out, options)
        if not app.json:
            say(_("Wrote {path}", path=out))
    if app.json:
        get_format("json").render(result, None, options)
        return
    if fmt:
        return
    TableFormat().render(result, None, options)
    say(_("Report digest {digest}; check it anywhere with 'ikrar report verify REPORT.json'.",
          digest=result.digest))  # fmt: skip


@report.command(
    "verify", help=_("Recompute a compliance report (JSON) from its signed inputs: MATCH or the first difference.")
)
@click.argument("report_file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@pass_app
def verify_(app: AppContext, report_file: Path) -> None:
    from ...reports.proof import verify_report

    outcome = verify_report(app.workspace(), report_file)
    if app.json:
        emit_json(outcome.to_dict())
    elif outcome.match:
        click.echo(outcome.message)
    else:
        click.echo(_("MISMATCH: {why}", why=outcome.message))
    if not outcome.match:
        from ..errors import EXIT_INVALID

        raise click.exceptions.Exit(EXIT_INVALID)


@report.command(help=_("Everything one officer has acknowledged, with the receipts."))
@click.argument("officer_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help=_("Write a file: csv, xlsx or pdf"))
@out_file_option()
@seal_options
@json_option
@pass_app
def officer(
    app: AppContext,
    officer_id: str,
    fmt: str | None,
    out: Path | None,
    seal_p12: Path | None = None,
    seal_passphrase_file: Path | None = None,
) -> None:
    from ...errors import UsageError
    from ...keys.trustpolicy import officer_view
    from ...reports.formats import RenderOptions, format_for, get_format
    from ...reports.officer import OfficerRecord
    from ...roster.identifiers import clean
    from ...store.core import now
    from .report_table import TableFormat

    ws = app.workspace()
    oid = "".join(clean(officer_id).split())
    if not oid:
        raise UsageError(_("The identifier is empty"), _("fill in the NIP, NI PPPK or NIK"))
    if fmt and out is None:
        raise UsageError(_("--format needs --out FILE"), _("e.g. --format pdf --out laporan.pdf"))
    if out is not None and fmt is None:
        fmt = format_for(out)
    record = OfficerRecord(officer_view(ws, oid))
    options = RenderOptions(zone=ws.config.timezone, generated_at=now(), workspace=ws,
                            seal=lambda title: seal_from(ws, seal_p12, seal_passphrase_file, title))  # fmt: skip
    if fmt and out:
        get_format(fmt).render(record, out, options)
        if not app.json:
            say(_("Wrote {path}", path=out))
    if app.json:
        get_format("json").render(record, None, options)
    elif not fmt:
        TableFormat().render(record, None, options)


def _document_commands() -> None:
    """The per-unit follow-up letters live in their own module (cli/reports/followup.py)."""
    from .followup import follow_up

    report.add_command(follow_up)


_document_commands()
