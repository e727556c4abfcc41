"""Plumbing shared by the session, attest, recite, receipt and demo commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import _

if TYPE_CHECKING:
    from ..keys import TerminalSigner
    from ..ledger import Ledger
    from ..pledges import PledgeLibrary
    from ..receipt import Claims
    from ..recitation import Recorder
    from ..slips import Slip
    from ..workspace import Workspace
    from .app import AppContext


def open_recorder(
    app: AppContext, passphrase_file: Path | None, terminal: str | None
) -> tuple[Recorder, TerminalSigner]:
    """Unlock the terminal key once (the passphrase is asked here, not per officer)."""
    from ..keys import load_terminal_signer, terminal_info
    from ..ledger import Ledger
    from ..recitation import Recorder

    ws = app.workspace()
    info = terminal_info(ws, terminal)  # fails early, before asking for a passphrase
    signer = _unlock(lambda pw: load_terminal_signer(ws, pw, info.name), passphrase_file)
    return Recorder(ws, Ledger(ws.store), signer), signer


def _unlock(load: Callable[[bytes], TerminalSigner], passphrase_file: Path | None) -> TerminalSigner:
    """A typed passphrase may be mistyped: ask again, three tries in all (a file or
    $IKRAR_PASSPHRASE cannot change, so a wrong one fails at once)."""
    import os
    import sys

    from cryptography.exceptions import InvalidTag

    from ..errors import KeyAccessError
    from .output import say
    from .passphrase import get_passphrase

    prompted = passphrase_file is None and not os.environ.get("IKRAR_PASSPHRASE") and sys.stdin.isatty()
    tries = PASSPHRASE_TRIES if prompted else 1
    for attempt in range(1, tries + 1):
        try:
            return load(get_passphrase(passphrase_file, prompt=_("Terminal key passphrase")))
        except KeyAccessError as exc:
            if attempt == tries or not isinstance(exc.__cause__, InvalidTag):
                raise
            say(_("Wrong passphrase; {n} tries left.", n=tries - attempt))
    raise AssertionError("unreachable")


PASSPHRASE_TRIES = 3


def method_label(method: str) -> str:
    return _("individual confirmation") if method == "individual" else _("collective recitation")


def slip_labels() -> dict[str, str]:
    return {
        "officer": _("Officer"),
        "id": _("NIP / ID"),
        "unit": _("Unit"),
        "time": _("Time"),
        "terminal": _("Terminal"),
        "method": _("Method"),
    }


def verify_hint(ws: Workspace) -> str:
    if ws.config.verify_url:
        return _("Scan the QR code with a phone camera to check this receipt, or run: ikrar verify RECEIPT")
    return _("Check this receipt offline: ikrar verify RECEIPT (or the institution's verifier page)")


def slip_for(
    ws: Workspace,
    library: PledgeLibrary,
    receipt_text: str,
    claims: Claims,
    terminal: str,
    unit_names: dict[str, str] | None = None,
) -> Slip:
    from ..documents.profile import long_datetime
    from ..slips import Slip

    pledge = library.get(f"{claims.pledge_id}@{claims.pledge_version}")
    unit = (unit_names or {}).get(claims.unit)
    return Slip(
        receipt_text=qr_payload(ws, receipt_text),
        institution=ws.config.institution_name,
        pledge_title=pledge.title,
        points=pledge.points,
        officer_name=claims.officer_name,
        officer_id=claims.officer_id,
        unit=f"{claims.unit} — {unit}" if unit else claims.unit,
        time_local=long_datetime(claims.issued_at, claims.zone),  # "25 November 2026, 08.30 WITA"
        terminal=terminal,
        method=method_label(claims.method),
        verify_hint=verify_hint(ws),
        labels=slip_labels(),
    )


def qr_payload(ws: Workspace, receipt_text: str) -> str:
    """What the QR holds: the receipt, or the verifier URL with the receipt in its fragment."""
    url = ws.config.verify_url
    return f"{url}#{receipt_text}" if url else receipt_text


def caption(claims: Claims, terminal: str) -> list[str]:
    from ..zones import format_local

    lines = [
        claims.officer_name or "",
        f"{claims.officer_id} · {claims.unit}",
        f"{claims.pledge_id}@{claims.pledge_version} · {format_local(claims.issued_at, claims.zone)}",
        f"{terminal} · {method_label(claims.method)} · #{claims.ledger_index}",
    ]
    return [line for line in lines if line]


def terminal_name(ws: Workspace, kid: bytes) -> str:
    with ws.store.read() as conn:
        row = conn.execute("SELECT name FROM keys WHERE kid = ?", (kid,)).fetchone()
    return row[0] if row else kid.hex()


def ledger_for(ws: Workspace) -> Ledger:
    from ..ledger import Ledger

    return Ledger(ws.store)


def ticket_for(ws: Workspace, att: Any, pledge: Any) -> Any:
    """The thermal-printer ticket of a recorded attestation."""
    from ..printers import Ticket
    from ..receipt import decode_receipt
    from ..zones import format_local

    claims = decode_receipt(att.receipt).claims
    return Ticket(
        institution=ws.config.institution_name,
        title=pledge.title,
        officer_name=att.officer_name or "",
        officer_id=att.officer_id,
        unit=att.unit_code,
        time=format_local(claims.issued_at, claims.zone),
        template=pledge.ref,
        method=method_label(claims.method),
        qr=qr_payload(ws, att.receipt),
        verify_hint=verify_hint(ws),
        labels={
            "name": _("Officer"),
            "id": _("NIP / ID"),
            "unit": _("Unit"),
            "time": _("Time"),
            "template": _("Pledge"),
            "method": _("Method"),
        },
    )
