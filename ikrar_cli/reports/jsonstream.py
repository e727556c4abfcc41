"""Read a large JSON object (a national compliance report) one top-level value at a time, the
elements of one array key one by one, in memory bounded by the largest single value."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["NotJson", "file_chunks", "top_level"]

READ = 1 << 20
_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


class NotJson(ValueError):
    """The text is not JSON (or not a JSON object, when ``object`` is False)."""

    def __init__(self, object: bool = False) -> None:  # noqa: A002 - the JSON word
        super().__init__("not a JSON object" if object else "not JSON")
        self.object = object


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(READ):
            yield chunk


class _Buf:
    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._dec = codecs.getincrementaldecoder("utf-8")("strict")
        self.buf, self.pos, self.eof = "", 0, False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = next(self._chunks, None)
        try:
            text = self._dec.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError:
            raise NotJson from None
        self.buf, self.pos, self.eof = self.buf[self.pos :] + text, 0, chunk is None
        return True

    def char(self) -> str:
        """The next character that is not white space ('' at the end), not consumed."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf) or not self.fill():
                return self.buf[self.pos : self.pos + 1]

    def expect(self, c: str) -> None:
        if self.char() != c:
            raise NotJson
        self.pos += 1

    def value(self) -> Any:
        self.char()
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                obj, end = None, -1
            if end != -1 and (end < len(self.buf) or self.eof):
                self.pos = end
                return obj
            if not self.fill():
                if end == -1:
                    raise NotJson
                self.pos = end
                return obj


def top_level(chunks: Iterator[bytes], array_key: str) -> Iterator[tuple[str, Any, bool]]:
    """(key, value, False) for each top-level member, except that when ``array_key``'s value is
    an array, its elements come one by one as (array_key, element, True). Raises ``NotJson``."""
    b = _Buf(chunks)
    if b.char() != "{":
        b.value()  # valid JSON that is not an object, or not JSON at all
        raise NotJson(object=True)
    b.expect("{")
    if b.char() == "}":
        b.expect("}")
    else:
        while True:
            key = b.value()
            if not isinstance(key, str):
                raise NotJson
            b.expect(":")
            if key == array_key and b.char() == "[":
                b.expect("[")
                if b.char() == "]":
                    b.expect("]")
                    yield key, [], False
                else:
                    while True:
                        yield key, b.value(), True
                        if b.char() == "]":
                            b.expect("]")
                            break
                        b.expect(",")
            else:
                yield key, b.value(), False
            if b.char() == "}":
                b.expect("}")
                break
            b.expect(",")
    if b.char() != "":
        raise NotJson
