"""Base45 (RFC 9285): bytes as QR alphanumeric characters, strictly decoded."""

from __future__ import annotations

import struct

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """The text is not canonical Base45."""


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        e, n = divmod(n, 45 * 45)
        d, c = divmod(n, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[d])
    return "".join(out)


_TABLE = bytes(_INDEX.get(chr(i), 255) for i in range(256))


def b45decode(text: str) -> bytes:
    """Decode; any character outside the alphabet, a dangling character or an overflow is an error.

    Vectorised with bytes.translate and slicing: receipts are verified in bulk."""
    if len(text) % 3 == 1:
        raise Base45Error("length")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise Base45Error("character") from exc
    vals = raw.translate(_TABLE)
    if 255 in vals:
        raise Base45Error("character")
    full = len(vals) - len(vals) % 3
    words = [a + 45 * b + 2025 * c for a, b, c in zip(vals[0:full:3], vals[1:full:3], vals[2:full:3], strict=True)]
    if words and max(words) > 0xFFFF:
        raise Base45Error("overflow")
    out = struct.pack(f">{len(words)}H", *words)
    if len(vals) % 3 == 2:
        n = vals[-2] + vals[-1] * 45
        if n > 0xFF:
            raise Base45Error("overflow")
        out += bytes((n,))
    return out
