"""``ikrar report``: compliance per unit (a pure function of signed inputs), its verification
elsewhere, and the record of one officer. Parse, call the library, render: no SQL, no policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .docopts import seal_from, seal_options
from .options import out_file_option
from .output import console, emit_json, plain, safe, say

FORMATS = ("csv", "xlsx", "pdf")


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
    from ..compliance import compute, gather, today_in
    from ..errors import UsageError
    from ..store import now
    from ..zones import format_local

    ws = app.workspace()
    if fmt and out is None:
        raise UsageError(_("--format needs --out FILE"), _("e.g. --format pdf --out laporan.pdf"))
    if out is not None and fmt is None:
        suffix = out.suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            raise UsageError(_("Cannot tell the format of {path}", path=out), _("add --format csv, xlsx or pdf"))
        fmt = suffix
    inputs = gather(ws, pledge_ref, as_of or today_in(ws.config.timezone), unit=unit, snapshot=snapshot)
    result = compute(ws, inputs)
    rep = result.report
    stamp = format_local(now(), ws.config.timezone)
    if fmt and out:
        from ..report_proof import proof_lines
        from ..report_render import write_csv, write_pdf, write_xlsx

        if fmt == "csv":
            write_csv(rep, out, names=show_all)
        elif fmt == "xlsx":
            write_xlsx(rep, out, names=show_all)
        else:
            from ..documents.pdfbase import Proof
            from ..documents.profile import long_date, long_datetime, workspace_profile
            from ..zones import parse_user_date

            seal = seal_from(ws, seal_p12, seal_passphrase_file, _("Neutrality pledge compliance report"))
            lines = proof_lines(result.document)
            proof = Proof(_("Proof of this report"), "\n".join(lines[:-1]), result.document["digest"], lines[-1])
            write_pdf(rep, out, stamp=long_datetime(now(), ws.config.timezone),
                      as_of_label=long_date(parse_user_date(inputs.as_of, "--as-of")),
                      profile=workspace_profile(ws), proof=proof, seal=seal)  # fmt: skip
        if not app.json:
            say(_("Wrote {path}", path=out))
    if app.json:
        click.echo(result.json_bytes().decode("utf-8"), nl=False)
        return
    if fmt:
        return
    _render(rep, stamp, show_all)
    say(_("Report digest {digest}; check it anywhere with 'ikrar report verify REPORT.json'.",
          digest=result.document["digest"]))  # fmt: skip


@report.command(
    "verify", help=_("Recompute a compliance report (JSON) from its signed inputs: MATCH or the first difference.")
)
@click.argument("report_file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@pass_app
def verify_(app: AppContext, report_file: Path) -> None:
    from ..report_proof import verify_report

    outcome = verify_report(app.workspace(), report_file)
    if app.json:
        emit_json(outcome.to_dict())
    elif outcome.match:
        click.echo(outcome.message)
    else:
        click.echo(_("MISMATCH: {why}", why=outcome.message))
    if not outcome.match:
        from .errors import EXIT_INVALID

        raise click.exceptions.Exit(EXIT_INVALID)


def _render(rep: Any, stamp: str, show_all: bool) -> None:
    from rich import box
    from rich.table import Table

    t = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        title=_(
            "{pledge} — status {when}",
            pledge=safe(rep.pledge_title),
            when=rep.as_of.isoformat() if rep.as_of else stamp,
        ),
        header_style="bold",
        show_footer=True,
    )
    total = rep.total
    t.add_column(_("Unit"), footer="", no_wrap=True, min_width=max([4, *(len(u.code) for u in rep.units)]))
    t.add_column(_("Name"), footer=_("All units"), no_wrap=True, overflow="ellipsis", max_width=16)
    cols = [
        (_("Active"), str(total.active)),
        (_("Indiv."), str(total.individual)),
        (_("Collect."), str(total.collective)),
        ("%", f"{total.coverage * 100:.1f}" if total.expected else "-"),
        (_("Missing"), str(len(total.missing))),
        (_("Later"), str(len(total.joined_later))),
    ]
    for name, foot in cols:
        t.add_column(name, footer=foot, justify="right", no_wrap=True, min_width=max(len(name), len(foot)))
    for u in rep.units:
        colour = "green" if u.coverage >= 0.95 else "yellow" if u.coverage >= 0.75 else "red"
        t.add_row(
            safe(u.code),
            safe(u.name),
            str(u.active),
            str(u.individual),
            str(u.collective),
            f"[{colour}]{u.coverage * 100:.1f}[/{colour}]",
            str(len(u.missing)),
            str(len(u.joined_later)),
        )
    out = console()
    out.print(t)
    out.print(
        _("Indiv. = individual confirmation, Collect. = collective recitation, Later = joined after the last session"),
        style="dim",
    )
    for u in rep.units:
        if not u.missing:
            continue
        shown = u.missing if show_all else u.missing[:10]
        out.print(f"[bold]{safe(u.code)} {safe(u.name)}[/bold] — " + _("not yet pledged: {n}", n=len(u.missing)))
        for s in shown:
            out.print(plain(f"  {s.officer_id}  {s.name}" + (f"  ({s.position})" if s.position else "")), markup=False)
        if len(shown) < len(u.missing):
            out.print("  " + _("… and {n} more (use --all)", n=len(u.missing) - len(shown)))
    if not total.active:
        say(_("No active staff on the roster yet: import it with 'ikrar roster import FILE'."))
    if rep.unlisted:
        say(_("{n} attested officer(s) are not on the roster.", n=rep.unlisted))
    if rep.revoked:
        say(_("{n} revoked receipt(s) were left out.", n=rep.revoked))


@report.command(help=_("Everything one officer has acknowledged, with the receipts."))
@click.argument("officer_id")
@json_option
@pass_app
def officer(app: AppContext, officer_id: str) -> None:
    from ..identifiers import clean
    from ..trustpolicy import officer_view
    from ..zones import format_local

    ws = app.workspace()
    oid = "".join(clean(officer_id).split())
    if not oid:
        from ..errors import UsageError

        raise UsageError(_("The identifier is empty"), _("fill in the NIP, NI PPPK or NIK"))
    data = officer_view(ws, oid)
    if app.json:
        emit_json(data)
        return
    o = data["officer"]
    if o.get("on_roster") is False:
        click.echo(_("{id} (not on the roster)", id=o["officer_id"]))
    else:
        state = _("active") if o["active"] else _("inactive since {date}", date=o["retired_at"])
        click.echo(plain(f"{o['name']}  {o['officer_id']}  {o['unit'] or ''} {o['unit_name'] or ''}  ({state})"))
    if not data["attestations"]:
        say(_("No pledge recorded for this officer."))
        return
    for a in data["attestations"]:
        flags = []
        if a["revoked"]:
            flags.append(_("REVOKED"))
        if a["duplicate"]:
            flags.append(_("duplicate (counted once)"))
        click.echo(
            _(
                "{pledge}  {when}  {method}  terminal {terminal}, log {log} #{index}",
                pledge=a["pledge"],
                when=format_local(a["attested_at"], a["timezone"]),
                method=a["method"],
                terminal=a["terminal"],
                log=a["log"][:8],
                index=a["index"],
            )
            + (f"  [{', '.join(flags)}]" if flags else "")
        )
        click.echo(f"  {a['receipt']}")


def _document_commands() -> None:
    """The per-unit follow-up letters live in their own module (cli/followup.py)."""
    from .followup import follow_up

    report.add_command(follow_up)


_document_commands()
