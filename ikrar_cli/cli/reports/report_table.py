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
    from ...reports.report import UnitCompliance

__all__ = ["TableFormat"]

ROWS = 200  # units per piece of the table


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
        from rich.text import Text

        title = _("{pledge} — status {when}", pledge=safe(rep.pledge_title),
                  when=rep.as_of.isoformat() if rep.as_of else stamp)  # fmt: skip
        total = rep.total
        heads = [_("Unit"), _("Name"), _("Active"), _("Indiv."), _("Collect."), "%", _("Missing"), _("Later")]
        feet = ["", _("All units"), str(total.active), str(total.individual), str(total.collective),
                f"{total.coverage * 100:.1f}" if total.expected else "-", str(len(total.missing)),
                str(len(total.joined_later))]  # fmt: skip

        def cells(u: UnitCompliance) -> list[str]:
            colour = "green" if u.coverage >= 0.95 else "yellow" if u.coverage >= 0.75 else "red"
            return [safe(u.code), safe(u.name), str(u.active), str(u.individual), str(u.collective),
                    f"[{colour}]{u.coverage * 100:.1f}[/{colour}]", str(len(u.missing)),
                    str(len(u.joined_later))]  # fmt: skip

        # the same column widths in every piece of ROWS units: the pieces read as one table, and
        # rich holds one piece's rows at a time (a national report has some 20,000 units)
        widths = [max(len(h), len(f)) for h, f in zip(heads, feet, strict=True)]
        widths[0] = max(widths[0], 4)
        for u in rep.units:
            widths = [max(w, Text.from_markup(c).cell_len) for w, c in zip(widths, cells(u), strict=True)]
        widths[1] = min(widths[1], 16)
        term = console()
        units = rep.units
        for start in range(0, max(len(units), 1), ROWS):
            last = start + ROWS >= len(units)
            t = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, title=title if not start else None,
                      header_style="bold", show_header=not start, show_footer=last,
                      show_edge=len(units) <= ROWS)  # fmt: skip (no blank edge lines between pieces)
            for i, (head, foot, width) in enumerate(zip(heads, feet, widths, strict=True)):
                t.add_column(head, footer=foot if last else "", no_wrap=True, width=width,
                             justify="left" if i < 2 else "right",
                             overflow="ellipsis" if i == 1 else "fold")  # fmt: skip
            for u in units[start : start + ROWS]:
                t.add_row(*cells(u))
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
