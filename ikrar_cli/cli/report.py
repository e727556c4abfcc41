"""``ikrar report``: compliance per unit and the record of one officer."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .output import console, emit_json, say

if TYPE_CHECKING:
    from ..workspace import Workspace

FORMATS = ("csv", "xlsx", "pdf")


@click.group(help=_("Compliance reports: who has pledged, per unit, and who has not."))
def report() -> None:
    pass


def _revoked(ws: Workspace) -> set[bytes]:
    """Receipts the authority revoked: this workspace's own list and its trusted bundle's."""
    from ..errors import NotFoundError
    from ..trust import trusted_bundle

    with ws.store.read() as conn:
        out = {bytes(r[0]) for r in conn.execute("SELECT rid FROM receipt_revocations")}
    try:
        out |= set(trusted_bundle(ws).revoked_receipts)
    except NotFoundError:
        pass  # no bundle yet: only local revocations apply (a damaged one is an error, not "none")
    return out


def _as_of(value: str | None) -> date | None:
    from ..zones import parse_user_date

    return None if value is None else parse_user_date(value, "--as-of")


@report.command(help=_("Per unit: active staff, attested (individual / collective), coverage, who is missing."))
@click.option("--pledge", "pledge_ref", required=True, help=_("Pledge ID (any version) or ID@VERSION"))
@click.option("--unit", default=None, help=_("Only this unit (code or name)"))
@click.option("--as-of", "as_of", default=None, help=_("Status at the end of this day (YYYY-MM-DD)"))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help=_("Write a file: csv, xlsx or pdf"))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help=_("File to write"))
@click.option("--all", "show_all", is_flag=True, help=_("List every missing officer (default: first 10 per unit)"))
@json_option
@pass_app
def compliance(
    app: AppContext,
    pledge_ref: str,
    unit: str | None,
    as_of: str | None,
    fmt: str | None,
    out: Path | None,
    show_all: bool,
) -> None:
    from ..errors import UsageError
    from ..pledges import PledgeLibrary
    from ..report import compliance as build
    from ..store import now
    from ..zones import format_local

    ws = app.workspace()
    day = _as_of(as_of)
    if fmt and out is None:
        raise UsageError(_("--format needs --out FILE"), _("e.g. --format pdf --out laporan.pdf"))
    if out is not None and fmt is None:
        suffix = out.suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            raise UsageError(_("Cannot tell the format of {path}", path=out), _("add --format csv, xlsx or pdf"))
        fmt = suffix
    pledge = PledgeLibrary.load(ws.config.extra_template_dirs).get(pledge_ref)
    version = pledge.version if "@" in pledge_ref else None
    revoked = _revoked(ws)
    generated = now()
    with ws.store.read() as conn:
        rep = build(
            conn,
            pledge_id=pledge.id,
            pledge_version=version,
            pledge_title=pledge.title,
            institution=ws.config.institution_name,
            zone=ws.config.timezone,
            generated_at=generated,
            unit=unit,
            as_of=day,
            revoked=revoked,
        )
    stamp = format_local(generated, ws.config.timezone)
    if fmt and out:
        from ..report_render import write_csv, write_pdf, write_xlsx

        if fmt == "csv":
            write_csv(rep, out)
        elif fmt == "xlsx":
            write_xlsx(rep, out)
        else:
            write_pdf(rep, out, stamp=stamp, as_of_label=day.isoformat() if day else stamp)
        if not app.json:
            say(_("Wrote {path}", path=out))
    if app.json:
        emit_json(rep.to_dict())
        return
    if fmt:
        return
    _render(rep, stamp, show_all)


def _render(rep: Any, stamp: str, show_all: bool) -> None:
    from rich import box
    from rich.table import Table

    t = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        title=_(
            "{pledge} — status {when}", pledge=rep.pledge_title, when=rep.as_of.isoformat() if rep.as_of else stamp
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
            u.code,
            u.name,
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
        out.print(f"[bold]{u.code} {u.name}[/bold] — " + _("not yet pledged: {n}", n=len(u.missing)))
        for s in shown:
            out.print(f"  {s.officer_id}  {s.name}" + (f"  ({s.position})" if s.position else ""), markup=False)
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
    from ..report import officer_record
    from ..zones import format_local

    ws = app.workspace()
    oid = "".join(clean(officer_id).split())
    if not oid:
        from ..errors import UsageError

        raise UsageError(_("The identifier is empty"), _("fill in the NIP, NI PPPK or NIK"))
    revoked = _revoked(ws)
    with ws.store.read() as conn:
        data = officer_record(conn, oid, revoked)
    if app.json:
        emit_json(data)
        return
    o = data["officer"]
    if o.get("on_roster") is False:
        click.echo(_("{id} (not on the roster)", id=o["officer_id"]))
    else:
        state = _("active") if o["active"] else _("inactive since {date}", date=o["retired_at"])
        click.echo(f"{o['name']}  {o['officer_id']}  {o['unit'] or ''} {o['unit_name'] or ''}  ({state})")
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
