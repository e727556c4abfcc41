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

__all__ = ["TranslatedOption", "out_dir_option", "out_file_option", "terminal_option"]

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


def out_file_option(
    help: str = N_("File to write"), *, required: bool = False, name: str = "out"
) -> Callable[[F], F]:
    """``--out FILE``: a file to write (never a folder); ``help`` is a msgid marked with ``N_``."""

    def decorator(func: F) -> F:
        return click.option(
            "--out",
            name,
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            required=required,
            cls=TranslatedOption,
            help=help,
        )(func)

    return decorator


def out_dir_option(help: str, *, required: bool = False, name: str = "out") -> Callable[[F], F]:
    """``--out DIR``: a folder to write into (never a file); ``help`` is a msgid marked with ``N_``."""

    def decorator(func: F) -> F:
        return click.option(
            "--out",
            name,
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            required=required,
            cls=TranslatedOption,
            help=help,
        )(func)

    return decorator
