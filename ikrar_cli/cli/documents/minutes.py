"""``ikrar session minutes`` (berita acara) and ``ikrar session receipts`` (the compact receipt list)."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..options import out_file_option
from ..output import emit_json, say
from .docopts import seal_from, seal_options


@click.command(help=_("Write the minutes (berita acara) of a closed apel session as a PDF."))
@click.argument("session_id", type=int)
@out_file_option(N_("PDF file to write"), required=True)
@click.option("--leader", default=None, help=_("Who led the apel (default: the first signatory of the minutes)"))
@seal_options
@json_option
@pass_app
def minutes(
    app: AppContext,
    session_id: int,
    out: Path,
    leader: str | None,
    seal_p12: Path | None,
    seal_passphrase_file: Path | None,
) -> None:
    from ...documents.minutes import gather, write_minutes
    from ...documents.profile import workspace_profile
    from ...pledges.templates import PledgeLibrary
    from ...recitation.attest import get_session

    ws = app.workspace()
    profile = workspace_profile(ws)
    with ws.store.read() as conn:
        s = get_session(conn, session_id)
        pledge = PledgeLibrary.load(ws.config.extra_template_dirs).get(s.pledge_ref)
        m = gather(conn, s, pledge, leader or profile.signers("minutes")[0].name)
    seal = seal_from(ws, seal_p12, seal_passphrase_file, _("Minutes of the apel"))
    pages = write_minutes(out, m, profile=profile, seal=seal)
    if app.json:
        emit_json(dict(m.to_dict(), file=str(out), pages=pages, sealed=seal is not None))
        return
    say(_("Minutes of session {id} ({pages} pages) written to {path}", id=session_id, pages=pages, path=out))


@click.command(help=_("Write a session's receipts as a compact list per unit (one row and a small QR per officer)."))
@click.argument("session_id", type=int)
@out_file_option(N_("PDF file to write"), required=True)
@seal_options
@json_option
@pass_app
def receipts(
    app: AppContext, session_id: int, out: Path, seal_p12: Path | None, seal_passphrase_file: Path | None
) -> None:
    from .docopts import write_list_for

    ws = app.workspace()
    seal = seal_from(ws, seal_p12, seal_passphrase_file, _("Pledge receipts"))
    n, pages = write_list_for(app, ws, session_id, None, out, seal)
    if app.json:
        emit_json({"officers": n, "pages": pages, "file": str(out), "sealed": seal is not None})
