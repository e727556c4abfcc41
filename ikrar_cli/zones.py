"""Indonesia's three time zones, by their everyday names and their IANA names."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from .errors import UsageError
from .i18n import _

#: everyday abbreviation -> IANA zone
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
#: IANA zone -> everyday abbreviation
ABBREVIATIONS = {v: k for k, v in ZONES.items()}
#: compact codes used in receipts (see docs/receipt-format.md)
ZONE_CODES = {"Asia/Jakarta": 1, "Asia/Makassar": 2, "Asia/Jayapura": 3}


def parse_zone(value: str) -> str:
    """'WITA', 'wita', 'Asia/Makassar' -> 'Asia/Makassar'; anything else is refused."""
    v = value.strip()
    if v.upper() in ZONES:
        return ZONES[v.upper()]
    for iana in ABBREVIATIONS:
        if v.lower() == iana.lower():
            return iana
    raise UsageError(
        _("Unknown time zone {zone!r}", zone=value),
        _("use WIB, WITA or WIT (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"),
    )


def zone(iana: str) -> tzinfo:
    return ZoneInfo(iana)


def format_local(ts: int | float, iana: str) -> str:
    """UTC seconds -> '2024-10-01 08:30:00 WITA' in the given zone."""
    try:
        dt = datetime.fromtimestamp(ts, tz=UTC).astimezone(ZoneInfo(iana))
    except (OverflowError, ValueError, OSError):  # outside years 1-9999: only a forged receipt says so
        return f"{int(ts)} {ABBREVIATIONS.get(iana, iana)}"
    return f"{dt:%Y-%m-%d %H:%M:%S} {ABBREVIATIONS.get(iana, iana)}"
