"""``ikrar ledger export --since``, ``ledger push`` and ``ledger status``: online sync (docs/server.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ...i18n import _
from ..app import AppContext, json_option, pass_app
from ..keys.passphrase import passphrase_option
from ..options import terminal_option
from ..output import emit_json, plain, say

if TYPE_CHECKING:
    from ...workspace import Workspace


def export_since(app: AppContext, ws: Workspace, out: Path, since: str, log_id: str | None) -> None:
    from ...ledger.incremental import resolve_since, write_increment

    inc = write_increment(ws, out, resolve_since(ws, since, log_id), log_id=log_id)
    if app.json:
        emit_json(inc.to_dict())
        return
    say(_("Wrote {path}: log {log}, entries {since} to {size} (sha256 {sha})", path=out, log=inc.log_id[:16],
          since=inc.since, size=inc.size, sha=inc.sha256[:16]))  # fmt: skip


@click.command(help=_("Send the centre every record it has not acknowledged yet (URL or sync.url in ikrar.yaml)."))
@click.argument("url", required=False)
@click.option("--attempts", type=click.IntRange(1, 20), default=5, show_default=True,
              help=_("Network attempts before giving up (waiting 1, 2, 4 ... seconds between them)"))
@terminal_option
@passphrase_option
@json_option
@pass_app
def push(app: AppContext, url: str | None, attempts: int, terminal: str | None, passphrase_file: Path | None) -> None:
    from ...sync.client import push as push_logs
    from ...sync.client import sync_url
    from ..recitation.recitation_common import open_recorder

    ws = app.workspace()
    target = sync_url(ws, url)  # a bad URL fails before the passphrase is asked
    recorder, signer = open_recorder(app, passphrase_file, terminal)
    results = push_logs(recorder.workspace, signer, target, attempts=attempts)
    if app.json:
        emit_json({"logs": [r.to_dict() for r in results]})
        return
    for r in results:
        for note in r.notes:
            say(note)
        click.echo(_("PUSHED  log {log}: the centre holds {acked} of {size} entries ({added} new)",
                     log=r.log_id[:16], acked=r.acked_size, size=r.local_size, added=r.added))  # fmt: skip


@click.command(help=_("Show, per log, the local size and what the centre has acknowledged."))
@json_option
@pass_app
def status(app: AppContext) -> None:
    from ...sync.client import status as sync_status
    from ...zones import format_local

    ws = app.workspace()
    rows = sync_status(ws)
    if app.json:
        emit_json({"logs": rows})
        return
    if not rows:
        say(_("The ledger is empty."))
    for r in rows:
        due = r["local_size"] - r["acked_size"]
        click.echo(_("log {log}: {size} entries here, {acked} acknowledged by {url} ({due} to push)",
                     log=r["log"][:16], size=r["local_size"], acked=r["acked_size"], url=plain(r["url"] or "-"),
                     due=due))  # fmt: skip
        if r["last_attempt"]:
            when = format_local(int(r["last_attempt"]), ws.config.timezone)
            if r["last_error"]:
                click.echo(_("  last attempt {when}: {error}", when=when, error=plain(r["last_error"])))
            else:
                click.echo(_("  last attempt {when}: acknowledged", when=when))
