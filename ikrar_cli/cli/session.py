"""``ikrar session``: open, list, show and close apel sessions on this terminal."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .output import console, emit_json, plain, safe, say
from .passphrase import passphrase_option


@click.group(help=_("Apel sessions: one event, one pledge template, on this terminal."))
def session() -> None:
    pass


@session.command("open", help=_("Open an apel session for a pledge template."))
@click.option("--pledge", "pledge_ref", required=True, help=_("Template: ID or ID@VERSION"))
@click.option("--title", required=True, help=_("Title of the event"))
@click.option("--location", required=True, help=_("Where the apel takes place"))
@click.option("--unit", default=None, help=_("Unit (OPD) code, if the session is for one unit"))
@click.option("--terminal", default=None, help=_("Terminal key name, if this workspace has several"))
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
    from ..errors import UsageError
    from ..keys import terminal_info
    from ..pledges import PledgeLibrary
    from ..recitation import open_session
    from .recitation_common import ledger_for

    if force and not (reason and reason.strip()):
        raise UsageError(_("--force needs --reason TEXT"), _("the reason is recorded with the session"))
    ws = app.workspace()
    info = terminal_info(ws, terminal)
    pledge = PledgeLibrary.load(ws.config.extra_template_dirs).get(pledge_ref)
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
            id=s.id,
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
    from ..recitation import list_sessions
    from ..zones import format_local

    ws = app.workspace()
    with ws.store.read() as conn:
        sessions = list_sessions(conn, open_only=open_only)
        counts = {
            s.id: conn.execute("SELECT COUNT(*) FROM attestations WHERE session_id = ?", (s.id,)).fetchone()[0]
            for s in sessions
        }
    if app.json:
        emit_json([dict(s.to_dict(), attested=counts[s.id]) for s in sessions])
        return
    from rich.table import Table

    t = Table(box=None, header_style="bold")
    for col in ("#", _("Pledge"), _("Title"), _("Opened"), _("Attested"), _("Status")):
        t.add_column(col)
    for s in sessions:
        t.add_row(
            str(s.id),
            safe(s.pledge_ref),
            safe(s.title),
            format_local(s.opened_at, s.timezone),
            str(counts[s.id]),
            _("open") if s.is_open else _("closed"),
        )
    console().print(t)


@session.command(help=_("Show one session with its counts."))
@click.argument("session_id", type=int)
@json_option
@pass_app
def show(app: AppContext, session_id: int) -> None:
    from ..recitation import get_session, session_counts
    from ..zones import format_local

    ws = app.workspace()
    with ws.store.read() as conn:
        s = get_session(conn, session_id)
        attested, expected = session_counts(conn, s)
        by_method = dict(
            conn.execute(
                "SELECT method, COUNT(*) FROM attestations WHERE session_id = ? GROUP BY method", (session_id,)
            ).fetchall()
        )
    data = dict(s.to_dict(), attested=attested, expected=expected, by_method=by_method)
    if app.json:
        emit_json(data)
        return
    click.echo(plain(f"#{s.id}  {s.title} — {s.location}"))
    click.echo(_("Pledge: {ref}", ref=s.pledge_ref))
    click.echo(_("Opened: {when}", when=format_local(s.opened_at, s.timezone)))
    if s.closed_at:
        click.echo(_("Closed: {when}", when=format_local(s.closed_at, s.timezone)))
    if s.forced_reason:
        click.echo(_("Opened outside the validity window because: {reason}", reason=s.forced_reason))
    click.echo(_("Attested: {n} of {m} expected", n=attested, m=expected))


@session.command(help=_("Close a session: sign and print the ledger checkpoint (also as a QR code)."))
@click.argument("session_id", type=int)
@passphrase_option
@json_option
@pass_app
def close(app: AppContext, session_id: int, passphrase_file: Path | None) -> None:
    from ..qr import terminal_qr
    from ..recitation import close_session
    from .recitation_common import ledger_for, open_recorder

    recorder, signer = open_recorder(app, passphrase_file, None)
    s = close_session(recorder.workspace, ledger_for(recorder.workspace), session_id, signer)
    if app.json:
        emit_json(s.to_dict())
        return
    say(_("Session {id} closed. Signed checkpoint of the ledger:", id=s.id))
    click.echo(s.close_checkpoint or "", nl=False)
    click.echo(terminal_qr(s.close_checkpoint or ""))


def _document_commands() -> None:
    """berita acara and receipt list live in their own module (cli/minutes.py)."""
    from .minutes import minutes, receipts

    session.add_command(minutes)
    session.add_command(receipts)


_document_commands()
