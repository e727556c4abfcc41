"""Bundled pledge templates (installed as the ``ikrar_cli.pledges`` package data)."""
