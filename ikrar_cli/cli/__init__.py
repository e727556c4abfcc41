"""Command-line adapter: parses, calls the library, renders. No domain logic here."""

from __future__ import annotations

import os
import sys


def _preselect_language(argv: list[str]) -> None:
    """Pick the language before any help text is built (help is translated at import)."""
    from ..i18n import set_language

    lang = os.environ.get("IKRAR_LANG")
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
        elif arg == "--":
            break
    set_language(lang)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    _preselect_language(args)
    from .app import cli

    cli.main(args=args, prog_name="ikrar")
