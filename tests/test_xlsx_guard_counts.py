"""The XLSX guard's fast path counts element starts with bytes.count; the count must be exactly what
the regular expression ``<tag[\\s/>]`` finds, or a hostile sheet could slip past the fast path."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ikrar_cli.sheets.xlsx_guard import _starts

ALPHABET = b"<crow>/ \t\n\r\x0b\x0cx="


@given(st.lists(st.sampled_from(list(ALPHABET)), max_size=120).map(bytes))
def test_counts_equal_the_regular_expression(data: bytes) -> None:
    for tag in (b"<c", b"<row"):
        assert _starts(data, tag) == len(re.findall(re.escape(tag) + rb"[\s/>]", data))


def test_prefixed_and_longer_names_are_not_counted() -> None:
    data = b'<cols><col min="1"/></cols><row r="1"><c r="A1"/><c\tr="B1"></c><rows/><c/></row>'
    assert (_starts(data, b"<c"), _starts(data, b"<row")) == (3, 1)
