"""Pledge templates in the terminal package: sent by the authority, checked and installed on setup.

The trust bundle holds each template's canonical words and digest, enough to verify a receipt but
not the template file a kiosk reads (validity dates, legal basis, translations, sanction clause).
``ikrar terminal package`` therefore adds the template files themselves, verbatim; ``ikrar
terminal setup`` parses each one, checks that its digest is one the signed bundle holds for the
same ``id@version``, and only then writes it into the workspace's ``templates/`` folder, which
every command reads besides the bundled templates and ``templates.extra_dirs``
(docs/roster-snapshot.md, "The terminal package").

Nothing is written before every template has been checked. A template whose words differ from
the bundle's is refused; an existing template or file with other content is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InputError, TrustError
from ..i18n import _

if TYPE_CHECKING:
    from ..pledges.templates import PledgeLibrary
    from ..workspace import Workspace
    from .trust import TrustBundle

FOLDER = "templates"


def workspace_folder(root: Path) -> Path:
    """Where a workspace keeps the templates it received: ``<workspace>/templates``."""
    return root / FOLDER


def file_name(pledge_id: str, version: int) -> str:
    return f"{pledge_id}@{version}.yaml"


# ------------------------------------------------------------------------------ authority side
def package_entries(library: PledgeLibrary, bundle: TrustBundle) -> list[dict[str, Any]]:
    """One entry per template of the bundle: ``{"ref", "digest", "text"}``, the file's text verbatim.

    Every template the bundle names must be one of this workspace's files with the same words:
    a template edited or removed after the bundle was exported is refused (export anew)."""
    from ..pledges.templates import TemplateError

    out = []
    for digest, entry in sorted(bundle.pledges.items(), key=lambda kv: (kv[1].id, kv[1].version)):
        pledge = library.by_digest(digest)
        if pledge is None or pledge.path is None:
            raise ConflictError(
                _("Template {ref} of trust bundle serial {serial} is not among this workspace's templates with the "
                  "same words", ref=entry.ref, serial=bundle.serial),
                _("export a new bundle first: ikrar trust export"),
            )  # fmt: skip
        raw = pledge.path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:  # it was parsed a moment ago: only a file replaced meanwhile
            raise TemplateError(
                _("{path}: not UTF-8 text (byte {pos})", path=pledge.path, pos=exc.start),
                _("save the template as UTF-8"),
            ) from exc
        out.append({"digest": "sha256:" + digest.hex(), "ref": entry.ref, "text": text})
    return out


# ------------------------------------------------------------------------------ terminal side
@dataclass(frozen=True)
class Planned:
    ref: str
    target: Path
    text: str
    state: str  # "new" (to be written) or "present" (this terminal already has these words)


def _bad_package(where: object) -> InputError:
    return InputError(_("{path}: not an ikrar terminal package", path=where), _("ask the authority for the file"))


def check_entries(ws: Workspace, bundle: TrustBundle, entries: Any, where: object) -> list[Planned]:
    """Check every template of a package against the signed bundle and this workspace; write nothing."""
    from ..pledges.templates import PledgeLibrary, parse_template

    if entries is None:
        return []  # a package from before templates were sent
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("text"), str)
                                                for e in entries):  # fmt: skip
        raise _bad_package(where)
    library = PledgeLibrary.load(ws.config.extra_template_dirs)
    folder = workspace_folder(ws.root)
    plans: list[Planned] = []
    for entry in entries:
        named = str(entry.get("ref", "?"))
        pledge = parse_template(entry["text"], Path(f"{where} [{named}]"))
        held = bundle.pledges.get(pledge.digest)
        if held is None or (held.id, held.version) != (pledge.id, pledge.version) or named != pledge.ref:
            raise TrustError(
                _("{path}: the words of template {ref} differ from the text the signed trust bundle holds",
                  path=where, ref=named),
                _("nothing was installed; ask the authority for a new package (ikrar trust export, then ikrar "
                  "terminal package)"),
            )  # fmt: skip
        target = folder / file_name(pledge.id, pledge.version)
        if library.by_digest(pledge.digest) is not None:
            plans.append(Planned(pledge.ref, target, entry["text"], "present"))
            continue
        other = next((p for p in library.versions(pledge.id) if p.version == pledge.version), None)
        if other is not None:
            raise ConflictError(
                _("Template {ref} on this terminal ({path}) has other words than the authority's", ref=pledge.ref,
                  path=other.path),
                _("nothing was installed; remove or move that file, then run 'ikrar terminal setup' again"),
            )  # fmt: skip
        if target.exists():
            raise ConflictError(
                _("{path} already exists with other content", path=target),
                _("nothing was installed; move that file away, then run 'ikrar terminal setup' again"),
            )
        plans.append(Planned(pledge.ref, target, entry["text"], "new"))
    return plans


def install(ws: Workspace, plans: list[Planned]) -> dict[str, list[str]]:
    """Write the checked templates (atomically, one by one); returns the refs installed and present."""
    from ..fsutil import atomic_write_text
    from ..workspace import add_template_folder

    new = [p for p in plans if p.state == "new"]
    if new:
        new[0].target.parent.mkdir(mode=0o755, exist_ok=True)
        for p in new:
            atomic_write_text(p.target, p.text)
        add_template_folder(ws.config, new[0].target.parent)
    return {"installed": [p.ref for p in new], "present": [p.ref for p in plans if p.state == "present"]}
