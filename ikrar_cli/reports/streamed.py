"""A compliance result held as per-unit aggregates, its lists read one unit at a time from the
report's spool (``spool.py``). The JSON document is written as a stream, byte for byte what
``render_json`` makes of the whole document, and its digest (SHA-256 of the canonical JSON
without ``digest``, docs/compliance.md) is computed on the way: ``units`` is the last key in
canonical order, so the canonical text is the rest of the document, then each unit in turn."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

from ..i18n import _
from ..keys.keyfiles import canonical_json
from .jsonindent import dumps_indented
from .report import ComplianceReport, StaffLine, UnitCompliance

if TYPE_CHECKING:
    from .spool import Spool

__all__ = ["DigestFold", "Result", "Status", "UnitTotals", "render_json"]

_UNITS_AT = '\n  "units": "@units@"'
_DIGEST_AT = '\n  "digest": "@digest@"'


def render_json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Status:
    """Why an expected officer has the status they have (for ``report verify``). The reason's text
    is made only when asked for: ``report verify`` needs it for the one officer it names."""

    state: str  # pledged | missing | joined_later
    why: tuple[str, str] = ("", "")  # (entry index, log) | (joined, last session) | (pledge, day)

    @property
    def detail(self) -> str:
        a, b = self.why
        if self.state == "pledged":
            return _("receipt at entry {index} of log {log}", index=a, log=b[:8])
        if self.state == "joined_later":
            return _("joined {joined}, after the last session ({day})", joined=a, day=b)
        return _("no valid receipt of {pledge} by the end of {day}", pledge=a, day=b)


class DigestFold:
    """The report's digest built one unit object at a time, in the units' order (what ``Result.digest``
    computes, without reading the units a second time when the caller already has each one)."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.hash = hashlib.sha256(result.canonical_head())
        self.n = 0

    def add(self, obj: dict[str, Any]) -> None:
        self.hash.update((b"," if self.n else b"") + canonical_json(obj))
        self.n += 1

    def finish(self) -> str:
        """The digest, once every unit was added in order (else ``Result.digest`` reads them all)."""
        if self.n != len(self.result.units):
            return self.result.digest
        self.hash.update(b"]}")
        self.result._digest = "sha256:" + self.hash.hexdigest()
        return self.result._digest


@dataclass
class UnitTotals:
    code: str
    name: str
    active: int
    individual: int
    collective: int
    joined_later: int
    last_session: str | None

    @property
    def missing(self) -> int:
        return self.active - self.individual - self.collective - self.joined_later

    @property
    def coverage(self) -> float:
        expected = self.active - self.joined_later
        return (self.individual + self.collective) / expected if expected else 1.0

    def counts(self) -> dict[str, Any]:
        u = UnitCompliance(self.code, self.name, self.active, self.individual, self.collective)
        d = u.to_dict()  # the very figures (and rounding) of the in-memory report
        expected = self.active - self.joined_later
        d.update(joined_later=self.joined_later, missing=self.missing,
                 coverage_percent=round(self.coverage * 100, 1) if expected else None)  # fmt: skip
        return d


@dataclass
class Result:
    """One compliance report: ``head`` is the document without ``units`` and ``digest``."""

    head: dict[str, Any]
    units: list[UnitTotals]
    spool: Spool
    pledge_ref: str
    as_of: str
    report_fields: tuple[str, str, str, str, int, int] = ("", "", "", "", 0, 0)
    _digest: str | None = field(default=None, repr=False)

    def close(self) -> None:
        self.spool.close()

    # ---- one unit
    def lists(self, u: UnitTotals) -> tuple[list[StaffLine], list[StaffLine]]:
        """(missing, joined later) of one unit, each by name then identifier."""
        missing: list[StaffLine] = []
        later: list[StaffLine] = []
        for oid, name, joined in self.spool.unpledged(u.code):
            line = StaffLine(oid, name, None, u.code, 0)
            (later if u.last_session is not None and joined > u.last_session else missing).append(line)
        missing.sort(key=lambda s: (s.name.casefold(), s.officer_id))
        later.sort(key=lambda s: (s.name.casefold(), s.officer_id))
        return missing, later

    def unit_object(self, u: UnitTotals) -> dict[str, Any]:
        d = u.counts()
        del d["last_session_at"]
        missing, later = self.lists(u)
        d["missing_staff"] = [s.to_dict() for s in missing]
        d["joined_later_staff"] = [s.to_dict() for s in later]
        d["last_session"] = u.last_session
        return d

    def states(self, u: UnitTotals) -> Iterator[tuple[str, Status]]:
        """Each expected officer of a unit with their status and why, by identifier."""
        missing = Status("missing", (self.pledge_ref, self.as_of))
        last = u.last_session
        for oid, _name, joined, idx, log, _method in self.spool.unit_officers(u.code):
            if idx is not None and log is not None:
                yield oid, Status("pledged", (str(idx), log))
            elif last is not None and joined > last:
                yield oid, Status("joined_later", (joined, last))
            else:
                yield oid, missing

    # ---- the document
    def canonical_head(self) -> bytes:
        """The canonical text of the document up to its first unit (the digest's first bytes)."""
        rest_of = {k: v for k, v in self.head.items() if k != "units"}
        assert max(rest_of) < "units", "units is the last key in canonical order"
        return canonical_json(rest_of)[:-1] + b',"units":['

    def _pieces(self) -> Iterator[tuple[bytes, bytes]]:
        """(rendered text, canonical text) of the document in order, up to the digest's value; then
        (the rest of the rendered text, b"")."""
        text = render_json({**self.head, "units": "@units@", "digest": "@digest@"}).decode("utf-8")
        before, sep, rest = text.partition(_UNITS_AT)
        middle, sep2, after = rest.partition(_DIGEST_AT)
        assert sep and sep2, "the document's layout"  # keys are written here, never taken from data
        yield (before + '\n  "units": ').encode("utf-8"), self.canonical_head()
        for n, u in enumerate(self.units):
            obj = self.unit_object(u)
            body = dumps_indented(obj, "    ")  # json.dumps(indent=2), each line after 4 spaces, compiled
            yield (("[\n" if n == 0 else ",\n") + body).encode("utf-8"), (b"," if n else b"") + canonical_json(obj)
        yield ("\n  ]" if self.units else "[]").encode("utf-8") + middle.encode("utf-8"), b"]}"
        yield after.encode("utf-8"), b""

    def iter_json(self) -> Iterator[bytes]:
        """The JSON document (as ``render_json`` would make it) in pieces: the head, then one unit
        at a time (its lists read from the spool as it comes), then the digest computed on the way."""
        h = hashlib.sha256()
        for rendered, canonical in self._pieces():
            if not canonical:  # the end: the digest, then what follows it
                self._digest = "sha256:" + h.hexdigest()
                yield f'\n  "digest": "{self._digest}"'.encode() + rendered
                return
            yield rendered
            h.update(canonical)

    def write_json(self, out: IO[bytes]) -> str:
        """Write the JSON document (as ``render_json`` would) and return its digest."""
        for piece in self.iter_json():
            out.write(piece)
        assert self._digest is not None
        return self._digest

    @property
    def digest(self) -> str:
        if self._digest is None:  # the canonical text only: the indented one is not needed here
            fold = DigestFold(self)
            for u in self.units:
                fold.add(self.unit_object(u))
            return fold.finish()
        return self._digest

    def json_bytes(self) -> bytes:
        return render_json(self.document)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The whole document in memory (small reports, the server, tests)."""
        doc = dict(self.head)
        doc["units"] = [self.unit_object(u) for u in self.units]
        doc["digest"] = self.digest
        return doc

    def summary(self) -> dict[str, Any]:
        """The document without its unit list (the PDF's proof block)."""
        return {**{k: v for k, v in self.head.items() if k != "units"}, "digest": self.digest}

    @cached_property
    def report(self) -> ComplianceReport:
        """The report the table, CSV, XLSX and PDF formats draw: per-unit figures in memory, each
        unit's lists read from the spool when they are iterated (``view.py``)."""
        from .view import report_view

        return report_view(self)
