"""``ikrar pledge``: list, show, validate and compare pledge templates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..i18n import N_, _
from .app import AppContext, json_option, pass_app
from .options import out_file_option
from .output import console, emit_json, plain, safe, say

if TYPE_CHECKING:
    from ..pledges.templates import Pledge, PledgeLibrary


def _library(app: AppContext) -> PledgeLibrary:
    """Bundled templates, plus the workspace's extra folders when a workspace exists."""
    from ..pledges.templates import PledgeLibrary

    extra: list[Path] = []
    if app.has_workspace():
        extra = app.workspace().config.extra_template_dirs
    return PledgeLibrary.load(extra)


@click.group(help=_("Pledge templates: the exact, versioned texts officers acknowledge."))
def pledge() -> None:
    pass


@pledge.command("list", help=_("List every known template version with its digest."))
@json_option
@pass_app
def list_(app: AppContext) -> None:
    pledges = _library(app).all()
    if app.json:
        emit_json([p.to_dict() for p in pledges])
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    table.add_column(_("Template"), no_wrap=True, overflow="fold")
    table.add_column(_("Valid until"), no_wrap=True)
    table.add_column(_("Title"), ratio=1, min_width=30)
    for p in pledges:
        table.add_row(safe(p.ref), str(p.valid_until), safe(p.title))
    console().print(table)


def render_pledge(p: Pledge, lang: str) -> None:
    """The template as an officer sees it, plus its identity and digest."""
    from rich.panel import Panel
    from rich.text import Text

    body = Text()
    if p.opening:
        body.append(p.opening + "\n\n")
    for i, point in enumerate(p.points, 1):
        body.append(f"{i}. ", style="bold")
        body.append(point + "\n")
    if p.closing:
        body.append("\n" + p.closing + "\n")
    body.append("\n" + _("Confirmation phrase: "), style="dim")
    body.append(p.confirmation_phrase, style="bold")
    out = console()
    out.print(Panel(body, title=Text(plain(p.title), style="bold"), subtitle=safe(p.ref), padding=(1, 2)))
    tr = p.translations.get("en") if lang == "en" else None
    if tr:
        text = Text(_("English rendering (for reading only; the pledge is the Indonesian text):") + "\n", style="dim")
        for i, point in enumerate(tr.points, 1):
            text.append(f"{i}. {point}\n", style="dim")
        out.print(text)
    out.print(_("Election: {kind} {year}", kind=safe(p.election_kind), year=p.election_year))
    if p.region:
        out.print(_("Region: {region}", region=safe(p.region)))
    out.print(_("Valid: {start} to {end}", start=p.valid_from, end=p.valid_until))
    out.print(_("Legal basis:"))
    from rich.table import Table

    refs = Table.grid(padding=(0, 1))
    refs.add_column(no_wrap=True)
    refs.add_column()
    for ref in p.legal_basis:
        refs.add_row("  •", safe(ref))
    out.print(refs)
    out.print(_("Digest: {digest}", digest=p.digest_hex))


@pledge.command(help=_("Show one template (ID for the latest version, or ID@VERSION)."))
@click.argument("ref")
@json_option
@pass_app
def show(app: AppContext, ref: str) -> None:
    p = _library(app).get(ref)
    if app.json:
        emit_json(p.to_dict())
        return
    render_pledge(p, app.lang)


@pledge.command(help=_("Check template files or folders (default: every known template)."))
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@json_option
@pass_app
def validate(app: AppContext, paths: tuple[Path, ...]) -> None:
    from ..errors import InputError
    from ..pledges.templates import bundled_dir, validate_paths

    targets = list(paths)
    if not targets:
        targets = [bundled_dir()]
        if app.has_workspace():
            targets += app.workspace().config.extra_template_dirs
    from ..pledges.templates import template_files

    for t in targets:
        if not t.exists():
            raise InputError(_("File not found: {path}", path=t), _("check the path"))
        if t.is_dir() and paths and not any(True for _f in template_files([t])):
            raise InputError(
                _("No pledge templates (*.yaml) in {path}", path=t), _("give a template file or its folder")
            )
    ok, problems = validate_paths(targets)
    if app.json:
        emit_json(
            {
                "valid": [{"ref": p.ref, "digest": p.digest_hex, "path": str(p.path)} for p in ok],
                "problems": [e.to_dict() for e in problems],
            }
        )
    else:
        for p in ok:
            click.echo(plain(f"OK  {p.ref}  {p.digest_hex}  {p.path}"))
        for e in problems:
            say(f"ikrar: {e.diagnostics()}")
    if problems:
        from .errors import exit_code_for

        raise click.exceptions.Exit(exit_code_for(problems[0]))  # TemplateError: bad input


@pledge.command(help=_("Compare the words of two template versions."))
@click.argument("old")
@click.argument("new")
@json_option
@pass_app
def diff(app: AppContext, old: str, new: str) -> None:
    from ..pledges.templates import diff as pledge_diff

    lib = _library(app)
    a, b = lib.get(old), lib.get(new)
    lines = pledge_diff(a, b)
    if app.json:
        emit_json(
            {
                "old": {"ref": a.ref, "digest": a.digest_hex},
                "new": {"ref": b.ref, "digest": b.digest_hex},
                "same_words": a.digest == b.digest and not lines,
                "diff": lines,
            }
        )
        return
    click.echo(f"--- {a.ref}  {a.digest_hex}")
    click.echo(f"+++ {b.ref}  {b.digest_hex}")
    if not lines:
        say(_("The words are identical."))
        return
    for line in lines[2:]:
        click.echo(line)


def _day(value: str, option: str) -> Any:
    from ..zones import parse_user_date

    return parse_user_date(value, option)


@pledge.command("new", help=_("Start a new template from an existing one (for the next election or a regional SK)."))
@click.option("--from", "source", required=True, metavar="REF", help=_("Template to start from, e.g. pilkada-2024"))
@click.option("--id", "pledge_id", required=True, help=_("Id of the new template, e.g. pilkada-2029"))
@click.option("--title", required=True, help=_("Title of the new template"))
@click.option("--valid-from", required=True, metavar="YYYY-MM-DD", help=_("First day the template is valid"))
@click.option("--valid-until", required=True, metavar="YYYY-MM-DD", help=_("Last day the template is valid"))
@click.option("--version", "version", type=click.IntRange(min=1), default=None, help=_("Version (default: next)"))
@click.option("--election-kind", default=None, help=_("pemilu, pilkada or pemilu-pemilihan (default: as the source)"))
@click.option("--election-year", type=int, default=None, help=_("Election year (default: the year of --valid-from)"))
@click.option("--region", default=None, help=_("Region the template belongs to"))
@out_file_option(N_("File to write (default: ID.yaml in the current folder)"))
@json_option
@pass_app
def new(
    app: AppContext,
    source: str,
    pledge_id: str,
    title: str,
    valid_from: str,
    valid_until: str,
    version: int | None,
    election_kind: str | None,
    election_year: int | None,
    region: str | None,
    out: Path | None,
) -> None:
    from ..pledges.new import write_new_template

    target = out or Path(f"{pledge_id}.yaml")
    p = write_new_template(
        _library(app),
        source,
        target,
        pledge_id=pledge_id,
        title=title,
        valid_from=_day(valid_from, "--valid-from"),
        valid_until=_day(valid_until, "--valid-until"),
        version=version,
        election_kind=election_kind,
        election_year=election_year,
        region=region,
    )
    if app.json:
        emit_json({"ref": p.ref, "digest": p.digest_hex, "path": str(target)})
        return
    click.echo(str(target))
    say(
        _(
            "Template {ref} written to {path}: edit its text to the official wording, then run "
            "'ikrar pledge validate {path}' and add its folder to extra template folders in ikrar.yaml.",
            ref=p.ref,
            path=target,
        )
    )
