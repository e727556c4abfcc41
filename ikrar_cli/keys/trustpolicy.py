"""Which trust bundle a command checks receipts against, and which receipts count as revoked.

Kept out of the CLI (docs/architecture.md): an explicit ``--bundle`` file is accepted only when
signed by the given fingerprint, else by an authority this workspace pins or is; without one,
the workspace's own trusted bundle applies. Errors are never swallowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, TrustError
from ..i18n import _

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .trust import TrustBundle


def accepted_fingerprints(ws: Workspace) -> list[str]:
    """The authorities whose bundles this workspace accepts: the pinned ones, and its own authority
    key only when this workspace holds that key's private file.

    The one rule for every reader of a stored or given bundle (``verify --bundle``, revocations,
    reports). An authority's workspace made the key and keeps its private file, so what it exported
    is its own word; an auditor's or terminal's workspace holds no private authority key and trusts
    only what it pinned by fingerprint. A key row without its private file (a copied database, a
    hand-made row) is no authority here: counting it would let a local edit choose the trust root.
    Same rule as ``signeddoc.trusted_authorities`` (snapshots, packages).
    """
    from .keyfiles import fingerprint
    from .trust import pinned_fingerprints

    with ws.store.read() as conn:
        pins = pinned_fingerprints(conn)
        own = conn.execute("SELECT public_key FROM keys WHERE role = 'authority' AND file IS NOT NULL").fetchall()
    return pins + [fingerprint(bytes(pub)) for (pub,) in own if fingerprint(bytes(pub)) not in pins]


def bundle_for(ws: Workspace | None, bundle_path: Path | None, fp: str | None) -> TrustBundle:
    from .trust import load_bundle_file, trusted_bundle

    if bundle_path is None:
        if ws is None:
            raise NotFoundError(_("No workspace and no --bundle FILE"), _("give --bundle FILE --fingerprint FP"))
        return trusted_bundle(ws)
    pins: list[str] = [fp] if fp else []
    if not pins and ws is not None:
        pins = accepted_fingerprints(ws)
    if not pins:
        raise TrustError(
            _("No authority fingerprint to check {path} against", path=bundle_path),
            _("add --fingerprint SHA256:… as given by the authority"),
        )
    bundle = load_bundle_file(bundle_path, pins)
    if ws is not None:
        from .trust import refuse_older_bundle

        refuse_older_bundle(ws, bundle, bundle_path)  # no rollback to an older serial
    return bundle


def revoked_receipts(ws: Workspace) -> set[bytes]:
    """Receipts the authority revoked: this workspace's own list and its trusted bundle's. A workspace
    without any bundle has only its own list; a bundle that fails its checks is an error."""
    from .trust import trusted_bundle

    with ws.store.read() as conn:
        out = {bytes(r[0]) for r in conn.execute("SELECT rid FROM receipt_revocations")}
        has_bundle = conn.execute(
            "SELECT 1 FROM trust_bundles UNION SELECT 1 FROM keys WHERE role = 'authority' AND file IS NOT NULL"
        ).fetchone()
    if has_bundle:
        out |= set(trusted_bundle(ws).revoked_receipts)
    return out


def officer_view(ws: Workspace, officer_id: str) -> dict[str, Any]:
    """``report officer``: everything one officer acknowledged, with revocations applied."""
    from ..reports.report import officer_record

    revoked = revoked_receipts(ws)
    with ws.store.read() as conn:
        return officer_record(conn, officer_id, revoked)
