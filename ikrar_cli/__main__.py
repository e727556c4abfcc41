"""``python -m ikrar_cli`` runs the CLI."""

from .cli import main

main()
