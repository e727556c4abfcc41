"""Options every document command shares: ``--seal FILE.p12`` and its passphrase (never argv)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ...i18n import _

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ...documents.pdfbase import Seal
    from ...workspace import Workspace


def seal_options(func: Any) -> Any:
    func = click.option(
        "--seal-passphrase-file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help=_("Read the seal certificate's passphrase from this file (first line); or $IKRAR_SEAL_PASSPHRASE"),
    )(func)
    return click.option(
        "--seal",
        "seal_p12",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help=_("Seal the PDF (PAdES) with the institution's certificate in this PKCS#12 file"),
    )(func)


def seal_passphrase(p12: Path, passphrase_file: Path | None) -> bytes | None:
    from ...documents.seal import needs_passphrase, read_p12
    from ...errors import InputError, KeyAccessError

    if passphrase_file is not None:
        from ...fsutil import read_input_bytes

        lines = read_input_bytes(passphrase_file, limit=10_000).decode("utf-8", "replace").splitlines()
        if not lines or not lines[0]:
            raise InputError(_("{path} is empty", path=passphrase_file), _("put the passphrase on its first line"))
        return lines[0].encode("utf-8")
    env = os.environ.get("IKRAR_SEAL_PASSPHRASE")
    if env:
        return env.encode("utf-8")
    if not needs_passphrase(read_p12(p12)):
        return None
    if not sys.stdin.isatty():
        raise KeyAccessError(
            _("The seal certificate {path} needs a passphrase but there is no terminal to ask on", path=p12),
            _("set IKRAR_SEAL_PASSPHRASE or use --seal-passphrase-file FILE"),
        )
    return str(click.prompt(_("Seal certificate passphrase"), hide_input=True, err=True)).encode("utf-8")


def seal_from(ws: Workspace, p12: Path | None, passphrase_file: Path | None, reason: str) -> Seal | None:
    """The seal to apply, checked now (wrong passphrase fails before anything is rendered)."""
    if p12 is None:
        return None
    from ...documents.pdfbase import Seal
    from ...documents.profile import workspace_profile
    from ...documents.seal import signer_name

    prof = workspace_profile(ws)
    seal = Seal(p12, seal_passphrase(p12, passphrase_file), reason=reason, location=prof.place)
    signer_name(seal)  # loads and checks the certificate
    return seal


def write_list_for(
    app: Any, ws: Workspace, session_id: int, attestations: Iterable[Any] | None, out: Path, seal: Seal | None
) -> tuple[int, int]:
    """The compact receipt list of a session (or of the given new attestations) to ``out``."""
    from ...documents.profile import local_date, workspace_profile
    from ...documents.receiptlist import heading_for, session_rows, write_receipt_list
    from ...pledges.templates import PledgeLibrary
    from ...recitation.attest import get_session
    from ..output import progress, say

    with ws.store.read() as conn:
        s = get_session(conn, session_id)
    pledge = PledgeLibrary.load(ws.config.extra_template_dirs).get(s.pledge_ref)
    ids = {a.officer_id for a in attestations} if attestations is not None else None
    rows = session_rows(ws, session_id, ids)
    heading = heading_for(pledge.title, s.title, s.location, local_date(s.opened_at, s.timezone))
    with progress(_("Writing the receipt list"), len(rows), enabled=not app.json) as tick:
        n, pages = write_receipt_list(
            out, rows, profile=workspace_profile(ws), heading=heading, seal=seal, progress=tick, total=len(rows)
        )
    say(_("Receipt list of {n} officers ({pages} pages) written to {path}", n=n, pages=pages, path=out))
    return n, pages
