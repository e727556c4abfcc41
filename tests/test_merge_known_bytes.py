"""The known-log merge takes a line as read only when it is byte for byte the stored entry's export line.

``ledger/merge_known.py`` recognises a receipt line by strictly decoding its Base45 and comparing
the bytes with the stored leaf (a whole block of lines at once, ``_same_receipts``, else line by
line); anything else goes through the general check. These tests hold the
shortcut to that: property tests of the line check (any change to a line, any other leaf, a stored
session record), of the bytes decoder and of the subtree root; and, on both engines, merges of a
known export that differs by one byte from what is stored (the file or the store), with the
shortcut and with it switched off, which must give the same answer (same JSON, same error, same
line) and leave the database as it was.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.ledger import merge_known
from ikrar_cli.ledger.export import _line
from ikrar_cli.ledger.merkle import StreamingRoot, perfect_root, root_of
from ikrar_cli.receipts.base45 import ALPHABET, Base45Error, b45decode, b45decode_bytes, b45encode
from ikrar_cli.receipts.receipt import PREFIX
from ikrar_cli.recitation.sessions import RECORD_PREFIX

leaves = st.binary(max_size=200).filter(lambda b: not b.startswith(RECORD_PREFIX))


def export_line(idx: int, leaf: bytes) -> bytes:
    return _line({"i": idx, "receipt": PREFIX + b45encode(leaf)})


@settings(max_examples=400, deadline=None)
@given(leaf=leaves, idx=st.integers(0, 10**9))
def test_the_export_line_of_the_stored_leaf_is_recognised(leaf: bytes, idx: int) -> None:
    assert merge_known._same_receipt(export_line(idx, leaf), idx, leaf)


@st.composite
def changed_lines(draw: st.DrawFn) -> tuple[bytes, int, bytes]:
    """A stored leaf and index, and a line that is not exactly its export line."""
    leaf, idx = draw(leaves), draw(st.integers(0, 10**6))
    line = bytearray(export_line(idx, leaf))
    how = draw(st.sampled_from(["flip", "delete", "insert", "index", "leaf", "alphabet"]))
    pos = draw(st.integers(0, len(line) - 1))
    if how == "flip":
        line[pos] ^= draw(st.integers(1, 255))
    elif how == "delete":
        del line[pos]
    elif how == "insert":
        line.insert(pos, draw(st.integers(0, 255)))
    elif how == "index":
        line = bytearray(export_line(idx + draw(st.integers(1, 5)), leaf))
    elif how == "leaf":
        line = bytearray(export_line(idx, draw(leaves.filter(lambda b: b != leaf))))
    else:  # another Base45 character in the text (may overflow, may decode to other bytes)
        text_at = len(b'{"i":%d,"receipt":"IKR1:' % idx)
        if len(leaf) == 0:
            line[text_at:text_at] = b"00"
        else:
            at = text_at + draw(st.integers(0, len(b45encode(leaf)) - 1))
            line[at] = ord(draw(st.sampled_from(ALPHABET.replace(chr(line[at]), ""))))
    return bytes(line), idx, leaf


@settings(max_examples=1500, deadline=None)
@given(case=changed_lines())
def test_any_other_line_is_left_to_the_general_check(case: tuple[bytes, int, bytes]) -> None:
    raw, idx, leaf = case
    assert merge_known._same_receipt(raw, idx, leaf) is (raw == export_line(idx, leaf))


@settings(max_examples=200, deadline=None)
@given(rest=st.binary(max_size=80), idx=st.integers(0, 1000))
def test_a_stored_session_record_is_never_taken_as_a_receipt_line(rest: bytes, idx: int) -> None:
    leaf = RECORD_PREFIX + rest
    assert not merge_known._same_receipt(export_line(idx, leaf), idx, leaf)


@st.composite
def blocks(draw: st.DrawFn) -> tuple[bytes, int, int, list[bytes]]:
    """A block of stored leaves from entry ``first`` on, and the lines read for it: the export's
    lines, or lines with one change (any change of one line, as above; the last characters of one
    line's text moved to the start of the next one's; two lines swapped; bytes between two lines;
    a line more or less). Returns (lines joined, number of leaves, first, leaves)."""
    stored = draw(st.lists(leaves, min_size=1, max_size=6))
    first = draw(st.integers(0, 10**6))
    how = draw(st.sampled_from(["same", "line", "shift", "swap", "between", "extra", "drop"]))
    k = draw(st.integers(0, len(stored) - 1))
    if how == "line":  # one line changed: put the changed line's leaf and index at place k
        raw, idx, leaf = draw(changed_lines())
        k = min(k, idx)
        first, stored[k] = idx - k, leaf
    lines = [export_line(first + n, leaf) for n, leaf in enumerate(stored)]
    if how == "line":
        lines[k] = raw
    elif how == "shift" and k + 1 < len(lines):
        cut = draw(st.sampled_from([3, 6, 2]))
        text_at = len(b'{"i":%d,"receipt":"IKR1:' % (first + k))
        moved = lines[k][-3 - cut : -3] if len(lines[k]) - 3 - cut >= text_at else b""
        nxt = len(b'{"i":%d,"receipt":"IKR1:' % (first + k + 1))
        lines[k] = lines[k][: len(lines[k]) - 3 - len(moved)] + b'"}\n'
        lines[k + 1] = lines[k + 1][:nxt] + moved + lines[k + 1][nxt:]
    elif how == "swap" and k + 1 < len(lines):
        lines[k], lines[k + 1] = lines[k + 1], lines[k]
    elif how == "between":
        lines.insert(k + 1, draw(st.binary(min_size=1, max_size=5)))
    elif how == "extra":
        lines.append(export_line(first + len(stored), draw(leaves)))
    elif how == "drop" and len(lines) > 1:
        lines.pop(k)
    return b"".join(lines), len(stored), first, stored


@settings(max_examples=1500, deadline=None)
@given(case=blocks(), groups=st.sampled_from([1, 2, 5, merge_known.DECODE_GROUPS]))
def test_a_block_is_taken_as_read_only_when_every_line_is_the_stored_entry_s_line(
    case: tuple[bytes, int, int, list[bytes]], groups: int
) -> None:
    block, n, first, stored = case
    want = block == b"".join(export_line(first + k, leaf) for k, leaf in enumerate(stored))
    saved = merge_known.DECODE_GROUPS
    merge_known.DECODE_GROUPS = groups  # decoded in pieces of a few groups: the pieces' edges inside lines
    try:
        assert merge_known._same_receipts(block, n, first, stored) is want
    finally:
        merge_known.DECODE_GROUPS = saved


@settings(max_examples=100, deadline=None)
@given(stored=st.lists(leaves, min_size=1, max_size=4), rest=st.binary(max_size=40), at=st.integers(0, 3))
def test_a_block_holding_a_stored_session_record_goes_line_by_line(stored: list[bytes], rest: bytes, at: int) -> None:
    stored.insert(min(at, len(stored)), RECORD_PREFIX + rest)
    block = b"".join(export_line(k, leaf) for k, leaf in enumerate(stored))
    assert not merge_known._same_receipts(block, len(stored), 0, stored)


@settings(max_examples=600, deadline=None)
@given(
    stored=st.lists(st.one_of(leaves, st.binary(max_size=30).map(lambda b: RECORD_PREFIX + b)), min_size=1, max_size=8),
    first=st.integers(0, 10**6),
    changed=st.one_of(st.none(), st.integers(0, 7)),
    byte=st.integers(1, 255),
)
def test_a_run_of_lines_between_session_records_is_taken_only_when_each_line_is_its_stored_receipt(
    stored: list[bytes], first: int, changed: int | None, byte: int
) -> None:
    raws = [export_line(first + k, leaf) for k, leaf in enumerate(stored)]
    if changed is not None and changed < len(raws):  # one byte of one line changed
        line = bytearray(raws[changed])
        line[len(line) // 2] ^= byte
        raws[changed] = bytes(line)
    known = merge_known._known_lines(raws, first, stored)
    for k, leaf in enumerate(stored):
        exact = raws[k] == export_line(first + k, leaf)
        assert not known[k] or (exact and not leaf.startswith(RECORD_PREFIX))  # never a line that differs
        run = [j for j in range(len(stored)) if not any(stored[i].startswith(RECORD_PREFIX)
                                                        for i in range(min(j, k), max(j, k) + 1))]  # fmt: skip
        if not leaf.startswith(RECORD_PREFIX) and all(raws[j] == export_line(first + j, stored[j]) for j in run):
            assert known[k]  # its whole run is exact: taken at once


@settings(max_examples=600, deadline=None)
@given(text=st.text(alphabet=ALPHABET + 'abc"\\é\x00', max_size=40))
def test_b45decode_bytes_is_b45decode_of_the_text(text: str) -> None:
    try:
        want: bytes | None = b45decode(text)
    except Base45Error:
        want = None
    try:
        got: bytes | None = b45decode_bytes(text.encode("utf-8"))
    except Base45Error:
        got = None
    assert got == want
    if want is not None:
        assert b45encode(want) == text  # strict: the one text of those bytes


def _reference_decode(text: str) -> bytes | None:
    """RFC 9285 decoding written plainly, triple by triple (None: not canonical Base45)."""
    if len(text) % 3 == 1 or any(c not in ALPHABET for c in text):
        return None
    out = bytearray()
    for at in range(0, len(text), 3):
        digits = [ALPHABET.index(c) for c in text[at : at + 3]]
        value = sum(d * 45**k for k, d in enumerate(digits))
        if value > (0xFFFF if len(digits) == 3 else 0xFF):
            return None
        out += value.to_bytes(len(digits) - 1, "big")
    return bytes(out)


@settings(max_examples=800, deadline=None)
@given(text=st.one_of(st.text(alphabet=ALPHABET, max_size=60), st.binary(max_size=45).map(b45encode)))
def test_b45decode_is_rfc_9285(text: str) -> None:
    want = _reference_decode(text)
    try:
        got: bytes | None = b45decode_bytes(text.encode("ascii"))
    except Base45Error:
        got = None
    assert got == want


@settings(max_examples=200, deadline=None)
@given(height=st.integers(0, 5), before=st.integers(0, 6), after=st.integers(0, 40), seed=st.binary(max_size=4))
def test_a_subtree_added_whole_gives_the_root_of_its_leaves(height: int, before: int, after: int, seed: bytes) -> None:
    n = 1 << height
    hashes = [hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(before * n + n + after)]
    s = StreamingRoot()
    for h in hashes[: before * n]:
        s.add(h)
    s.add_subtree(height, perfect_root(hashes[before * n : before * n + n]))
    for h in hashes[before * n + n :]:
        s.add(h)
    assert s.size == len(hashes) and s.root() == root_of(hashes)
    if height and before * n + 1 < len(hashes):
        misaligned = StreamingRoot()
        misaligned.add(hashes[0])
        with pytest.raises(ValueError):
            misaligned.add_subtree(height, hashes[1])
