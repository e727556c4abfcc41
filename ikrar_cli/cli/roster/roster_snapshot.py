"""``ikrar roster publish | accept | snapshots``: the signed roster snapshot (docs/roster-snapshot.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..keys.passphrase import get_passphrase, passphrase_option
from ..options import out_file_option
from ..output import emit_json, say


@click.command(help=_("Sign and publish the roster as of a date: who must pledge (authority workspace)."))
@click.option("--as-of", "as_of", required=True, help=_("The date the roster is valid for (YYYY-MM-DD)"))
@out_file_option(N_("Also write the file"))
@click.option(
    "--joined",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=_("HR sheet with NIP and TMT columns: the dates officers joined"),
)
@passphrase_option
@json_option
@pass_app
def publish(app: AppContext, as_of: str, out: Path | None, joined: Path | None, passphrase_file: Path | None) -> None:
    from ...roster.snapshot import publish as do_publish
    from ...roster.snapshot_write import export_stored

    ws = app.workspace()
    if joined is not None:
        from ...roster.joined import read_joined, record_joined

        n = record_joined(ws, read_joined(joined))
        if not app.json:
            say(_("{n} joining dates (TMT) read from {path}", n=n, path=joined))
    snap = do_publish(ws, get_passphrase(passphrase_file), as_of)
    if out is not None:
        export_stored(ws, snap.digest, out)  # read back from the store in pieces, written atomically (0600)
    if app.json:
        emit_json(dict(snap.summary(), file=str(out) if out else None))
        return
    s = snap.summary()
    say(_("Roster snapshot {serial} as of {day}: {n} officers ({active} active) in {units} units.", serial=s["serial"],
          day=s["as_of"], n=s["officers"], active=s["active"], units=s["units"]))  # fmt: skip
    if out is not None:
        say(_("Wrote {path}", path=out))
    click.echo(snap.digest)


@click.command(help=_("Accept a roster snapshot signed by the trusted authority."))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@pass_app
def accept(app: AppContext, file: Path) -> None:
    from ...roster.snapshot import accept_file

    snap = accept_file(app.workspace(), file)
    if app.json:
        emit_json(snap.summary())
        return
    s = snap.summary()
    say(_("Accepted roster snapshot {serial} as of {day} ({n} officers).", serial=s["serial"], day=s["as_of"],
          n=s["officers"]))  # fmt: skip
    click.echo(snap.digest)


@click.command(help=_("List the roster snapshots this workspace holds."))
@json_option
@pass_app
def snapshots(app: AppContext) -> None:
    from ...roster.snapshot import list_snapshots

    rows = list_snapshots(app.workspace())
    if app.json:
        emit_json(rows)
        return
    for r in rows:
        scope = ",".join(r["scope"]) if r["scope"] else _("all units")
        click.echo(f"{r['as_of']}  #{r['serial']}  {scope}  {r['digest']}")


def register(group: click.Group) -> None:
    for cmd in (publish, accept, snapshots):
        group.add_command(cmd)
