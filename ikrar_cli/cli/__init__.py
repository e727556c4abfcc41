"""Command-line adapter: parses, calls the library, renders. No domain logic here."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from .app import cli

    cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="ikrar")
