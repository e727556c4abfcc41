"""Base45 (RFC 9285): bytes as QR alphanumeric characters, strictly decoded."""

from __future__ import annotations

import functools
import struct

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """The text is not canonical Base45."""


_TRIPLES: list[str] = []


def _triples() -> list[str]:
    """The three characters of every 16-bit value, built once (65,536 short strings)."""
    if not _TRIPLES:
        a = ALPHABET
        _TRIPLES.extend(a[n % 45] + a[n // 45 % 45] + a[n // 2025] for n in range(65536))
    return _TRIPLES


def b45encode(data: bytes) -> str:
    """Each byte pair (big-endian) becomes three characters, least significant first."""
    full = len(data) - len(data) % 2
    table = _triples()
    out = "".join([table[n] for n in struct.unpack(f">{full // 2}H", data[:full])])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += ALPHABET[c] + ALPHABET[d]
    return out


_TABLE = bytes(_INDEX.get(chr(i), 255) for i in range(256))


def b45decode(text: str) -> bytes:
    """Decode; any character outside the alphabet, a dangling character or an overflow is an error.

    Vectorised with bytes.translate and big-integer arithmetic: receipts are verified in bulk (a
    merge reads millions). The character values, read as one little-endian integer, hold each
    triple c0, c1, c2 in a 24-bit lane as c0 + 256 c1 + 65536 c2; masking out c1 and c2 and adding
    them back times 45 and 2025 gives each lane c0 + 45 c1 + 2025 c2 (at most 91,124 < 2^24, so
    the lanes stay apart), whose third byte is 0 exactly when the value fits in 16 bits."""
    if len(text) % 3 == 1:
        raise Base45Error("length")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise Base45Error("character") from exc
    return b45decode_bytes(raw)


@functools.lru_cache(maxsize=64)
def _masks(n: int) -> tuple[int, int]:
    """The second and the third byte of each of ``n`` 24-bit lanes (little-endian)."""
    return int.from_bytes(b"\x00\xff\x00" * n, "little"), int.from_bytes(b"\x00\x00\xff" * n, "little")


def b45decode_bytes(raw: bytes) -> bytes:
    """:func:`b45decode` of text given as its bytes (any byte outside the alphabet is an error)."""
    if len(raw) % 3 == 1:
        raise Base45Error("length")
    vals = raw.translate(_TABLE)
    if 255 in vals:
        raise Base45Error("character")
    full = len(vals) - len(vals) % 3
    n = full // 3
    lanes = int.from_bytes(vals[:full], "little")
    second, third = _masks(n)
    c1, c2 = lanes & second, lanes & third
    words = (lanes - c1 - c2 + 45 * (c1 >> 8) + 2025 * (c2 >> 16)).to_bytes(3 * n, "little")
    if words[2::3].count(0) != n:
        raise Base45Error("overflow")
    pairs = bytearray(2 * n)
    pairs[0::2] = words[1::3]
    pairs[1::2] = words[0::3]
    out = bytes(pairs)
    if len(vals) % 3 == 2:
        n = vals[-2] + vals[-1] * 45
        if n > 0xFF:
            raise Base45Error("overflow")
        out += bytes((n,))
    return out
