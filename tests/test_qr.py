"""QR rendering and decoding: versions, terminal rendering read back, files, slips."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikrar_cli.errors import InputError
from ikrar_cli.i18n import set_language
from ikrar_cli.receipts.qr import decode_file, qr_matrix, qr_version, svg_text, terminal_qr, write_png, write_svg
from ikrar_cli.receipts.slips import Slip, pdf_text, write_slip_pdf, write_slips_pdf

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
TEXT = ("IKR1:" + ALNUM * 7)[:311]


def test_versions_at_ecc_m() -> None:
    assert qr_version(TEXT) == 10
    assert qr_version(TEXT + "0") == 11
    assert len(qr_matrix(TEXT)) == 57 == 17 + 4 * qr_version(TEXT)


def test_fast_matrix_agrees_with_the_qrcode_library_on_version() -> None:
    import qrcode

    for n in (40, 120, 200, 311, 400):
        q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        q.add_data(TEXT[:n] if n <= 311 else TEXT + TEXT[: n - 311], optimize=0)
        q.make(fit=True)
        assert len(qr_matrix(TEXT[:n] if n <= 311 else TEXT + TEXT[: n - 311])) == len(q.modules)


def test_terminal_rendering_decodes_back() -> None:
    """Draw each half-block character as 1x2 modules (light glyphs on black) and read it with zxing."""
    import zxingcpp
    from PIL import Image

    art = terminal_qr(TEXT).split("\n")
    scale = 6
    img = Image.new("L", (len(art[0]) * scale, len(art) * 2 * scale), 0)
    px = img.load()
    top = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}
    for r, line in enumerate(art):
        for c, ch in enumerate(line):
            for half, lit in enumerate(top[ch]):
                if lit:
                    for y in range(scale):
                        for x in range(scale):
                            px[c * scale + x, (2 * r + half) * scale + y] = 255
    assert [b.text for b in zxingcpp.read_barcodes(img)] == [TEXT]
    assert len(art) <= 31 and max(map(len, art)) <= 61


def test_png_round_trip_rotated_and_scaled(tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "r.png"
    write_png(png, TEXT, ["Andi Baso", "198609262015051001"])
    assert decode_file(png) == [TEXT]
    img = Image.open(png).convert("L").rotate(17, expand=True, fillcolor=255).resize((700, 760))
    photo = tmp_path / "photo.jpg"
    img.save(photo, quality=70)
    assert decode_file(photo) == [TEXT]


def test_svg_has_modules_and_caption(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    svg = tmp_path / "r.svg"
    write_svg(svg, TEXT, ["Ni Luh <Ayu> & co"])
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}rect")
    dark = sum(sum(row) for row in qr_matrix(TEXT))
    assert sum(int(r.get("width", "0")) for r in rects[1:]) // 6 == dark
    assert root.find(f"{ns}text").text == "Ni Luh <Ayu> & co"
    assert "&lt;Ayu&gt;" in svg_text(TEXT, ["Ni Luh <Ayu>"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\nbroken", "is neither an image nor a PDF"),
        (b"random bytes", "is neither an image nor a PDF"),
        (b"%PDF-1.4 garbage", "is not a readable PDF"),
    ],
)
def test_decode_errors(tmp_path: Path, content: bytes, message: str) -> None:
    set_language("en")
    f = tmp_path / "x.bin"
    f.write_bytes(content)
    with pytest.raises(InputError) as info:
        decode_file(f)
    assert info.value.message == f"{f} {message}"


def test_decode_missing_directory_and_blank(tmp_path: Path) -> None:
    from PIL import Image

    set_language("en")
    with pytest.raises(InputError, match="File not found"):
        decode_file(tmp_path / "missing.png")
    with pytest.raises(InputError, match="is a directory"):
        decode_file(tmp_path)
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 300), 255).save(blank)
    with pytest.raises(InputError, match="No QR code found"):
        decode_file(blank)


def _slip(i: int, name: str = "Ni Luh Putu Ayu") -> Slip:
    labels = {k: k.title() for k in ("officer", "id", "unit", "time", "terminal", "method")}
    return Slip(
        TEXT[:-4] + f"{i:04d}",
        "BKPSDM Kabupaten Uji",
        "Ikrar Netralitas ASN pada Pilkada 2024",
        ("Satu.", "Dua."),
        name,
        f"1986092620150510{i:02d}",
        "DINKES",
        "2024-10-01 08:30:12 WITA",
        "apel-1",
        "individu",
        "ikrar verify",
        labels,
    )


def test_slips_pdf_pages_text_and_qr(tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "s.pdf"
    assert write_slips_pdf(pdf, (_slip(i) for i in range(9))) == 9
    reader = PdfReader(pdf)
    assert len(reader.pages) == 3
    text = "".join(p.extract_text() for p in reader.pages)
    assert all(f"1986092620150510{i:02d}" in text for i in range(9))
    assert sorted(decode_file(pdf)) == sorted(_slip(i).receipt_text for i in range(9))


def test_names_outside_latin1_do_not_crash(tmp_path: Path) -> None:
    assert pdf_text("Łucja O’Neil — Nguyễn") == "Lucja O'Neil - Nguyen"
    one = tmp_path / "one.pdf"
    write_slip_pdf(one, _slip(1, "Łucja O’Neil Nguyễn 王"))
    assert decode_file(one) == [_slip(1).receipt_text]
