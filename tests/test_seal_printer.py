"""Sealed PDFs (PAdES through pyHanko, checked with pyHanko's validator against a throwaway CA)
and ESC/POS receipt printers (python-escpos, file backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from doc_helpers import build_office, make_p12
from hypothesis import given
from hypothesis import strategies as st

SEAL_PASS = {"IKRAR_SEAL_PASSPHRASE": "segel-rahasia"}


@pytest.fixture
def office(ikrar, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def]
    return build_office(ikrar, tmp_path)


def status(data: bytes, ca: object) -> dict:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from ikrar_cli.documents.seal import seal_status

    root = asn1_x509.Certificate.load(ca.public_bytes(Encoding.DER))  # type: ignore[attr-defined]
    return seal_status(data, [root])


@pytest.mark.parametrize(
    "command",
    [
        ["pakta", "--pledge", "pilkada-2024", "--all", "--out"],
        ["session", "minutes", "1", "--out"],
        ["session", "receipts", "1", "--out"],
        ["report", "compliance", "--pledge", "pilkada-2024", "--out"],
    ],
)
def test_every_document_command_seals_and_a_changed_byte_breaks_the_seal(ikrar, office, command) -> None:  # type: ignore[no-untyped-def]
    p12, ca = make_p12(office["tmp"])
    out = office["tmp"] / "segel.pdf"
    r = ikrar(*command, str(out), "--seal", str(p12), env=SEAL_PASS)
    assert r.exit_code == 0, r.stderr
    data = out.read_bytes()
    st = status(data, ca)
    assert st["sealed"] and st["intact"] and st["valid"] and st["trusted"], st
    assert "BKPSDM Kabupaten Jeneponto" in st["signer"]
    assert st["coverage"].endswith("ENTIRE_FILE")
    # change one byte inside the signed content (a digit of the page text stream)
    i = data.index(b"stream", len(data) // 4) + 40
    tampered = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
    assert not status(tampered, ca)["intact"]
    # and a stranger's CA does not make it trusted
    _p12, other = make_p12(office["tmp"] / ".." )
    assert not status(data, other)["trusted"]


def test_follow_up_pdfs_are_sealed_too(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    p12, ca = make_p12(office["tmp"])
    folder = office["tmp"] / "tl"
    r = ikrar("report", "follow-up", "--pledge", "pilkada-2024", "--out", str(folder), "--seal", str(p12),
              "--json", env=SEAL_PASS)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    for unit in json.loads(r.stdout)["units"]:
        assert status(Path(unit["pdf"]).read_bytes(), ca)["valid"]


def test_seal_passphrase_from_file_or_unencrypted_never_argv(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    tmp = office["tmp"]
    p12, ca = make_p12(tmp)
    pw = tmp / "sandi.txt"
    pw.write_text("segel-rahasia\n")
    out = tmp / "p.pdf"
    r = ikrar("pakta", "--nip", "198609262015051001", "--out", str(out), "--pledge", "pilkada-2024",
              "--seal", str(p12), "--seal-passphrase-file", str(pw))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert status(out.read_bytes(), ca)["valid"]
    plain = tmp / "polos"
    plain.mkdir()
    p12_plain, ca2 = make_p12(plain, passphrase=None)
    r = ikrar("pakta", "--nip", "198609262015051001", "--out", str(out), "--pledge", "pilkada-2024",
              "--seal", str(p12_plain))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert status(out.read_bytes(), ca2)["valid"]
    r = ikrar("pakta", "--help")
    assert "--seal-passphrase-file" in r.stdout and "--seal-passphrase " not in r.stdout


def test_wrong_seal_passphrase_or_not_a_p12_writes_nothing(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    tmp = office["tmp"]
    p12, _ca = make_p12(tmp)
    out = tmp / "x.pdf"
    r = ikrar("--lang", "en", "pakta", "--pledge", "pilkada-2024", "--all", "--out", str(out), "--seal", str(p12),
              env={"IKRAR_SEAL_PASSPHRASE": "salah"})  # fmt: skip
    assert r.exit_code == 6 and "Wrong passphrase for the seal certificate" in r.stderr
    assert "salah" not in r.stderr and not out.exists()
    bogus = tmp / "bukan.p12"
    bogus.write_text("hello")
    r = ikrar("--lang", "en", "session", "minutes", "1", "--out", str(out), "--seal", str(bogus), env=SEAL_PASS)
    assert r.exit_code == 3 and "is not a PKCS#12 certificate file" in r.stderr and not out.exists()
    r = ikrar("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--out", str(out),
              "--seal", str(p12))  # fmt: skip  (no passphrase, no terminal)
    assert r.exit_code == 6 and "IKRAR_SEAL_PASSPHRASE" in r.stderr and not out.exists()


# ------------------------------------------------------------------------------ printers
def test_printer_addresses_parse_or_fail_with_one_line() -> None:
    from ikrar_cli.errors import UsageError
    from ikrar_cli.receipts.printers import PrinterSpec, parse_printer

    assert parse_printer("escpos:usb:04b8:0202") == PrinterSpec("usb", "04b8", product=0x0202)
    assert parse_printer("escpos:serial:/dev/ttyUSB0:19200") == PrinterSpec("serial", "/dev/ttyUSB0", 19200)
    assert parse_printer("escpos:serial:COM3") == PrinterSpec("serial", "COM3", 9600)
    assert parse_printer("escpos:network:192.168.1.50") == PrinterSpec("network", "192.168.1.50", 9100)
    assert parse_printer("escpos:network:printer.local:9101") == PrinterSpec("network", "printer.local", 9101)
    assert parse_printer("escpos:file:/dev/usb/lp0") == PrinterSpec("file", "/dev/usb/lp0")
    for bad in ("lp0", "escpos:usb:zz:1", "escpos:bluetooth:x", "escpos:file:", "escpos:usb:04b8"):
        with pytest.raises(UsageError):
            parse_printer(bad)


def test_ticket_bytes_hold_the_receipt_and_a_native_qr_command(ikrar, office) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.cli.recitation.recitation_common import ticket_for
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.printers import parse_printer, print_ticket
    from ikrar_cli.recitation.attest import Attestation
    from ikrar_cli.workspace import Workspace

    ws = Workspace.open(office["home"])
    a = office["individual"]
    att = Attestation(1, a["officer_id"], a["id_type"], a["officer_name"], a["unit"], a["method"], a["attested_at"],
                      a["ledger_index"], a["receipt"])  # fmt: skip
    out = office["tmp"] / "printer.bin"
    print_ticket(parse_printer(f"escpos:file:{out}"), ticket_for(ws, att, PledgeLibrary.load().get("pilkada-2024")))
    data = out.read_bytes()
    for text in (b"BKPSDM Kabupaten Jeneponto", b"Ahmad Yani", b"198609262015051001", b"DINKES", b"pilkada-2024@1"):
        assert text in data, text
    # GS ( k, function 180 (store data): pL pH 31 80 48 + the receipt; then print (function 181)
    store = b"\x1d(k" + (len(a["receipt"]) + 3).to_bytes(2, "little") + b"1P0" + a["receipt"].encode()
    assert store in data and b"\x1d(k\x03\x001Q0" in data
    assert data.rstrip().endswith(b"\x1dV\x00")  # cut
    ws.close()


def test_printer_failure_is_one_translated_line(office) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.errors import StorageError
    from ikrar_cli.i18n import set_language
    from ikrar_cli.receipts.printers import Ticket, parse_printer, print_ticket

    t = Ticket("I", "T", "N", "1", "U", "now", "p@1", "m", "IKR1:X", "hint",
               dict.fromkeys(("name", "id", "unit", "time", "template", "method"), "x"))  # fmt: skip
    set_language("id")
    with pytest.raises(StorageError) as err:
        print_ticket(parse_printer(f"escpos:file:{office['tmp']}/tidak/ada/lp0"), t)
    assert err.value.message.startswith("Printer escpos:file:") and "\n" not in err.value.diagnostics()
    assert "printer menyala" in err.value.diagnostics()
    with pytest.raises(StorageError):
        print_ticket(parse_printer("escpos:network:127.0.0.1:9"), t)  # nothing listens on the discard port


@given(st.text(max_size=60) | st.from_regex(r"escpos:(usb|serial|network|file|x):[ -~]{0,30}", fullmatch=True))
def test_any_printer_address_parses_or_is_one_usage_error(spec: str) -> None:
    from ikrar_cli.errors import UsageError
    from ikrar_cli.receipts.printers import parse_printer

    try:
        p = parse_printer(spec)
    except UsageError as exc:
        assert "\n" not in exc.diagnostics()
        return
    assert spec.startswith(f"escpos:{p.kind}:") and p.target


@given(st.integers(0, 63))
def test_sextant_characters_round_trip(bits: int) -> None:
    from ikrar_cli.receipts.termqr import sextant, sextant_bits

    ch = sextant(bits)
    assert len(ch) == 1 and sextant_bits(ch) == bits
