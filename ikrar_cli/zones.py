"""Indonesia's three time zones, by their everyday names and their IANA names."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
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
    # isoformat is strftime's text for years 1000-9999 at half its cost (bulk verify words every receipt)
    stamp = dt.isoformat(" ", "seconds")[:19] if dt.year >= 1000 else f"{dt:%Y-%m-%d %H:%M:%S}"
    return f"{stamp} {ABBREVIATIONS.get(iana, iana)}"


def parse_user_time(value: str, iana: str) -> int:
    """A time a user typed -> UTC seconds; without a zone it is read in ``iana`` (the workspace's).

    Accepts '2024-10-01' (midnight), '2024-10-01T08:00', '2024-10-01 08:00:30', an offset
    ('+08:00', 'Z') or a zone name after a space ('2024-10-01 08:00 WITA'). Every time option
    of the CLI goes through here, so a WITA workspace never reads a bare time as WIB.
    """
    text = value.strip()
    zone_name, named = iana, False
    head, _sep, tail = text.rpartition(" ")
    if head and (tail.upper() in ZONES or tail.lower() in (z.lower() for z in ABBREVIATIONS)):
        zone_name, text, named = parse_zone(tail), head.strip(), True
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            _("{value!r} is not a date or time", value=value), _("write e.g. 2024-10-01 or 2024-10-01T08:00+08:00")
        ) from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(zone_name))
    elif named:
        raise UsageError(
            _("{value!r} gives two time zones", value=value),
            _("write e.g. 2024-10-01T08:00+08:00 or 2024-10-01 08:00 WITA"),
        )
    try:
        return int(dt.timestamp())
    except (OverflowError, ValueError, OSError) as exc:
        raise UsageError(
            _("{value!r} is not a date or time", value=value), _("write e.g. 2024-10-01 or 2024-10-01T08:00+08:00")
        ) from exc


def parse_user_date(value: str, option: str) -> date:
    """A calendar day a user typed (YYYY-MM-DD); the caller applies the workspace's zone to it."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            _("{option} {value!r} is not a date", option=option, value=value), _("write YYYY-MM-DD")
        ) from None
