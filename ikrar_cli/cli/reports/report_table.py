"""The compliance report as a table on the terminal (rich): the ``table`` report format.

It lives with the CLI because it draws with rich; the other formats are in
``ikrar_cli/reports/formats.py``, which this module registers into.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...i18n import _
from ...reports.formats import RenderOptions, ReportFormat, register
from ..output import console, plain, safe, say

if TYPE_CHECKING:
    from ...reports.compliance import Result as ComplianceResult
    from ...reports.officer import OfficerRecord

__all__ = ["TableFormat"]


@register
class TableFormat(ReportFormat):
    """Units weakest first with coverage in colour, then who is missing (ten per unit, or all)."""

    name = "table"

    def render_compliance(self, result: ComplianceResult, out: Path | None, options: RenderOptions) -> None:
        import click

        from ...zones import format_local

        rep, show_all = result.report, options.names
        stamp = format_local(options.generated_at, options.zone)
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
        term = console()
        term.print(t)
        term.print(
            _(
                "Indiv. = individual confirmation, Collect. = collective recitation, "
                "Later = joined after the last session"
            ),
            style="dim",
        )
        for u in rep.units:
            if not u.missing:
                continue
            shown = u.missing if show_all else u.missing[:10]
            term.print(f"[bold]{safe(u.code)} {safe(u.name)}[/bold] — " + _("not yet pledged: {n}", n=len(u.missing)))
            lines = (plain(f"  {s.officer_id}  {s.name}" + (f"  ({s.position})" if s.position else "")) for s in shown)
            click.echo("\n".join(lines))  # one unit's lines at a time, as they are read from the spool
            if len(shown) < len(u.missing):
                term.print("  " + _("… and {n} more (use --all)", n=len(u.missing) - len(shown)))
        if not total.active:
            say(_("No active staff on the roster yet: import it with 'ikrar roster import FILE'."))
        if rep.unlisted:
            say(_("{n} attested officer(s) are not on the roster.", n=rep.unlisted))
        if rep.revoked:
            say(_("{n} revoked receipt(s) were left out.", n=rep.revoked))

    def render_officer(self, record: OfficerRecord, out: Path | None, options: RenderOptions) -> None:
        """The officer's line, then one line per receipt with its flags and the receipt text."""
        import click

        from ...zones import format_local

        click.echo(plain(record.heading()))
        if not record.attestations:
            say(_("No pledge recorded for this officer."))
            return
        for a in record.attestations:
            flags = record.flags(a)
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
