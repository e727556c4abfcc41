"""Running the app under uvicorn, and the exposure rule: a public address needs TLS (docs/server.md)."""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path

from ..errors import UsageError
from ..i18n import _

READY = "ikrar-serve: listening on"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, certfile: Path | None, keyfile: Path | None, insecure_public: bool) -> None:
    if (certfile is None) != (keyfile is None):
        raise UsageError(_("--certfile and --keyfile go together"), _("give both, or neither"))
    if not is_loopback(host) and certfile is None and not insecure_public:
        raise UsageError(
            _("Refusing to serve {host} without TLS", host=host),
            _("give --certfile and --keyfile, or --insecure-public behind a TLS reverse proxy"),
        )


def run_server(home: Path, host: str, port: int, certfile: Path | None, keyfile: Path | None) -> None:
    """Bind first (port 0 picks a free port), print the address on stderr, then serve until stopped."""
    import uvicorn

    from .app import create_app

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    bound = sock.getsockname()[1]
    scheme = "https" if certfile else "http"
    config = uvicorn.Config(
        create_app(home), log_level="warning", access_log=False, ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None, proxy_headers=False, lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    sys.stderr.write(f"{READY} {scheme}://{host}:{bound}\n")
    sys.stderr.flush()
    server.run(sockets=[sock])
