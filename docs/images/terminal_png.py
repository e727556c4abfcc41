"""Render a plain-text terminal capture (tmux capture-pane -p) as a PNG, drawing block and sextant
characters as cells (fonts rarely carry the sextants), as a terminal with such a font would.

    python docs/images/terminal_png.py capture.txt docs/images/kiosk-80x24.png
"""

from __future__ import annotations

import sys

from PIL import Image, ImageDraw, ImageFont

CW, CH = 10, 20  # cell size in pixels (1:2, like a terminal)
FG, BG = (235, 235, 235), (24, 24, 24)


def cell_bits(ch: str) -> tuple[int, int, int] | None:
    """(columns, rows, bits) for block characters drawn as a grid, else None."""
    if ch == "█":
        return (1, 1, 1)
    if ch in "▀▄":
        return (1, 2, 1 if ch == "▀" else 2)
    if ch in "▌▐":
        return (2, 1, 1 if ch == "▌" else 2)
    if 0x1FB00 <= ord(ch) <= 0x1FB3B:
        sys.path.insert(0, ".")
        from ikrar_cli.receipts.termqr import sextant_bits

        return (2, 3, sextant_bits(ch))
    return None


def render(lines: list[str], out: str) -> None:
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 16)
    width = max(80, *(len(x) for x in lines))
    img = Image.new("RGB", (width * CW + 20, len(lines) * CH + 20), BG)
    d = ImageDraw.Draw(img)
    for y, line in enumerate(lines):
        for x, ch in enumerate(line):
            x0, y0 = 10 + x * CW, 10 + y * CH
            grid = cell_bits(ch)
            if grid is None:
                if ch != " ":
                    d.text((x0, y0 + 1), ch, fill=FG, font=font)
                continue
            cols, rows, bits = grid
            for k in range(cols * rows):
                if bits >> k & 1:
                    cx, cy = k % cols, k // cols
                    d.rectangle([x0 + cx * CW // cols, y0 + cy * CH // rows,
                                 x0 + (cx + 1) * CW // cols - 1, y0 + (cy + 1) * CH // rows - 1], fill=FG)
    img.save(out)


if __name__ == "__main__":
    render(open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")[:24], sys.argv[2])
