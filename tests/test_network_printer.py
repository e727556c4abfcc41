"""A receipt printer over the network (python-escpos ``Network``) against a printer stand-in: a TCP
server of this test on a free port, which receives the ESC/POS bytes. A printer that refuses the
connection is one translated line in the kiosk, and the kiosk goes on (issue 16 gap f)."""

from __future__ import annotations

import socket
import sqlite3
import threading
from pathlib import Path

import pytest
from test_kiosk_day import pledge, quit_kiosk
from test_kiosk_pty import count, spawn
from test_recitation import setup_terminal

from ikrar_cli.receipts.printers import Ticket


class PrinterStandIn:
    """Accepts one connection on 127.0.0.1 (port 0: the system picks a free one), keeps every byte
    until the client closes, then stops listening: the next connection is refused."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(120)  # a bound for a hung test only; nothing waits on it
        self.port = self.listener.getsockname()[1]
        self.data = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _addr = self.listener.accept()
            with conn:
                conn.settimeout(120)
                while chunk := conn.recv(65536):
                    self.data += chunk
        finally:
            self.listener.close()

    def received(self) -> bytes:
        self.thread.join(timeout=120)
        assert not self.thread.is_alive()
        return self.data


def _ticket(qr: str) -> Ticket:
    labels = {"name": "Nama", "id": "NIP", "unit": "Unit", "time": "Waktu", "template": "Templat", "method": "Cara"}
    return Ticket("BKPSDM Kabupaten Jeneponto", "Tanda Terima Ikrar", "Ahmad Yani, S.H.", "198609262015051001",
                  "DINKES", "25 November 2026, 08.30 WITA", "pilkada-2024@1", "konfirmasi perorangan", qr,
                  "Periksa di https://bkpsdm.example/verify", labels)  # fmt: skip


def test_network_printer_receives_the_text_and_the_native_qr() -> None:
    from ikrar_cli.receipts.printers import parse_printer, print_ticket

    stand_in = PrinterStandIn()
    qr = "IKR1:TESTRECEIPT/1"
    print_ticket(parse_printer(f"escpos:network:127.0.0.1:{stand_in.port}"), _ticket(qr))
    data = stand_in.received()
    assert data.startswith(b"\x1bE\x01\x1ba\x01")  # bold, centred: the institution's name first
    for text in (b"BKPSDM Kabupaten Jeneponto", b"Nama: Ahmad Yani, S.H.", b"NIP: 198609262015051001",
                 b"Templat: pilkada-2024@1", b"Periksa di\nhttps://bkpsdm.example/verify"):  # fmt: skip
        assert text in data, text
    # GS ( k function 180 stores the QR data (pL pH 31 80 48 + data), function 181 prints it
    store = b"\x1d(k" + (len(qr) + 3).to_bytes(2, "little") + b"1P0" + qr.encode()
    assert store in data and b"\x1d(k\x03\x001Q0" in data
    assert data.index(b"NIP: 1986") < data.index(store) < data.index(b"Periksa di")
    assert data.rstrip().endswith(b"\x1dV\x00")  # and the paper is cut


def test_a_refusing_network_printer_is_one_translated_line() -> None:
    from ikrar_cli.errors import StorageError
    from ikrar_cli.i18n import set_language
    from ikrar_cli.receipts.printers import parse_printer, print_ticket

    with socket.socket() as held:  # bound, never listening: a connection to it is refused
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        set_language("id")
        try:
            with pytest.raises(StorageError) as err:
                print_ticket(parse_printer(f"escpos:network:127.0.0.1:{port}"), _ticket("IKR1:X"))
        finally:
            set_language("en")
    text = err.value.diagnostics()
    assert text.startswith(f"Printer escpos:network:127.0.0.1:{port}: ") and "\n" not in text
    assert "refused" in text.lower() and "printer menyala" in text


def test_kiosk_prints_over_the_network_then_goes_on_when_the_printer_refuses(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = setup_terminal(ikrar, tmp_path)
    stand_in = PrinterStandIn()
    k = spawn(home, "--printer", f"escpos:network:127.0.0.1:{stand_in.port}")
    pledge(k, "200012312024211001")
    k.expect("Receipt printed.")
    receipt = sqlite3.connect(home / "ikrar.db").execute(
        "SELECT receipt FROM attestations WHERE officer_id = '200012312024211001'"
    ).fetchone()[0]
    data = stand_in.received()  # the printer stand-in has now stopped listening
    assert receipt.encode() in data and b"\x1d(k" in data and b"200012312024211001" in data
    k.expect("Press Enter for the next officer")
    k.sendline("")
    pledge(k, "197803122005011002")
    k.expect(rf"Printer escpos:network:127\.0\.0\.1:{stand_in.port}: [^\r\n]*[Rr]efused[^\r\n]*printer is on")
    k.expect("Press Enter for the next officer")  # the kiosk goes on
    k.sendline("")
    k.expect(r"3/3.{0,12}pledged")
    k.sendline("")
    quit_kiosk(k)
    assert count(home) == 3
    assert "Traceback" not in (k.before or "")
