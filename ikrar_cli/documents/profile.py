"""The institution profile in ``ikrar.yaml``: letterhead, place name, named signatories.

Indonesian office documents carry a *kop surat* (letterhead), are dated "Jeneponto,
25 November 2026" and are signed by a named official (name, NIP, position). This module
reads those settings (all optional: a workspace without them still prints, with blank lines
to fill in by hand) and formats dates and numbers the Indonesian way through Babel.

```yaml
profile:
  letterhead:
    government: PEMERINTAH KABUPATEN JENEPONTO      # optional first line
    institution: BADAN KEPEGAWAIAN DAN PENGEMBANGAN SUMBER DAYA MANUSIA
    address: Jalan Lanto Dg. Pasewang No. 1, Jeneponto 92311
    logo: logo.png                                   # optional, relative to the workspace
  place: Jeneponto
  signatories:                                       # per document kind, or 'default'
    default: {name: ..., nip: ..., position: Kepala BKPSDM}
    minutes: [{role: Pimpinan Apel, name: ..., nip: ..., position: ...}, ...]
  unit_heads:                                        # optional: addressees of follow-up letters
    DINKES: {name: ..., nip: ..., position: Kepala Dinas Kesehatan}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..i18n import _, get_language

#: document kinds that may name their own signatories
KINDS = ("pakta", "minutes", "follow_up", "compliance", "receipt_list")


@dataclass(frozen=True)
class Signatory:
    name: str = ""
    nip: str = ""
    position: str = ""
    role: str = ""


@dataclass
class Profile:
    institution: str
    government: str = ""
    address: str = ""
    logo: Path | None = None
    place: str = ""
    signatories: dict[str, list[Signatory]] = field(default_factory=dict)
    unit_heads: dict[str, Signatory] = field(default_factory=dict)

    def signers(self, kind: str) -> list[Signatory]:
        """The named signatories of a document kind, else the default ones, else one blank block."""
        return self.signatories.get(kind) or self.signatories.get("default") or [Signatory()]

    def place_date(self, day: date) -> str:
        """'Jeneponto, 25 November 2026' (or only the date when no place is configured)."""
        text = long_date(day)
        return f"{self.place}, {text}" if self.place else text


def _fix(where: str, key: str) -> InputError:
    return InputError(
        _("{where}: setting {key} must be text", where=where, key=key),
        _("see docs/documents.md for the profile settings"),
    )


def _text(value: Any, where: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise _fix(where, key)
    return " ".join(str(value).split())


def _signatory(value: Any, where: str, key: str) -> Signatory:
    if not isinstance(value, dict):
        raise InputError(
            _("{where}: {key} must be a mapping with name, nip and position", where=where, key=key),
            _("see docs/documents.md for the profile settings"),
        )
    return Signatory(
        name=_text(value.get("name"), where, f"{key}.name"),
        nip=_text(value.get("nip"), where, f"{key}.nip"),
        position=_text(value.get("position"), where, f"{key}.position"),
        role=_text(value.get("role"), where, f"{key}.role"),
    )


def load_profile(raw: dict[str, Any], *, institution: str, root: Path, where: str = "ikrar.yaml") -> Profile:
    """The ``profile:`` section of the parsed ``ikrar.yaml`` (``Config.raw``)."""
    data = raw.get("profile") or {}
    if not isinstance(data, dict):
        raise InputError(
            _("{where}: setting {key} must be a mapping", where=where, key="profile"),
            _("see docs/documents.md for the profile settings"),
        )
    head = data.get("letterhead") or {}
    if not isinstance(head, dict):
        raise InputError(
            _("{where}: setting {key} must be a mapping", where=where, key="profile.letterhead"),
            _("see docs/documents.md for the profile settings"),
        )
    logo_text = _text(head.get("logo"), where, "profile.letterhead.logo")
    logo = (root / logo_text) if logo_text else None
    if logo is not None and not logo.is_file():
        raise InputError(
            _("{where}: the logo {path} does not exist", where=where, path=logo),
            _("put the image (PNG or JPEG) in the workspace or fix profile.letterhead.logo"),
        )
    prof = Profile(
        institution=_text(head.get("institution"), where, "profile.letterhead.institution") or institution,
        government=_text(head.get("government"), where, "profile.letterhead.government"),
        address=_text(head.get("address"), where, "profile.letterhead.address"),
        logo=logo,
        place=_text(data.get("place"), where, "profile.place"),
    )
    signers = data.get("signatories") or {}
    if not isinstance(signers, dict):
        raise InputError(
            _("{where}: setting {key} must be a mapping", where=where, key="profile.signatories"),
            _("see docs/documents.md for the profile settings"),
        )
    for kind, value in signers.items():
        if kind not in (*KINDS, "default"):
            raise InputError(
                _("{where}: unknown document kind {kind!r} in profile.signatories", where=where, kind=kind),
                _("known kinds: {kinds}", kinds=", ".join(("default", *KINDS))),
            )
        items = value if isinstance(value, list) else [value]
        prof.signatories[kind] = [
            _signatory(v, where, f"profile.signatories.{kind}[{i}]") for i, v in enumerate(items)
        ]
    heads = data.get("unit_heads") or {}
    if not isinstance(heads, dict):
        raise InputError(
            _("{where}: setting {key} must be a mapping", where=where, key="profile.unit_heads"),
            _("see docs/documents.md for the profile settings"),
        )
    prof.unit_heads = {str(k): _signatory(v, where, f"profile.unit_heads.{k}") for k, v in heads.items()}
    return prof


def workspace_profile(ws: Any) -> Profile:
    """The profile of an open :class:`~ikrar_cli.workspace.Workspace`."""
    return load_profile(ws.config.raw, institution=ws.config.institution_name, root=ws.root, where=str(ws.config_path))


# ------------------------------------------------------------------------------ formatting
def _locale() -> str:
    return "id" if get_language() == "id" else "en"


def long_date(day: date) -> str:
    """'25 November 2026' (Indonesian month names in Indonesian, English ones in English)."""
    from babel.dates import format_date

    return format_date(day, format="d MMMM y", locale=_locale())


def local_date(ts: int, zone: str) -> date:
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(ts, tz=UTC).astimezone(ZoneInfo(zone)).date()


def long_datetime(ts: int, zone: str) -> str:
    """'25 November 2026, 08.30 WITA' — Indonesian writes the time with a dot."""
    from zoneinfo import ZoneInfo

    from ..zones import ABBREVIATIONS, format_local

    try:
        dt = datetime.fromtimestamp(ts, tz=UTC).astimezone(ZoneInfo(zone))
    except (OverflowError, ValueError, OSError):  # outside years 1-9999: only a forged receipt says so
        return format_local(ts, zone)
    sep = "." if _locale() == "id" else ":"
    return f"{long_date(dt.date())}, {dt:%H}{sep}{dt:%M} {ABBREVIATIONS.get(zone, zone)}"


def decimal(value: float, digits: int = 1) -> str:
    """66.7 -> '66,7' in Indonesian, '66.7' in English; thousands grouped ('2.979' / '2,979')."""
    from decimal import ROUND_HALF_UP, Decimal

    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)  # 0,5 rounds up
    return str(format_decimal(rounded, format=pattern, locale=_locale()))


def percent(fraction: float, digits: int = 1) -> str:
    """0.667 -> '66,7%' (Indonesian) / '66.7%' (English)."""
    return decimal(fraction * 100, digits) + "%"


def integer(value: int) -> str:
    return decimal(value, 0)


def sort_name(full_name: str) -> str:
    """The name without academic or religious titles, for sorting ('dr. Budi, M.Kes.' -> 'budi')."""
    from ..roster.importer import split_titles

    _front, name, _back = split_titles(full_name)
    words = name.split()
    while len(words) > 1 and _is_title(words[0]):
        words.pop(0)
    return " ".join(words).casefold()


def _is_title(word: str) -> bool:
    from ..roster.importer import FRONT_TITLES

    w = word.casefold().rstrip(",")
    return w in FRONT_TITLES or f"{w}." in FRONT_TITLES
