"""``ikrar terminal package | setup``: provision a terminal with one signed file."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import N_, _, ngettext
from ..app import AppContext, json_option, pass_app
from ..options import out_file_option
from ..output import emit_json, say
from .passphrase import get_passphrase, passphrase_option


@click.group(help=_("Provision apel terminals: trust bundle, certificate, units and roster in one file."))
def terminal() -> None:
    pass


@terminal.command(help=_("Sign the provisioning file for a certified terminal (authority workspace)."))
@click.argument("name")
@out_file_option(N_("File to write"), required=True)
@click.option("--whole", is_flag=True, help=_("The whole roster, even if the terminal serves one unit"))
@passphrase_option
@json_option
@pass_app
def package(app: AppContext, name: str, out: Path, whole: bool, passphrase_file: Path | None) -> None:
    from ...fsutil import atomic_write_bytes
    from ...keys.provisioning import package as build

    data, summary = build(app.workspace(), get_passphrase(passphrase_file), name, whole=whole)
    atomic_write_bytes(out, data, mode=0o600)
    if app.json:
        emit_json(dict(summary, file=str(out)))
        return
    say(_("Wrote {path}: terminal {name}, bundle serial {serial}, {n} officers, {t} pledge templates.", path=out,
          name=name, serial=summary["bundle_serial"], n=summary["officers"], t=len(summary["templates"])))  # fmt: skip


@terminal.command(help=_("Set up this terminal from its package, or update it with a newer one."))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--fingerprint", "fp", default=None, help=_("Authority fingerprint (needed the first time)"))
@json_option
@pass_app
def setup(app: AppContext, file: Path, fp: str | None) -> None:
    from ...keys.provisioning import setup as install

    summary = install(app.workspace(), file, fp)
    if app.json:
        emit_json(summary)
        return
    say(_("Terminal {name} is set up: bundle serial {serial}, roster snapshot {digest}, {n} active officers.",
          name=summary["terminal"], serial=summary["bundle_serial"], digest=summary["snapshot"][:19],
          n=summary["officers"]))  # fmt: skip
    if summary["templates"]:
        say(ngettext("Installed {n} pledge template from the package: {refs}",
                     "Installed {n} pledge templates from the package: {refs}", len(summary["templates"]),
                     refs=", ".join(summary["templates"])))  # fmt: skip
