"""``ikrar ledger witness``: ask the policy's witnesses to cosign each log's latest checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ...i18n import _
from ..app import AppContext, json_option, pass_app
from ..output import emit_json, plain

if TYPE_CHECKING:
    from ...witness.policy import WitnessPolicy

F = TypeVar("F", bound=Callable[..., Any])


def witness_policy_option(required: bool = False) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--witness-policy",
            "witness_policy",
            type=click.Path(path_type=Path, dir_okay=False),
            required=required,
            default=None,
            help=_("Witness policy file (c2sp.org/tlog-policy): the witnesses and how many must cosign"),
        )(func)

    return decorate


@click.command(
    "witness", help=_("Send each log's latest checkpoint to the policy's witnesses and keep their cosignatures.")
)
@witness_policy_option(required=True)
@click.option("--log", "log_ids", multiple=True, help=_("Only this log (repeatable)"))
@click.option(
    "--request-out",
    "request_out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=_("Offline: write one add-checkpoint request file per witness and log into this folder"),
)
@click.option(
    "--add",
    "add_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=_("Offline: store the cosignatures in this file (a request or checkpoint, then the witness's lines)"),
)
@json_option
@pass_app
def witness_cmd(
    app: AppContext,
    witness_policy: Path,
    log_ids: tuple[str, ...],
    request_out: Path | None,
    add_files: tuple[Path, ...],
) -> None:
    from ...witness.centre import request_cosignatures
    from ...witness.policy import load_policy
    from ..errors import exit_code_for

    policy = load_policy(witness_policy)
    if request_out is not None or add_files:
        _offline(app, policy, list(log_ids) or None, request_out, add_files)
        return
    if not any(w.url for w in policy.witnesses.values()):
        from ...errors import UsageError

        raise UsageError(
            _("{path} names no witness URL", path=witness_policy),
            _("add the URL after each witness's vkey: witness NAME VKEY URL"),
        )
    ws = app.workspace()
    outcomes = request_cosignatures(ws.store, policy, log_ids=list(log_ids) or None)
    failed = [o for o in outcomes if o.error is not None]
    if app.json:
        emit_json({"ok": not failed, "outcomes": [o.to_dict() for o in outcomes]})
    else:
        for o in outcomes:
            if o.error is None:
                label = _("cosigned") if o.status == "cosigned" else _("already cosigned")
                click.echo(
                    _(
                        "OK      {witness} {log} size {size}: {status}",
                        witness=plain(o.witness),
                        log=o.log_id,
                        size=o.size,
                        status=label,
                    )
                )
            else:
                click.echo(
                    _(
                        "FAILED  {witness} {log} size {size}: {why}",
                        witness=plain(o.witness),
                        log=o.log_id,
                        size=o.size,
                        why=o.error.diagnostics(),
                    )
                )
    if failed:
        assert failed[0].error is not None
        raise click.exceptions.Exit(exit_code_for(failed[0].error))


def _offline(
    app: AppContext, policy: WitnessPolicy, log_ids: list[str] | None, out: Path | None, files: tuple[Path, ...]
) -> None:
    from ...fsutil import atomic_write_bytes, confined_path, read_input_bytes
    from ...witness.centre import add_cosignatures, offline_requests
    from ..output import say

    ws = app.workspace()
    written, added = [], []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, log_id, body in offline_requests(ws.store, policy, log_ids=log_ids):
            path = confined_path(out, f"{name}-{log_id}", ".txt")
            atomic_write_bytes(path, body)
            written.append({"witness": name, "log": log_id, "file": str(path)})
            say(_("Request for {witness}, log {log}: {path}", witness=plain(name), log=log_id, path=path))
    for path in files:
        text = read_input_bytes(path, limit=1_000_000).decode("utf-8", "replace")
        names = add_cosignatures(ws.store, policy, text, path)
        added.append({"file": str(path), "witnesses": names})
        say(_("{path}: cosignatures stored from {names}", path=path, names=", ".join(names) or "-"))
    if app.json:
        emit_json({"requests": written, "added": added})
