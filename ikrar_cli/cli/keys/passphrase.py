"""Passphrases come from a prompt, $IKRAR_PASSPHRASE or --passphrase-file — never argv."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ...errors import InputError, KeyAccessError
from ...i18n import _


def passphrase_option(func: Any) -> Any:
    return click.option(
        "--passphrase-file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help=_("Read the key passphrase from this file (first line) instead of prompting"),
    )(func)


def get_passphrase(passphrase_file: Path | None, *, confirm: bool = False, prompt: str | None = None) -> bytes:
    from ...platform_guard import disable_core_dumps

    disable_core_dumps()  # before the secret is in this process's memory
    if passphrase_file is not None:
        from ...fsutil import read_input_bytes

        data = read_input_bytes(passphrase_file, limit=10_000).decode("utf-8", "replace").splitlines()
        if not data or not data[0]:
            raise InputError(_("{path} is empty", path=passphrase_file), _("put the passphrase on its first line"))
        return data[0].encode("utf-8")
    env = os.environ.get("IKRAR_PASSPHRASE")
    if env:
        return env.encode("utf-8")
    if not sys.stdin.isatty():
        raise KeyAccessError(
            _("A key passphrase is needed but there is no terminal to ask on"),
            _("set IKRAR_PASSPHRASE or use --passphrase-file FILE"),
        )
    text = click.prompt(prompt or _("Key passphrase"), hide_input=True, confirmation_prompt=confirm, err=True)
    return str(text).encode("utf-8")
