"""Officer identifiers: PNS NIP, NI PPPK, NIK and institution-internal ids.

Layouts (see shared domain notes): NIP = birth YYYYMMDD + CPNS appointment YYYYMM + sex
+ serial(3); NI PPPK = birth YYYYMMDD + appointment year YYYY + '2' + digit + sex + serial;
NIK = province(2) regency(2) district(2) + DDMMYY (day+40 for women) + serial(4).
Excel damage (scientific notation, precision lost to floating point) is recognised and
explained, never guessed at.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ..errors import InputError
from ..i18n import _

KINDS = ("nip", "nippppk", "nik", "internal")
_SEPARATORS = re.compile(r"[\s.\-_/]+")
_SCI = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")
_INTERNAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,31}$")


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str
    birth_date: date | None = None
    sex: str | None = None


def _reexport() -> str:
    return _("format the column as Text in Excel (or export from SIASN as CSV) and export again")


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def clean(raw: object) -> str:
    """Text as typed: NFC, without surrounding spaces or an Excel text-forcing apostrophe."""
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    return text[1:].strip() if text.startswith("'") else text


def detect_damage(text: str) -> str | None:
    """Why this cell is not a usable number any more, or None."""
    if _SCI.match(text):
        return _(
            "{value!r} is in scientific notation: Excel stored the number as a float and lost its last digits",
            value=text,
        )
    if re.fullmatch(r"\d+[.,]0+", text):
        return _("{value!r} was stored as a number with decimals", value=text)
    return None


def _nip_like(d: str, today: date) -> Identifier:
    born = _date(int(d[0:4]), int(d[4:6]), int(d[6:8]))
    if born is None:
        raise InputError(
            _("{value}: digits 1-8 ({part}) are not a real birth date", value=d, part=d[:8]),
            _("check the number with the officer; a typo usually breaks the date"),
        )
    if born > today or _age(born, today) > 80:
        raise InputError(
            _("{value}: birth date {born} is not plausible", value=d, born=born.isoformat()),
            _("check the number with the officer"),
        )
    sex = {"1": "L", "2": "P"}
    serial = int(d[15:18])
    if serial == 0:
        raise InputError(
            _(
                "{value}: the serial (last 3 digits) cannot be 000; if the number came from Excel, "
                "its last digits were lost to floating point",
                value=d,
            ),
            _reexport(),
        )
    month = int(d[12:14])
    if 1 <= month <= 12:  # PNS: TMT CPNS YYYYMM
        year = int(d[8:12])
        appointed = _date(year, month, 1)
        if appointed is None or appointed > today:
            raise InputError(
                _("{value}: appointment {part} is in the future", value=d, part=d[8:14]),
                _("check the number with the officer"),
            )
        if _age(born, appointed) < 17:
            raise InputError(
                _("{value}: appointment {part} is before the officer turned 17", value=d, part=d[8:14]),
                _("check the number with the officer"),
            )
        if d[14] not in sex:
            raise InputError(
                _("{value}: digit 15 must be 1 (male) or 2 (female), not {digit}", value=d, digit=d[14]),
                _("check the number with the officer"),
            )
        return Identifier("nip", d, born, sex[d[14]])
    if d[12] == "2" and d[13] != "0":  # NI PPPK: year + '2' + contracts
        year = int(d[8:12])
        if year > today.year or year - born.year < 17:
            raise InputError(
                _("{value}: PPPK appointment year {year} is not plausible", value=d, year=year),
                _("check the number with the officer"),
            )
        if d[14] not in sex:
            raise InputError(
                _("{value}: digit 15 must be 1 (male) or 2 (female), not {digit}", value=d, digit=d[14]),
                _("check the number with the officer"),
            )
        return Identifier("nippppk", d, born, sex[d[14]])
    raise InputError(
        _("{value}: digits 13-14 ({part}) are neither a month (NIP) nor a PPPK marker", value=d, part=d[12:14]),
        _("check the number with the officer"),
    )


def _nik(d: str, today: date) -> Identifier:
    day, month, yy = int(d[6:8]), int(d[8:10]), int(d[10:12])
    sex = "L"
    if day > 40:
        day, sex = day - 40, "P"
    century = 2000 if 2000 + yy <= today.year else 1900
    born = _date(century + yy, month, day)
    if born is None:
        raise InputError(
            _("{value}: digits 7-12 ({part}) are not a birth date DDMMYY", value=d, part=d[6:12]),
            _("check the NIK on the officer's KTP"),
        )
    if int(d[0:2]) < 11 or int(d[0:2]) > 99:
        raise InputError(
            _("{value}: {part} is not a province code", value=d, part=d[0:2]), _("check the NIK on the officer's KTP")
        )
    return Identifier("nik", d, born, sex)


def _nip_of_kind(digits: str, kind: str | None, today: date) -> Identifier:
    """An 18-digit NIP or NI PPPK, checked against the id type column when there is one."""
    ident = _nip_like(digits, today)
    if kind and kind != ident.kind and not (kind == "nip" and ident.kind == "nippppk"):
        raise InputError(
            _("{value}: this is a {found} number, not a {kind}", value=digits, found=ident.kind, kind=kind),
            _("check the id type column"),
        )
    return ident


def parse_identifier(raw: object, kind: str | None = None, *, today: date | None = None) -> Identifier:
    """Validate and normalise; raise InputError saying exactly what is wrong and how to fix it."""
    today = today or date.today()
    if isinstance(raw, float):
        raise InputError(
            _(
                "{value!r} is stored as a number: Excel keeps only 15 digits, so an 18-digit NIP loses its last digits",
                value=f"{raw:.17g}",
            ),
            _reexport(),
        )
    if type(raw) is str and kind in (None, "nip", "nippppk") and 18 <= len(raw) <= 21:
        # fast path: 18 ASCII digits, bare or grouped by spaces as BKPSDM sheets print them
        # ("19860926 201505 1 001"); anything else takes the full path below
        digits18 = raw.replace(" ", "") if len(raw) > 18 else raw
        if len(digits18) == 18 and digits18.isascii() and digits18.isdigit():
            return _nip_of_kind(digits18, kind, today)
    text = clean(raw)
    if not text:
        raise InputError(_("The identifier is empty"), _("fill in the NIP, NI PPPK or NIK"))
    damage = detect_damage(text)
    if damage:
        raise InputError(damage, _reexport())
    if kind == "internal":
        if not _INTERNAL.match(text):
            raise InputError(
                _("{value!r} is not a valid internal id (letters, digits, . _ / -; 2-32 characters)", value=text),
                _("check the id"),
            )
        return Identifier("internal", text)
    digits = _SEPARATORS.sub("", text)
    if not digits.isdigit():
        if kind is None and _INTERNAL.match(text) and not text.isdigit() and any(c.isalpha() for c in text):
            raise InputError(
                _("{value!r} is not a NIP or NIK", value=text),
                _("for institution-internal ids use the id type 'internal'"),
            )
        raise InputError(
            _("{value!r} contains characters that are not digits", value=text), _("a NIP has 18 digits and a NIK 16")
        )
    if kind in (None, "nip", "nippppk") and len(digits) == 18:
        return _nip_of_kind(digits, kind, today)
    if kind in (None, "nik") and len(digits) == 16:
        return _nik(digits, today)
    if len(digits) == 15 and kind in (None, "nip", "nippppk"):
        raise InputError(
            _("{value} has 15 digits: Excel keeps only 15, so the NIP lost its last digits", value=digits), _reexport()
        )
    expected = "16" if kind == "nik" else _("18 (NIP/NI PPPK) or 16 (NIK)")
    raise InputError(
        _("{value} has {n} digits; expected {expected}", value=digits, n=len(digits), expected=expected),
        _("check for a missing or extra digit"),
    )


CACHE_LIMIT = 1 << 16  # entries per cache of NipDates (a roster has a few thousand birth dates)


class NipDates:
    """The date checks of an 18-digit NIP / NI PPPK on one ``today``, cached per part: digits 1-8
    (birth) map to the earliest appointment an officer born then may have (``YYYYMMDD``, 17th
    birthday) or "" when the birth date is not real or not plausible; digits 9-14 (a PNS
    appointment ``YYYYMM``) map to whether that month is real and not after ``today``. Both caches
    are bounded (cleared when full). ``kind`` is the import's per-row path; it must accept
    exactly what ``_nip_like`` accepts (property-tested)."""

    __slots__ = ("births", "months", "today", "year")

    def __init__(self, today: date) -> None:
        self.today = today
        self.year = today.year
        self.births: dict[str, str] = {}
        self.months: dict[str, bool] = {}

    def _birth(self, d8: str) -> str:
        born = _date(int(d8[0:4]), int(d8[4:6]), int(d8[6:8]))
        ok = born is not None and born <= self.today and _age(born, self.today) <= 80
        earliest = f"{int(d8[0:4]) + 17:04d}{d8[4:8]}" if ok else ""  # (y+17, m, d): age 17 on that day
        if len(self.births) >= CACHE_LIMIT:
            self.births.clear()
        self.births[d8] = earliest
        return earliest

    def _month(self, d6: str) -> bool:
        appointed = _date(int(d6[0:4]), int(d6[4:6]), 1)
        ok = appointed is not None and appointed <= self.today
        if len(self.months) >= CACHE_LIMIT:
            self.months.clear()
        self.months[d6] = ok
        return ok

    def kind(self, d: str) -> str | None:
        """'nip' or 'nippppk' when 18 ASCII digits pass every check of ``_nip_like``, else None
        (then ``_nip_like`` says why). ``_age(born, appointed) >= 17`` is the comparison of the
        appointment ``YYYYMM01`` with the 17th birthday ``YYYYMMDD`` as text (same width)."""
        d8 = d[0:8]
        earliest = self.births.get(d8)
        if earliest is None:
            earliest = self._birth(d8)
        if not earliest or d[15:18] == "000" or (d[14] != "1" and d[14] != "2"):
            return None
        if "01" <= d[12:14] <= "12":
            d6 = d[8:14]
            ok = self.months.get(d6)
            if ok is None:
                ok = self._month(d6)
            return "nip" if ok and d6 + "01" >= earliest else None
        if d[12] == "2" and d[13] != "0":
            year = int(d[8:12])
            return "nippppk" if year <= self.year and year - int(d[0:4]) >= 17 else None
        return None


_DATES: list[NipDates] = []  # the last day's caches (one slot: an import has one ``today``)


def nip_dates(today: date) -> NipDates:
    """The cached date checks for ``today`` (new caches when the day changes)."""
    if not _DATES or _DATES[0].today != today:
        _DATES[:] = [NipDates(today)]
    return _DATES[0]


def _nip_kind_fast(d: str, today: date) -> str | None:
    """'nip' or 'nippppk' when 18 digits pass every check of ``_nip_like``, else None."""
    return nip_dates(today).kind(d)


def identify(raw: object, kind: str | None, today: date) -> tuple[str, str]:
    """(kind, normalised value) of an identifier cell: ``parse_identifier`` without building an
    ``Identifier`` on the common path (18 ASCII digits, bare or grouped by spaces). Raises the
    same InputError as ``parse_identifier`` for the same cell."""
    if type(raw) is str and kind in (None, "nip", "nippppk") and 18 <= len(raw) <= 21:
        digits18 = raw.replace(" ", "") if len(raw) > 18 else raw
        if len(digits18) == 18 and digits18.isascii() and digits18.isdigit():
            found = _nip_kind_fast(digits18, today)
            if found is not None and (not kind or kind == found or (kind == "nip" and found == "nippppk")):
                return found, digits18
    ident = parse_identifier(raw, kind, today=today)
    return ident.kind, ident.value


_SCAN = re.compile(r"(?<!\d)(\d{8}[\s.]?\d{6}[\s.]?\d[\s.]?\d{3}|\d{18}|\d{16})(?!\d)")


def extract_identifier(scanned: str) -> str | None:
    """Pull an 18-digit NIP/NI PPPK or 16-digit NIK out of a scanned ID-card string.

    Scanners type what the code holds: a bare number, ``NIP: 1978...``, ``nip=1978...`` in a
    URL, JSON, or several fields separated by ``|``. An 18-digit run wins over 16.
    """
    if not scanned:
        return None
    found = [_SEPARATORS.sub("", m) for m in _SCAN.findall(scanned)]
    for length in (18, 16):
        for f in found:
            if len(f) == length:
                return f
    return None
