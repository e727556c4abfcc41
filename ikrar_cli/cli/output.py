"""Rendering helpers: data goes to stdout, talk goes to stderr.

rich is imported lazily here, so commands that only print plain text stay light.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from ..textsafe import json_text, printable

_consoles: dict[bool, Any] = {}


def console(stderr: bool = False) -> Any:
    """A rich Console for stdout (data) or stderr (talk)."""
    if stderr not in _consoles:
        from rich.console import Console

        _consoles[stderr] = Console(stderr=stderr, highlight=False, soft_wrap=False)
    return _consoles[stderr]


def reset_consoles() -> None:
    """Forget cached consoles (CliRunner swaps sys.stdout between invocations)."""
    _consoles.clear()


def safe(value: object) -> str:
    """Text from data (a name, a unit, a title) for a rich console or table: control characters
    shown as escapes, rich markup (``[bold]``, ``[/]``) escaped so it prints as written."""
    from rich.markup import escape

    return escape(printable(value))


def plain(value: object) -> str:
    """Text from data for plain output (click.echo, sys.stdout): control characters as escapes."""
    return printable(value)


def emit_json(data: Any) -> None:
    click.echo(json_text(data, indent=2))


def emit_json_streamed(data: dict[str, Any], key: str, items: Iterable[Any]) -> None:
    """``emit_json({**data, key: list(items)})``, text for text, with the items written as they come
    (``key`` last): a listing of hundreds of thousands of objects in memory bounded by one."""
    head = json_text({**data, key: []}, indent=2)
    assert head.endswith("[]\n}")
    out, sep, empty = [head[: -len("[]\n}")] + "["], "\n    ", True
    for item in items:
        out.append(("" if empty else ",") + sep + json_text(item, indent=2).replace("\n", sep))
        empty = False
        if len(out) >= 256:
            click.echo("".join(out), nl=False)
            out = []
    out.append("]\n}" if empty else "\n  ]\n}")
    click.echo("".join(out))


def say(message: str) -> None:
    """A line for the person at the terminal (stderr)."""
    click.echo(printable(message, keep_newlines=True), err=True)


ProgressCallback = Callable[[int, int | None], None]


def _ignore(done: int, total: int | None = None) -> None:
    """Progress callback when nothing is shown (JSON output, or stderr is not a terminal)."""


@contextlib.contextmanager
def progress(label: str, total: int | None = None, *, enabled: bool = True) -> Iterator[ProgressCallback]:
    """Yield a ``callback(done, total)`` for the library; shows a bar on an interactive stderr."""
    if not enabled or not sys.stderr.isatty():
        yield _ignore
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, new_total: int | None = None) -> None:
            if new_total is not None:
                bar.update(task, total=new_total)
            bar.update(task, completed=done)

        yield update
