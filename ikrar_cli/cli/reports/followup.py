"""``ikrar report follow-up``: a nota dinas and a list per unit with officers still missing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..documents.docopts import seal_from, seal_options
from ..options import out_dir_option
from ..output import emit_json, say


@click.command(
    "follow-up",
    help=_("For every unit with officers still missing: a cover letter to its head and the list (PDF and XLSX)."),
)
@click.option("--pledge", "pledge_ref", required=True, help=_("Pledge ID (any version) or ID@VERSION"))
@out_dir_option(N_("Folder to write into"), required=True)
@click.option("--deadline", default=None, help=_("Make-up deadline (YYYY-MM-DD; default: in 7 days)"))
@click.option("--unit", default=None, help=_("Only this unit (code or name)"))
@click.option("--as-of", "as_of", default=None, help=_("Status at the end of this day (YYYY-MM-DD)"))
@seal_options
@json_option
@pass_app
def follow_up(
    app: AppContext,
    pledge_ref: str,
    out: Path,
    deadline: str | None,
    unit: str | None,
    as_of: str | None,
    seal_p12: Path | None,
    seal_passphrase_file: Path | None,
) -> None:
    from ...documents.followup import write_follow_up
    from ...documents.profile import local_date, long_date, workspace_profile
    from ...errors import UsageError
    from ...reports.compliance import compute, gather, today_in
    from ...store.core import now
    from ...zones import parse_user_date

    ws = app.workspace()
    generated = now()
    today = local_date(generated, ws.config.timezone)
    until = parse_user_date(deadline, "--deadline") if deadline else today + timedelta(days=7)
    if until < today:
        raise UsageError(_("--deadline {value} is in the past", value=until), _("give a later date"))
    # the same figures as 'report compliance': a pure function of signed inputs (docs/compliance.md)
    inputs = gather(ws, pledge_ref, as_of or today_in(ws.config.timezone), unit=unit)
    rep = compute(ws, inputs).report
    day = parse_user_date(inputs.as_of, "--as-of")
    profile = workspace_profile(ws)
    seal = seal_from(ws, seal_p12, seal_passphrase_file, _("Follow-up of the neutrality pledge"))
    written = write_follow_up(
        out, rep, profile=profile, deadline=until, today=today, status=long_date(day), seal=seal
    )
    if app.json:
        emit_json({"deadline": until.isoformat(), "index": str(out / "index.csv"),
                   "units": [w.to_dict() for w in written]})  # fmt: skip
        return
    for w in written:
        click.echo(f"{w.unit}\t{w.missing + w.joined_later}\t{w.pdf}\t{w.xlsx}")
    say(_("{n} units to follow up; index: {path}", n=len(written), path=out / "index.csv"))
