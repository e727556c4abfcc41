"""Repeated options come from cli/options.py, and their help follows the language when shown."""

from __future__ import annotations

import click

from ikrar_cli.cli.app import cli
from ikrar_cli.cli.options import TranslatedOption
from ikrar_cli.i18n import set_language

SHARED = ("--terminal", "--out")

def _commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    out = []
    for name in cli.list_commands(ctx):
        cmd = cli.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            out += [(f"ikrar {name} {sub}", cmd.commands[sub]) for sub in cmd.list_commands(ctx)]
        else:
            out.append((f"ikrar {name}", cmd))
    return out


def test_shared_options_come_from_one_place() -> None:
    hand_made = set()
    for path, cmd in _commands():
        for param in cmd.params:
            if isinstance(param, click.Option) and set(param.opts) & set(SHARED):
                if not isinstance(param, TranslatedOption):
                    hand_made.add(path)
    assert hand_made == set()


def test_terminal_and_out_help_follow_the_language_in_one_process() -> None:
    ctx = click.Context(cli)
    attest = cli.get_command(ctx, "attest")
    assert attest is not None
    terminal = next(p for p in attest.params if "--terminal" in getattr(p, "opts", []))
    set_language("en")
    assert terminal.get_help_record(ctx) == ("--terminal TEXT", "Terminal key name, if this workspace has several")
    set_language("id")
    record = terminal.get_help_record(ctx)
    assert record is not None and record[1] != "Terminal key name, if this workspace has several"
    assert terminal.help == "Terminal key name, if this workspace has several"  # the msgid is kept


def test_out_options_say_file_or_folder() -> None:
    kinds = {}
    for path, cmd in _commands():
        for param in cmd.params:
            if isinstance(param, TranslatedOption) and "--out" in param.opts:
                assert isinstance(param.type, click.Path)
                kinds[path] = "file" if param.type.file_okay and not param.type.dir_okay else "folder"
    assert kinds["ikrar verifier build"] == kinds["ikrar demo"] == "folder"
    assert kinds["ikrar trust export"] == kinds["ikrar ledger export"] == kinds["ikrar ledger prove"] == "file"
