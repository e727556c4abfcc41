"""``emit_json_streamed`` (cli/output.py) writes what ``emit_json`` writes, character for character,
while taking the listing one item at a time (``ledger merge --json`` lists every duplicate of a
national workspace that way, issue 20)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.cli.output import emit_json, emit_json_streamed

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
heads = st.dictionaries(st.text(max_size=6).filter(lambda k: k != "listing"), values, max_size=4)


def _output(fn: Any) -> str:
    result = CliRunner().invoke(click.command()(fn))
    assert result.exit_code == 0, result.output
    return result.output


@settings(max_examples=150, deadline=None)
@given(head=heads, items=st.lists(values, max_size=600))  # past the 256 items written at a time
def test_streamed_text_is_the_whole_documents_text(head: dict[str, Any], items: list[Any]) -> None:
    taken: list[int] = []

    def one_by_one() -> Iterator[Any]:
        for n, item in enumerate(items):
            taken.append(n)
            yield item

    whole = _output(lambda: emit_json({**head, "listing": items}))
    streamed = _output(lambda: emit_json_streamed(head, "listing", one_by_one()))
    assert streamed == whole
    assert taken == list(range(len(items)))  # every item taken once, from the iterator


def test_items_are_written_before_the_listing_ends() -> None:
    seen: list[int] = []

    def items() -> Iterator[dict[str, int]]:
        for n in range(2000):
            if n == 1000:  # what stdout holds by now: the head and the items so far, not nothing
                sys.stdout.flush()
                seen.append(len(sys.stdout.buffer.getvalue()))  # type: ignore[attr-defined]
            yield {"n": n}

    out = _output(lambda: emit_json_streamed({"files": []}, "listing", items()))
    assert json.loads(out)["listing"][-1] == {"n": 1999}
    assert seen and seen[0] > len('{"n": 999}') * 700  # items 0..767 at least (written 256 at a time)
