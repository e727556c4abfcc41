"""The public library API: what a script may import (see docs/library.md).

Everything named in ``__all__`` is supported across minor versions; the modules behind
it (``ikrar_cli.roster.importer``, ``ikrar_cli.receipts.verify`` ...) are implementation details that may
move. The same names can be imported from the package itself (``from ikrar_cli import
open_workspace``); they are resolved lazily, so ``ikrar --help`` stays light.

Every function here takes plain arguments, returns dataclasses and raises
``ikrar_cli.errors.IkrarError`` subclasses (message + hint) for anything the user can fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    ConflictError,
    IkrarError,
    InputError,
    KeyAccessError,
    NotFoundError,
    StorageError,
    TrustError,
    UsageError,
    VerificationError,
)

if TYPE_CHECKING:
    from .keys.keyfiles import KeyInfo, TerminalCertificate, TerminalSigner
    from .pledges.templates import Pledge
    from .receipts.verify import VerificationResult
    from .recitation.attest import Attestation, CollectiveReport, Recorder, Session
    from .reports.report import ComplianceReport
    from .roster.importer import ImportReport
    from .workspace import Workspace

__all__ = [
    # workspaces
    "open_workspace",
    "init_workspace",
    "workspace_exists",
    # roster
    "import_roster",
    # pledge templates
    "pledge",
    # keys (authority and terminal)
    "init_authority",
    "new_terminal",
    "certify",
    "load_terminal_signer",
    # apel sessions and attestations
    "open_session",
    "close_session",
    "attest",
    "attest_many",
    # verification
    "verify_receipts",
    # reports
    "compliance_report",
    # online sync (docs/server.md)
    "push_to_centre",
    "sync_status",
    # errors
    "IkrarError",
    "UsageError",
    "InputError",
    "NotFoundError",
    "ConflictError",
    "KeyAccessError",
    "StorageError",
    "TrustError",
    "VerificationError",
]

# --------------------------------------------------------------------------------------
# Workspaces
# --------------------------------------------------------------------------------------


def open_workspace(home: str | os.PathLike[str] | None = None) -> Workspace:
    """Open a workspace: ``home``, else ``$IKRAR_HOME``, else the user data folder. Close it when done."""
    from .workspace import Workspace, resolve_home

    return Workspace.open(resolve_home(home))


def workspace_exists(home: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``home`` (else ``$IKRAR_HOME``, else the user data folder) holds an initialised workspace."""
    from .workspace import Workspace, resolve_home

    return Workspace.exists(resolve_home(home))


def init_workspace(
    home: str | os.PathLike[str],
    *,
    institution: str,
    code: str,
    timezone: str,
    unit: str | None = None,
    language: str = "id",
    force: bool = False,
    database: str | None = None,
) -> Workspace:
    """Create a workspace (``ikrar.yaml`` and the database) as ``ikrar init`` does; returns it open.

    ``database`` is a ``postgresql://`` URL to keep the records in PostgreSQL (default: SQLite in
    the workspace folder); ``force`` rewrites ``ikrar.yaml`` of an existing workspace.
    """
    from .workspace import Workspace

    return Workspace.init(
        Path(home),
        institution=institution,
        code=code,
        unit=unit,
        timezone=timezone,
        language=language,
        force=force,
        database=database,
    )


# --------------------------------------------------------------------------------------
# Roster and templates
# --------------------------------------------------------------------------------------


def import_roster(ws: Workspace, path: str | os.PathLike[str], **options: Any) -> ImportReport:
    """Import a CSV/XLSX roster, all or nothing (options as ``ikrar roster import``: ``dry_run``,
    ``skip_invalid``, ``rejects_path``, ``retire_missing``, ``sheet``, ``mapping``, ``progress`` ...)."""
    from .roster.importer import import_roster as _import

    return _import(ws.store, Path(path), **options)


def pledge(ws: Workspace, ref: str) -> Pledge:
    """A pledge template by ``ID`` (latest version) or ``ID@VERSION``, bundled or from ikrar.yaml's folders."""
    from .pledges.templates import PledgeLibrary

    return PledgeLibrary.load(ws.config.extra_template_dirs).get(ref)


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------


def init_authority(ws: Workspace, passphrase: bytes) -> KeyInfo:
    """Create the authority key (once per institution); its fingerprint is what auditors pin."""
    from .keys.keyfiles import init_authority as _init

    return _init(ws, passphrase)


def new_terminal(ws: Workspace, name: str, unit: str | None, passphrase: bytes) -> tuple[KeyInfo, dict[str, Any]]:
    """Create a terminal key; returns it and the certification request to give the authority."""
    from .keys.keyfiles import new_terminal as _new

    return _new(ws, name, unit, passphrase)


def certify(ws: Workspace, request: dict[str, Any], passphrase: bytes, **window: int) -> TerminalCertificate:
    """On the authority's workspace: certify a terminal's request (``not_before``/``not_after`` optional)."""
    from .keys.keyfiles import certify as _certify

    return _certify(ws, request, passphrase, **window)


def load_terminal_signer(ws: Workspace, passphrase: bytes, name: str | None = None) -> TerminalSigner:
    """Unlock a certified terminal key (the only one, or ``name``) to sign receipts."""
    from .keys.keyfiles import load_terminal_signer as _load

    return _load(ws, passphrase, name)


# --------------------------------------------------------------------------------------
# Sessions and attestations
# --------------------------------------------------------------------------------------


def open_session(
    ws: Workspace,
    signer: TerminalSigner,
    pledge: Pledge,
    *,
    title: str,
    location: str,
    unit_code: str | None = None,
    force_reason: str | None = None,
) -> Session:
    """Open an apel session on this terminal; a template outside its validity window needs ``force_reason``."""
    from .ledger.log import Ledger
    from .recitation.attest import open_session as _open

    return _open(
        ws,
        Ledger(ws.store),
        kid=signer.kid,
        terminal_name=signer.name,
        public_key=signer.public_key_raw,
        pledge=pledge,
        title=title,
        location=location,
        unit_code=unit_code,
        force_reason=force_reason,
    )


def close_session(ws: Workspace, signer: TerminalSigner, session_id: int) -> Session:
    """Close a session and sign its ledger checkpoint."""
    from .ledger.log import Ledger
    from .recitation.attest import close_session as _close

    return _close(ws, Ledger(ws.store), session_id, signer)


def _recorder(ws: Workspace, signer: TerminalSigner) -> Recorder:
    from .ledger.log import Ledger
    from .recitation.attest import Recorder

    return Recorder(ws, Ledger(ws.store), signer)


def attest(
    ws: Workspace,
    signer: TerminalSigner,
    session_id: int,
    identifier: str,
    *,
    allow_unlisted: bool = False,
    allow_inactive: bool = False,
) -> Attestation:
    """Record one officer's pledge (NIP / NI PPPK / NIK); an officer who already pledged gets the same receipt."""
    return _recorder(ws, signer).attest(
        session_id, identifier, allow_unlisted=allow_unlisted, allow_inactive=allow_inactive
    )


def attest_many(
    ws: Workspace,
    signer: TerminalSigner,
    session_id: int,
    rows: Iterable[tuple[int, str]],
    **options: Any,
) -> CollectiveReport:
    """A collective recitation: ``rows`` are (row number, identifier), e.g. from an attendance list."""
    return _recorder(ws, signer).attest_many(session_id, rows, **options)


# --------------------------------------------------------------------------------------
# Verification and reports
# --------------------------------------------------------------------------------------


def verify_receipts(ws: Workspace, receipts: Iterable[str]) -> Iterator[VerificationResult]:
    """Check receipts (``IKR1:…`` or verifier links) against the workspace's trusted bundle, one result each.

    On the authority's workspace that is its own live view; elsewhere the latest bundle
    accepted with ``ikrar trust add`` (its signature is checked again on every call).
    """
    from .keys.trust import trusted_bundle
    from .receipts.verify import Verifier

    return Verifier(trusted_bundle(ws)).verify_many(receipts)


def _revoked_receipts(ws: Workspace) -> set[bytes]:
    """Receipts the authority revoked: this workspace's own list and its trusted bundle's."""
    from .keys.trust import trusted_bundle

    with ws.store.read() as conn:
        out = {bytes(r[0]) for r in conn.execute("SELECT rid FROM receipt_revocations")}
    try:
        out |= set(trusted_bundle(ws).revoked_receipts)
    except IkrarError:
        pass  # no bundle yet: only local revocations apply
    return out


def compliance_report(
    ws: Workspace,
    pledge_ref: str,
    *,
    unit: str | None = None,
    as_of: date | None = None,
) -> ComplianceReport:
    """Who has pledged, per unit, from one read snapshot (as ``ikrar report compliance``).

    ``pledge_ref`` is ``ID`` (every version counts) or ``ID@VERSION``; revoked receipts are left out.
    """
    from .reports.report import compliance
    from .store.core import now

    template = pledge(ws, pledge_ref)
    revoked = _revoked_receipts(ws)
    with ws.store.read() as conn:
        return compliance(
            conn,
            pledge_id=template.id,
            pledge_version=template.version if "@" in pledge_ref else None,
            pledge_title=template.title,
            institution=ws.config.institution_name,
            zone=ws.config.timezone,
            generated_at=now(),
            unit=unit,
            as_of=as_of,
            revoked=revoked,
        )


# --------------------------------------------------------------------------------------
# Online sync (docs/server.md)
# --------------------------------------------------------------------------------------


def push_to_centre(
    ws: Workspace, signer: TerminalSigner, url: str | None = None, *, attempts: int = 5
) -> list[dict[str, Any]]:
    """``ikrar ledger push``: send the centre what it has not acknowledged (``url`` or ``sync.url``);
    retried with backoff, then :class:`StorageError` (the records stay here)."""
    from .sync.client import push

    return [r.to_dict() for r in push(ws, signer, url, attempts=attempts)]


def sync_status(ws: Workspace) -> list[dict[str, Any]]:
    """``ikrar ledger status``: per log, local size, acknowledged size, last attempt and error."""
    from .sync.client import status

    return status(ws)
