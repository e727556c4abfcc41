"""Report output formats as classes, chosen by name (pip-audit's model).

Each format is a ``ReportFormat`` subclass with one ``render_<kind>`` method per report kind
in ``REPORT_KINDS``; ``render(report, out, options)`` picks the method for the report it is
given. The base class declares every kind as an abstract method, so a format that misses one
cannot be instantiated, and ``tests/test_report_formats.py`` fails when a kind or a format is
added without the other. ``FORMATS`` maps a name to its class: ``json``, ``csv``, ``xlsx`` and
``pdf`` live here; ``table`` (rich, on the terminal) lives with the CLI in
``cli/reports/report_table.py`` and registers itself there.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..errors import UsageError
from ..i18n import _

if TYPE_CHECKING:
    from ..documents.pdfbase import Seal
    from ..workspace import Workspace
    from .compliance import Result as ComplianceResult
    from .officer import OfficerRecord

__all__ = [
    "FORMATS",
    "REPORT_KINDS",
    "CsvFormat",
    "JsonFormat",
    "PdfFormat",
    "RenderOptions",
    "ReportFormat",
    "XlsxFormat",
    "file_formats",
    "format_for",
    "get_format",
    "register",
    "report_kind",
]

#: report kind -> the class name of the report object it renders (``compliance.Result``)
REPORT_KINDS: dict[str, str] = {"compliance": "Result", "officer": "OfficerRecord"}


def report_kind(report: Any) -> str:
    """The kind of a report object (a key of ``REPORT_KINDS``)."""
    name = type(report).__name__
    for kind, cls in REPORT_KINDS.items():
        if cls == name:
            return kind
    raise TypeError(f"not a report: {name}")


@dataclass
class RenderOptions:
    """What a format may need besides the report itself.

    ``names`` lists every missing officer (else the first ten per unit, on the terminal);
    ``generated_at`` is UTC seconds; ``seal`` gives the PAdES seal for a title (PDF only, so
    no other format asks for the seal's passphrase).
    """

    zone: str
    generated_at: int
    names: bool = False
    workspace: Workspace | None = None
    seal: Callable[[str], Seal | None] | None = None


class ReportFormat(ABC):
    """One output format; ``suffix`` is its file ending (``None``: written to stdout)."""

    name: ClassVar[str]
    suffix: ClassVar[str | None] = None

    def render(self, report: Any, out: Path | None, options: RenderOptions) -> None:
        """Render ``report`` to the file ``out`` (stdout when ``None`` and the format allows it)."""
        method: Callable[[Any, Path | None, RenderOptions], None] = getattr(self, f"render_{report_kind(report)}")
        method(report, out, options)

    @abstractmethod
    def render_compliance(self, result: ComplianceResult, out: Path | None, options: RenderOptions) -> None:
        """The compliance report (``ikrar report compliance``)."""

    @abstractmethod
    def render_officer(self, record: OfficerRecord, out: Path | None, options: RenderOptions) -> None:
        """One officer's record (``ikrar report officer``)."""

    def _file(self, out: Path | None) -> Path:
        if out is None:
            raise UsageError(_("--format needs --out FILE"), _("e.g. --format pdf --out laporan.pdf"))
        return out


FORMATS: dict[str, type[ReportFormat]] = {}
T = TypeVar("T", bound=type[ReportFormat])


def register(cls: T) -> T:
    """Class decorator: make a format available by its name."""
    FORMATS[cls.name] = cls
    return cls


def get_format(name: str) -> ReportFormat:
    try:
        return FORMATS[name]()
    except KeyError:
        raise UsageError(
            _("Unknown report format {name}", name=name), _("use one of: {names}", names=", ".join(sorted(FORMATS)))
        ) from None


def file_formats() -> tuple[str, ...]:
    """Names of the formats written to a file, in the order the help lists them."""
    return tuple(name for name, cls in FORMATS.items() if cls.suffix)


def format_for(path: Path) -> str:
    """The file format a file name asks for (``laporan.xlsx`` -> ``xlsx``)."""
    suffix = path.suffix.lower()
    for name, cls in FORMATS.items():
        if cls.suffix and cls.suffix == suffix:
            return name
    raise UsageError(
        _("Cannot tell the format of {path}", path=path),
        _("add --format csv, xlsx or pdf"),
    )


@register
class JsonFormat(ReportFormat):
    """The signed-input document (``docs/compliance.md``), byte for byte what ``report verify`` reads."""

    name = "json"

    def render_compliance(self, result: ComplianceResult, out: Path | None, options: RenderOptions) -> None:
        if out is None:  # UTF-8 bytes whatever the terminal's encoding, as 'report verify' reads them
            sys.stdout.flush()
            buffer = getattr(sys.stdout, "buffer", None)
            if buffer is None:
                sys.stdout.write(result.json_bytes().decode("utf-8"))
            else:
                result.write_json(buffer)  # unit by unit: memory holds one unit's lists at a time
                buffer.flush()
            return
        from ..fsutil import atomic_writer

        with atomic_writer(out) as f:
            result.write_json(f)

    def render_officer(self, record: OfficerRecord, out: Path | None, options: RenderOptions) -> None:
        from ..textsafe import json_text

        text = json_text(record.data, indent=2) + "\n"
        if out is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        from ..fsutil import atomic_writer

        with atomic_writer(out) as f:
            f.write(text.encode("utf-8"))


@register
class CsvFormat(ReportFormat):
    name = "csv"
    suffix = ".csv"

    def render_compliance(self, result: ComplianceResult, out: Path | None, options: RenderOptions) -> None:
        from .tablefiles import write_csv  # row by row, one unit's officers at a time

        write_csv(result.report, self._file(out), names=options.names)

    def render_officer(self, record: OfficerRecord, out: Path | None, options: RenderOptions) -> None:
        from .officer import write_csv

        write_csv(record, self._file(out))


@register
class XlsxFormat(ReportFormat):
    name = "xlsx"
    suffix = ".xlsx"

    def render_compliance(self, result: ComplianceResult, out: Path | None, options: RenderOptions) -> None:
        from .tablefiles import write_xlsx  # xlsxwriter's constant_memory mode

        write_xlsx(result.report, self._file(out), names=options.names)

    def render_officer(self, record: OfficerRecord, out: Path | None, options: RenderOptions) -> None:
        from .officer import write_xlsx

        write_xlsx(record, self._file(out))


@register
class PdfFormat(ReportFormat):
    """The signed-off document: letterhead, bars, missing lists, the report digest as text and QR."""

    name = "pdf"
    suffix = ".pdf"

    def render_compliance(self, result: ComplianceResult, out: Path | None, options: RenderOptions) -> None:
        from ..documents.pdfbase import Proof
        from ..documents.profile import long_date, long_datetime, workspace_profile
        from ..zones import parse_user_date
        from .proof import proof_lines
        from .render import write_pdf

        path = self._file(out)
        seal = options.seal(_("Neutrality pledge compliance report")) if options.seal else None
        summary = result.summary()
        lines = proof_lines(summary)
        proof = Proof(_("Proof of this report"), "\n".join(lines[:-1]), summary["digest"], lines[-1])
        as_of = result.report.as_of
        write_pdf(
            result.report,
            path,
            stamp=long_datetime(options.generated_at, options.zone),
            as_of_label=long_date(as_of) if as_of else long_date(parse_user_date(summary["as_of"], "--as-of")),
            profile=workspace_profile(options.workspace) if options.workspace is not None else None,
            proof=proof,
            seal=seal,
        )

    def render_officer(self, record: OfficerRecord, out: Path | None, options: RenderOptions) -> None:
        from ..documents.profile import long_datetime

        path = self._file(out)
        seal = options.seal(_("Pledge record of an officer")) if options.seal else None
        from .officer import write_pdf

        write_pdf(record, path, stamp=long_datetime(options.generated_at, options.zone), seal=seal)
