"""Receipt printers: 58/80 mm thermal printers over ESC/POS (python-escpos, imported lazily).

``--printer`` takes ``escpos:usb:VID:PID`` (hex, e.g. ``escpos:usb:04b8:0202``),
``escpos:serial:DEVICE[:BAUD]``, ``escpos:network:HOST[:PORT]`` or ``escpos:file:PATH`` (a device
file such as ``/dev/usb/lp0``, or a plain file for tests). The ticket: institution, title,
the officer's name, NIP, unit, time, template and method, the receipt QR (the printer's own QR
command, ``GS ( k``) and one line on how to verify it. Any failure of the printer is one
:class:`~ikrar_cli.errors.StorageError` with a translated message; the kiosk shows it and goes on.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from ..errors import StorageError, UsageError
from ..i18n import _

KINDS = ("usb", "serial", "network", "file")
WIDTH = 32  # characters of font A on a 58 mm printer (80 mm printers print 48: the ticket still fits)


@dataclass(frozen=True)
class PrinterSpec:
    kind: str
    target: str
    option: int | None = None  # baud rate or TCP port
    product: int | None = None  # USB product id (target holds the vendor id)

    def __str__(self) -> str:
        return f"escpos:{self.kind}:{self.target}" + (f":{self.option}" if self.option else "")


def _bad(spec: str) -> UsageError:
    return UsageError(
        _("--printer {spec!r} is not a printer address", spec=spec),
        _("use escpos:usb:VID:PID, escpos:serial:DEVICE, escpos:network:HOST[:PORT] or escpos:file:PATH"),
    )


def parse_printer(spec: str) -> PrinterSpec:
    scheme, _sep, rest = spec.partition(":")
    kind, _sep2, target = rest.partition(":")
    if scheme != "escpos" or kind not in KINDS or not target:
        raise _bad(spec)
    try:
        if kind == "usb":
            vid, _s, pid = target.partition(":")
            return PrinterSpec("usb", f"{int(vid, 16):04x}", product=int(pid, 16))
        if kind in ("serial", "network"):
            where, number = target, ""
            head, sep, tail = target.rpartition(":")
            if sep and tail.isdigit():
                where, number = head, tail
            default = 9600 if kind == "serial" else 9100
            return PrinterSpec(kind, where, int(number) if number else default)
    except ValueError:
        raise _bad(spec) from None
    return PrinterSpec("file", target)


@dataclass(frozen=True)
class Ticket:
    institution: str
    title: str
    officer_name: str
    officer_id: str
    unit: str
    time: str
    template: str
    method: str
    qr: str
    verify_hint: str
    labels: dict[str, str]  # name, id, unit, time, template, method


def ascii_text(text: str) -> str:
    """Thermal printers' code pages differ; plain ASCII prints the same everywhere."""
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return out.replace("\u2014", "-")


def _wrap(text: str, width: int = WIDTH) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(ascii_text(text), width)) + "\n"


def _open(spec: PrinterSpec) -> Any:
    from escpos import printer

    if spec.kind == "file":
        p = printer.File(devfile=spec.target)
    elif spec.kind == "network":
        p = printer.Network(host=spec.target, port=spec.option or 9100, timeout=10)
    elif spec.kind == "serial":
        p = printer.Serial(devfile=spec.target, baudrate=spec.option or 9600)
    else:
        p = printer.Usb(idVendor=int(spec.target, 16), idProduct=spec.product)
    p.open()
    return p


def _printer_errors() -> tuple[type[BaseException], ...]:
    """What a printer can fail with: pyusb's and pyserial's errors are OSErrors, escpos has its own."""
    base: tuple[type[BaseException], ...] = (OSError, ImportError, ValueError, RuntimeError)
    try:
        from escpos.exceptions import Error as EscposError
    except ImportError:
        return base
    return (*base, EscposError)


def print_ticket(spec: PrinterSpec, t: Ticket) -> None:
    """Print one receipt ticket; every failure becomes one StorageError naming the printer."""
    try:
        p = _open(spec)
        try:
            p.set(align="center", bold=True)
            p.text(_wrap(t.institution))
            p.set(align="center", bold=False)
            p.text(_wrap(t.title))
            p.text("-" * WIDTH + "\n")
            p.set(align="left")
            for label, value in (
                (t.labels["name"], t.officer_name),
                (t.labels["id"], t.officer_id),
                (t.labels["unit"], t.unit),
                (t.labels["time"], t.time),
                (t.labels["template"], t.template),
                (t.labels["method"], t.method),
            ):
                p.text(_wrap(f"{label}: {value or '-'}"))
            from escpos.constants import QR_ECLEVEL_M

            p.set(align="center")  # centres the printer's own QR too
            p.qr(t.qr, ec=QR_ECLEVEL_M, size=5, native=True)
            p.text(_wrap(t.verify_hint))
            p.cut()
        finally:
            p.close()
    except StorageError:
        raise
    except _printer_errors() as exc:  # USB, serial, socket and escpos errors all mean "printer failed"
        reason = " ".join(str(exc).split()) or type(exc).__name__  # one line, whatever the library wrote
        hint = _("check that the printer is on, connected and has paper; the receipt is kept in the ledger")
        if isinstance(exc, ImportError) or "pyusb" in reason.lower() or "pyserial" in reason.lower():
            hint = _("install the printer support: pip install 'ikrar[printer]' pyusb pyserial")
        raise StorageError(_("Printer {printer}: {reason}", printer=str(spec), reason=reason), hint) from exc
