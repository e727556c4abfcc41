"""``ikrar demo``: the whole flow once, in a throwaway workspace."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ..i18n import N_, _
from .app import AppContext, json_option, pass_app
from .options import out_dir_option
from .output import emit_json, say


@click.command(
    help=_(
        "Run the whole flow once in a throwaway workspace: sample roster, keys, an apel session "
        "for Pilkada 2024, individual and collective pledges, PDF slips, auditor verification."
    )
)
@out_dir_option(N_("Folder for the demo workspace (default: a new temporary folder)"))
@click.option("--officers", type=click.IntRange(10, 100_000), default=400, show_default=True)
@click.option("--collective", type=click.IntRange(0, 100_000), default=300, show_default=True)
@json_option
@pass_app
def demo(app: AppContext, out: Path | None, officers: int, collective: int) -> None:
    from ..demo.office import run_demo
    from ..errors import ConflictError

    home = out or Path(tempfile.mkdtemp(prefix="ikrar-demo-"))
    if out and out.exists() and any(out.iterdir()):
        raise ConflictError(_("{path} is not empty", path=out), _("choose a new folder for the demo"))
    report = run_demo(
        home,
        officers=officers,
        individual=5,
        collective=min(collective, officers - 5),
        say=lambda m: None if app.json else say("• " + m),
    )
    if app.json:
        emit_json(
            {
                "home": str(home),
                "officers": report.officers,
                "individual": len(report.individual),
                "collective": report.collective,
                "verified_valid": report.verified_valid,
                "verified_total": report.verified_total,
                "fingerprint": report.fingerprint,
                "forced_reason": report.forced_reason,
                "report_match": report.report_match,
                "files": {k: str(v) for k, v in report.files.items()},
            }
        )
    else:
        click.echo(_("Demo workspace: {home}", home=home))
        for key, path in report.files.items():
            click.echo(f"  {key:11} {path}")
        if report.forced_reason:
            say(_("Note: {reason}; the session was opened with a recorded reason.", reason=report.forced_reason))
        click.echo(
            _(
                "Try the kiosk: ikrar --home {home} session open --pledge pilkada-2024 --title Apel "
                "--location Aula --force --reason demo, then ikrar --home {home} recite --session 2 "
                "--passphrase-file {pf}",
                home=report.files["terminal"],
                pf=report.files["passphrase"],
            )
        )
    if report.verified_valid != report.verified_total or not report.report_match:
        from .errors import EXIT_INVALID

        raise click.exceptions.Exit(EXIT_INVALID)
