"""Plumbing shared by the session, attest, recite, receipt and demo commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _

# the slip builder and its helpers live in the core (the demo needs them too); re-exported here
from ..receipt_view import (
    caption,
    method_label,
    qr_payload,
    slip_for,
    slip_labels,
    terminal_name,
    verify_hint,
)

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
    from ..keys import TerminalSigner
    from ..ledger import Ledger
    from ..recitation import Recorder
    from ..workspace import Workspace
    from .app import AppContext


def open_recorder(
    app: AppContext, passphrase_file: Path | None, terminal: str | None
) -> tuple[Recorder, TerminalSigner]:
    """Unlock the terminal key once (the passphrase is asked here, not per officer)."""
    from ..keys import load_terminal_signer, refuse_if_revoked, terminal_info
    from ..ledger import Ledger
    from ..recitation import Recorder
    from .passphrase import get_passphrase

    ws = app.workspace()
    info = terminal_info(ws, terminal)  # fails early, before asking for a passphrase
    refuse_if_revoked(ws, info)
    signer = load_terminal_signer(ws, get_passphrase(passphrase_file, prompt=_("Terminal key passphrase")), info.name)
    return Recorder(ws, Ledger(ws.store), signer), signer


def ledger_for(ws: Workspace) -> Ledger:
    from ..ledger import Ledger

    return Ledger(ws.store)
