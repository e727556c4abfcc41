"""QR codes for receipts: terminal, PNG, SVG and vector (PDF) rendering, and decoding.

Receipt strings use only QR alphanumeric characters, so the ``qrcode`` library encodes
them in alphanumeric mode (5.5 bits a character). Error correction M. Decoding of photos,
scans and PDF slips uses zxing-cpp (PDF pages are rasterised with pypdfium2).

With ``receipt.verify_url`` set the QR holds a link, ``<verify_url>#IKR1:…``. A URL cannot
contain spaces, so the receipt in the fragment is percent-encoded (``%`` as ``%25``, space as
``%20``: still QR alphanumeric characters), and the QR has two segments: the mixed-case URL
prefix in byte mode, the receipt in alphanumeric mode (zxing-cpp's writer optimises the
segments; :func:`qr_version` builds the same two segments with ``qrcode``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..fsutil import atomic_writer
from ..i18n import _

QUIET = 4
_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def link_for(url: str, receipt: str) -> str:
    """The verifier link a QR carries: the receipt percent-encoded in the URL fragment."""
    return f"{url}#" + receipt.replace("%", "%25").replace(" ", "%20")


def qr_content(text: str) -> str:
    """What the QR holds for ``text``: a receipt as it is; ``URL#IKR1:…`` (raw) as a link."""
    url, sep, receipt = text.rpartition("#")
    if sep and url and "\n" not in url and receipt.startswith("IKR"):
        return link_for(url, receipt)
    return text


def receipt_candidates(text: str) -> list[str]:
    """The receipts a scanned or pasted text may stand for, most likely first.

    A link's fragment is percent-decoded (``%25``, ``%20``) and also taken as it is, so a link
    typed or pasted without encoding works too; the verifier page does the same."""
    from .receipt import normalise_input

    text = normalise_input(text)
    if "#" not in text or text.startswith("IKR1:"):
        return [text]
    frag = text.rsplit("#", 1)[1]
    out = []
    if re.search("%2[05]", frag, re.IGNORECASE):
        out.append(re.sub("%(2[05])", lambda m: " " if m.group(1) == "20" else "%", frag, flags=re.IGNORECASE))
    if re.search("%20", frag, re.IGNORECASE):
        out.append(re.sub("%20", " ", frag, flags=re.IGNORECASE))
    out.append(frag)
    return out


def _qr(text: str, ecc: str = "M") -> Any:
    import qrcode
    import qrcode.constants
    import qrcode.util

    level = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }[ecc]
    q = qrcode.QRCode(error_correction=level, border=0)
    content = qr_content(text)
    prefix, _sep, frag = content.rpartition("#")
    if content != text and frag and set(frag) <= _ALPHANUMERIC:
        # two segments: the URL prefix as bytes, the (alphanumeric) receipt as alphanumeric
        q.add_data(qrcode.util.QRData((prefix + "#").encode("utf-8"), mode=qrcode.util.MODE_8BIT_BYTE))
        q.add_data(qrcode.util.QRData(frag.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
    else:
        q.add_data(text, optimize=0)
    q.make(fit=True)
    return q


def qr_version(text: str, ecc: str = "M") -> int:
    """The smallest QR version that holds ``text`` at error correction ``ecc``."""
    return int(_qr(text, ecc).version)


def qr_matrix(text: str, ecc: str = "M") -> list[list[bool]]:
    """Dark (True) and light modules, without quiet zone.

    Encoded with zxing-cpp's writer (C++, ~1 ms) rather than the pure-Python ``qrcode``
    mask search (~75 ms), which matters for thousands of slips; both pick the same
    version (checked in tests/test_qr.py)."""
    import zxingcpp

    img = zxingcpp.create_barcode(qr_content(text), zxingcpp.BarcodeFormat.QRCode, ec_level=ecc).to_image(
        scale=1, add_quiet_zones=False
    )
    view = memoryview(img)  # type: ignore[arg-type]  # zxing-cpp images export the buffer protocol
    n = view.shape[0]  # type: ignore[index]
    data = view.tobytes()
    return [[data[r * n + c] == 0 for c in range(n)] for r in range(n)]


def terminal_qr(text: str, *, invert: bool = False, quiet: int = 2) -> str:
    """Half-block rendering: two module rows per text line (dark modules as spaces on light ground
    when ``invert`` is false, which is how phones read a light-on-dark terminal best)."""
    m = qr_matrix(text)
    size = len(m) + 2 * quiet
    grid = [[False] * size for _ in range(size)]
    for y, row in enumerate(m):
        for x, v in enumerate(row):
            grid[y + quiet][x + quiet] = v
    if len(grid) % 2:
        grid.append([False] * size)
    chars = {(False, False): "█", (False, True): "▀", (True, False): "▄", (True, True): " "}
    if invert:
        chars = {(False, False): " ", (False, True): "▄", (True, False): "▀", (True, True): "█"}
    lines = []
    for y in range(0, len(grid), 2):
        lines.append("".join(chars[(grid[y][x], grid[y + 1][x])] for x in range(size)))
    return "\n".join(lines)


def _caption_font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def qr_image(text: str, caption: list[str] | None = None, *, scale: int = 8) -> Any:
    """A PIL image of the QR with the human-readable caption lines under it."""
    from PIL import Image, ImageDraw

    m = qr_matrix(text)
    n = len(m)
    size = (n + 2 * QUIET) * scale
    lines = caption or []
    font = _caption_font(max(14, scale * 2))
    line_h = max(18, scale * 3)
    img = Image.new("L", (size, size + line_h * len(lines) + (scale * 2 if lines else 0)), 255)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(m):
        for x, v in enumerate(row):
            if v:
                x0, y0 = (x + QUIET) * scale, (y + QUIET) * scale
                draw.rectangle([x0, y0, x0 + scale - 1, y0 + scale - 1], fill=0)
    for i, line in enumerate(lines):
        draw.text((scale * QUIET, size + i * line_h), line, fill=0, font=font)
    return img


def write_png(path: Path, text: str, caption: list[str] | None = None, *, scale: int = 8) -> None:
    img = qr_image(text, caption, scale=scale)
    with atomic_writer(path) as fh:
        img.save(fh, format="PNG")


def svg_text(text: str, caption: list[str] | None = None, *, scale: int = 6) -> str:
    from xml.sax.saxutils import escape

    m = qr_matrix(text)
    n = len(m) + 2 * QUIET
    lines = caption or []
    height = n * scale + len(lines) * 18 + (12 if lines else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{n * scale}" height="{height}" '
        f'viewBox="0 0 {n * scale} {height}">',
        '<rect width="100%" height="100%" fill="#fff"/>',
    ]
    for y, row in enumerate(m):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(
                    f'<rect x="{(start + QUIET) * scale}" y="{(y + QUIET) * scale}" '
                    f'width="{(x - start) * scale}" height="{scale}" fill="#000"/>'
                )
            else:
                x += 1
    for i, line in enumerate(lines):
        parts.append(
            f'<text x="{QUIET * scale}" y="{n * scale + 14 + i * 18}" font-family="sans-serif" '
            f'font-size="13">{escape(line)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(path: Path, text: str, caption: list[str] | None = None) -> None:
    with atomic_writer(path) as fh:
        fh.write(svg_text(text, caption).encode("utf-8"))


def _decode_image(img: Any) -> list[str]:
    import zxingcpp

    results = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
    return [r.text for r in results if r.text]


# Bounds for decoding pictures: a few bytes can declare a gigapixel image or a 5-metre PDF page.
MAX_IMAGE_PIXELS = 50_000_000  # a 48-megapixel phone photo still passes
PDF_RENDER_SCALE = 3.0  # 216 dpi: a slip's QR code reads reliably
MAX_PDF_PAGE_PIXELS = 16_000_000  # an A4 page at 216 dpi is 4.5 million


def _pdf_scale(size: tuple[float, float]) -> float:
    """The render scale for a page of ``size`` points: 3, or less so the page stays within the bound."""
    w, h = (max(1.0, float(x)) for x in size)
    return min(PDF_RENDER_SCALE, (MAX_PDF_PAGE_PIXELS / (w * h)) ** 0.5)


def _too_large(path: Path) -> InputError:
    return InputError(
        _(
            "{path} is an image too large to read (more than {limit} million pixels)",
            path=path,
            limit=MAX_IMAGE_PIXELS // 1_000_000,
        ),
        _("take or export a smaller picture of the QR code"),
    )


def _check_image_size(opened: Any, path: Path) -> None:
    """Refuse a picture whose declared size is too large, before its pixels are decoded."""
    if getattr(opened, "format", None) == "JPEG":
        opened.draft("L", (8000, 8000))  # JPEG decodes at a reduced scale for free
    w, h = opened.size
    if w * h > MAX_IMAGE_PIXELS:
        raise _too_large(path)


def decode_file(path: Path) -> list[str]:
    """Every QR text in a PNG/JPEG photo or scan, or in each page of a PDF."""
    from ..fsutil import read_input_bytes

    data = read_input_bytes(path, limit=200_000_000)
    if not data:
        raise InputError(_("{path} is empty", path=path), _("check that this is the right file"))
    found: list[str] = []
    if data[:5] == b"%PDF-":
        import pypdfium2

        try:
            pdf = pypdfium2.PdfDocument(data)
            for page in pdf:
                found += _decode_image(
                    page.render(scale=_pdf_scale(page.get_size()), grayscale=True).to_pil().convert("L")
                )
        except pypdfium2.PdfiumError as exc:
            raise InputError(
                _("{path} is not a readable PDF", path=path), _("check that this is the right file")
            ) from exc
    else:
        import io

        from PIL import Image, ImageOps, UnidentifiedImageError

        try:
            opened = Image.open(io.BytesIO(data))
            _check_image_size(opened, path)
            img = ImageOps.exif_transpose(opened).convert("L")
        except Image.DecompressionBombError as exc:
            raise _too_large(path) from exc
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise InputError(
                _("{path} is neither an image nor a PDF", path=path),
                _("give a PNG or JPEG photo of the QR code, or the PDF slip"),
            ) from exc
        found = _decode_image(img)
    if not found:
        raise InputError(
            _("No QR code found in {path}", path=path),
            _("take a sharper, straight photo with the whole QR code in view"),
        )
    return found
