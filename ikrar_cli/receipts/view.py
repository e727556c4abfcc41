"""What people see of a receipt: slip contents, PNG captions, the QR payload, the terminal's name.

One builder for the kiosk, ``ikrar attest``, ``ikrar receipt`` and the demo (the demo used
to carry its own copy, because core code cannot import ``cli/``). Rendering itself is in
``slips`` (PDF) and ``qr`` (PNG/SVG); this module only decides the words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..i18n import _

if TYPE_CHECKING:
    from ..pledges.templates import PledgeLibrary
    from ..workspace import Workspace
    from .receipt import Claims
    from .slips import Slip

__all__ = [
    "caption",
    "method_label",
    "qr_payload",
    "slip_for",
    "slip_labels",
    "terminal_name",
    "unit_names",
    "verify_hint",
]


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


def qr_payload(ws: Workspace, receipt_text: str) -> str:
    """What the QR holds: the receipt, or the verifier URL with the receipt in its fragment."""
    url = ws.config.verify_url
    return f"{url}#{receipt_text}" if url else receipt_text


def slip_for(
    ws: Workspace,
    library: PledgeLibrary,
    receipt_text: str,
    claims: Claims,
    terminal: str,
    unit_names: dict[str, str] | None = None,
) -> Slip:
    from ..documents.profile import long_datetime
    from .slips import Slip

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
    """The name of the terminal key ``kid`` in this workspace, else the key id in hex."""
    with ws.store.read() as conn:
        row = conn.execute("SELECT name FROM keys WHERE kid = ?", (kid,)).fetchone()
    return str(row[0]) if row else kid.hex()


def unit_names(ws: Workspace) -> dict[str, str]:
    """Unit code -> unit name, for the slips' unit line."""
    from ..roster.importer import unit_names as read_unit_names

    with ws.store.read() as conn:
        return read_unit_names(conn)
