"""Several exports in one ``ledger merge`` on PostgreSQL: a file is verified while the one before
it is swapped in (issue 17; docs/ledger-export.md, "Several files on PostgreSQL").

Merging a file is two steps (``staging.py``): verify it and stage its new rows (:meth:`Merger.prepare`:
this process's CPU, no write lock), then swap the staged rows in (:meth:`Merger.apply`: on
PostgreSQL the server's work, while this process only waits on the socket). With several files,
:class:`SwapAhead` runs each file's swap in a thread while this thread verifies the next file. The
staging tables are temporary tables of one connection, so a file's two steps use the same
connection; two connections take turns (the workspace's own and one opened for this).

What does not change:

- each file is merged whole or not at all, in its own transaction(s), exactly as alone;
- one swap at a time from this process, in file order: a file's swap starts after the swap of the
  file before it has ended, and the results come back in file order;
- a file verified while the file before it was being swapped in was checked against the store as
  it was before that swap. When the two share a log, the swap finds the log changed
  (:class:`~.staging.Stale`) and the file is verified again here, as when another process merged
  the log first; other files are not affected (their swaps count and flag against the store as it
  is when they are swapped in: duplicates, officers not on the roster);
- an incremental export is verified against the store as it is: the swap before it ends first.

Not on SQLite. Verification holds one read snapshot; a reader that holds a snapshot while another
connection commits keeps SQLite's write-ahead log from restarting (``Store.restart_log``). With a
verification running beside every swap the log would never restart and would grow by every file's
rows for the whole merge.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import InputError, NotFoundError, StorageError, VerificationError
from ..store.dialects import POSTGRESQL
from .export import FileMerge, Merger, Progress
from .staging import Stale

if TYPE_CHECKING:
    from ..receipts.verify import Verifier
    from ..store.core import Store
    from ..workspace import Workspace

def wanted(ws: Workspace, full_exports: int) -> bool:
    """Whether a merge of ``full_exports`` files overlaps its swaps with verification (module docstring)."""
    return full_exports > 1 and ws.store.engine == POSTGRESQL and not ws.store.read_only


def start(ws: Workspace, verifier: Verifier, full_exports: int) -> SwapAhead | None:
    """A :class:`SwapAhead` when wanted and a second connection can be had; else None: the files
    are merged one after another (a server at its ``max_connections`` does not fail the merge; a
    server that is gone fails it on the first file, in that file's words)."""
    if not wanted(ws, full_exports):
        return None
    try:
        return SwapAhead(ws, verifier)
    except StorageError:
        return None


class SwapAhead:
    """Merges full exports one after another, each file's swap beside the next file's verification.

    ``merge(path)`` returns the results that are ready (the file before's, and this file's when it
    was rejected); ``finish()`` waits for the swap in progress and returns its result. Use it as a
    context manager: leaving waits for any swap still running and closes the second connection."""

    def __init__(self, ws: Workspace, verifier: Verifier):
        self.ws, self.verifier = ws, verifier
        self._stores: list[Store] = [ws.store, ws.open_store()]
        self._turn = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="ikrar-swap")
        self._pending: tuple[Future[FileMerge], Merger, Path] | None = None

    def __enter__(self) -> SwapAhead:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def merge(self, path: Path, progress: Progress | None = None) -> list[FileMerge]:
        merger = Merger(self.ws, self.verifier, progress, store=self._stores[self._turn])
        self._turn ^= 1  # the other connection: the swap in progress (if any) is on it
        try:
            prepared = merger.prepare(path)
        except (VerificationError, InputError, NotFoundError) as exc:
            return [*self.finish(), FileMerge(path, False, error=exc)]
        except BaseException:
            self._settle()
            raise
        done = self.finish()
        # the thread runs in this thread's context (the language of messages, for one)
        future = self._pool.submit(contextvars.copy_context().run, merger.apply, prepared)
        self._pending = (future, merger, path)
        return done

    def finish(self) -> list[FileMerge]:
        """Wait for the swap in progress; its file's result (none when no swap is in progress)."""
        if self._pending is None:
            return []
        future, merger, path = self._pending
        self._pending = None
        try:
            return [future.result()]
        except Stale:
            pass  # one of its logs changed since it was verified (the file before shares it): again, here
        except (VerificationError, InputError, NotFoundError) as exc:
            return [FileMerge(path, False, error=exc)]
        merger.progress = None  # its progress display has ended
        try:
            return [merger.merge_file(path)]
        except (VerificationError, InputError, NotFoundError) as exc:
            return [FileMerge(path, False, error=exc)]

    def _settle(self) -> None:
        """Let a swap in progress end (commit or roll back) before an error leaves: its outcome is in the store."""
        if self._pending is not None:
            future, _merger, _path = self._pending
            self._pending = None
            future.exception()  # waits; what it raised is not this error's concern

    def close(self) -> None:
        try:
            self._settle()
        finally:
            self._pool.shutdown(wait=True)
            self._stores[1].close()
