"""``zones.format_local``: the local time of a receipt or a record as '2024-10-01 08:30:00 WITA'
(docs/receipt-format.md: a verifier's ``time_local``). Written by ``datetime.isoformat`` where that
is the same text (years 1000-9999), by ``strftime`` for the rest: the text is the same either way."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ikrar_cli.zones import ABBREVIATIONS, format_local

FIRST, LAST = -62_135_596_800 + 86_400, 253_402_300_799 - 86_400  # year 1 .. 9999, a day inside each end


@given(st.integers(FIRST, LAST), st.sampled_from(sorted(ABBREVIATIONS)))
def test_the_local_time_is_the_strftime_text_in_every_year(ts: int, zone: str) -> None:
    dt = datetime.fromtimestamp(ts, tz=UTC).astimezone(ZoneInfo(zone))
    assert format_local(ts, zone) == f"{dt:%Y-%m-%d %H:%M:%S} {ABBREVIATIONS[zone]}"


def test_known_instants() -> None:
    assert format_local(1_727_740_800, "Asia/Makassar") == "2024-10-01 08:00:00 WITA"
    assert format_local(1_727_740_800.75, "Asia/Jakarta") == "2024-10-01 07:00:00 WIB"  # a fraction is cut
    assert format_local(-62_135_596_800 + 86_400, "Asia/Jayapura").endswith(" WIT")  # year 1: strftime's text
    assert format_local(10**20, "Asia/Jakarta") == f"{10**20} WIB"  # beyond year 9999: the seconds as given
