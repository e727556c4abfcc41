"""The kiosk operator's day, through a real pseudo-terminal of 80x24: a deliberate quit, three
passphrase tries, a clean redraw after Ctrl-C, slips in the workspace, something to take away
(the compact QR decodes to the receipt; a printer slip), a printer failure that does not stop."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest
from test_kiosk_pty import ROOT, count, send_ctrl_c, spawn
from test_recitation import PASS, setup_terminal

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def home(ikrar, tmp_path: Path) -> Path:
    return setup_terminal(ikrar, tmp_path)


def pledge(k: pexpect.spawn, nip: str) -> None:
    k.expect("Type or scan the NIP")
    k.sendline(nip)
    k.expect(r"\[Y/n\]")
    k.sendline("")
    k.expect("SAYA BERIKRAR")
    k.sendline("SAYA BERIKRAR")
    k.expect("PLEDGE RECORDED")


def quit_kiosk(k: pexpect.spawn) -> None:
    k.expect("Type or scan the NIP")
    k.sendline("SELESAI")
    k.expect(r"Close the kiosk\? \(y/N\)")
    k.sendline("y")
    k.expect("Kiosk closed")
    k.expect(pexpect.EOF)


def test_enter_twice_does_not_quit_only_a_confirmed_quit_does(home: Path) -> None:
    k = spawn(home)
    for _ in range(3):
        k.expect("Type or scan the NIP")
        k.sendline("")  # stray Enters (e.g. the operator pressing Enter after each receipt)
    k.expect("Type or scan the NIP")
    k.sendline("keluar")
    k.expect(r"Close the kiosk\? \(y/N\)")
    k.sendline("")  # default is No: the kiosk goes on
    pledge(k, "200012312024211001")
    k.expect("Press Enter for the next officer")
    k.sendline("")
    k.expect(r"2/3.{0,12}pledged")
    k.sendline("")
    quit_kiosk(k)
    assert count(home) == 2


def passphrase_kiosk(home: Path) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k != "IKRAR_PASSPHRASE"}
    env.update(IKRAR_HOME=str(home), IKRAR_LANG="en", PYTHONPATH=str(ROOT), TERM="xterm", COLUMNS="80", LINES="24")
    return pexpect.spawn(sys.executable, ["-m", "ikrar_cli", "recite", "--session", "1"], env=env,
                         encoding="utf-8", timeout=120, dimensions=(24, 80), cwd=str(ROOT))  # fmt: skip


def test_a_mistyped_passphrase_is_asked_again_three_tries(home: Path) -> None:
    k = passphrase_kiosk(home)
    k.expect("Terminal key passphrase")
    k.sendline("salah-1")
    k.expect("Wrong passphrase; 2 tries left.")
    k.expect("Terminal key passphrase")
    k.sendline("salah-2")
    k.expect("Wrong passphrase; 1 tries left.")
    k.expect("Terminal key passphrase")
    k.sendline(PASS["IKRAR_PASSPHRASE"])
    quit_kiosk(k)
    k.close()
    assert k.exitstatus == 0
    k = passphrase_kiosk(home)
    for _ in range(3):
        k.expect("Terminal key passphrase")
        k.sendline("salah")
    k.expect("Wrong passphrase for")
    k.expect(pexpect.EOF)
    k.close()
    assert k.exitstatus == 6 and "salah" not in (k.before or "")


def test_ctrl_c_redraws_the_screen_before_the_message(home: Path) -> None:
    k = spawn(home)
    k.expect("Type or scan the NIP")
    k.sendline("197803122005011002")
    k.expect(r"\[Y/n\]")
    k.sendline("")
    k.expect("empty = cancel")
    send_ctrl_c(k)
    k.expect("Cancelled by the operator")
    shown = k.before
    after_c = shown[shown.rfind("^C") :] if "^C" in shown else shown
    # the screen is cleared and the header drawn again before the box: never a box on the ^C line
    assert "\x1b[2J" in after_c
    box_top = ANSI.sub("", after_c).splitlines()[-1]
    assert box_top.lstrip().startswith("│") or "╭" in ANSI.sub("", after_c)
    lines = ANSI.sub("", after_c).splitlines()
    top = next(line for line in lines if "╭" in line)
    assert top.startswith("╭") and top.rstrip().endswith("╮"), top  # whole border from column 0
    k.sendline("")
    quit_kiosk(k)
    assert count(home) == 1


def sextant_image(lines: list[str]) -> object:
    from PIL import Image

    from ikrar_cli.receipts.termqr import sextant_bits

    w, h = len(lines[0]) * 2, len(lines) * 3
    scale, border = 6, 8
    img = Image.new("L", ((w + 2 * border) * scale, (h + 2 * border) * scale), 255)
    px = img.load()
    for y, line in enumerate(lines):
        for x, ch in enumerate(line):
            bits = sextant_bits(ch)
            for k, (dy, dx) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1))):
                if not bits >> k & 1:  # dark module
                    for sy in range(scale):
                        for sx in range(scale):
                            px[((x * 2 + dx + border) * scale + sx), ((y * 3 + dy + border) * scale + sy)] = 0
    return img


def test_80x24_compact_qr_decodes_to_the_receipt_and_slips_go_to_the_workspace(ikrar, home: Path) -> None:
    import zxingcpp

    k = spawn(home)  # no --slip-dir
    pledge(k, "200012312024211001")
    k.expect("Slip: ")
    screen = ANSI.sub("", k.before)
    k.expect("Press Enter for the next officer")
    k.sendline("")
    quit_kiosk(k)
    allowed = set(" █▌▐") | {chr(c) for c in range(0x1FB00, 0x1FB3C)}
    qr = [line.strip(" ") for line in screen.splitlines() if line.strip() and set(line.strip()) <= allowed]
    qr = [line for line in qr if len(line) == len(qr[0])]
    assert 15 <= len(qr) <= 20  # fits the 24-row screen with the name, time and prompt
    found = zxingcpp.read_barcodes(sextant_image(qr))
    receipt = sqlite3.connect(home / "ikrar.db").execute(
        "SELECT receipt FROM attestations WHERE officer_id = '200012312024211001'"
    ).fetchone()[0]
    assert [r.text for r in found] == [receipt]
    assert ikrar("verify", receipt).exit_code == 0
    slip = home / "slips" / "session-1" / "200012312024211001-pilkada-2024.pdf"
    assert slip.is_file() and (slip.parent.stat().st_mode & 0o077) == 0
    assert ikrar("verify", str(slip)).exit_code == 0


def test_printer_slip_and_a_failing_printer_does_not_stop_the_kiosk(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "thermal.bin"
    k = spawn(home, "--printer", f"escpos:file:{out}")
    pledge(k, "200012312024211001")
    k.expect("Receipt printed.")
    k.sendline("")
    quit_kiosk(k)
    receipt = sqlite3.connect(home / "ikrar.db").execute(
        "SELECT receipt FROM attestations WHERE officer_id = '200012312024211001'"
    ).fetchone()[0]
    assert receipt.encode() in out.read_bytes() and b"\x1d(k" in out.read_bytes()
    k = spawn(home, "--printer", f"escpos:file:{tmp_path}/missing/lp0")
    pledge(k, "197803122005011002")
    k.expect(r"Printer escpos:file:\S+: .*printer is on")
    k.expect("Press Enter for the next officer")  # the kiosk goes on
    k.sendline("")
    k.expect(r"3/3.{0,12}pledged")
    k.sendline("")
    quit_kiosk(k)
    assert count(home) == 3
    assert "Traceback" not in (k.before or "")
