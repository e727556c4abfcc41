"""ikrar: signed, verifiable Ikrar Netralitas ASN.

The package is a library first; ``ikrar_cli.cli`` is only the command-line adapter.
Domain modules never import click or rich. The public API is ``ikrar_cli.api``
(docs/library.md); its names can also be imported from here, resolved on first use
so that importing the package (as ``ikrar --help`` does) stays as light as before.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name.startswith("__"):  # import machinery probing (__path__, __file__ ...): not ours
        raise AttributeError(name)
    api = importlib.import_module("ikrar_cli.api")  # by absolute name: "from . import api" would recurse
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *importlib.import_module("ikrar_cli.api").__all__])
