"""Text from data, made safe to show: control characters neutralised, echoes bounded.

Names, units, ids and cell values come from spreadsheets, receipts and bundles written by
others. Printed raw, an ESC sequence in a name moves the cursor or erases lines on the
inspector's terminal, and a 1.5 GB cell quoted in an error fills the screen and the memory.
``printable`` shows every control character as a visible escape (``\\x1b``), ``echo`` also cuts
a quoted value to a bounded length. The CLI adds rich-markup escaping (``cli/output.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

#: the longest value a message quotes from its input ({value!r})
ECHO_LIMIT = 120
#: the longest text of any other kind a message carries (a list of column headers, a reason)
TEXT_LIMIT = 2000

# C0 (except tab and newline when allowed), DEL, C1, and the Unicode format characters that
# reorder or hide text (bidi overrides and isolates, zero-width joiners are left alone).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_CONTROL_LINES = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def has_control(text: str) -> bool:
    return _CONTROL_LINES.search(text) is not None


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character written as a visible escape (``ESC`` → ``\\x1b``)."""
    s = str(text)
    pattern = _CONTROL if keep_newlines else _CONTROL_LINES
    return pattern.sub(_escape, s) if pattern.search(s) else s


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """A value quoted in a message: printable, and at most ``limit`` characters plus a count."""
    s = str(value)
    if len(s) > limit:
        s = printable(s[:limit]) + f"… (+{len(s) - limit})"
        return s
    return printable(s)


# JSON escapes C0 controls itself; with ensure_ascii=False the C1 range and the bidi controls
# would reach the terminal raw, so they are written as \u escapes too (still the same JSON).
_JSON_CONTROL = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape_controls(text: str) -> str:
    return _JSON_CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def json_lines(items: Iterable[object]) -> str:
    """``json_text`` of each item, one per line (no newline after the last): the escapes made once
    over the whole text (a bulk ``verify`` writes a line per receipt)."""
    import json

    return _escape_controls("\n".join([json.dumps(item, ensure_ascii=False, default=str) for item in items]))


def json_text(data: object, **kwargs: object) -> str:
    """JSON for a terminal or a file: UTF-8 text, the format and bidi controls escaped."""
    import json

    return _escape_controls(json.dumps(data, ensure_ascii=False, default=str, **kwargs))  # type: ignore[arg-type]
