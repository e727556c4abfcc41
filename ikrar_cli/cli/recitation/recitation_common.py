"""Plumbing shared by the session, attest, recite, receipt and demo commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...i18n import _

# the slip builder and its helpers live in the core (the demo needs them too); re-exported here
from ...receipts.view import caption, method_label, qr_payload, slip_for, slip_labels, terminal_name, verify_hint

__all__ = [
    "caption",
    "ledger_for",
    "method_label",
    "open_recorder",
    "qr_payload",
    "slip_for",
    "slip_labels",
    "terminal_name",
    "verify_hint",
]

if TYPE_CHECKING:
    from ...keys.keyfiles import TerminalSigner
    from ...ledger.log import Ledger
    from ...recitation.attest import Recorder
    from ...workspace import Workspace
    from ..app import AppContext


def open_recorder(
    app: AppContext, passphrase_file: Path | None, terminal: str | None
) -> tuple[Recorder, TerminalSigner]:
    """Unlock the terminal key once (the passphrase is asked here, not per officer)."""
    from ...keys.keyfiles import load_terminal_signer, refuse_if_revoked, terminal_info
    from ...ledger.log import Ledger
    from ...recitation.attest import Recorder

    ws = app.workspace()
    info = terminal_info(ws, terminal)  # fails early, before asking for a passphrase
    refuse_if_revoked(ws, info)
    signer = _unlock(lambda pw: load_terminal_signer(ws, pw, info.name), passphrase_file)
    return Recorder(ws, Ledger(ws.store), signer), signer


def _unlock(load: Callable[[bytes], TerminalSigner], passphrase_file: Path | None) -> TerminalSigner:
    """A typed passphrase may be mistyped: ask again, three tries in all (a file or
    $IKRAR_PASSPHRASE cannot change, so a wrong one fails at once)."""
    import os
    import sys

    from ...errors import KeyAccessError
    from ..keys.passphrase import get_passphrase
    from ..output import say

    prompted = passphrase_file is None and not os.environ.get("IKRAR_PASSPHRASE") and sys.stdin.isatty()
    tries = PASSPHRASE_TRIES if prompted else 1
    for attempt in range(1, tries + 1):
        try:
            return load(get_passphrase(passphrase_file, prompt=_("Terminal key passphrase")))
        except KeyAccessError as exc:
            if attempt == tries or exc.code != "wrong_passphrase":
                raise
            say(_("Wrong passphrase; {n} tries left.", n=tries - attempt))
    raise AssertionError("unreachable")


PASSPHRASE_TRIES = 3


def ledger_for(ws: Workspace) -> Ledger:
    from ...ledger.log import Ledger

    return Ledger(ws.store)


def ticket_for(ws: Workspace, att: Any, pledge: Any) -> Any:
    """The thermal-printer ticket of a recorded attestation."""
    from ...receipts.printers import Ticket
    from ...receipts.receipt import decode_receipt
    from ...zones import format_local

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
