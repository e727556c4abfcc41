"""The CBOR subset of a receipt, decoded exactly as docs/receipt-format.md §4 says.

Only unsigned and negative integers, byte strings, text strings, arrays and maps with integer
keys, all of definite length, at most ``MAX_DEPTH`` deep. Anything else — a tag (bignums
included), a float, ``true``/``false``/``null``/``undefined``/simple values, an indefinite or
reserved length, a truncated item, invalid UTF-8, a non-integer map key — is *malformed*.
Valid CBOR in this subset that is not in its deterministic form — a longer head than needed,
map keys not in strictly ascending order of their encodings (a repeated key included), bytes
after the item — is *non-canonical*: the decoder notes it and goes on (a repeated key keeps
its first value), so the caller reports ``malformed`` when anything is malformed and
``non_canonical`` only otherwise. The web page (``ikrar_cli/web/cbor.js``) does the same.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 8


class Malformed(ValueError):
    """The bytes are not an item of the receipt's CBOR subset."""


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.non_canonical = False

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise Malformed("truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def head(self) -> tuple[int, int]:
        b = self.take(1)[0]
        major, ai = b >> 5, b & 31
        if major in (6, 7):
            raise Malformed("tag, float or simple value")
        if ai < 24:
            return major, ai
        if ai > 27:
            raise Malformed("reserved or indefinite length")
        size = 1 << (ai - 24)
        n = int.from_bytes(self.take(size), "big")
        if n < (24 if size == 1 else 1 << (4 * size)):
            self.non_canonical = True  # a shorter head would do
        return major, n

    def item(self, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise Malformed("nested too deep")
        major, n = self.head()
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major == 2:
            return self.take(n)
        if major == 3:
            try:
                return self.take(n).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Malformed("invalid UTF-8") from exc
        if n > len(self.data) - self.pos:
            raise Malformed("truncated")  # each element takes at least one byte
        if major == 4:
            return [self.item(depth + 1) for _ in range(n)]
        out: dict[int, Any] = {}
        last = b""
        for _ in range(n):
            start = self.pos
            key = self.item(depth + 1)
            if type(key) is not int:
                raise Malformed("map key that is not an integer")
            enc = self.data[start : self.pos]
            value = self.item(depth + 1)
            if last and enc <= last:
                self.non_canonical = True
            elif key in out:  # the same integer written with a longer head
                self.non_canonical = True
            last = max(last, enc)
            out.setdefault(key, value)
        return out


def decode(data: bytes) -> tuple[Any, bool]:
    """(value, non_canonical) for one item; raises Malformed.

    Bulk checks (a merge reads millions of receipts) take a fast path first: the C decoder of
    ``cbor2`` reads the item, and its value is taken only when it lies in the subset above, its map
    keys are single bytes in ascending order, and ``cbor2`` writes it back (shortest heads, maps in
    the order read) byte for byte as ``data`` (so the item was canonical and alone). Any
    other input, well formed or not, goes through the exact reader below, which alone decides
    every error and every non-canonical flag (tests/test_merge_fastpaths.py holds the two equal)."""
    value = _fast(data) if len(data) <= _FAST_MAX else _NO
    if value is not _NO:
        return value, False
    return decode_exact(data)


_NO = object()
_FAST_MAX = 8192  # a receipt is far smaller; anything bigger is read by the exact reader alone
_INT_MIN, _INT_MAX = -(1 << 64), (1 << 64) - 1


def _in_subset(value: Any, depth: int = 0) -> bool:
    """An item of the subset: only the types above, integers of at most 8 bytes, at most
    ``MAX_DEPTH`` deep, map keys of one byte (-24 .. 23) in the strictly ascending order of their
    encodings as read (there cbor2 writes them in that same order). Scalars inside a container are
    checked in its loop: receipts are read in bulk."""
    t = type(value)
    if t is bytes or t is str:
        return depth <= MAX_DEPTH
    if t is int:
        return depth <= MAX_DEPTH and _INT_MIN <= value <= _INT_MAX
    if depth > MAX_DEPTH:
        return False
    if t is list:
        items: Any = value
    elif t is dict:
        last = -1
        for k in value:
            if type(k) is not int or not -24 <= k <= 23:
                return False
            byte = k if k >= 0 else 0x1F - k
            if byte <= last:
                return False
            last = byte
        items = value.values()
    else:
        return False
    inner = depth + 1
    for v in items:
        tv = type(v)
        if tv is bytes or tv is str:
            if inner > MAX_DEPTH:
                return False
        elif tv is int:
            if inner > MAX_DEPTH or not _INT_MIN <= v <= _INT_MAX:
                return False
        elif not _in_subset(v, inner):
            return False
    return True


def _fast(data: bytes) -> Any:
    import cbor2

    try:
        value = cbor2.loads(data)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, MemoryError):
        return _NO
    if not _in_subset(value):
        return _NO
    try:  # shortest heads always; maps in the order read (checked ascending above)
        again = cbor2.dumps(value)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError):
        return _NO
    return value if again == data else _NO


def decode_exact(data: bytes) -> tuple[Any, bool]:
    """The exact reader alone (what :func:`decode` falls back to)."""
    r = _Reader(data)
    value = r.item()
    return value, r.non_canonical or r.pos != len(data)
