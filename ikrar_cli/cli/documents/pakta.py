"""``ikrar pakta``: Pakta Integritas per officer who pledged (one, a unit, a session, everyone)."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import N_, _
from ..app import AppContext, json_option, pass_app
from ..options import out_file_option
from ..output import emit_json, progress, say
from .docopts import seal_from, seal_options


@click.command(help=_("Write the Pakta Integritas of officers who pledged: one A4 page each, with the receipt QR."))
@click.option("--pledge", "pledge_ref", default=None, help=_("Pledge ID (needed unless --session is given)"))
@click.option("--nip", default=None, help=_("Only this officer"))
@click.option("--unit", default=None, help=_("Only this unit (code or name)"))
@click.option("--session", "session_id", type=int, default=None, help=_("Only officers of this session"))
@click.option("--all", "everyone", is_flag=True, help=_("Everyone who pledged"))
@out_file_option(N_("One combined PDF"))
@click.option(
    "--out-dir", type=click.Path(path_type=Path, file_okay=False), default=None, help=_("One PDF per officer")
)
@seal_options
@json_option
@pass_app
def pakta(
    app: AppContext,
    pledge_ref: str | None,
    nip: str | None,
    unit: str | None,
    session_id: int | None,
    everyone: bool,
    out: Path | None,
    out_dir: Path | None,
    seal_p12: Path | None,
    seal_passphrase_file: Path | None,
) -> None:
    from ...documents.pakta import select, write_pakta, write_pakta_each
    from ...documents.profile import workspace_profile
    from ...errors import UsageError
    from ...pledges.templates import PledgeLibrary
    from ...recitation.attest import get_session
    from ...roster.identifiers import clean
    from ..recitation.recitation_common import qr_payload

    if everyone == any(x is not None for x in (nip, unit, session_id)):  # --all alone, or filters (combinable)
        raise UsageError(
            _("Choose whom: --nip, --unit, --session or --all"), _("e.g. ikrar pakta --pledge pilkada-2024 --all")
        )
    if (out is None) == (out_dir is None):
        raise UsageError(_("Give either --out FILE.pdf or --out-dir DIR"), _("--out for one combined file"))
    ws = app.workspace()
    library = PledgeLibrary.load(ws.config.extra_template_dirs)
    pledge_id = None
    with ws.store.read() as conn:
        if session_id is not None:
            pledge_id = get_session(conn, session_id).pledge_id
        if pledge_ref:
            pledge_id = library.get(pledge_ref).id
        if pledge_id is None:
            raise UsageError(_("--pledge is needed"), _("e.g. --pledge pilkada-2024"))
        oid = "".join(clean(nip).split()) if nip else None
        entries = list(select(conn, pledge_id=pledge_id, nip=oid, unit=unit, session=session_id))
    profile = workspace_profile(ws)
    seal = seal_from(ws, seal_p12, seal_passphrase_file, _("Integrity Pact"))
    kw = dict(
        pledge_for=lambda e: library.get(f"{e.pledge_id}@{e.pledge_version}"),
        profile=profile,
        qr_for=lambda text: qr_payload(ws, text),
        seal=seal,
        total=len(entries),
    )
    with progress(_("Writing Pakta Integritas"), len(entries), enabled=not app.json) as tick:
        if out is not None:
            n = write_pakta(out, entries, progress=tick, **kw)  # type: ignore[arg-type]
            files = [str(out)]
        else:
            assert out_dir is not None
            out_dir.mkdir(parents=True, exist_ok=True)
            files = [str(p) for p in write_pakta_each(out_dir, entries, progress=tick, **kw)]  # type: ignore[arg-type]
            n = len(files)
    if app.json:
        emit_json({"officers": n, "files": files, "sealed": seal is not None})
        return
    say(_("{n} Pakta Integritas written to {path}", n=n, path=out or out_dir))
