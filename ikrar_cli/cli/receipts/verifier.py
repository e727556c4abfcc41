"""``ikrar verifier``: build the offline verifier web page (one HTML file, no network)."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..options import out_dir_option
from ..output import emit_json, say
from .verify import bundle_options


@click.group(help=_("The offline verifier page: check receipts in any browser, with no server."))
def verifier() -> None:
    pass


@verifier.command(help=_("Write verify.html: the page with the trust bundle inside, for any static host."))
@out_dir_option(N_("Folder to write verify.html into (created if missing)"), required=True, name="out_dir")
@bundle_options(_("Embed this signed trust bundle file instead of the workspace's"))
@json_option
@pass_app
def build(app: AppContext, out_dir: Path, bundle_path: Path | None, fp: str | None) -> None:
    import hashlib

    from ...errors import TrustError
    from ...receipts.webverifier import signer_fingerprint, write_page
    from ...store.core import now
    from ...zones import format_local
    from .verify import load_bundle

    bundle = load_bundle(app, bundle_path, fp)
    if bundle.signed_file is None:
        raise TrustError(
            _("The verifier page needs a signed trust bundle; this workspace verifies with its unsigned live view"),
            _("run 'ikrar trust export --out FILE', then 'ikrar verifier build --out DIR --bundle FILE'"),
        )
    target = write_page(bundle, out_dir)
    page = target.read_bytes()
    verify_url = app.workspace().config.verify_url if app.has_workspace() else None
    info = {
        "file": str(target),
        "bytes": len(page),
        "sha256": hashlib.sha256(page).hexdigest(),
        "institution": bundle.institution_name,
        "serial": bundle.serial,
        "valid_until": bundle.valid_until,
        "stale": bundle.is_stale(now()),
        "authority": signer_fingerprint(bundle.signed_file),
        "verify_url": verify_url,
    }
    if app.json:
        emit_json(info)
        return
    say(
        _(
            "Verifier page written with trust bundle serial {serial} of {name}.",
            serial=bundle.serial,
            name=bundle.institution_name,
        )
    )
    click.echo(str(target))
    if info["stale"]:
        say(
            _(
                "Warning: the bundle expired on {when}; the page will warn on every receipt. Export a newer one.",
                when=format_local(bundle.valid_until, "Asia/Jakarta"),
            )
        )
    if verify_url:
        say(_("Publish it at {url} (receipt.verify_url) so phone cameras open it from the QR codes.", url=verify_url))
    else:
        say(_("Publish it on any static host and set receipt.verify_url in ikrar.yaml so QR codes link to it."))
