"""``ikrar recite``: the apel kiosk. Officer after officer: identify, read, confirm, receipt.

The terminal key is unlocked once at start. Each acknowledgement is recorded in one
transaction, so Ctrl-C or a closed terminal at any moment leaves either a complete
attestation or none; the session stays open for the next run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ... import childproc
from ...i18n import _
from ...platform_guard import split_command
from ..app import AppContext, pass_app
from ..documents.docopts import seal_from, seal_options
from ..keys.passphrase import passphrase_option
from ..options import terminal_option
from ..output import plain, safe

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...documents.pdfbase import Seal
    from ...pledges.templates import Pledge
    from ...receipts.printers import PrinterSpec
    from ...recitation.attest import Attestation, Recorder, Session

MAX_PHRASE_TRIES = 3
QR_ROWS_NEEDED = 33
#: typed at the NIP prompt to close the kiosk (then confirmed): an empty line never closes it
QUIT_WORDS = ("selesai", "keluar", "tutup", "quit", "exit")


class Kiosk:
    after_attest: Callable[[], None] | None = None  # called after each new attestation (background push)

    def __init__(
        self,
        recorder: Recorder,
        session: Session,
        pledge: Pledge,
        *,
        allow_unlisted: bool,
        slip_dir: Path | None,
        print_cmd: str | None,
        printer: PrinterSpec | None = None,
        seal: Seal | None = None,
    ):
        from rich.console import Console

        self.recorder = recorder
        self.ws = recorder.workspace
        self.session = session
        self.pledge = pledge
        self.allow_unlisted = allow_unlisted
        self.slip_dir = slip_dir
        self.print_cmd = print_cmd
        self.printer = printer
        self.seal = seal  # the slips are sealed (PAdES) like every other document
        self.console = Console(highlight=False)
        self.recorded = 0

    # -- screens ------------------------------------------------------------------------

    def header(self) -> None:
        from ...recitation.kiosk import session_progress

        attested, expected = session_progress(self.recorder, self.session)
        c = self.console
        c.clear()
        c.rule(f"[bold]{safe(self.ws.config.institution_name)}[/] · {safe(self.session.title)}")
        unit = self.session.unit_code or _("all units")
        c.print(plain(f"{self.pledge.title} ({self.pledge.ref})"), justify="center", markup=False)
        c.print(_("Unit: {unit} · [bold]{n}/{m}[/] pledged", unit=safe(unit), n=attested, m=expected), justify="center")

    def ask(self, prompt: str) -> str:
        return self.console.input(f"[bold cyan]{safe(prompt)}[/] ")

    def message(self, text: str, style: str) -> None:
        from rich.panel import Panel
        from rich.text import Text

        self.console.print(Panel(Text(plain(text)), style=style, padding=(0, 2)))

    def show_pledge(self) -> None:
        from rich.panel import Panel
        from rich.text import Text

        body = Text()
        if self.pledge.opening:
            body.append(self.pledge.opening + "\n", style="italic")
        for i, point in enumerate(self.pledge.points, 1):
            body.append(f"{i}. ", style="bold")
            body.append(point + "\n")
        if self.pledge.closing:
            body.append(self.pledge.closing, style="italic")
        body.rstrip()  # in place: rich.Text.rstrip returns None
        self.console.print(Panel(body, title=Text(plain(self.pledge.title), style="bold"), padding=(0, 1)))

    def show_receipt(self, att: Attestation, *, existing: bool) -> None:
        from rich.text import Text

        from ...receipts.qr import terminal_qr
        from ...receipts.receipt import decode_receipt
        from ...zones import format_local
        from .recitation_common import qr_payload

        c = self.console
        c.clear()
        claims = decode_receipt(att.receipt).claims
        head = _("ALREADY PLEDGED — existing receipt") if existing else _("PLEDGE RECORDED")
        c.print(
            Text(f" ✔ {head} ", style="bold white on green" if not existing else "bold black on yellow"),
            justify="center",
        )
        c.print(
            Text(plain(f"{att.officer_name or att.officer_id} · {att.officer_id} · {att.unit_code}"), style="bold"),
            justify="center",
        )
        c.print(
            f"{format_local(att.attested_at, claims.zone)} · {safe(self.pledge.ref)} · #{att.ledger_idx}",
            justify="center",
        )
        art = terminal_qr(qr_payload(self.ws, att.receipt))
        need = max(QR_ROWS_NEEDED, art.count("\n") + 3)  # a link (receipt.verify_url) makes the QR larger
        from ...receipts.termqr import compact_qr

        small = compact_qr(qr_payload(self.ws, att.receipt))
        if c.size.height >= need:
            c.print(Text(art, style="bright_white on black"), justify="center")
        elif c.size.height >= small.count("\n") + 6:
            # 80x24: the same receipt as a compact QR (3 module rows a line) the officer can photograph
            c.print(Text(small, style="bright_white on black"), justify="center")
        else:
            where = (
                _("It is on the printed slip.")
                if self.print_cmd or self.printer
                else _("Enlarge the window, or start the kiosk with --printer to print slips.")
            )
            c.print(
                _("(The screen has {rows} rows; the receipt QR needs {need}.)", rows=c.size.height, need=need)
                + " "
                + where,
                style="dim",
                justify="center",
            )
        self.output_slip(att)

    def output_slip(self, att: Attestation) -> None:
        if self.printer is not None:
            self.print_ticket(att)
        if not (self.slip_dir or self.print_cmd):
            return

        from ...pledges.templates import PledgeLibrary
        from ...receipts.receipt import decode_receipt
        from ...receipts.slips import write_slip_pdf
        from ...receipts.view import unit_names
        from .recitation_common import slip_for

        units = unit_names(self.ws)
        slip = slip_for(
            self.ws,
            PledgeLibrary.load(self.ws.config.extra_template_dirs),
            att.receipt,
            decode_receipt(att.receipt).claims,
            self.recorder.signer.name,
            units,
        )
        folder = self.slip_dir or self.ws.root / "slips"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # slips carry names: private
        from ...fsutil import confined_path

        path = confined_path(folder, f"{att.officer_id}-{self.pledge.id}", ".pdf")
        write_slip_pdf(path, slip, self.seal)
        self.console.print(_("Slip: {path}", path=path), style="dim", justify="center")
        if self.print_cmd:
            try:
                childproc.run([*split_command(self.print_cmd), str(path)], timeout=60)
                self.console.print(_("Sent to the printer."), style="dim", justify="center")
            except (OSError, subprocess.SubprocessError) as exc:
                self.message(
                    _("Printing failed ({reason}); the slip is saved at {path}", reason=exc, path=path), "yellow"
                )

    def print_ticket(self, att: Attestation) -> None:
        """The receipt on the thermal printer; a failure is one line and the kiosk goes on."""
        from ...errors import IkrarError
        from ...receipts.printers import print_ticket
        from .recitation_common import ticket_for

        assert self.printer is not None
        try:
            print_ticket(self.printer, ticket_for(self.ws, att, self.pledge))
            self.console.print(_("Receipt printed."), style="dim", justify="center")
        except IkrarError as exc:
            self.console.print(exc.diagnostics(), style="yellow", markup=False, highlight=False, soft_wrap=True)

    # -- one officer --------------------------------------------------------------------

    def officer(self, raw: str) -> None:
        from ...errors import ConflictError, InputError, NotFoundError
        from ...recitation.kiosk import identify

        rec = self.recorder
        try:
            who = identify(rec, self.session, raw, allow_unlisted=self.allow_unlisted)
        except (NotFoundError, ConflictError, InputError) as exc:
            self.message(exc.diagnostics(), "bold red")
            self.ask(_("Press Enter for the next officer"))
            return
        if who.not_listed is not None:
            self.message(who.not_listed.message + "\n" + _("It can be recorded and flagged for HR review."), "yellow")
        officer_id, name, unit, position, found = who.officer_id, who.name, who.unit_code, who.position, who.existing
        if found is not None:
            self.show_receipt(found, existing=True)
            self.ask(_("Press Enter for the next officer"))
            return
        self.console.print(
            _(
                "Officer: [bold]{name}[/] · {id} · unit {unit}{position}",
                name=safe(name or _("(not on the roster)")),
                id=safe(officer_id),
                unit=safe(unit or self.session.unit_code or "-"),
                position=safe(f" · {position}") if position else "",
            )
        )
        if self.ask(_("Is this the right officer? [Y/n]")).strip().lower() not in ("", "y", "ya", "yes"):
            return
        self.show_pledge()
        phrase = self.pledge.confirmation_phrase
        for attempt in range(1, MAX_PHRASE_TRIES + 1):
            typed = self.ask(_("Read the pledge, then type «{phrase}» to confirm (empty = cancel):", phrase=phrase))
            if not typed.strip():
                self.message(_("Cancelled; nothing was recorded."), "yellow")
                return
            if self.pledge.matches_phrase(typed):
                break
            left = MAX_PHRASE_TRIES - attempt
            self.message(_("That is not «{phrase}». {left} tries left.", phrase=phrase, left=left), "red")
        else:
            self.message(_("Not confirmed; nothing was recorded."), "yellow")
            self.ask(_("Press Enter for the next officer"))
            return
        att = rec.attest(self.session.id, officer_id, allow_unlisted=who.not_listed is not None)
        self.recorded += 0 if att.existing else 1
        if self.after_attest is not None and not att.existing:
            self.after_attest()  # the background push (sync.url): never waits, never fails the recitation
        self.show_receipt(att, existing=att.existing)
        self.ask(_("Press Enter for the next officer"))

    def confirm_quit(self) -> bool:
        try:
            answer = self.ask(_("Close the kiosk? (y/N)"))
        except (EOFError, KeyboardInterrupt):
            return True
        return answer.strip().lower() in ("y", "ya", "yes")

    def run(self) -> int:
        while True:
            self.header()
            try:
                raw = self.ask(_("Type or scan the NIP (SELESAI or Ctrl-D closes the kiosk):"))
            except (EOFError, KeyboardInterrupt):
                return self.recorded
            if not raw.strip():
                continue  # an extra Enter (e.g. after a receipt) never closes the kiosk
            if raw.strip().casefold() in QUIT_WORDS:
                if self.confirm_quit():
                    return self.recorded
                continue
            try:
                self.officer(raw)
            except KeyboardInterrupt:
                self.console.line()  # leave the "^C" line the terminal echoed
                self.header()  # and redraw the screen, so the box is drawn whole
                self.message(_("Cancelled by the operator; nothing half-written was kept."), "yellow")
                try:
                    self.ask(_("Press Enter for the next officer"))
                except (EOFError, KeyboardInterrupt):
                    return self.recorded
            except EOFError:
                return self.recorded


@click.command(help=_("Run the kiosk for an open session: officers identify, read the pledge and confirm, one by one."))
@click.option("--session", "session_id", type=int, required=True, help=_("Session number"))
@click.option("--allow-unlisted", is_flag=True, help=_("Record officers missing from the roster, flagged for HR"))
@click.option(
    "--slip-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=_("Write a PDF slip per officer into this folder (default: slips/session-N in the workspace)"),
)
@click.option(
    "--print-cmd", default=None, help=_("Command that prints a PDF, e.g. 'lp -d apel' (the file is appended)")
)
@click.option(
    "--printer",
    "printer_spec",
    default=None,
    help=_("Receipt printer: escpos:usb:VID:PID, escpos:serial:DEVICE, escpos:network:HOST or escpos:file:PATH"),
)
@terminal_option
@seal_options
@passphrase_option
@pass_app
def recite(
    app: AppContext,
    session_id: int,
    allow_unlisted: bool,
    slip_dir: Path | None,
    print_cmd: str | None,
    printer_spec: str | None,
    terminal: str | None,
    seal_p12: Path | None,
    seal_passphrase_file: Path | None,
    passphrase_file: Path | None,
) -> None:
    from ...api import pledge as find_pledge
    from ...receipts.printers import parse_printer
    from ...recitation.kiosk import open_session_for_kiosk
    from ..output import say
    from .recitation_common import open_recorder

    printer = parse_printer(printer_spec) if printer_spec else None
    ws = app.workspace()
    session = open_session_for_kiosk(ws, session_id)
    seal = seal_from(ws, seal_p12, seal_passphrase_file, _("Pledge receipt"))  # checked before the kiosk opens
    recorder, _signer = open_recorder(app, passphrase_file, terminal)
    pledge = find_pledge(ws, session.pledge_ref)
    kiosk = Kiosk(
        recorder,
        session,
        pledge,
        allow_unlisted=allow_unlisted,
        slip_dir=slip_dir or ws.root / "slips" / f"session-{session_id}",
        print_cmd=print_cmd,
        printer=printer,
        seal=seal,
    )
    from ...sync.background import start_background_push
    from ...sync.client import configured_url

    pusher = start_background_push(ws.root, _signer, configured_url(ws))
    kiosk.after_attest = pusher.poke if pusher else None
    try:
        n = kiosk.run()
    finally:
        if pusher is not None and not pusher.close():
            say(_("Not every record reached the centre yet; 'ikrar ledger push' sends them later."))
    say(_("Kiosk closed: {n} new attestations in this run. Session {id} stays open.", n=n, id=session_id))
