"""``ikrar witness``: run an independent witness of the ledger's checkpoints (docs/witness.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..i18n import _, ngettext
from .app import AppContext, json_option, pass_app
from .keys.passphrase import passphrase_option
from .output import emit_json, plain, say

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from ..witness.workspace import WitnessWorkspace


def _dir(app: AppContext, folder: Path | None) -> Path:
    return folder if folder is not None else app.home / "witness"


def _open(app: AppContext, folder: Path | None) -> WitnessWorkspace:
    from ..witness.workspace import WitnessWorkspace

    return WitnessWorkspace.open(_dir(app, folder))


def dir_option(func: F) -> F:
    return click.option(
        "--dir",
        "folder",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help=_("The witness folder (default: witness/ in the workspace folder)"),
    )(func)


@click.group(help=_("Run an independent witness: cosign checkpoints that are consistent with what it saw."))
def witness() -> None:
    pass


def _follow(ws: WitnessWorkspace, bundle: Path | None, fp: str | None, vkeys: tuple[str, ...]) -> int:
    n = 0
    if bundle is not None:
        n += len(ws.follow_bundle(bundle, fp))
    for vkey in vkeys:
        ws.follow_vkey(vkey)
        n += 1
    return n


@witness.command(help=_("Create a witness: its own key (encrypted) and an empty state."))
@click.option("--name", required=True, help=_("The witness's key name, e.g. bawaslu.go.id/ikrar-witness"))
@click.option(
    "--bundle", "bundle", type=click.Path(path_type=Path), default=None, help=_("Follow the logs of this trust bundle")
)
@click.option("--fingerprint", "fp", default=None, help=_("Authority fingerprint that --bundle must be signed by"))
@dir_option
@passphrase_option
@json_option
@pass_app
def init(
    app: AppContext, name: str, bundle: Path | None, fp: str | None, folder: Path | None, passphrase_file: Path | None
) -> None:
    from ..witness.workspace import WitnessWorkspace
    from .keys.passphrase import get_passphrase

    root = _dir(app, folder)
    ws = WitnessWorkspace.init(root, name, get_passphrase(passphrase_file, confirm=True))
    followed = _follow(ws, bundle, fp, ()) if bundle is not None else 0
    if app.json:
        emit_json({"name": ws.name, "vkey": ws.cosigner.vkey, "folder": str(root), "logs": followed})
        return
    click.echo(ws.cosigner.vkey)
    say(
        _("Witness {name} created in {path}; give the vkey above to the verifiers' policy", name=plain(name), path=root)
    )


@witness.command(help=_("Follow more logs: every terminal of a newer trust bundle, or one log's vkey."))
@click.option(
    "--bundle", "bundle", type=click.Path(path_type=Path), default=None, help=_("Follow the logs of this trust bundle")
)
@click.option("--fingerprint", "fp", default=None, help=_("Authority fingerprint that --bundle must be signed by"))
@click.option("--log", "vkeys", multiple=True, help=_("The vkey of a log's checkpoint key (its name is the origin)"))
@dir_option
@json_option
@pass_app
def follow(app: AppContext, bundle: Path | None, fp: str | None, vkeys: tuple[str, ...], folder: Path | None) -> None:
    from ..errors import UsageError

    if bundle is None and not vkeys:
        raise UsageError(_("Nothing to follow"), _("give --bundle FILE or --log VKEY"))
    ws = _open(app, folder)
    n = _follow(ws, bundle, fp, vkeys)
    if app.json:
        emit_json({"added": n, "logs": len(ws.followed())})
        return
    say(
        ngettext(
            "{n} log added or updated; the witness follows {total}",
            "{n} logs added or updated; the witness follows {total}",
            n,
            total=len(ws.followed()),
        )
    )


@witness.command(help=_("Show the witness's name, vkey, the logs it follows and what it last cosigned."))
@dir_option
@json_option
@pass_app
def show(app: AppContext, folder: Path | None) -> None:
    import base64

    ws = _open(app, folder)
    state = ws.state()
    logs = [
        {
            "origin": f.origin,
            "source": f.source,
            "size": state.get(f.origin, {}).get("size"),
            "root": state.get(f.origin, {}).get("root"),
            "cosigned_at": state.get(f.origin, {}).get("cosigned_at"),
        }
        for f in ws.followed()
    ]
    if app.json:
        emit_json({"name": ws.name, "vkey": ws.cosigner.vkey, "key_id": ws.cosigner.key_id.hex(), "logs": logs})
        return
    click.echo(_("Witness {name}", name=plain(ws.name)))
    click.echo(_("vkey    {vkey}", vkey=ws.cosigner.vkey))
    for log in logs:
        if log["size"] is None:
            click.echo(_("  {origin}: nothing cosigned yet", origin=plain(log["origin"])))
        else:
            root = base64.b64decode(str(log["root"])).hex()[:16]
            click.echo(
                _("  {origin}: size {size}, root {root}", origin=plain(log["origin"]), size=log["size"], root=root)
            )


@witness.command(help=_("Cosign one checkpoint offline: the request (or checkpoint and proof) from files."))
@click.option(
    "--request",
    "request_file",
    type=click.Path(path_type=Path),
    default=None,
    help=_("An add-checkpoint request body ('old N', proof lines, empty line, checkpoint)"),
)
@click.option(
    "--checkpoint", "checkpoint_file", type=click.Path(path_type=Path), default=None, help=_("The checkpoint file")
)
@click.option(
    "--proof",
    "proof_file",
    type=click.Path(path_type=Path),
    default=None,
    help=_("Consistency proof: one base64 hash a line"),
)
@click.option(
    "--old", "old", type=int, default=None, help=_("The size the proof starts from (default: the size last cosigned)")
)
@dir_option
@passphrase_option
@pass_app
def cosign(
    app: AppContext,
    request_file: Path | None,
    checkpoint_file: Path | None,
    proof_file: Path | None,
    old: int | None,
    folder: Path | None,
    passphrase_file: Path | None,
) -> None:
    from ..errors import UsageError
    from ..fsutil import read_input_bytes
    from ..witness.protocol import parse_request
    from .keys.passphrase import get_passphrase

    ws = _open(app, folder)
    if (request_file is None) == (checkpoint_file is None):
        raise UsageError(_("Give either --request FILE or --checkpoint FILE"), _("see 'ikrar witness cosign --help'"))
    if request_file is not None:
        body = read_input_bytes(request_file, limit=1_000_000)
    else:
        assert checkpoint_file is not None
        from ..ledger.checkpoint import parse_checkpoint

        note = read_input_bytes(checkpoint_file, limit=1_000_000).decode("utf-8", "replace")
        if old is None:
            recorded = ws.recorded(parse_checkpoint(note)[0].origin)
            old = recorded.size if recorded else 0
        lines = []
        if proof_file is not None:
            lines = [
                x.strip() for x in read_input_bytes(proof_file, limit=100_000).decode("ascii", "replace").splitlines()
            ]
        body = "\n".join([f"old {old}", *[x for x in lines if x]]).encode() + b"\n\n" + note.encode()
    req = parse_request(body)
    line = ws.add_checkpoint(req, ws.load_signer(get_passphrase(passphrase_file)))
    click.echo(line, nl=False)


@witness.command(help=_("Serve POST /add-checkpoint (c2sp.org/tlog-witness) over HTTP."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on"))
@click.option("--port", type=int, default=8452, show_default=True, help=_("Port to listen on (0: any free port)"))
@click.option("--tls-cert", type=click.Path(dir_okay=False), default=None, help=_("TLS certificate file (PEM)"))
@click.option("--tls-key", type=click.Path(dir_okay=False), default=None, help=_("TLS private key file (PEM)"))
@click.option("--insecure-public", is_flag=True, help=_("Allow a public address without TLS (e.g. behind a TLS proxy)"))
@dir_option
@passphrase_option
@pass_app
def serve(
    app: AppContext,
    host: str,
    port: int,
    tls_cert: str | None,
    tls_key: str | None,
    insecure_public: bool,
    folder: Path | None,
    passphrase_file: Path | None,
) -> None:
    from ..witness.server import check_exposure
    from ..witness.server import serve as run
    from .keys.passphrase import get_passphrase

    check_exposure(host, tls_cert, tls_key, insecure_public)
    ws = _open(app, folder)
    signer = ws.load_signer(get_passphrase(passphrase_file))

    def announce(url: str) -> None:
        say(_("Witness {name} listening on {url}", name=plain(ws.name), url=url))

    run(ws, signer, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key, announce=announce)
