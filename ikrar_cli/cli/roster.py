"""``ikrar roster``: import HR's spreadsheets; list, show, export the staff who must pledge."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .output import console, emit_json, progress, say


@click.group(help=_("The staff roster: who must pledge, per unit (OPD)."))
def roster() -> None:
    pass


def _parse_map(items: tuple[str, ...]) -> dict[str, str]:
    from ..errors import UsageError

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
    from ..errors import InputError
    from ..rejects import default_rejects_path
    from ..roster import import_roster
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
    from ..roster import list_officers

    with app.workspace().store.read() as conn:
        officers = list(list_officers(conn, unit=unit, status=status))
    if app.json:
        emit_json([o.to_dict() for o in officers])
        return
    from rich.table import Table

    t = Table(box=None, header_style="bold")
    for col in (_("Identifier"), _("Name"), _("Unit"), _("Position"), _("Status")):
        t.add_column(col)
    for o in officers:
        t.add_row(
            o.officer_id,
            o.display_name,
            o.unit_code or "",
            o.position or "",
            _("active") if o.active else _("inactive since {date}", date=o.retired_at),
        )
    console().print(t)


@roster.command(help=_("Show one officer and the history of changes."))
@click.argument("identifier")
@json_option
@pass_app
def show(app: AppContext, identifier: str) -> None:
    from ..errors import NotFoundError
    from ..roster import find_officer

    with app.workspace().store.read() as conn:
        o = find_officer(conn, identifier.strip())
        if o is None:
            raise NotFoundError(_("{id} is not on the roster", id=identifier), _("check the number"))
        history = conn.execute(
            "SELECT field, old_value, new_value, changed_at FROM officer_history WHERE officer_id = ? ORDER BY id",
            (o.officer_id,),
        ).fetchall()
    data = dict(o.to_dict(), history=[{"field": f, "old": a, "new": b, "changed_at": t} for f, a, b, t in history])
    if app.json:
        emit_json(data)
        return
    for key in ("officer_id", "id_type", "display_name", "position", "unit_code", "unit_name", "rank", "status"):
        click.echo(f"{key:14} {data[key] or ''}")
    click.echo(f"{'active':14} {o.active}" + (f" ({o.retired_at})" if o.retired_at else ""))
    for h in data["history"]:
        click.echo(f"  {h['field']}: {h['old']!r} → {h['new']!r}")


@roster.command(help=_("Count active and inactive staff per unit."))
@json_option
@pass_app
def stats(app: AppContext) -> None:
    from ..roster import roster_stats

    with app.workspace().store.read() as conn:
        rows = roster_stats(conn)
    if app.json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['unit']:9} {r['active']:6} {r['inactive']:6}  {r['name']}")
    click.echo(
        _("total active {a}, inactive {i}", a=sum(r["active"] for r in rows), i=sum(r["inactive"] for r in rows))
    )


@roster.command(help=_("List units with their short codes (printed on receipts)."))
@json_option
@pass_app
def units(app: AppContext) -> None:
    from ..roster import unit_names

    with app.workspace().store.read() as conn:
        names = unit_names(conn)
    if app.json:
        emit_json(names)
        return
    for code, name in names.items():
        click.echo(f"{code:9} {name}")


@roster.command("unit-code", help=_("Give a unit another short code."))
@click.argument("unit")
@click.argument("code")
@pass_app
def unit_code(app: AppContext, unit: str, code: str) -> None:
    from ..roster import rename_unit_code

    old, new = rename_unit_code(app.workspace().store, unit, code)
    say(_("Unit code {old} is now {new}.", old=old, new=new))


@roster.command(help=_("Export the roster to CSV or XLSX (safe against formula injection)."))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--unit", default=None)
@click.option("--status", type=click.Choice(["active", "inactive", "all"]), default="all", show_default=True)
@pass_app
def export(app: AppContext, out: Path, unit: str | None, status: str) -> None:
    from ..export import write_csv, write_xlsx
    from ..roster import list_officers

    headers = [
        "NIP",
        "Jenis ID",
        "Gelar Depan",
        "Nama",
        "Gelar Belakang",
        "Jabatan",
        "Kode Unit",
        "Unit Kerja",
        "Golongan",
        "Status Kepegawaian",
        "Aktif",
        "Nonaktif Sejak",
    ]
    with app.workspace().store.read() as conn:
        rows = [
            [
                o.officer_id,
                o.id_type,
                o.gelar_depan,
                o.name,
                o.gelar_belakang,
                o.position,
                o.unit_code,
                o.unit_name,
                o.rank,
                o.status,
                1 if o.active else 0,
                o.retired_at,
            ]
            for o in list_officers(conn, unit=unit, status=status)
        ]
    if out.suffix.lower() == ".xlsx":
        write_xlsx(out, [("Roster", headers, rows, ["text"] * 10 + ["int", "text"])])
    else:
        write_csv(out, headers, rows)
    say(_("{n} officers written to {path}", n=len(rows), path=out))
