"""``reports.jsonindent.dumps_indented`` is the standard library's ``json.dumps(indent=2)`` with a
margin, byte for byte, for any JSON value (hypothesis): hostile strings with newlines, quotes,
backslashes and non-ASCII, floats, nested objects and lists, empty ones, objects of scalars (the
compiled path) and mixed ones."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ikrar_cli.reports.jsonindent import dumps_indented

_text = st.text(st.sampled_from(list('a\n"\\\t{}[],: Ñ中\u2028\x00')), max_size=8)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=30,
)


def _stdlib(obj: Any, margin: str) -> str:
    return "\n".join(margin + line for line in json.dumps(obj, ensure_ascii=False, indent=2).split("\n"))


@settings(max_examples=300, deadline=None)
@given(_values, st.sampled_from(["", "    ", "  "]))
@example(
    {
        "unit": "A1",
        "missing_staff": [{"officer_id": "1", "name": 'x\n"},{"', "position": None, "unit": "A1"}],
        "joined_later_staff": [],
        "coverage_percent": 12.5,
        "last_session": None,
    },
    "    ",
)
@example({1: "x", "a": [1, {}]}, "    ")
@example((1, [2]), "  ")
def test_as_the_standard_library_writes_it(obj: Any, margin: str) -> None:
    assert dumps_indented(obj, margin) == _stdlib(obj, margin)
