"""Joining the parts of a long PDF in bounded memory: one incremental update per part (pyHanko).

A PDF writer that rewrites a whole document (qpdf, pikepdf, pyHanko's full writer) keeps an
object for every object of it while it writes: qpdf's join of the slips' parts held about 8.4 KB a
page (the page objects of every part it read plus the copies it wrote: 140 MB for the 16,667
pages of 100,000 slips six to a page, 211 MB for 25,200 pages; bench/README.md). Here the first
part is the document as fpdf2 wrote it, and every further part is appended to it as an
incremental update (ISO 32000-1 §7.5.6, pyHanko's ``IncrementalPdfFileWriter``): the update holds
the objects of that one part (its page tree node, pages, content streams and resources, imported
as they are, streams not re-encoded) and adds its page tree node as a kid of the document's root
page tree node, whose ``/Count`` it raises. Memory is then one update's parts plus the reader's
cross-reference table of the file so far (about 250 bytes an object, 3 objects a page of slips),
not the whole document's objects (16,000 pages of slips: 91 MB peak against qpdf's 162 MB); the
seal appends one more update the same way. Readers see one document
whose pages are in order; the text and the look of every page are those of the part it came from.

Only files are read and written, never the document as bytes in memory: the joined file grows in
place (``write_in_place``) and each part is read from its own file.
"""

from __future__ import annotations

import shutil
from typing import Any

from ..errors import StorageError
from ..i18n import _

_COPY_CHUNK = 1 << 16

#: parts appended by one update: every update re-reads the cross-reference sections of the file so
#: far (time quadratic in the number of updates), and holds its parts' objects and page streams
#: (about 15 KB a page of slips) until it is written; two parts of 400 pages halve the first and
#: keep the second near 12 MB
PARTS_PER_UPDATE = 2


def join_parts(parts: list[str], out: str, parts_per_update: int = PARTS_PER_UPDATE) -> None:
    """The pages of every part, in order, as one PDF written to ``out`` (which is created or
    truncated): the first part copied as it is, then one incremental update per further part."""
    if not parts:
        raise ValueError("no parts to join")
    from pyhanko.pdf_utils.misc import PdfError

    try:
        with open(out, "w+b") as joined:
            with open(parts[0], "rb") as first:
                shutil.copyfileobj(first, joined, _COPY_CHUNK)
            rest = parts[1:]
            for i in range(0, len(rest), parts_per_update):
                joined.flush()
                joined.seek(0)
                _append(joined, rest[i : i + parts_per_update])
    except PdfError as exc:  # a part it cannot read: a bug, or the temporary folder failed
        raise StorageError(
            _("Joining the parts of the PDF failed: {reason}", reason=exc),
            _("check the free space of the temporary folder ($TMPDIR) and try again"),
        ) from exc


def _append(joined: Any, parts: list[str]) -> None:
    """Append the pages of ``parts`` to the PDF open in ``joined`` (read and write) as one update."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader

    writer = IncrementalPdfFileWriter(joined)
    root_ref = writer.root.raw_get("/Pages")
    root = root_ref.get_object()
    kids = root["/Kids"]
    for part in parts:
        with open(part, "rb") as fh:
            source = PdfFileReader(fh)
            # the part's page tree node with everything it reaches (its pages, their contents and
            # resources), copied as they are; /Parent of the part's pages points to the copied node
            node_ref = writer.import_object(source.root.raw_get("/Pages"))
        node = node_ref.get_object()
        node["/Parent"] = root_ref
        kids.append(node_ref)
        root["/Count"] = generic.NumberObject(int(root["/Count"]) + int(node["/Count"]))
    writer.update_container(kids)  # the root node, or the array itself where it is an object of its own
    writer.update_container(root)
    writer.write_in_place()
