"""``ikrar db``: where the workspace keeps its records."""

from __future__ import annotations

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .output import emit_json, say


@click.group(help=_("The workspace database: move it to PostgreSQL."))
def db() -> None:
    pass


@db.command(
    "migrate-to",
    help=_(
        "Copy this SQLite workspace's records into an empty PostgreSQL database, verify them "
        "(row counts, ledger) and switch the workspace to it; nothing is kept if any check fails. "
        "Put the password in PGPASSWORD or ~/.pgpass rather than in the address."
    ),
)
@click.argument("url", metavar="URL")
@json_option
@pass_app
def migrate_to_cmd(app: AppContext, url: str) -> None:
    from ..store.migrate import migrate_to
    from ..store.setup import check_database_url

    check_database_url(url)
    ws = app.workspace()
    report = migrate_to(ws, url, progress=None if app.json else lambda t, n: say(f"  {t}: {n}"))
    if app.json:
        emit_json(report.to_dict())
    else:
        say(
            _(
                "Moved {rows} rows in {tables} tables to {url}; {logs} ledger logs verified there.",
                rows=sum(report.tables.values()),
                tables=len(report.tables),
                url=report.target,
                logs=len(report.logs),
            )
        )
        say(
            _(
                "The workspace now uses {url}; the SQLite file {path} is kept unchanged.",
                url=report.target,
                path=ws.db_path,
            )
        )
