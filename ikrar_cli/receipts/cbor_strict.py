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
    """(value, non_canonical) for one item; raises Malformed."""
    r = _Reader(data)
    value = r.item()
    return value, r.non_canonical or r.pos != len(data)
