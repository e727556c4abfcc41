"""Bundled pledge templates (installed as the ``ikrar_cli.pledge_templates`` package data)."""
