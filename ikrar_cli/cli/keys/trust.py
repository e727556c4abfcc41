"""``ikrar trust``: export the signed bundle; pin and accept bundles; revoke receipts."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..options import out_file_option
from ..output import emit_json, say
from .passphrase import get_passphrase, passphrase_option


@click.group(help=_("Trust bundles: what auditors need to verify receipts offline."))
def trust() -> None:
    pass


@trust.command(help=_("Sign and write the trust bundle (authority workspace)."))
@out_file_option(N_("Output file (default: trust-bundle-SERIAL.json in the workspace)"))
@click.option(
    "--valid-days",
    type=int,
    default=30,
    show_default=True,
    help=_("Days after which verifiers warn that the bundle is stale"),
)
@passphrase_option
@json_option
@pass_app
def export(app: AppContext, out: Path | None, valid_days: int, passphrase_file: Path | None) -> None:
    from ...fsutil import atomic_write_bytes, public_mode
    from ...keys.trust import export_bundle

    ws = app.workspace()
    bundle = export_bundle(
        ws, get_passphrase(passphrase_file, prompt=_("Authority key passphrase")), valid_days=valid_days
    )
    target = out or ws.root / f"trust-bundle-{bundle.serial}.json"
    atomic_write_bytes(target, bundle.to_json_bytes(), mode=public_mode())  # public by design
    if app.json:
        emit_json(dict(bundle.summary(), file=str(target)))
        return
    say(_("Trust bundle serial {serial} written.", serial=bundle.serial))
    click.echo(str(target))


@trust.command(help=_("Trust an authority's bundle (pin its fingerprint the first time)."))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--fingerprint", "fp", default=None, help=_("The authority's SHA256:… fingerprint, from the authority"))
@json_option
@pass_app
def add(app: AppContext, file: Path, fp: str | None) -> None:
    from ...keys.trust import add_bundle

    bundle, outcome = add_bundle(app.workspace(), file, fp)
    if app.json:
        emit_json(dict(bundle.summary(), outcome=outcome))
        return
    if outcome == "unchanged":
        say(_("Bundle serial {serial} was already trusted; nothing changed.", serial=bundle.serial))
    else:
        say(_("Trusting bundle serial {serial} of {name}.", serial=bundle.serial, name=bundle.institution_name))


@trust.command(help=_("Show the trust bundle this workspace verifies with."))
@json_option
@pass_app
def show(app: AppContext) -> None:
    from ...keys.trust import trusted_bundle
    from ...zones import format_local

    ws = app.workspace()
    s = trusted_bundle(ws).summary()
    if app.json:
        emit_json(s)
        return
    tz = ws.config.timezone
    click.echo(_("Institution: {name} ({code})", name=s["institution"], code=s["code"]))
    click.echo(_("Serial: {serial}", serial=s["serial"]))
    click.echo(_("Valid until: {when}", when=format_local(s["valid_until"], tz)))
    for fp in s["authorities"]:
        click.echo(_("Authority: {fp}", fp=fp))
    click.echo(
        _(
            "Terminals: {n}; revoked keys: {k}; revoked receipts: {r}",
            n=s["terminals"],
            k=s["key_revocations"],
            r=s["revoked_receipts"],
        )
    )
    click.echo(_("Pledge templates: {refs}", refs=", ".join(s["pledges"])))
    if s["stale"]:
        say(_("Warning: this bundle is stale; ask the authority for a newer one."))


@trust.command("revoke-receipt", help=_("Revoke one receipt (recorded in error or by fraud)."))
@click.argument("receipt")
@click.option("--reason", required=True, help=_("Why the receipt is revoked"))
@json_option
@pass_app
def revoke_receipt(app: AppContext, receipt: str, reason: str) -> None:
    from ...errors import InputError
    from ...keys.trust import receipt_revocation_id, revoke_receipt
    from ...receipts.receipt import decode_receipt
    from ..receipts.verify import pick_receipt

    value = receipt.strip()
    if value.upper().startswith("IKR") or "#" in value:
        rid = receipt_revocation_id(decode_receipt(pick_receipt(value)).signature)
    else:
        try:
            rid = bytes.fromhex(value)
        except ValueError as exc:
            raise InputError(
                _("{value!r} is neither a receipt nor a revocation id", value=value),
                _("give the receipt (IKR1:…) or its 32-hex-digit id"),
            ) from exc
    revoke_receipt(app.workspace(), rid, reason)
    if app.json:
        emit_json({"revocation_id": rid.hex(), "reason": reason})
        return
    say(_("Receipt {rid} revoked. Export a new trust bundle so verifiers learn it.", rid=rid.hex()))
