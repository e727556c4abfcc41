"""The compliance report as the table, CSV, XLSX and PDF formats draw it, without every line in
memory: per-unit figures (the aggregates of ``streamed.Result``) and, per unit, the missing and
joined-later officers as read-only sequences whose length is known and whose lines are read from
the report's spool each time they are iterated (one unit's list at a time).

``ReportView`` is a ``ComplianceReport`` and its units are ``UnitCompliance`` objects, so every
format keeps its code; what changes is that ``report.units`` is a read-only sequence whose units
are made when reached, ``u.missing`` / ``u.joined_later`` are ``StaffList`` sequences (``len``,
iteration, indexing and slicing; no ``append``/``sort``: they fail loudly), and ``report.total``
holds the counts, its lists iterating unit after unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import chain, islice
from typing import TYPE_CHECKING, cast, overload

from ..i18n import _
from .report import ComplianceReport, StaffLine, UnitCompliance

if TYPE_CHECKING:
    from .streamed import Result, UnitTotals

__all__ = ["ReportView", "StaffList", "report_view"]


class StaffList(Sequence[StaffLine]):
    """``n`` officers whose lines ``lines()`` reads again on every iteration (nothing is kept)."""

    __slots__ = ("_lines", "_n")

    def __init__(self, n: int, lines: Callable[[], Iterable[StaffLine]]) -> None:
        self._n = n
        self._lines = lines

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def __iter__(self) -> Iterator[StaffLine]:
        return iter(self._lines()) if self._n else iter(())

    @overload
    def __getitem__(self, i: int) -> StaffLine: ...
    @overload
    def __getitem__(self, i: slice) -> list[StaffLine]: ...
    def __getitem__(self, i: int | slice) -> StaffLine | list[StaffLine]:
        if isinstance(i, slice):
            start, stop, step = i.indices(self._n)
            if step < 0:
                return list(self)[i]
            return list(islice(self, start, stop, step))
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return next(islice(self, i, None))

    def __repr__(self) -> str:
        return f"StaffList({self._n})"


def _unit(result: Result, u: UnitTotals) -> UnitCompliance:
    def missing() -> list[StaffLine]:
        return result.lists(u)[0]

    def later() -> list[StaffLine]:
        return result.lists(u)[1]

    staff_missing = cast(list[StaffLine], StaffList(u.missing, missing))
    staff_later = cast(list[StaffLine], StaffList(u.joined_later, later))
    return UnitCompliance(u.code, u.name, u.active, u.individual, u.collective, staff_later, staff_missing)


class ReportView(ComplianceReport):
    """A ``ComplianceReport`` over a ``streamed.Result``: figures in memory, lines read per unit."""

    @property
    def total(self) -> UnitCompliance:
        units = self.units  # made again on each pass: only the counts are summed here
        missing = StaffList(sum(len(u.missing) for u in units),
                            lambda: chain.from_iterable(u.missing for u in units))  # fmt: skip
        later = StaffList(sum(len(u.joined_later) for u in units),
                          lambda: chain.from_iterable(u.joined_later for u in units))  # fmt: skip
        return UnitCompliance("*", _("All units"), sum(u.active for u in units), sum(u.individual for u in units),
                              sum(u.collective for u in units), cast(list[StaffLine], later),
                              cast(list[StaffLine], missing))  # fmt: skip


class UnitList(Sequence[UnitCompliance]):
    """The units, weakest first, each made from its aggregates when it is reached (nothing kept
    beyond ``Result.units``: a national report has some 20,000 units)."""

    __slots__ = ("_result",)

    def __init__(self, result: Result) -> None:
        self._result = result

    def __len__(self) -> int:
        return len(self._result.units)

    def __iter__(self) -> Iterator[UnitCompliance]:
        return (_unit(self._result, u) for u in self._result.units)

    @overload
    def __getitem__(self, i: int) -> UnitCompliance: ...
    @overload
    def __getitem__(self, i: slice) -> list[UnitCompliance]: ...
    def __getitem__(self, i: int | slice) -> UnitCompliance | list[UnitCompliance]:
        if isinstance(i, slice):
            return [_unit(self._result, u) for u in self._result.units[i]]
        return _unit(self._result, self._result.units[i])


def report_view(result: Result) -> ReportView:
    inst, pledge, title, zone, unlisted, revoked = result.report_fields
    units = cast(list[UnitCompliance], UnitList(result))
    return ReportView(inst, pledge, title, date.fromisoformat(result.as_of), 0, zone, units, unlisted, revoked)
