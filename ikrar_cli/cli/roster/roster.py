"""``ikrar roster``: import HR's spreadsheets; list, show, export the staff who must pledge."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..options import out_file_option
from ..output import console, emit_json, plain, progress, safe, say


@click.group(help=_("The staff roster: who must pledge, per unit (OPD)."))
def roster() -> None:
    pass


def _parse_map(items: tuple[str, ...]) -> dict[str, str]:
    from ...errors import UsageError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(
                _("--map takes field=Header, not {item!r}", item=item), _("e.g. --map officer_id='NIP Baru'")
            )
        out[key.strip()] = value.strip()
    return out


@roster.command("import", help=_("Import a roster (CSV or XLSX). All-or-nothing unless --skip-invalid."))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--sheet", default=None, help=_("XLSX sheet name (default: the first)"))
@click.option("--map", "maps", multiple=True, metavar="FIELD=HEADER", help=_("Map a field to a column header"))
@click.option(
    "--header-row",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=_("The row that names the columns (default: found among the first 30 rows)"),
)
@click.option(
    "--id-type",
    type=click.Choice(["nip", "nippppk", "nik", "internal"]),
    default=None,
    help=_("Identifier type for every row (when the file has no id type column)"),
)
@click.option("--encoding", default=None, help=_("CSV encoding (default: detected)"))
@click.option("--dry-run", is_flag=True, help=_("Report what would change; write nothing"))
@click.option("--skip-invalid", is_flag=True, help=_("Import the valid rows; write the rejected ones to --rejects"))
@click.option(
    "--rejects",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=_("File for rejected rows: the input's columns and a reason column (CSV or XLSX, like the input)"),
)
@click.option("--retire-missing", is_flag=True, help=_("Mark staff absent from this full roster as inactive"))
@click.option(
    "--clear-empty",
    is_flag=True,
    help=_("An empty cell clears the stored value (default: an empty cell or an absent column changes nothing)"),
)
@json_option
@pass_app
def import_(
    app: AppContext,
    file: Path,
    sheet: str | None,
    maps: tuple[str, ...],
    header_row: int | None,
    id_type: str | None,
    encoding: str | None,
    dry_run: bool,
    skip_invalid: bool,
    rejects: Path | None,
    retire_missing: bool,
    clear_empty: bool,
) -> None:
    from ...errors import InputError
    from ...roster.importer import import_roster
    from ...roster.rejects import default_rejects_path
    from .roster_summary import emit_json_stream, render_import

    ws = app.workspace()
    if skip_invalid and rejects is None:
        rejects = default_rejects_path(file)
    try:
        with progress(_("Importing"), None, enabled=not app.json) as tick:
            report = import_roster(
                ws.store,
                file,
                mapping=_parse_map(maps),
                sheet=sheet,
                id_type=id_type,
                encoding=encoding,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                rejects_path=rejects,
                retire_missing=retire_missing,
                progress=tick,
                header_row=header_row,
                clear_empty=clear_empty,
                language=ws.config.language,
            )
    except InputError as exc:
        bad = getattr(exc, "report", None)
        if bad is not None and not app.json:  # with --json the report travels inside the error object
            for p in sorted(bad.invalid + bad.duplicates, key=lambda p: p.row):
                line = _(
                    "row {row}, column {column}, value {value!r}: {reason}",
                    row=p.row,
                    column=p.column,
                    value=p.value,
                    reason=p.reason,
                )
                say(f"{line} — {p.hint}" if p.hint else line)
            if bad.rejects_file:
                say(_("Rejected rows written to {path}", path=bad.rejects_file))
        raise
    try:
        if app.json:
            emit_json_stream(report)
            return
        render_import(report, file, dry_run=dry_run)
        if report.rejects_file:
            say(_("Rejected rows written to {path}", path=report.rejects_file))
    finally:
        report.change_log.close()


@roster.command("list", help=_("List officers (filter by unit and status)."))
@click.option("--unit", default=None, help=_("Unit code"))
@click.option("--status", type=click.Choice(["active", "inactive", "all"]), default="active", show_default=True)
@json_option
@pass_app
def list_(app: AppContext, unit: str | None, status: str) -> None:
    from ...roster.importer import list_officers

    with app.workspace().store.read() as conn:
        officers = list(list_officers(conn, unit=unit, status=status))
    if app.json:
        emit_json([o.to_dict() for o in officers])
        return
    from rich.table import Table

    t = Table(box=None, header_style="bold")
    id_width = max((len(o.officer_id) for o in officers), default=0)
    # identifiers are never cut or wrapped (an 18-digit NIP must stay whole at 80 columns)
    t.add_column(_("Identifier"), no_wrap=True, min_width=max(id_width, len(_("Identifier"))))
    t.add_column(_("Name"))
    t.add_column(_("Unit"), no_wrap=True)
    t.add_column(_("Position"))
    t.add_column(_("Status"))
    for o in officers:
        t.add_row(
            safe(o.officer_id),
            safe(o.display_name),
            safe(o.unit_code or ""),
            safe(o.position or ""),
            _("active") if o.active else _("inactive since {date}", date=o.retired_at),
        )
    console().print(t)


@roster.command(help=_("Show one officer and the history of changes."))
@click.argument("identifier")
@json_option
@pass_app
def show(app: AppContext, identifier: str) -> None:
    from ...errors import NotFoundError
    from ...roster.fields import field_label
    from ...roster.importer import lookup_officer
    from ...roster.view import officer_history
    from ...zones import format_local

    ws = app.workspace()
    with ws.store.read() as conn:
        o = lookup_officer(conn, identifier)
        if o is None:
            raise NotFoundError(
                _("{id} is not on the roster", id=identifier.strip()),
                _("check the number; 'ikrar roster list' shows everyone"),
            )
        history = officer_history(conn, o.officer_id)
    tz = ws.config.timezone
    data = dict(
        o.to_dict(),
        history=[
            {
                "field": h.field,
                "old": h.old,
                "new": h.new,
                "changed_at": h.changed_at,
                "changed_at_local": format_local(h.changed_at, tz),
            }
            for h in history
        ],
    )
    if app.json:
        emit_json(data)
        return
    rows = [
        (_("Identifier"), o.officer_id),
        (_("Identifier type"), o.id_type),
        (_("Name"), o.display_name),
        (_("Position"), o.position or ""),
        (_("Unit (OPD)"), f"{o.unit_code or ''} {o.unit_name or ''}".strip()),
        (_("Sub-unit"), o.sub_unit or ""),
        (_("Rank (golongan)"), o.rank or ""),
        (_("Employment status"), o.status or ""),
        (
            _("On the roster"),
            _("active") if o.active else _("inactive since {date}", date=o.retired_at or "-"),
        ),
    ]
    width = max(len(k) for k, _v in rows)
    for k, v in rows:
        click.echo(plain(f"{k:<{width}}  {v}"))
    if history:
        click.echo(_("History of changes:"))
    for h in data["history"]:
        label = field_label(h["field"])
        old, new = h["old"], h["new"]
        if h["field"] == "active":
            old, new = (_("active") if v == "1" else _("inactive") if v == "0" else v for v in (old, new))
        click.echo(plain(f"  {h['changed_at_local'][:16]}  {label}: {old or '-'} → {new or '-'}"))


@roster.command(help=_("Count active and inactive staff per unit."))
@json_option
@pass_app
def stats(app: AppContext) -> None:
    from ...roster.importer import roster_stats

    with app.workspace().store.read() as conn:
        rows = roster_stats(conn)
    if app.json:
        emit_json(rows)
        return
    code_w = max([len(_("Code"))] + [len(r["unit"]) for r in rows])
    a_w, i_w = max(6, len(_("Active"))), max(6, len(_("Inactive")))
    click.echo(f"{_('Code'):<{code_w}}  {_('Active'):>{a_w}}  {_('Inactive'):>{i_w}}  {_('Unit')}")
    for r in rows:
        click.echo(f"{r['unit']:<{code_w}}  {r['active']:>{a_w}}  {r['inactive']:>{i_w}}  {r['name']}")
    click.echo(
        _("total active {a}, inactive {i}", a=sum(r["active"] for r in rows), i=sum(r["inactive"] for r in rows))
    )


@roster.command(help=_("List units with their short codes (printed on receipts)."))
@json_option
@pass_app
def units(app: AppContext) -> None:
    from ...roster.importer import unit_names

    with app.workspace().store.read() as conn:
        names = unit_names(conn)
    if app.json:
        emit_json(names)
        return
    for code, name in names.items():
        click.echo(plain(f"{code:9} {name}"))


@roster.command(
    "unit-code",
    help=_(
        "Give a unit another short code (UNIT CODE), or many at once from a CSV/XLSX file with the "
        "columns Unit and Code (--from FILE)."
    ),
)
@click.argument("unit", required=False)
@click.argument("code", required=False)
@click.option(
    "--from",
    "from_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=_("CSV/XLSX file: a unit (name or current code) and its new code per row"),
)
@click.option("--sheet", default=None, help=_("XLSX sheet name (default: the first)"))
@click.option("--header-row", type=click.IntRange(min=1), default=None, metavar="N", help=_("The header row"))
@json_option
@pass_app
def unit_code(
    app: AppContext,
    unit: str | None,
    code: str | None,
    from_file: Path | None,
    sheet: str | None,
    header_row: int | None,
) -> None:
    from ...errors import UsageError
    from ...roster.importer import rename_unit_codes

    if from_file is None and (unit is None or code is None):
        raise UsageError(
            _("Give UNIT CODE, or --from FILE"),
            _('e.g. ikrar roster unit-code "Satuan Polisi Pamong Praja" "SATPOL PP"'),
        )
    if from_file is not None and (unit is not None or code is not None):
        raise UsageError(_("Give UNIT CODE or --from FILE, not both"), _("see 'ikrar roster unit-code --help'"))
    store = app.workspace().store
    if from_file is not None:
        from ...roster.unit_code_file import read_unit_codes

        pairs, labels = read_unit_codes(from_file, sheet=sheet, header_row=header_row)
        done = rename_unit_codes(store, pairs, labels=labels)
    else:
        assert unit is not None and code is not None
        done = rename_unit_codes(store, [(unit, code)])
    if app.json:
        emit_json([{"old": old, "new": new} for old, new in done])
        return
    for old, new in done:
        say(
            _("Unit code {old} is now {new}.", old=old, new=new)
            if old != new
            else _("Unit code {old} unchanged.", old=old)
        )


@roster.command(
    help=_(
        "Export the roster to CSV or XLSX (safe against formula injection; identifiers stay text in Excel; "
        "CSV in the Excel dialect of the workspace language)."
    )
)
@out_file_option(N_("File to write (.csv or .xlsx)"), required=True)
@click.option("--unit", default=None)
@click.option("--status", type=click.Choice(["active", "inactive", "all"]), default="all", show_default=True)
@pass_app
def export(app: AppContext, out: Path, unit: str | None, status: str) -> None:
    from ...roster.view import export_roster

    ws = app.workspace()
    n = export_roster(ws.store, out, unit=unit, status=status, language=ws.config.language)
    say(_("{n} officers written to {path}", n=n, path=out))


from .roster_snapshot import register as _register_snapshot_commands  # noqa: E402 - publish, accept, snapshots

_register_snapshot_commands(roster)
