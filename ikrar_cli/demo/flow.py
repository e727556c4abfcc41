"""The demo's chain of custody (issue 13): the authority publishes the signed roster and packages
the terminal; the terminal is set up from that one file; its export is merged at the authority,
whose report an auditor recomputes to MATCH from the same signed inputs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .office import DemoReport

TERMINAL = "apel-halaman-kantor-bupati"


def publish_roster(ws: Workspace, secret: bytes, today: date, report: DemoReport, say: Callable[[str], None]) -> None:
    from ..roster.snapshot import publish
    from ..roster.snapshot_write import export_stored

    snap = publish(ws, secret, (today - timedelta(days=1)).isoformat())
    path = ws.root / "roster-snapshot.json"
    export_stored(ws, snap.digest, path)
    report.files["snapshot"] = path
    say(_("Signed roster snapshot as of {day}: {digest}", day=snap.as_of, digest=snap.digest[:23] + "…"))


def provision_terminal(
    authority: Workspace, secret: bytes, home: Path, report: DemoReport, say: Callable[[str], None]
) -> Workspace:
    """A terminal workspace: key request, certified, one package from the authority, set up."""
    from ..fsutil import atomic_write_bytes
    from ..keys.keyfiles import certify, new_terminal
    from ..keys.provisioning import package, setup
    from ..keys.trust import export_bundle
    from ..store.core import now
    from ..workspace import Workspace

    cfg = authority.config
    terminal = Workspace.init(home / "terminal", institution=cfg.institution_name, code=cfg.institution_code,
                              unit=None, timezone="WITA", language="id")  # fmt: skip
    _info, request = new_terminal(terminal, TERMINAL, None, secret)
    certify(authority, request, secret, not_before=now() - 86400)
    bundle = export_bundle(authority, secret)
    bundle_file = home / "trust-bundle.json"
    atomic_write_bytes(bundle_file, bundle.to_json_bytes())
    report.files["bundle"] = bundle_file
    data, _summary = package(authority, secret, TERMINAL)
    pkg = home / "terminal-apel.ikrar"
    atomic_write_bytes(pkg, data, mode=0o600)
    report.files["package"] = pkg
    setup(terminal, pkg, report.fingerprint)
    report.files["terminal"] = terminal.root
    say(_("Terminal {name} set up from {path} in one step", name=TERMINAL, path=pkg))
    return terminal


def merge_and_report(
    authority: Workspace, terminal: Workspace, home: Path, pledge_id: str, today: date, report: DemoReport,
    say: Callable[[str], None],
) -> None:  # fmt: skip
    from ..fsutil import atomic_write_bytes
    from ..keys.trust import trusted_bundle
    from ..ledger.export import Merger, export_ledger
    from ..receipts.verify import Verifier
    from ..reports.compliance import compute, gather

    export = export_ledger(terminal, home / "apel-halaman.jsonl")
    report.files["export"] = export.path
    Merger(authority, Verifier(trusted_bundle(authority))).merge_file(export.path)
    result = compute(authority, gather(authority, pledge_id, today.isoformat()))
    path = home / "laporan-kepatuhan.json"
    atomic_write_bytes(path, result.json_bytes(), mode=0o600)
    report.files["report"] = path
    total = result.report.total
    report.coverage = total.coverage if total.expected else None
    say(_("Compliance report: {n} of {m} pledged; {path} names its signed inputs", n=total.attested,
          m=total.expected, path=path))  # fmt: skip


def audit_report(auditor: Workspace, report: DemoReport, say: Callable[[str], None]) -> None:
    """The auditor holds only public material: the snapshot, the export; it recomputes the report."""
    from ..keys.trust import trusted_bundle
    from ..ledger.export import Merger
    from ..receipts.verify import Verifier
    from ..reports.proof import verify_report
    from ..roster.snapshot import accept_file

    accept_file(auditor, report.files["snapshot"])
    Merger(auditor, Verifier(trusted_bundle(auditor))).merge_file(report.files["export"])
    outcome = verify_report(auditor, report.files["report"])
    report.report_match = outcome.match
    say(_("Auditor: report verify says {verdict}", verdict=outcome.message))
