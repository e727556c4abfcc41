"""``ikrar ledger witness``: ask the policy's witnesses to cosign each log's latest checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..i18n import _
from .app import AppContext, json_option, pass_app
from .output import emit_json, plain

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
@json_option
@pass_app
def witness_cmd(app: AppContext, witness_policy: Path, log_ids: tuple[str, ...]) -> None:
    from ..witness.centre import request_cosignatures
    from ..witness.policy import load_policy
    from .errors import exit_code_for

    policy = load_policy(witness_policy)
    if not any(w.url for w in policy.witnesses.values()):
        from ..errors import UsageError

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
