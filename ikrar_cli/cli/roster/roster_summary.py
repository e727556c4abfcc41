"""Rendering a roster import: the mapping chosen, the rows left out, and what changed —
led by what HR acts on (new staff, transfers, retirements, reactivations), then field changes.
``--json`` streams every change; nothing is capped."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import click

from ...i18n import _
from ..output import plain


def _ranges(rows: list[int]) -> str:
    out: list[str] = []
    for r in rows:
        if out and "-" not in out[-1] and int(out[-1]) == r - 1:
            out[-1] = f"{out[-1]}-{r}"
        elif out and "-" in out[-1] and int(out[-1].split("-")[1]) == r - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{r}"
        else:
            out.append(str(r))
    return ", ".join(out)


def emit_json_stream(report: Any) -> None:
    """The report as one JSON object whose ``changes`` array is written change by change."""
    head = json.dumps(report.to_dict(changes=False), ensure_ascii=False, indent=2, default=str)
    click.echo(head[:-2] + ',\n  "changes": [', nl=False)
    sep = "\n    "
    for change in report.change_log:
        click.echo(sep + json.dumps(change, ensure_ascii=False, default=str), nl=False)
        sep = ",\n    "
    click.echo("\n  ]\n}")


def _more(n: int, shown: int) -> None:
    if n > shown:
        click.echo("    " + _("… and {n} more (all of them in --json)", n=n - shown))


def render_import(report: Any, file: Any, *, dry_run: bool) -> None:
    from ...roster.fields import field_label

    title = _("Dry run (nothing written)") if dry_run else _("Roster imported")
    click.echo(f"{title}: {file}")
    rows = report.header_rows
    click.echo(
        _("Header: row {rows}", rows=f"{rows[0]}-{rows[-1]}" if len(rows) > 1 else rows[0])
        + (" · " + _("{n} blank rows left out", n=report.blank_rows) if report.blank_rows else "")
    )
    by_reason: dict[str, list[int]] = defaultdict(list)
    for s in report.skipped:
        by_reason[s.describe()].append(s.row)
    for reason, nums in by_reason.items():
        click.echo("  " + _("rows left out ({reason}): {rows}", reason=reason, rows=_ranges(nums)))
    click.echo(_("Columns used (file column → field):"))
    width = max((len(m["column"]) for m in report.mapping), default=0)
    for m in report.mapping:
        click.echo(plain(f"  {m['column']:<{width}}  → {m['label']}"))
    if report.unmapped:
        click.echo("  " + _("not used: {cols}", cols=", ".join(report.unmapped)))
    for note in report.notes:
        click.echo(_("Note: {note}", note=note))
    click.echo(
        _(
            "rows {rows} · added {added} · updated {updated} · unchanged {unchanged} · invalid {invalid} · "
            "duplicates {dups} · retired {retired}",
            rows=report.rows,
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            invalid=len(report.invalid),
            dups=len(report.duplicates),
            retired=report.retired,
        )
    )
    log = report.change_log
    first = log.first
    if log.counts["new"]:
        click.echo(_("New staff: {n}", n=log.counts["new"]))
        for c in first["new"]:
            click.echo(plain(f"    {c['officer_id']}  {c['name']} ({c['unit']})"))
        _more(log.counts["new"], len(first["new"]))
    if log.counts["transfer"]:
        click.echo(_("Transfers between units: {n}", n=log.counts["transfer"]))
        for c in first["transfer"]:
            click.echo(plain(f"    {c['officer_id']}  {c['name']}: {c['from']} → {c['to']}"))
        _more(log.counts["transfer"], len(first["transfer"]))
    if log.counts["retired"]:
        click.echo(_("Marked inactive (not in this file): {n}", n=log.counts["retired"]))
        for c in first["retired"]:
            click.echo(plain(f"    {c['officer_id']}  {c['name']} ({c['unit']})"))
        _more(log.counts["retired"], len(first["retired"]))
    if log.counts["missing"]:
        click.echo(
            _(
                "Missing from this file, still active: {n} (mark them inactive with --retire-missing)",
                n=log.counts["missing"],
            )
        )
        for c in first["missing"]:
            click.echo(plain(f"    {c['officer_id']}  {c['name']} ({c['unit']})"))
        _more(log.counts["missing"], len(first["missing"]))
    if log.counts["reactivated"]:
        click.echo(_("Active again: {n}", n=log.counts["reactivated"]))
        for c in first["reactivated"]:
            click.echo(plain(f"    {c['officer_id']}  {c['name']} ({c['unit']})"))
        _more(log.counts["reactivated"], len(first["reactivated"]))
    if log.counts["field"]:
        counts = ", ".join(f"{field_label(f)} {n}" for f, n in sorted(log.field_counts.items()))
        click.echo(_("Field changes: {counts}", counts=counts))
        for c in first["field"]:
            click.echo(
                plain(f"    {c['officer_id']}  {field_label(c['field'])}: {c['old'] or '-'} → {c['new'] or '-'}")
            )
        _more(log.counts["field"], len(first["field"]))
    for p in report.merged:
        click.echo(_("row {row}: {reason}", row=p.row, reason=p.reason))
