"""Starting the next template from a shipped one (``ikrar pledge new --from pilkada-2024``).

The new file keeps the source's points, confirmation phrase and legal basis, takes the new
id, title and validity window, and says where it came from. It is checked with the same
parser as every template before it is written, and never overwrites a file. The English
rendering is left out: it would describe the old election until someone rewrites it.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from ..errors import ConflictError, UsageError
from ..i18n import _
from .templates import ELECTION_KINDS, Pledge, PledgeLibrary, parse_template


def _yaml(value: object) -> str:
    import yaml

    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=False, sort_keys=False, width=100)


def new_template_text(
    source: Pledge,
    *,
    pledge_id: str,
    title: str,
    valid_from: date,
    valid_until: date,
    version: int = 1,
    election_kind: str | None = None,
    election_year: int | None = None,
    region: str | None = None,
) -> str:
    kind = election_kind or source.election_kind
    if kind not in ELECTION_KINDS:
        raise UsageError(
            _("--election-kind must be one of {kinds}", kinds=", ".join(ELECTION_KINDS)), _("e.g. pilkada")
        )
    data: dict[str, object] = {
        "id": pledge_id,
        "version": version,
        "election": {"kind": kind, "year": election_year or valid_from.year},
        "title": title,
        "language": "id",
    }
    if source.opening:
        data["opening"] = source.opening
    data["points"] = list(source.points)
    if source.closing:
        data["closing"] = source.closing
    data["confirmation_phrase"] = source.confirmation_phrase
    data["legal_basis"] = list(source.legal_basis)
    data["valid"] = {"from": valid_from, "until": valid_until}
    if region or source.region:
        data["region"] = region or source.region
    data["source"] = f"{source.ref} ({source.digest_hex[:16]}…), edited for {pledge_id}"
    note = _(
        "Made from {ref} by 'ikrar pledge new'. Edit the opening, the points and the legal basis to the exact "
        "wording of the SK or circular, then check it with: ikrar pledge validate FILE",
        ref=source.ref,
    )
    head = f"# {title}\n" + "".join(f"# {line}\n" for line in textwrap.wrap(note, 96))
    return head + _yaml(data)


def write_new_template(
    library: PledgeLibrary,
    source_ref: str,
    out: Path,
    *,
    pledge_id: str,
    title: str,
    valid_from: date,
    valid_until: date,
    version: int | None = None,
    election_kind: str | None = None,
    election_year: int | None = None,
    region: str | None = None,
) -> Pledge:
    """Write the new template file and return it as parsed (so it is known to be valid)."""
    from ..fsutil import atomic_writer

    source = library.get(source_ref)
    known = library.versions(pledge_id)
    if version is None:
        version = max((p.version for p in known), default=0) + 1
    elif any(p.version == version for p in known):
        raise ConflictError(
            _("Template {ref} already exists", ref=f"{pledge_id}@{version}"),
            _("choose another --id or --version"),
        )
    if out.exists():
        raise ConflictError(_("{path} already exists", path=out), _("choose another --out file"))
    text = new_template_text(
        source,
        pledge_id=pledge_id,
        title=title,
        valid_from=valid_from,
        valid_until=valid_until,
        version=version,
        election_kind=election_kind,
        election_year=election_year,
        region=region,
    )
    pledge = parse_template(text, out)  # raises TemplateError naming the field (id, dates ...)
    with atomic_writer(out, binary=False) as fh:
        fh.write(text)
    return pledge
