"""``ikrar init``: create a workspace."""

from __future__ import annotations

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .output import emit_json, say


@click.command(help=_("Create a workspace: a commented ikrar.yaml and the SQLite database."))
@click.option(
    "--institution",
    default="Instansi Pemerintah",
    show_default=True,
    help=_("Name of the institution (e.g. BKPSDM Kabupaten Jeneponto)"),
)
@click.option("--code", default="INST", show_default=True, help=_("Short code of the institution"))
@click.option("--unit", default=None, help=_("Default unit (OPD) code of this terminal"))
@click.option(
    "--timezone",
    "tz",
    default="WIB",
    show_default=True,
    help=_("Time zone: WIB, WITA or WIT (or Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"),
)
@click.option("--force", is_flag=True, help=_("Rewrite ikrar.yaml if the workspace exists"))
@click.option(
    "--database",
    default=None,
    metavar="URL",
    help=_("Keep the records in PostgreSQL (postgresql://USER@HOST/DBNAME) instead of SQLite"),
)
@json_option
@pass_app
def init(
    app: AppContext, institution: str, code: str, unit: str | None, tz: str, force: bool, database: str | None
) -> None:
    from ..api import init_workspace

    ws = init_workspace(
        app.home,
        institution=institution,
        code=code,
        unit=unit,
        timezone=tz,
        language=app.lang,
        force=force,
        database=database,
    )
    if app.json:
        emit_json(
            {
                "home": str(ws.root),
                "config": str(ws.config_path),
                "database": str(ws.store.path) if ws.store.engine != "sqlite" else str(ws.db_path),
                "engine": ws.store.engine,
                "timezone": ws.config.timezone,
            }
        )
    else:
        say(_("Workspace ready at {path}", path=ws.root))
        click.echo(str(ws.root))
