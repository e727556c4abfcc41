"""ikrar: signed, verifiable Ikrar Netralitas ASN.

The package is a library first; ``ikrar_cli.cli`` is only the command-line adapter.
Domain modules never import click or rich.
"""

__version__ = "0.1.0"
