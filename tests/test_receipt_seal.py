"""`ikrar receipt show --pdf --seal` and the kiosk's own PDF slips are sealed (PAdES, pyHanko) like
every other document; checked with pyHanko's validator against a throwaway CA (issue 16 gap e)."""

from __future__ import annotations

import json
from pathlib import Path

import pexpect
import pytest
from doc_helpers import build_office, make_p12
from test_kiosk_day import pledge, quit_kiosk
from test_kiosk_pty import spawn
from test_recitation import setup_terminal
from test_seal_printer import SEAL_PASS, status


def _intact_and_trusted(data: bytes, ca: object) -> None:
    st = status(data, ca)
    assert st["sealed"] and st["intact"] and st["valid"] and st["trusted"], st
    assert st["coverage"].endswith("ENTIRE_FILE") and "BKPSDM Kabupaten Jeneponto" in st["signer"]
    i = data.index(b"stream", len(data) // 4) + 40  # one changed byte inside the signed content
    assert not status(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :], ca)["intact"]


def test_receipt_show_seals_the_pdf_slip(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    office = build_office(ikrar, tmp_path)
    p12, ca = make_p12(tmp_path)
    receipt = office["individual"]["receipt"]
    out = tmp_path / "slip.pdf"
    r = ikrar("receipt", "show", receipt, "--pdf", str(out), "--seal", str(p12), env=SEAL_PASS)
    assert r.exit_code == 0, r.stderr
    _intact_and_trusted(out.read_bytes(), ca)
    assert ikrar("verify", str(out)).exit_code == 0  # the QR in the sealed slip is still the receipt
    plain = tmp_path / "plain.pdf"
    assert ikrar("receipt", "show", receipt, "--pdf", str(plain)).exit_code == 0
    assert status(plain.read_bytes(), ca) == {"sealed": False}


def test_receipt_show_seal_needs_a_pdf_and_a_wrong_passphrase_writes_nothing(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    office = build_office(ikrar, tmp_path)
    p12, _ca = make_p12(tmp_path)
    receipt = office["individual"]["receipt"]
    r = ikrar("--lang", "en", "receipt", "show", receipt, "--seal", str(p12), env=SEAL_PASS)
    assert r.exit_code == 2 and "--seal seals the PDF slip: give --pdf FILE too" in r.stderr
    out = tmp_path / "slip.pdf"
    r = ikrar("receipt", "show", receipt, "--pdf", str(out), "--seal", str(p12),
              env={"IKRAR_SEAL_PASSPHRASE": "salah"})  # fmt: skip
    assert r.exit_code == 6 and not out.exists() and "Traceback" not in r.stderr
    assert ikrar("receipt", "show", receipt, "--pdf", str(out), "--seal", str(p12), env=SEAL_PASS).exit_code == 0
    assert status(out.read_bytes(), _ca)["intact"]


def test_kiosk_slips_are_sealed(ikrar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    home = setup_terminal(ikrar, tmp_path)
    p12, ca = make_p12(tmp_path, passphrase=None)  # an unencrypted e-seal file: no passphrase asked
    k = spawn(home, "--seal", str(p12))
    pledge(k, "200012312024211001")
    k.expect("Slip: ")
    k.expect("Press Enter for the next officer")
    k.sendline("")
    quit_kiosk(k)
    slip = home / "slips" / "session-1" / "200012312024211001-pilkada-2024.pdf"
    st = status(slip.read_bytes(), ca)
    assert st["sealed"] and st["intact"] and st["valid"] and st["trusted"], st
    r = ikrar("--json", "verify", str(slip))  # the QR in the sealed slip is still the receipt
    assert r.exit_code == 0 and json.loads(r.stdout)["receipt"]["officer_id"] == "200012312024211001"
    # a seal that cannot be used stops the kiosk before it opens, in one line
    monkeypatch.setenv("IKRAR_SEAL_PASSPHRASE", "salah")
    (tmp_path / "enc").mkdir()
    encrypted, _ca = make_p12(tmp_path / "enc")
    k = spawn(home, "--seal", str(encrypted))
    k.expect("Wrong passphrase for the seal certificate")
    k.expect(pexpect.EOF)
    k.close()
    assert k.exitstatus == 6 and "Traceback" not in (k.before or "")
