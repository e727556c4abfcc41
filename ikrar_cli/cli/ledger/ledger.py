"""``ikrar ledger``: signed checkpoints, inclusion proofs, and full verification of the logs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ...i18n import N_, _, ngettext
from ..app import AppContext, json_option, pass_app
from ..keys.passphrase import passphrase_option
from ..options import out_file_option
from ..output import emit_json, emit_json_streamed, progress, say
from ..receipts.verify import bundle_options
from .ledger_witness import witness_policy_option

if TYPE_CHECKING:
    from ...errors import VerificationError
    from ...ledger.log import LedgerReport
    from ...workspace import Workspace


@click.group(help=_("The tamper-evident ledger of every signed receipt."))
def ledger() -> None:
    pass


@ledger.command(help=_("Sign a checkpoint of this terminal's log now."))
@passphrase_option
@json_option
@pass_app
def checkpoint(app: AppContext, passphrase_file: Path | None) -> None:
    from ...recitation.attest import log_id_for
    from ..recitation.recitation_common import ledger_for, open_recorder

    recorder, signer = open_recorder(app, passphrase_file, None)
    lg = ledger_for(recorder.workspace)
    with recorder.workspace.store.read() as conn:
        known = {info.log_id for info in lg.logs(conn)}
    if log_id_for(signer.kid) not in known:
        from ...errors import NotFoundError

        raise NotFoundError(_("This terminal has no log yet"), _("open a session first with 'ikrar session open'"))
    cp = lg.checkpoint(log_id_for(signer.kid), signer.sign)
    if app.json:
        emit_json({"origin": cp.origin, "size": cp.size, "root": cp.root.hex(), "note": cp.note})
        return
    click.echo(cp.note, nl=False)


@ledger.command(help=_("Print the inclusion proof of a receipt against the latest checkpoint."))
@click.argument("receipt")
@out_file_option(N_("Write the proof to this file instead of standard output"))
@pass_app
def prove(app: AppContext, receipt: str, out: Path | None) -> None:
    from ...errors import ConflictError, NotFoundError
    from ...fsutil import atomic_write_text
    from ...ledger.checkpoint import format_proof
    from ...receipts.receipt import decode_receipt
    from ..recitation.recitation_common import ledger_for

    ws = app.workspace()
    r = decode_receipt(receipt.strip())
    lg = ledger_for(ws)
    with ws.store.read() as conn:
        where = lg.find_by_leaf(conn, r.cose)
        if where is None:
            raise NotFoundError(
                _("This receipt is not in this workspace's ledger"), _("run it on the terminal that signed it")
            )
        log_id, idx = where
        cp = lg.latest_checkpoint(conn, log_id)
        if cp is None or cp.size <= idx:
            raise ConflictError(
                _("No signed checkpoint covers entry {index} yet", index=idx),
                _("sign one with 'ikrar ledger checkpoint' (or close the session)"),
            )
        from ...witness.centre import note_with_cosignatures

        note = note_with_cosignatures(conn, log_id, cp)  # with the witnesses' cosignatures, if any
        text = format_proof(idx, lg.inclusion_proof(conn, log_id, idx, cp.size), note)
    if out:
        atomic_write_text(out, text)
        say(_("Proof written to {path}", path=out))
    else:
        click.echo(text, nl=False)


@ledger.command(help=_("Recompute every log, check every receipt, checkpoint and their consistency."))
@bundle_options(_("Check receipt signatures against this trust bundle"))
@witness_policy_option()
@json_option
@pass_app
def verify(app: AppContext, bundle_path: Path | None, fp: str | None, witness_policy: Path | None) -> None:
    from ...ledger.checks import entry_checker
    from ...receipts.verify import Verifier
    from ...receipts.verify_pool import close, pooled
    from ..receipts.verify import load_bundle
    from ..recitation.recitation_common import ledger_for

    ws = app.workspace()
    verifier = pooled(Verifier(load_bundle(app, bundle_path, fp)))  # helper processes, as the machine allows
    lg = ledger_for(ws)

    with ws.store.read() as conn:
        logs = lg.logs(conn)
    reports = []
    try:
        for info in logs:
            with progress(_("Verifying {log}", log=info.log_id), None, enabled=not app.json) as tick:
                reports.append(lg.verify_log(info.log_id, verify_entry=entry_checker(verifier, info), progress=tick))
    finally:
        close(verifier)
    from ...ledger.checks import check_attestations

    rows_problems = check_attestations(ws.store) if all(r.ok for r in reports) else []
    witnessed = _witness_checks(ws, witness_policy, reports)
    ok = all(r.ok for r in reports) and not rows_problems
    if app.json:
        doc = {
            "valid": ok,
            "logs": [r.to_dict() for r in reports],
            "attestations": [p.to_dict() for p in rows_problems],
        }
        if witness_policy is not None:
            doc["witnesses"] = {k: (v.to_dict() if v else None) for k, v in witnessed.items()}
        emit_json(doc)
    else:
        for r in reports:
            if r.ok:
                click.echo(
                    _(
                        "OK  log {log}: {n} entries, {c} checkpoints, root {root}",
                        log=r.log_id,
                        n=r.size,
                        c=r.checkpoints,
                        root=r.root.hex()[:16],
                    )
                )
            else:
                click.echo(_("INVALID log {log}: {problem}", log=r.log_id, problem=r.problems[0].message))
        for p in rows_problems:
            click.echo(_("INVALID attestations: {problem}", problem=p.message))
        if not reports:
            say(_("The ledger is empty."))
        _print_witness_checks(witnessed)
    if not ok:
        from ..errors import EXIT_INVALID

        raise click.exceptions.Exit(EXIT_INVALID)


@ledger.command("export", help=_("Write every log with its signed checkpoints to one portable file."))
@out_file_option(required=True)
@click.option("--since", "since", metavar="SIZE|CHECKPOINT", default=None,
              help=_("Only the records after this size (or this checkpoint file): an incremental export"))
@click.option("--log", "log_id", metavar="LOG", default=None, help=_("The log to export (with --since)"))
@json_option
@pass_app
def export_cmd(app: AppContext, out: Path, since: str | None, log_id: str | None) -> None:
    from ...ledger.export import export_ledger

    ws = app.workspace()
    if since is not None:
        from .ledger_sync import export_since

        export_since(app, ws, out, since, log_id)
        return
    with progress(_("Exporting"), None, enabled=not app.json) as tick:
        summary = export_ledger(ws, out, progress=tick)
    if app.json:
        emit_json(summary.to_dict())
        return
    for log in summary.logs:
        say(_("log {log}: {n} entries, root {root}", log=log["log"], n=log["size"], root=log["root"][:16]))
    say(_("Wrote {path} ({n} receipts, sha256 {sha})", path=out, n=summary.entries, sha=summary.sha256[:16]))


@ledger.command(help=_("Verify terminal exports and merge them into this workspace, each file whole or not at all."))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@bundle_options(_("Check receipt signatures against this trust bundle"))
@json_option
@pass_app
def merge(app: AppContext, files: tuple[Path, ...], bundle_path: Path | None, fp: str | None) -> None:
    from ...ledger.duplicates import count_duplicates, iter_duplicates
    from ...ledger.incremental import merge_files_any
    from ...receipts.verify import Verifier
    from ...receipts.verify_pool import close, pooled
    from ..receipts.verify import load_bundle

    ws = app.workspace()
    verifier = pooled(Verifier(load_bundle(app, bundle_path, fp)))  # helper processes, as the machine allows
    try:
        results = merge_files_any(
            ws, verifier, list(files),
            progress_for=lambda path: progress(_("Merging {file}", file=path.name), None, enabled=not app.json),
        )  # fmt: skip
    finally:
        close(verifier)
    rejected = [r for r in results if not r.accepted]
    if app.json:
        head = {
            "accepted": len(results) - len(rejected),
            "rejected": len(rejected),
            "files": [r.to_dict() for r in results],
        }
        with ws.store.read() as conn:  # streamed: a national workspace lists hundreds of thousands
            emit_json_streamed(head, "duplicates", (d.to_dict() for d in iter_duplicates(conn)))
    else:
        for r in results:
            if r.accepted:
                known = sum(x.known for x in r.logs)
                click.echo(
                    ngettext(
                        "MERGED   {file}: {n} log; receipts: {added} new, {known} already merged",
                        "MERGED   {file}: {n} logs; receipts: {added} new, {known} already merged",
                        len(r.logs),
                        file=r.path,
                        added=r.added,
                        known=known,
                    )
                )
            else:
                assert r.error is not None
                click.echo(_("REJECTED {file}: {why}", file=r.path, why=r.error.diagnostics()))
        with ws.store.read() as conn:
            dups = count_duplicates(conn)
        if dups:
            say(
                ngettext(
                    "{n} officer attested the same pledge on more than one terminal; it is counted once, "
                    "earliest first (see --json)",
                    "{n} officers attested the same pledge on more than one terminal; each is counted once, "
                    "earliest first (see --json)",
                    dups,
                )
            )
    if rejected:
        from ..errors import exit_code_for

        assert rejected[0].error is not None
        raise click.exceptions.Exit(exit_code_for(rejected[0].error))


def _witness_checks(ws: Workspace, policy_path: Path | None, reports: list[LedgerReport]) -> dict[str, Any]:
    """With --witness-policy: each log's latest checkpoint must carry the quorum of cosignatures."""
    if policy_path is None:
        return {}
    from ...witness.centre import check_latest
    from ...witness.policy import load_policy

    checks = check_latest(ws.store, load_policy(policy_path))
    for r in reports:
        check = checks.get(r.log_id)
        if check is None:
            r.problems.append(_no_checkpoint(r.log_id))
        elif not check.ok:
            r.problems.append(check.error(_("The latest checkpoint of log {log}", log=r.log_id)))
    return checks


def _no_checkpoint(log_id: str) -> VerificationError:
    from ...errors import VerificationError

    return VerificationError(
        _("Log {log} has no signed checkpoint for the witnesses to cosign", log=log_id),
        _("sign one with 'ikrar ledger checkpoint', then run 'ikrar ledger witness'"),
        code="witness_quorum",
    )


def _print_witness_checks(checks: dict[str, Any]) -> None:
    for log_id, check in checks.items():
        if check is not None and check.ok:
            names = ", ".join(check.valid)
            click.echo(_("OK  log {log}: cosigned by {names} ({quorum})", log=log_id, names=names, quorum=check.quorum))


def _register_witness() -> None:
    from .ledger_witness import witness_cmd

    ledger.add_command(witness_cmd)


_register_witness()


def _sync_commands() -> None:
    from .ledger_sync import push, status

    ledger.add_command(push)
    ledger.add_command(status)


_sync_commands()
