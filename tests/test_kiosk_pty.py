"""The kiosk driven through a real pseudo-terminal (pexpect), as an operator would use it."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest
from test_recitation import PASS, setup_terminal

ROOT = Path(__file__).resolve().parents[1]


def default_signals() -> None:
    """In the kiosk child: Ctrl-C and hang-up act as on an operator's terminal, even when the test run
    itself was started with them ignored (nohup, a background job, some CI runners)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def spawn(home: Path, *extra: str, rows: int = 24, lang: str = "en") -> pexpect.spawn:
    env = dict(
        os.environ,
        IKRAR_HOME=str(home),
        IKRAR_LANG=lang,
        PYTHONPATH=str(ROOT),
        TERM="xterm",
        COLUMNS="80",
        LINES=str(rows),
        **PASS,
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ikrar_cli", "recite", "--session", "1", *extra],
        env=env,
        encoding="utf-8",
        timeout=120,  # a bound for a hung kiosk only; every step waits for its prompt
        dimensions=(rows, 80),
        cwd=str(ROOT),
        preexec_fn=default_signals,
    )
    return child


# read(2)'s number per machine, as /proc/PID/syscall shows it (first field)
_READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}


def send_ctrl_c(child: pexpect.spawn, timeout: float = 60.0) -> None:
    """Ctrl-C once the kiosk's main thread is blocked reading the terminal (fd 0).

    Seeing the prompt is not enough: ``input()`` writes the prompt, then calls read(2). A SIGINT in
    between is noted by Python, but the read that follows does not see it, so the KeyboardInterrupt
    would only come with the next line typed (an operator presses Ctrl-C again; a test would hang).
    The state is read from ``/proc/PID/syscall`` (Linux); the timeout only bounds a hung kiosk."""
    import platform
    import time

    nr = _READ_SYSCALL.get(platform.machine())
    if nr is None:
        pytest.skip(f"read(2)'s syscall number on {platform.machine()} is not known to this test")
    deadline = time.monotonic() + timeout
    while True:
        with open(f"/proc/{child.pid}/syscall", encoding="ascii") as fh:
            state = fh.read().split()
        if state[:2] == [nr, "0x0"]:
            break
        assert time.monotonic() < deadline, f"the kiosk never waited for input: {state}"
        time.sleep(0.01)
    child.sendintr()


def count(home: Path) -> int:
    return sqlite3.connect(home / "ikrar.db").execute("SELECT COUNT(*) FROM attestations").fetchone()[0]


@pytest.fixture
def home(ikrar, tmp_path: Path) -> Path:
    return setup_terminal(ikrar, tmp_path)


def test_full_officer_flow_wrong_phrase_then_right(home: Path, tmp_path: Path) -> None:
    k = spawn(home, "--slip-dir", str(tmp_path / "slips"))
    k.expect(r"1/3.{0,12}pledged")
    k.expect("Type or scan the NIP")
    k.sendline("NIP: 20001231 202421 1 001")  # an ID-card scan string with separators
    k.expect("Siti Aminah")
    k.expect(r"right officer\? \[Y/n\]")
    k.sendline("")
    k.expect("Menolak politik uang")
    k.expect("type «SAYA BERIKRAR»")
    k.sendline("saya berjanji")
    k.expect("That is not «SAYA BERIKRAR». 2 tries left.")
    k.sendline("  saya   BERIKRAR ")
    k.expect("PLEDGE RECORDED")
    k.expect("\U0001fb00|[\U0001fb01-\U0001fb3b]")  # 80x24: the compact (sextant) QR fits the screen
    k.expect("Slip: ")
    k.expect("Press Enter for the next officer")
    k.sendline("")
    k.expect(r"2/3.{0,12}pledged")
    k.sendline("")  # a second Enter does not close the kiosk
    k.expect("Type or scan the NIP")
    k.sendline("selesai")
    k.expect(r"Close the kiosk\? \(y/N\)")
    k.sendline("y")
    k.expect("Kiosk closed: 1 new attestations in this run. Session 1 stays open.")
    k.expect(pexpect.EOF)
    assert count(home) == 2
    assert list((tmp_path / "slips").glob("200012312024211001-*.pdf"))


def test_already_pledged_shows_existing_receipt_and_tall_screen_shows_qr(home: Path) -> None:
    k = spawn(home, rows=45)
    k.expect("Type or scan the NIP")
    k.sendline("198609262015051001")
    k.expect("ALREADY PLEDGED")
    k.expect("█████")
    k.expect("Press Enter")
    k.sendline("")
    k.sendeof()
    k.expect(pexpect.EOF)
    assert count(home) == 1


def test_unknown_typo_and_cancel_paths(home: Path) -> None:
    k = spawn(home)
    k.expect("Type or scan the NIP")
    k.sendline("199001012015032002")
    k.expect("not on the roster")
    k.expect("Press Enter")
    k.sendline("")
    k.expect("Type or scan the NIP")
    k.sendline("198609312015051001")
    k.expect("not a real birth date")
    k.sendline("")
    k.expect("Type or scan the NIP")
    k.sendline("197803122005011002")
    k.expect(r"\[Y/n\]")
    k.sendline("n")  # operator: wrong person
    k.expect("Type or scan the NIP")
    k.sendline("197803122005011002")
    k.expect(r"\[Y/n\]")
    k.sendline("y")
    k.expect("empty = cancel")
    k.sendline("")
    k.expect("Cancelled; nothing was recorded.")
    k.sendline("")
    k.sendeof()
    k.expect(pexpect.EOF)
    assert count(home) == 1


def test_ctrl_c_mid_officer_keeps_nothing_and_session_stays_open(home: Path) -> None:
    k = spawn(home)
    k.expect("Type or scan the NIP")
    k.sendline("197803122005011002")
    k.expect(r"\[Y/n\]")
    k.sendline("")
    k.expect("empty = cancel")
    send_ctrl_c(k)
    k.expect("Cancelled by the operator; nothing half-written was kept.")
    k.sendline("")
    k.expect("Type or scan the NIP")
    send_ctrl_c(k)
    k.expect("Session 1 stays open")
    k.expect(pexpect.EOF)
    assert count(home) == 1
    conn = sqlite3.connect(home / "ikrar.db")
    assert conn.execute("SELECT closed_at FROM sessions WHERE id = 1").fetchone()[0] is None


def test_terminal_closed_mid_officer(home: Path) -> None:
    k = spawn(home)
    k.expect("Type or scan the NIP")
    k.sendline("197803122005011002")
    k.expect(r"\[Y/n\]")
    k.kill(signal.SIGHUP)  # the operator closed the terminal window
    k.expect(pexpect.EOF)
    k.wait()
    assert k.signalstatus == signal.SIGHUP  # it was the hang-up that ended the kiosk, mid-officer
    assert count(home) == 1
    k2 = spawn(home, lang="id")
    k2.expect("Ketik atau pindai NIP")
    k2.sendline("197803122005011002")
    k2.expect(r"\[Y/n\]")
    k2.sendline("")
    k2.expect("SAYA BERIKRAR")
    k2.sendline("SAYA BERIKRAR")
    k2.expect("IKRAR TERCATAT")
    k2.sendline("")
    k2.sendeof()
    k2.expect(pexpect.EOF)
    assert count(home) == 2


def test_wrong_passphrase_is_refused_before_the_loop(home: Path) -> None:
    env = dict(os.environ, IKRAR_HOME=str(home), IKRAR_LANG="en", PYTHONPATH=str(ROOT), IKRAR_PASSPHRASE="salah")
    k = pexpect.spawn(
        sys.executable,
        ["-m", "ikrar_cli", "recite", "--session", "1"],
        env=env,
        encoding="utf-8",
        timeout=120,  # a bound for a hung kiosk only; every step waits for its prompt
        cwd=str(ROOT),
        preexec_fn=default_signals,
    )
    k.expect("Wrong passphrase")
    k.expect(pexpect.EOF)
    k.close()
    assert k.exitstatus == 6
