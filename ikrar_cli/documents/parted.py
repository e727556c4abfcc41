"""Long PDFs in bounded memory: rendered in parts of a few hundred pages, joined into one file.

fpdf2 keeps a whole document in memory until ``output()`` (about 30 KB a page of slips: 613 MB
for the 5,000 pages of 20,000 slips). :class:`PartedPdf` stands in for the ``FPDF`` object a
writer draws on: every ``pages_per_part`` pages it renders the part so far (``output()``) into an
anonymous temporary file and goes on in a fresh ``FPDF`` that starts in the same state (font,
colours, line width, dash pattern, page break setting) that fpdf2 carries from one page to the
next. :meth:`PartedPdf.finish` joins the parts (documents/pdfjoin.py: the first part, then one
incremental update per further part, so memory holds one part's objects, not the document's),
seals the joined file when asked (pyHanko's incremental writer, reading and writing files, not
bytes in memory) and writes the result atomically (``fsutil.atomic_writer``, 0600: slips carry names).

The part files have no name on disk (``tempfile.TemporaryFile``: ``O_TMPFILE`` on Linux), so a
writer that fails, or a process that is killed, leaves no personal data behind; only the final
file's own temporary file of ``atomic_writer`` exists, and only while the joined file is copied.

Page numbers: a document whose footer prints "Halaman X dari Y" gets ``page_offset`` (pages
before this part) and ``page_total`` (the whole document's, known before rendering) through the
factory; see :func:`ikrar_cli.documents.pdfbase.new_pdf`.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import StorageError
from ..i18n import _
from .pdfjoin import join_parts

if TYPE_CHECKING:
    from .pdfbase import Seal

#: pages drawn in memory at a time: the process stays near 95 MB while drawing slips (bench/README.md)
PAGES_PER_PART = 400

_COPY_CHUNK = 1 << 16


class PartedPdf:
    """An ``FPDF`` stand-in that renders every ``pages_per_part`` pages into a temporary part file.

    ``factory(page_offset)`` makes a new, configured ``FPDF`` for a part whose first page is
    ``page_offset + 1`` of the document. Every other attribute and method is the current part's;
    ``add_page`` starts a new part when the current one is full, ``page_no`` counts the whole
    document. Use it as a context manager (or call :meth:`close`): the part files are closed (and
    so gone) however the writer ends. With ``count_only`` the parts are dropped unwritten: a first
    pass that only finds the page count (for "Halaman X dari Y" when a layout cannot be counted
    more cheaply). Pages that fpdf2 adds by itself (automatic page break inside one ``multi_cell``)
    stay in the current part; the next ``add_page`` of the writer starts a new one."""

    def __init__(
        self, factory: Callable[[int], Any], *, pages_per_part: int | None = None, count_only: bool = False
    ) -> None:
        pages_per_part = pages_per_part or PAGES_PER_PART
        if pages_per_part < 1:
            raise ValueError("pages_per_part must be at least 1")
        object.__setattr__(self, "_factory", factory)
        object.__setattr__(self, "_per_part", pages_per_part)
        object.__setattr__(self, "_count_only", count_only)  # a first pass that only counts pages
        object.__setattr__(self, "_before", 0)  # pages in the parts already written
        object.__setattr__(self, "_spool", _Spool())
        object.__setattr__(self, "_pdf", factory(0))

    # -- the FPDF object the writer draws on -------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        return getattr(self._pdf, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._pdf, name, value)

    @property
    def current(self) -> Any:
        """The ``FPDF`` of the part being drawn."""
        return self._pdf

    @property
    def parts(self) -> int:
        """How many part files were written so far."""
        return len(self._spool.names)

    def page_no(self) -> int:
        return int(self._before + self._pdf.page_no())

    def add_page(self, *args: Any, **kwargs: Any) -> None:
        if self._pdf.page >= self._per_part:
            self._next_part()
        self._pdf.add_page(*args, **kwargs)

    def _next_part(self) -> None:
        old = self._pdf
        pages = int(old.page)
        # the state fpdf2's add_page carries from one page to the next, taken before output() draws
        # the last footer (which sets its own font and colours), so a part's first page starts as it
        # would have in one document
        state = (
            old.auto_page_break,
            old.b_margin,
            old.line_width,
            old.draw_color,
            old.fill_color,
            old.text_color,
            dict(old.dash_pattern),
            (old.font_family, old.font_style, old.font_size_pt),
            old.font_stretching,
        )
        self._write_part(old)
        object.__setattr__(self, "_before", self._before + pages)
        new = self._factory(self._before)
        auto, margin, lw, dc, fc, tc, dash, font, stretching = state
        new.set_auto_page_break(auto, margin)
        new.line_width = lw
        new.draw_color = dc
        new.fill_color = fc
        new.text_color = tc
        new.dash_pattern = dash
        if font[0]:
            new.set_font(*font)
        if stretching != 100:
            new.font_stretching = stretching
        object.__setattr__(self, "_pdf", new)
        del old
        gc.collect()  # fpdf2's objects refer to each other: free the finished part now, not some time later

    def _write_part(self, pdf: Any) -> None:
        if self._count_only:
            return
        data = pdf.output()
        try:
            self._spool.add(data)
        except OSError as exc:
            raise StorageError(
                _("Cannot write a temporary part of the PDF: {reason}", reason=exc.strerror),
                _("check the free space of the temporary folder ($TMPDIR)"),
            ) from exc

    # -- the end ---------------------------------------------------------------------------------
    def finish(self, path: Path, seal: Seal | None = None) -> int:
        """Join the parts into ``path`` (sealed when asked), atomically; returns the page count."""
        from ..fsutil import atomic_writer

        if self._count_only:
            raise ValueError("a counting PartedPdf writes no file")

        pages = self.page_no()
        if self._pdf.page > 0 or not self._spool.names:  # not when nothing was drawn since the last part
            self._write_part(self._pdf)
        object.__setattr__(self, "_pdf", None)
        from ..platform_guard import release_free_memory

        gc.collect()
        release_free_memory()  # the last part's fpdf2 objects: gone before the join
        try:
            joined, joined_name = self._spool.new_file("joined")
            join_parts(self._spool.names, joined_name)
            release_free_memory()  # the join's last reader is freed: give it back before sealing
            if seal is not None:
                from .seal import seal_pdf_file

                sealed, _name = self._spool.new_file("sealed")
                joined.seek(0)
                seal_pdf_file(joined, sealed, seal)
                joined = sealed
            joined.seek(0)
            with atomic_writer(path) as out:
                shutil.copyfileobj(joined, out, _COPY_CHUNK)
        except OSError as exc:
            raise StorageError(
                _("Cannot write {path}: {reason}", path=path, reason=exc.strerror),
                _("check the free space of the temporary folder ($TMPDIR) and of the output folder"),
            ) from exc
        finally:
            self.close()
        return pages

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> PartedPdf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Spool:
    """The temporary files of one document: anonymous (no name on disk, so nothing is left even
    when the process is killed) where the system can name an open file (Linux), else in a private
    temporary folder (0700) removed on close."""

    def __init__(self) -> None:
        self.files: list[IO[bytes]] = []
        self.names: list[str] = []  # the parts, in order
        self._folder: str | None = None

    def new_file(self, what: str, buffering: int = -1) -> tuple[IO[bytes], str]:
        from ..platform_guard import open_file_name

        fh = tempfile.TemporaryFile(prefix=f"ikrar-{what}-", buffering=buffering)
        self.files.append(fh)
        name = open_file_name(fh.fileno())
        if name is None:  # e.g. Windows: a named file in a private folder
            fh.close()
            self.files.remove(fh)
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix="ikrar-pdf-")  # 0700
            name = str(Path(self._folder) / f"{what}-{len(self.files) + 1}.pdf")
            fh = open(name, "w+b", buffering=buffering)  # noqa: SIM115 - closed in close()
            self.files.append(fh)
        return fh, name

    def add(self, data: bytes | bytearray) -> None:
        fh, name = self.new_file("part", buffering=0)  # written once, read back by the join: no buffer kept
        fh.write(data)
        fh.flush()
        self.names.append(name)

    def close(self) -> None:
        for fh in self.files:
            fh.close()
        self.files.clear()
        self.names.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
