"""The row checks of a roster import on the machine's cores (issue 20).

``checked_chunks`` turns the sheet's rows into chunks and yields each chunk with its outcomes
(``RowChecker.check_rows``), **in file order**, whichever process checked it. A file of more than
one chunk is checked by up to :data:`MAX_WORKERS` helper processes (``python -c _BOOT``, running
``ikrar_cli.roster.check_worker``, started through ``childproc``: no secret in their environment,
nothing secret sent to them, only the checker's plain values and the rows) and by this process,
which takes every (helpers + 1)th chunk itself and meanwhile reads the next rows and stages the
checked ones. Each helper has at most two chunks in flight (threads here feed and drain its
pipes) and chunks go round in a fixed order, so memory stays bounded (2 x helpers + 2 chunks).
The outcomes are those of the serial path by construction: the same ``check_rows`` on the same
chunk, in the same language; a helper that fails or cannot start is dropped and its chunks are
checked here.
"""

from __future__ import annotations

import itertools
import os
import pickle
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..sheets.tabular import Cell

if TYPE_CHECKING:
    import subprocess

    from .row_check import Outcome, RowChecker

CHUNK = 5000  # rows per chunk (one round trip to a helper)
MAX_WORKERS = 4
STOP_TIMEOUT_S = 10
RESULT_TIMEOUT_S = 600  # a helper silent this long is given up (its chunks are checked here)
WORKER_MODULE = "ikrar_cli.roster.check_worker"
IN_FLIGHT = 2  # chunks handed to each helper at a time

Rows = list[tuple[int, list[Cell]]]


def default_workers() -> int:
    """Helpers for this machine: one per core beyond the first two, up to MAX_WORKERS
    (``IKRAR_CHECK_WORKERS`` overrides: 0 checks every row in this process). On two cores this
    process's own serial work (reading, staging, applying: about 70% of an import) keeps one core
    busy, and helpers measured slower than none on a shared 2-core machine (bench/README.md)."""
    wanted = os.environ.get("IKRAR_CHECK_WORKERS", "").strip()
    if wanted.isdigit():
        return min(int(wanted), MAX_WORKERS)
    cores = os.cpu_count() or 1
    return 0 if cores < 3 else min(cores - 1, MAX_WORKERS)


def _chunks(rows: Iterable[tuple[int, list[Cell]]], size: int) -> Iterator[Rows]:
    it = iter(rows)
    while part := list(itertools.islice(it, size)):
        yield part


def checked_chunks(
    checker: RowChecker, rows: Iterable[tuple[int, list[Cell]]], *, chunk: int = CHUNK, workers: int | None = None
) -> Iterator[tuple[Rows, list[Outcome]]]:
    """(chunk, its outcomes) in file order; helpers only for a file of more than one chunk."""
    parts = _chunks(rows, chunk)
    first = next(parts, None)
    if first is None:
        return
    n = default_workers() if workers is None else workers
    second = next(parts, None) if n > 0 else None
    if second is None:
        yield first, checker.check_rows(first)
        for part in parts:
            yield part, checker.check_rows(part)
        return
    with _Pool(checker, n) as pool:
        yield from pool.in_order(itertools.chain([first, second], parts))


class _Worker:
    """One helper process, fed and drained by two threads of this process: a chunk handed over
    never waits for the helper to be scheduled, and its outcomes leave the helper's pipe as soon
    as it writes them (the pipes hold 64 KiB; a chunk is about 0.5 MB each way)."""

    def __init__(self, proc: subprocess.Popen[bytes]):
        import queue
        import threading

        self.proc = proc
        self.stdin: IO[bytes] = proc.stdin  # type: ignore[assignment]
        self.stdout: IO[bytes] = proc.stdout  # type: ignore[assignment]
        self.outbox: queue.Queue[bytes | None] = queue.Queue()
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.threads = [threading.Thread(target=self._feed, daemon=True),
                        threading.Thread(target=self._drain, daemon=True)]  # fmt: skip
        for t in self.threads:
            t.start()

    def send(self, obj: Any) -> None:
        self.outbox.put(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self) -> Any:
        import queue

        try:
            got = self.inbox.get(timeout=RESULT_TIMEOUT_S)
        except queue.Empty:
            raise EOFError("no answer from the helper") from None
        if got is _GONE:
            self.inbox.put(_GONE)
            raise EOFError("the helper ended")
        return got

    def _feed(self) -> None:
        while (data := self.outbox.get()) is not None:
            try:
                self.stdin.write(data)
                self.stdin.flush()
            except _FAILED:
                break
        try:
            self.stdin.close()  # the helper ends at the end of its input
        except OSError:
            pass

    def _drain(self) -> None:
        while True:
            try:
                self.inbox.put(pickle.load(self.stdout))  # noqa: S301 - our own child, over its own pipe
            except _FAILED:
                self.inbox.put(_GONE)
                return

    def stop(self) -> None:
        import subprocess

        self.outbox.put(None)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self.threads:
            t.join(timeout=STOP_TIMEOUT_S)
        self.stdout.close()


# the helper's start: the folder holding this ikrar_cli goes first on its path unless it is there
# already (an installed ikrar: site-packages is not moved before the standard library)
_BOOT = (
    "import importlib, sys\n"
    "if sys.argv[1] not in sys.path:\n"
    "    sys.path.insert(0, sys.argv[1])\n"
    "importlib.import_module(sys.argv[2]).main()\n"
)
_FAILED = (OSError, EOFError, pickle.UnpicklingError, ValueError)  # a helper gone or its pipe broken
_GONE = object()


class _Pool:
    def __init__(self, checker: RowChecker, n: int):
        self.checker = checker
        self.workers: list[_Worker] = []
        self.broken = False
        from .. import childproc
        from ..i18n import get_language

        root = str(Path(__file__).resolve().parents[2])  # the helpers run this very ikrar_cli
        try:
            for _ in range(n):
                proc = childproc.start_worker([sys.executable, "-c", _BOOT, root, WORKER_MODULE])
                self.workers.append(_Worker(proc))
            for w in self.workers:
                w.send((get_language(), checker))
        except _FAILED:
            self.broken = True

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        for w in self.workers:
            w.stop()

    def in_order(self, parts: Iterable[Rows]) -> Iterator[tuple[Rows, list[Outcome]]]:
        """Chunks go round: this process, then each helper; this process checks its own when their
        turn to be collected comes (while the helpers start up and between their answers)."""
        inflight: deque[tuple[_Worker | None, Rows]] = deque()
        turn = itertools.cycle([None, *self.workers])
        for part in parts:
            if len(inflight) > IN_FLIGHT * len(self.workers):
                yield self._collect(*inflight.popleft())
            worker = next(turn)
            inflight.append((None if worker is None else self._send(worker, part), part))
        while inflight:
            yield self._collect(*inflight.popleft())

    def _send(self, worker: _Worker, part: Rows) -> _Worker | None:
        if self.broken:
            return None
        try:
            worker.send(part)
        except _FAILED:
            self.broken = True
            return None
        return worker

    def _collect(self, worker: _Worker | None, part: Rows) -> tuple[Rows, list[Outcome]]:
        if worker is not None and not self.broken:
            try:
                return part, worker.receive()
            except _FAILED:
                self.broken = True
        return part, self.checker.check_rows(part)
