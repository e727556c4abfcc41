"""``ikrar pledge``: list, show, validate and compare pledge templates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .output import console, emit_json, say

if TYPE_CHECKING:
    from ..pledges import Pledge, PledgeLibrary


def _library(app: AppContext) -> PledgeLibrary:
    """Bundled templates, plus the workspace's extra folders when a workspace exists."""
    from ..pledges import PledgeLibrary
    from ..workspace import Workspace

    extra: list[Path] = []
    if Workspace.exists(app.home):
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
        table.add_row(p.ref, str(p.valid_until), p.title)
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
    out.print(Panel(body, title=Text(p.title, style="bold"), subtitle=p.ref, padding=(1, 2)))
    tr = p.translations.get("en") if lang == "en" else None
    if tr:
        text = Text(_("English rendering (for reading only; the pledge is the Indonesian text):") + "\n", style="dim")
        for i, point in enumerate(tr.points, 1):
            text.append(f"{i}. {point}\n", style="dim")
        out.print(text)
    out.print(_("Election: {kind} {year}", kind=p.election_kind, year=p.election_year))
    if p.region:
        out.print(_("Region: {region}", region=p.region))
    out.print(_("Valid: {start} to {end}", start=p.valid_from, end=p.valid_until))
    out.print(_("Legal basis:"))
    from rich.table import Table

    refs = Table.grid(padding=(0, 1))
    refs.add_column(no_wrap=True)
    refs.add_column()
    for ref in p.legal_basis:
        refs.add_row("  •", ref)
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
    from ..pledges import bundled_dir, validate_paths
    from ..workspace import Workspace

    targets = list(paths)
    if not targets:
        targets = [bundled_dir()]
        if Workspace.exists(app.home):
            targets += app.workspace().config.extra_template_dirs
    from ..pledges import template_files

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
            click.echo(f"OK  {p.ref}  {p.digest_hex}  {p.path}")
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
    from ..pledges import diff as pledge_diff

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
