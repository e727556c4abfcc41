"""``json.dumps(obj, ensure_ascii=False, indent=2)`` with every line after a margin, byte for byte,
through the compiled encoder (issue 17: the report's unit lists at national scale).

The standard library renders with ``indent`` in pure Python, one call per value: about a million
officer lines in a national report. Here an object whose values are all scalars (an officer's
line) is one call of the compiled encoder, whose item separator carries the newline and the
indentation; lists and other objects are laid out as the standard library lays them out. JSON
strings never hold a raw newline (it is escaped), so the layout is only the separators.
``tests/test_jsonindent.py`` holds it to the standard library (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps_indented"]


def dumps_indented(obj: Any, margin: str = "") -> str:
    """What ``"\\n".join(margin + line for line in json.dumps(obj, ensure_ascii=False,
    indent=2).split("\\n"))`` gives."""
    return margin + _render(obj, margin)


_SCALARS = frozenset((str, int, float, bool, type(None)))


def _flat(obj: Any) -> bool:
    """An object with keys, all of them strings, and only scalar values (an officer's line); a
    subclass of either takes the general path."""
    return type(obj) is dict and bool(obj) and all(type(k) is str and type(v) in _SCALARS for k, v in obj.items())


def _compiled(obj: Any, pad: str) -> str:
    """A flat object, or a list of them, laid out from one compact rendering by the compiled
    encoder whose separator is ``,`` and a newline: JSON text holds a raw newline only there
    (strings escape it), followed by ``"`` between two keys of an object and by ``{`` between
    two objects of the list."""
    inner = pad + "  "
    text = json.dumps(obj, ensure_ascii=False, separators=(",\n", ": "))
    if isinstance(obj, dict):
        return "{\n" + inner + text[1:-1].replace(',\n"', ",\n" + inner + '"') + "\n" + pad + "}"
    deeper = inner + "  "
    text = (
        text[2:-2]
        .replace(',\n"', ",\n" + deeper + '"')
        .replace("},\n{", "\n" + inner + "},\n" + inner + "{\n" + deeper)
    )
    return "[\n" + inner + "{\n" + deeper + text + "\n" + inner + "}\n" + pad + "]"


def _render(obj: Any, pad: str) -> str:
    inner = pad + "  "
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        if not obj:
            return "{}"
        if _flat(obj):
            return _compiled(obj, pad)
        items = (json.dumps(k, ensure_ascii=False) + ": " + _render(v, inner) for k, v in obj.items())
        return "{\n" + inner + (",\n" + inner).join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if not obj:
            return "[]"
        if all(_flat(v) for v in obj):
            return _compiled(obj, pad)
        return "[\n" + inner + (",\n" + inner).join(_render(v, inner) for v in obj) + "\n" + pad + "]"
    # anything else (a scalar, a tuple, a dict with other keys): as the standard library writes it
    return ("\n" + pad).join(json.dumps(obj, ensure_ascii=False, indent=2).split("\n"))
