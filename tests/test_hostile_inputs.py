"""Files built to attack the parsers: each gives one line and an exit code, in a real process.

The CLI runs in a subprocess so that an abort (SIGABRT in the XLSX reader) or a memory blow-up
would be seen as what it is. Every hostile file is generated here.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from ikrar_cli.receipts.receipt import sign_receipt

ROOT = Path(__file__).resolve().parents[1]
EXIT_INPUT, EXIT_INVALID = 3, 1


def run(home: Path, *args: str, limit_as: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKRAR_")}
    env.update(IKRAR_HOME=str(home), IKRAR_LANG="en", PYTHONPATH=str(ROOT))

    def limits() -> None:
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    return subprocess.run(
        [sys.executable, "-m", "ikrar_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        preexec_fn=limits,
        timeout=600,
    )


def one_line_error(r: subprocess.CompletedProcess[str], code: int) -> str:
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr[-2000:]
    return lines[0]


def xlsx_with(tmp_path: Path, name: str, sheet_xml: bytes | None = None, **extra: bytes) -> Path:
    """A real workbook from xlsxwriter, with its first sheet (or other parts) replaced."""
    import xlsxwriter

    base = tmp_path / f"base-{name}"
    wb = xlsxwriter.Workbook(str(base))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["NIP", "Nama", "Unit Kerja"])
    ws.write_row(1, 0, ["198609262015051001", "Ahmad Yani", "Dinas Kesehatan"])
    wb.close()
    parts = {}
    with zipfile.ZipFile(base) as zf:
        for info in zf.infolist():
            parts[info.filename] = zf.read(info)
    if sheet_xml is not None:
        parts["xl/worksheets/sheet1.xml"] = sheet_xml
    parts.update({k.replace("__", "/"): v for k, v in extra.items()})
    out = tmp_path / name
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for k, v in parts.items():
            zf.writestr(k, v)
    return out


SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<dimension ref="%s"/><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>NIP</t></is></c><c r="B1" t="inlineStr"><is><t>Nama</t></is></c></row>'
    b"%s</sheetData></worksheet>"
)


@pytest.fixture
def home(workspace: Path) -> Path:
    return workspace


def test_cell_at_the_last_address_is_refused_not_an_abort(home: Path, tmp_path: Path) -> None:
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    f = xlsx_with(tmp_path, "far.xlsx", SHEET % (b"A1:B1", far))
    assert f.stat().st_size < 8000
    line = one_line_error(run(home, "roster", "import", str(f)), EXIT_INPUT)
    assert "1048576 rows" in line and "16384 columns" in line


def test_cell_far_away_without_row_numbers_and_with_single_quotes(home: Path, tmp_path: Path) -> None:
    far = b"<row><c r='XFD9' t='inlineStr'><is><t>x</t></is></c></row>" * 2 + b"<row r = '900000'><c/></row>"
    f = xlsx_with(tmp_path, "far2.xlsx", SHEET % (b"A1", far))
    line = one_line_error(run(home, "roster", "import", str(f)), EXIT_INPUT)
    assert "900000 rows" in line


@pytest.mark.parametrize(
    "far",
    [
        b'<row r="2"><c r="&#88;FD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
        b'<row r="2"><c t="inlineStr" r="XFD5" s=">"><is><t>x</t></is></c></row>',
        b'<row r="2"><c r="A2"/><c/>' + b"<c/>" * 20 + b"</row>" + b'<row r="400000"><c r="A400000"/></row>',
    ],
    ids=["entity in the reference", "'>' inside an attribute", "cells without r"],
)
def test_unusual_sheet_xml_is_still_measured(home: Path, tmp_path: Path, far: bytes) -> None:
    f = xlsx_with(tmp_path, "odd.xlsx", SHEET % (b"A1:B1", far))
    one_line_error(run(home, "roster", "import", str(f)), EXIT_INPUT)


def test_prefixed_sheet_elements_are_measured(tmp_path: Path) -> None:
    from ikrar_cli.errors import InputError
    from ikrar_cli.sheets.xlsx_guard import check_xlsx

    sheet = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        b'<x:row x:r="1"><x:c x:r="A1"><x:v>1</x:v></x:c><x:c x:r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
        b"</x:sheetData></x:worksheet>"
    )
    with pytest.raises(InputError, match="1048576"):
        check_xlsx(xlsx_with(tmp_path, "prefixed.xlsx", sheet))
    check_xlsx(xlsx_with(tmp_path, "plain.xlsx"))  # an ordinary workbook passes


def test_declared_dimension_too_large_is_refused(home: Path, tmp_path: Path) -> None:
    f = xlsx_with(tmp_path, "dim.xlsx", SHEET % (b"A1:XFD1048576", b""))
    one_line_error(run(home, "roster", "import", str(f)), EXIT_INPUT)


def test_doctype_in_a_sheet_is_refused(home: Path, tmp_path: Path) -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet/>'
    f = xlsx_with(tmp_path, "dtd.xlsx", laughs)
    assert "DOCTYPE" in one_line_error(run(home, "roster", "import", str(f)), EXIT_INPUT)


def test_zip_bomb_is_refused_before_inflating(home: Path, tmp_path: Path) -> None:
    big = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>' + b"A" * (40 << 20)
    f = xlsx_with(tmp_path, "bomb.xlsx", None, xl__sharedStrings_xml=big + b"</t></si></sst>")
    assert f.stat().st_size < 200_000
    r = run(home, "roster", "import", str(f), limit_as=1 << 30)
    line = one_line_error(r, EXIT_INPUT)
    assert "zip bomb" in line and len(line) < 400


def test_member_whose_header_lies_about_its_size_is_refused(home: Path, tmp_path: Path) -> None:
    f = xlsx_with(tmp_path, "lie.xlsx", SHEET % (b"A1:B1", b""))
    data = bytearray(f.read_bytes())
    # shrink the declared (uncompressed) size of the sheet in its central directory entry
    name = b"xl/worksheets/sheet1.xml"
    at = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    f.write_bytes(bytes(data))
    one_line_error(run(home, "roster", "import", str(f)), EXIT_INPUT)


def test_a_huge_cell_is_not_echoed_whole(home: Path, tmp_path: Path) -> None:
    f = tmp_path / "huge.csv"
    f.write_text("NIP,Nama,Unit Kerja\n" + "9" * 30 + "\x1b[2K" + "X" * 200_000 + ",A,B\n")
    r = run(home, "roster", "import", str(f))
    assert r.returncode == EXIT_INPUT and "Traceback" not in r.stderr
    assert len(r.stderr) < 3000, len(r.stderr)
    assert "\x1b" not in r.stderr


def png_bomb() -> bytes:
    """A small PNG declaring 30,000 × 30,000 pixels (900 million)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    w = h = 30_000
    raw = zlib.compressobj(9)
    data = b"".join(raw.compress(b"\x00" * (w + 1)) for _ in range(200)) + raw.flush()
    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def huge_page_pdf() -> bytes:
    """A valid 1-page PDF whose page is 14,400 × 14,400 points (5 m square)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (i, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


@pytest.fixture
def bundle_args(tmp_path: Path) -> list[str]:
    import receipt_helpers as h

    from ikrar_cli.keys.keyfiles import fingerprint, raw_public
    from ikrar_cli.keys.trust import key_id, signed_bundle_file

    auth = h.authority()
    f = tmp_path / "bundle.json"
    f.write_bytes(signed_bundle_file(h.bundle(), auth.sign, key_id(raw_public(auth))))
    return ["--bundle", str(f), "--fingerprint", fingerprint(raw_public(auth))]


def test_png_decompression_bomb_is_one_invalid_item_in_a_batch(tmp_path: Path, bundle_args: list[str]) -> None:
    import receipt_helpers as h

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb())
    assert bomb.stat().st_size < 100_000
    good = sign_receipt(h.claims(), h.terminal().sign, h.certificate(h.terminal(), h.authority()).kid).text
    r = run(tmp_path / "nows", "verify", *bundle_args, good, str(bomb), good)
    assert r.returncode == EXIT_INVALID, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("VALID") and lines[-2].startswith("VALID")
    assert any("bomb.png" in x and "too large" in x for x in lines)


def test_pdf_with_a_huge_page_is_read_in_bounded_memory(tmp_path: Path, bundle_args: list[str]) -> None:
    pdf = tmp_path / "huge.pdf"
    pdf.write_bytes(huge_page_pdf())
    assert pdf.stat().st_size < 600
    r = run(tmp_path / "nows", "verify", *bundle_args, str(pdf), limit_as=1536 << 20)
    assert r.returncode == EXIT_INVALID, r.stderr
    assert "No QR code found" in r.stdout + r.stderr


ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_yaml_alias_bomb_is_refused_in_pledge_validate(home: Path, tmp_path: Path) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB) < 600
    r = run(home, "pledge", "validate", str(f), limit_as=1 << 30)
    assert r.returncode == EXIT_INPUT, r.stderr[-500:]
    assert "Traceback" not in r.stderr and "anchors and aliases" in r.stderr and "bomb.yaml:1:" in r.stderr


def test_even_one_alias_is_refused(home: Path, tmp_path: Path) -> None:
    from ikrar_cli.pledges.templates import TemplateError, _compose

    with pytest.raises(TemplateError, match=":3: "):
        _compose("id: x\nv: 1\nt: &t Judul\nu: *t\n", tmp_path / "x.yaml")


def test_yaml_alias_bomb_in_an_extra_template_folder(home: Path, tmp_path: Path) -> None:
    extra = tmp_path / "templat"
    extra.mkdir()
    (extra / "bomb.yaml").write_text(ALIAS_BOMB)
    cfg = home / "ikrar.yaml"
    cfg.write_text(cfg.read_text().replace("extra_dirs: []", f"extra_dirs: [{extra}]"))
    r = run(home, "pledge", "list", limit_as=1 << 30)
    assert r.returncode in (0, EXIT_INPUT), r.stderr[-500:]
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr
    if r.returncode:
        assert "anchors and aliases" in r.stderr
