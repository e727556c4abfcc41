"""A compact terminal QR for small screens: sextant characters, three module rows per text line.

The half-block QR (two module rows a line) of a receipt needs ~33 rows; an 80x24 kiosk screen
has 24. Unicode 13's sextants (U+1FB00-U+1FB3B, 2x3 cells) draw the same QR at error
correction L in 18 rows, so the officer can photograph it. Modules come out about 3:4 instead of
square, which QR readers accept (it is an affine stretch). Terminals need a font with the
"Symbols for Legacy Computing" block (most current terminals draw them themselves).
"""

from __future__ import annotations

from .qr import qr_matrix

#: the three 2x3 patterns Unicode encodes elsewhere
_SPECIAL = {0: " ", 63: "\u2588", 21: "\u258c", 42: "\u2590"}


def sextant(bits: int) -> str:
    """bit 0 = top left, 1 = top right, 2 = middle left, 3 = middle right, 4 = bottom left, 5 = bottom right."""
    if bits in _SPECIAL:
        return _SPECIAL[bits]
    return chr(0x1FB00 + bits - 1 - (bits > 21) - (bits > 42))


def sextant_bits(ch: str) -> int:
    """The inverse of :func:`sextant` (used to check the rendering)."""
    for bits, special in _SPECIAL.items():
        if ch == special:
            return bits
    k = ord(ch) - 0x1FB00 + 1
    for skip in (21, 42):
        if k >= skip:
            k += 1
    return k


def compact_qr(text: str, *, quiet: int = 2) -> str:
    """Light modules drawn (light on the terminal's dark ground), like ``terminal_qr``."""
    m = qr_matrix(text, "L")
    size = len(m) + 2 * quiet
    light = [[True] * (size + size % 2) for _ in range(size + (-size) % 3)]
    for y, row in enumerate(m):
        for x, dark in enumerate(row):
            light[y + quiet][x + quiet] = not dark
    lines = []
    for y in range(0, len(light), 3):
        line = []
        for x in range(0, len(light[0]), 2):
            bits = 0
            for k, (dy, dx) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1))):
                if light[y + dy][x + dx]:
                    bits |= 1 << k
            line.append(sextant(bits))
        lines.append("".join(line))
    return "\n".join(lines)
