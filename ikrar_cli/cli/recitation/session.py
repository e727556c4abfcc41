"""``ikrar session``: open, list, show and close apel sessions on this terminal."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import _
from ..app import AppContext, json_option, pass_app
from ..keys.passphrase import passphrase_option
from ..options import terminal_option
from ..output import console, emit_json, plain, safe, say


@click.group(help=_("Apel sessions: one event, one pledge template, on this terminal."))
def session() -> None:
    pass


@session.command("open", help=_("Open an apel session for a pledge template."))
@click.option("--pledge", "pledge_ref", required=True, help=_("Template: ID or ID@VERSION"))
@click.option("--title", required=True, help=_("Title of the event"))
@click.option("--location", required=True, help=_("Where the apel takes place"))
@click.option("--unit", default=None, help=_("Unit (OPD) code, if the session is for one unit"))
@terminal_option
@click.option("--force", is_flag=True, help=_("Open even outside the template's validity window"))
@click.option("--reason", default=None, help=_("Why --force is needed (recorded)"))
@json_option
@pass_app
def open_(
    app: AppContext,
    pledge_ref: str,
    title: str,
    location: str,
    unit: str | None,
    terminal: str | None,
    force: bool,
    reason: str | None,
) -> None:
    from ...api import pledge as find_pledge
    from ...errors import UsageError
    from ...keys.keyfiles import terminal_info
    from ...recitation.attest import open_session
    from .recitation_common import ledger_for

    if force and not (reason and reason.strip()):
        raise UsageError(_("--force needs --reason TEXT"), _("the reason is recorded with the session"))
    ws = app.workspace()
    info = terminal_info(ws, terminal)
    pledge = find_pledge(ws, pledge_ref)
    s = open_session(
        ws,
        ledger_for(ws),
        kid=info.kid,
        terminal_name=info.name,
        public_key=info.public_key,
        pledge=pledge,
        title=title,
        location=location,
        unit_code=unit,
        force_reason=reason.strip() if force and reason else None,
    )
    if app.json:
        emit_json(s.to_dict())
        return
    say(
        _(
            "Session {id} open: {title} ({pledge}) at {location}.",
            id=s.label,
            title=s.title,
            pledge=s.pledge_ref,
            location=s.location,
        )
    )
    click.echo(str(s.id))


@session.command("list", help=_("List sessions."))
@click.option("--open", "open_only", is_flag=True, help=_("Only open sessions"))
@json_option
@pass_app
def list_(app: AppContext, open_only: bool) -> None:
    from ...recitation.sessions import overview
    from ...zones import format_local

    ws = app.workspace()
    with ws.store.read() as conn:
        sessions = overview(conn, open_only=open_only)
    if app.json:
        emit_json(sessions)
        return
    from rich.table import Table

    t = Table(box=None, header_style="bold")
    for col in (_("Session"), _("Pledge"), _("Title"), _("Opened"), _("Attested"), _("Status")):
        t.add_column(col)
    for s in sessions:
        status = _("open") if s["closed_at"] is None else _("closed")
        if not s["signed"]:
            status += " · " + _("unsigned (recorded before sessions were in the log)")
        t.add_row(
            s["session_id"], safe(s["pledge"]), safe(s["title"]), format_local(s["opened_at"], s["timezone"]),
            str(s["attested"]), status,
        )  # fmt: skip
    console().print(t)


@session.command(help=_("Show one session with its counts."))
@click.argument("session_id")
@json_option
@pass_app
def show(app: AppContext, session_id: str) -> None:
    from ...recitation.sessions import describe
    from ...zones import format_local

    ws = app.workspace()
    with ws.store.read() as conn:
        data = describe(conn, session_id)
    if app.json:
        emit_json(data)
        return
    click.echo(plain(f"{data['session_id']}  {data['title']} — {data['location']}"))
    if not data["signed"]:
        click.echo(_("Session metadata unsigned: recorded before sessions were in the log"))
    click.echo(_("Pledge: {ref}", ref=data["pledge"]))
    click.echo(_("Opened: {when}", when=format_local(data["opened_at"], data["timezone"])))
    if data["closed_at"]:
        click.echo(_("Closed: {when}", when=format_local(data["closed_at"], data["timezone"])))
    if data["forced_reason"]:
        click.echo(_("Opened outside the validity window because: {reason}", reason=data["forced_reason"]))
    click.echo(_("Attested: {n} of {m} expected", n=data["attested"], m=data["expected"]))


@session.command(help=_("Close a session: sign and print the ledger checkpoint (also as a QR code)."))
@click.argument("session_id", type=int)
@passphrase_option
@json_option
@pass_app
def close(app: AppContext, session_id: int, passphrase_file: Path | None) -> None:
    from ...receipts.qr import terminal_qr
    from ...recitation.attest import close_session
    from .recitation_common import ledger_for, open_recorder

    recorder, signer = open_recorder(app, passphrase_file, None)
    s = close_session(recorder.workspace, ledger_for(recorder.workspace), session_id, signer)
    if app.json:
        emit_json(s.to_dict())
        return
    say(_("Session {id} closed. Signed checkpoint of the ledger:", id=s.label))
    click.echo(s.close_checkpoint or "", nl=False)
    click.echo(terminal_qr(s.close_checkpoint or ""))


def _document_commands() -> None:
    """berita acara and receipt list live in their own module (cli/documents/minutes.py)."""
    from ..documents.minutes import minutes, receipts

    session.add_command(minutes)
    session.add_command(receipts)


_document_commands()
