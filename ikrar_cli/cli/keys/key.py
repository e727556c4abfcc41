"""``ikrar key``: authority and terminal keys, certificates, revocations."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..options import out_file_option
from ..output import console, emit_json, say
from .passphrase import get_passphrase, passphrase_option


def parse_time(value: str | None, iana: str) -> int | None:
    """A user's time in the workspace's zone (the one parser lives in ikrar_cli.zones)."""
    if value is None:
        return None
    from ...zones import parse_user_time

    return parse_user_time(value, iana)


@click.group(help=_("Signing keys: the institution's authority key and certified terminal keys."))
def key() -> None:
    pass


@key.command("init-authority", help=_("Create this institution's authority key (keep this workspace offline)."))
@passphrase_option
@json_option
@pass_app
def init_authority(app: AppContext, passphrase_file: Path | None) -> None:
    from ...keys.keyfiles import fingerprint, init_authority

    ws = app.workspace()
    info = init_authority(ws, get_passphrase(passphrase_file, confirm=True))
    if app.json:
        emit_json(info.to_dict())
        return
    say(_("Authority key created. Give auditors this fingerprint to pin:"))
    click.echo(fingerprint(info.public_key))


@key.command("new-terminal", help=_("Create a terminal key and print the request the authority must certify."))
@click.argument("name")
@click.option("--unit", default=None, help=_("Unit (OPD) code of this terminal"))
@out_file_option(N_("Also write the request to this file"))
@passphrase_option
@json_option
@pass_app
def new_terminal(app: AppContext, name: str, unit: str | None, out: Path | None, passphrase_file: Path | None) -> None:
    from ...fsutil import atomic_write_text
    from ...keys.keyfiles import new_terminal

    ws = app.workspace()
    info, request = new_terminal(ws, name, unit or ws.config.unit, get_passphrase(passphrase_file, confirm=True))
    text = json.dumps(request, sort_keys=True)
    if out:
        atomic_write_text(out, text + "\n")
    if app.json:
        emit_json({"key": info.to_dict(), "request": request})
        return
    say(
        _(
            "Terminal key {name} ({kid}) created. Ask the authority to certify this request:",
            name=name,
            kid=info.kid.hex(),
        )
    )
    click.echo(text)


@key.command(help=_("Certify a terminal (a request file, or a terminal name in this workspace)."))
@click.argument("request")
@click.option("--valid-from", default=None, help=_("Start of validity (default: now)"))
@click.option("--valid-until", default=None, help=_("End of validity (default: 400 days)"))
@out_file_option(N_("Write the certificate to this file for the terminal to import"))
@passphrase_option
@json_option
@pass_app
def certify(
    app: AppContext,
    request: str,
    valid_from: str | None,
    valid_until: str | None,
    out: Path | None,
    passphrase_file: Path | None,
) -> None:
    from ...errors import NotFoundError
    from ...fsutil import atomic_write_text, read_input_bytes
    from ...keys.keyfiles import b64, list_keys, parse_request

    ws = app.workspace()
    if Path(request).is_file():
        req = parse_request(read_input_bytes(Path(request), limit=100_000).decode("utf-8", "replace"))
    else:
        with ws.store.read() as conn:
            match = [k for k in list_keys(conn) if k.role == "terminal" and k.name == request and k.has_private]
        if not match:
            raise NotFoundError(
                _("No request file or terminal named {name}", name=request),
                _("give the request file written by 'ikrar key new-terminal'"),
            )
        k = match[0]
        req = {"name": k.name, "unit": k.unit, "public_key": b64(k.public_key), "kid": k.kid.hex()}
    from ...keys.keyfiles import certify as do_certify

    cert = do_certify(
        ws,
        req,
        get_passphrase(passphrase_file, prompt=_("Authority key passphrase")),
        not_before=parse_time(valid_from, ws.config.timezone),
        not_after=parse_time(valid_until, ws.config.timezone),
    )
    if out:
        atomic_write_text(out, json.dumps(cert.to_dict(), sort_keys=True) + "\n")
    if app.json:
        emit_json(cert.to_dict())
        return
    say(_("Terminal {name} ({kid}) certified.", name=cert.name, kid=cert.kid.hex()))


@key.command("import-cert", help=_("On a terminal: import the certificate the authority issued for it."))
@click.argument("file", type=click.Path(path_type=Path))
@pass_app
def import_cert(app: AppContext, file: Path) -> None:
    from ...errors import InputError
    from ...fsutil import read_input_bytes
    from ...keys.keyfiles import TerminalCertificate, import_certificate

    try:
        data = json.loads(read_input_bytes(file, limit=100_000))
    except ValueError as exc:
        raise InputError(_("{path} is not a certificate file", path=file), _("check the path")) from exc
    cert = TerminalCertificate.from_dict(data)
    import_certificate(app.workspace(), cert)
    say(_("Certificate for terminal {name} imported.", name=cert.name))


@key.command("list", help=_("List the keys this workspace knows."))
@json_option
@pass_app
def list_(app: AppContext) -> None:
    from ...keys.keyfiles import list_keys
    from ...zones import format_local

    ws = app.workspace()
    with ws.store.read() as conn:
        keys = list_keys(conn)
    if app.json:
        emit_json([k.to_dict() for k in keys])
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for col in (_("Role"), _("Name"), _("Unit"), _("Key id"), _("Valid until"), _("Status")):
        # the key id and the unit are identifiers people type: never cut or wrapped
        table.add_column(col, no_wrap=col in (_("Key id"), _("Unit")), min_width=16 if col == _("Key id") else None)
    tz = ws.config.timezone
    for k in keys:
        status = (
            _("revoked")
            if k.revoked_at
            else (_("certified") if k.certificate else ("" if k.role == "authority" else _("not certified")))
        )
        until = format_local(k.certificate.not_after, tz)[:10] if k.certificate else ""
        table.add_row(
            _("authority") if k.role == "authority" else _("terminal"), k.name, k.unit or "", k.kid.hex(), until, status
        )
    console().print(table)


@key.command(help=_("Revoke a terminal key from an instant on (receipts signed before stay valid)."))
@click.argument("keyid")
@click.option("--reason", required=True, help=_("Why the key is revoked (e.g. terminal stolen)"))
@click.option("--at", "at", default=None, help=_("Revocation instant (default: now)"))
@json_option
@pass_app
def revoke(app: AppContext, keyid: str, reason: str, at: str | None) -> None:
    from ...keys.keyfiles import revoke as do_revoke
    from ...zones import format_local

    ws = app.workspace()
    when = do_revoke(ws, keyid, reason, parse_time(at, ws.config.timezone))
    if app.json:
        emit_json({"kid": keyid.lower(), "revoked_at": when, "reason": reason})
        return
    say(
        _(
            "Key {kid} revoked from {when}. Export a new trust bundle so verifiers learn it.",
            kid=keyid,
            when=format_local(when, ws.config.timezone),
        )
    )
