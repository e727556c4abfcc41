"""``ikrar receipt show``: a receipt as a QR code on screen, PNG, SVG or a printable PDF slip."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import _
from ..app import AppContext, json_option, pass_app
from ..documents.docopts import seal_options
from ..output import emit_json, say


@click.group(help=_("Receipts as QR codes and printable slips."))
def receipt() -> None:
    pass


@receipt.command(help=_("Show a receipt as a QR code on the terminal; optionally write PNG, SVG or a PDF slip."))
@click.argument("text")
@click.option("--png", type=click.Path(path_type=Path, dir_okay=False), default=None, help=_("Write a PNG file"))
@click.option("--svg", type=click.Path(path_type=Path, dir_okay=False), default=None, help=_("Write an SVG file"))
@click.option(
    "--pdf", type=click.Path(path_type=Path, dir_okay=False), default=None, help=_("Write a printable A6 slip (PDF)")
)
@seal_options
@json_option
@pass_app
def show(
    app: AppContext,
    text: str,
    png: Path | None,
    svg: Path | None,
    pdf: Path | None,
    seal_p12: Path | None,
    seal_passphrase_file: Path | None,
) -> None:
    from ...pledges.templates import PledgeLibrary
    from ...receipts.qr import qr_version, terminal_qr, write_png, write_svg
    from ...receipts.receipt import decode_receipt
    from ...roster.importer import unit_names
    from ..recitation.recitation_common import caption, qr_payload, slip_for, terminal_name

    ws = app.workspace()
    r = decode_receipt(text.strip())
    if seal_p12 is not None and pdf is None:
        from ...errors import UsageError

        raise UsageError(_("--seal seals the PDF slip: give --pdf FILE too"), _("e.g. --pdf slip.pdf --seal seal.p12"))
    from ..documents.docopts import seal_from

    seal = seal_from(ws, seal_p12, seal_passphrase_file, _("Pledge receipt"))
    term = terminal_name(ws, r.kid)
    payload = qr_payload(ws, r.text)
    if png:
        write_png(png, payload, caption(r.claims, term))
    if svg:
        write_svg(svg, payload, caption(r.claims, term))
    if pdf:
        from ...receipts.slips import write_slip_pdf

        with ws.store.read() as conn:
            units = unit_names(conn)
        write_slip_pdf(
            pdf, slip_for(ws, PledgeLibrary.load(ws.config.extra_template_dirs), r.text, r.claims, term, units), seal
        )
    if app.json:
        emit_json(
            {
                "receipt": r.text,
                "qr_version": qr_version(payload),
                "characters": len(payload),
                "files": [str(p) for p in (png, svg, pdf) if p],
            }
        )
        return
    click.echo(terminal_qr(payload))
    for line in caption(r.claims, term):
        click.echo(line)
    for p in (png, svg, pdf):
        if p:
            say(_("Written: {path}", path=p))
