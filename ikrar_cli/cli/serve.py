"""``ikrar serve``: the central workspace's HTTP API (docs/server.md), on Starlette under uvicorn."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import _
from .app import AppContext, pass_app


@click.command(help=_("Serve the central workspace's HTTP API: terminals push, anyone reads proofs, HR reads reports."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on"))
@click.option("--port", type=click.IntRange(0, 65535), default=8470, show_default=True,
              help=_("Port to listen on (0: any free port, printed when listening)"))
@click.option("--certfile", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=_("TLS certificate chain (PEM)"))
@click.option("--keyfile", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=_("TLS private key (PEM)"))
@click.option("--insecure-public", is_flag=True,
              help=_("Listen on a public address without TLS (only behind a TLS reverse proxy)"))
@pass_app
def serve(app: AppContext, host: str, port: int, certfile: Path | None, keyfile: Path | None,
          insecure_public: bool) -> None:  # fmt: skip
    from ..server.run import check_exposure, run_server

    ws = app.workspace()  # fails here, with the usual message, when there is no workspace
    check_exposure(host, certfile, keyfile, insecure_public)
    run_server(ws.root, host, port, certfile, keyfile)
