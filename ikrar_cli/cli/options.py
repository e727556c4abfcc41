"""Options shared by several commands, defined once (as sqlite-utils does), with help translated late.

Help texts here are msgids marked with ``N_`` and translated when help is shown
(``TranslatedOption``), so they follow ``--lang`` whenever the module was imported.

    @click.command()
    @out_file_option(N_("Write the certificate to this file"))
    @terminal_option
    def certify(out: Path | None, terminal: str | None) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..i18n import N_, _

__all__ = ["TranslatedOption", "out_dir_option", "out_file_option", "out_option", "terminal_option"]

F = TypeVar("F", bound=Callable[..., Any])


class TranslatedOption(click.Option):
    """An option whose ``help`` is a msgid, translated each time help is formatted."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        msgid = self.help
        if msgid:
            self.help = _(msgid)
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = msgid


def terminal_option(func: F) -> F:
    """``--terminal NAME``: which terminal key signs, when the workspace has several."""
    return click.option(
        "--terminal",
        default=None,
        cls=TranslatedOption,
        help=N_("Terminal key name, if this workspace has several"),
    )(func)


def out_option(
    help: str, *, folder: bool = False, required: bool = False, name: str = "out"
) -> Callable[[F], F]:
    """``--out FILE`` (``folder=False``: never a folder) or ``--out DIR`` (``folder=True``: never a
    file); ``help`` is a msgid marked with ``N_``, translated when help is shown."""

    def decorator(func: F) -> F:
        return click.option(
            "--out",
            name,
            type=click.Path(path_type=Path, file_okay=not folder, dir_okay=folder),
            default=None,
            required=required,
            cls=TranslatedOption,
            help=help,
        )(func)

    return decorator


def out_file_option(help: str = N_("File to write"), *, required: bool = False, name: str = "out") -> Callable[[F], F]:
    """``--out FILE``: ``out_option`` for a file."""
    return out_option(help, required=required, name=name)


def out_dir_option(help: str, *, required: bool = False, name: str = "out") -> Callable[[F], F]:
    """``--out DIR``: ``out_option`` for a folder."""
    return out_option(help, folder=True, required=required, name=name)
