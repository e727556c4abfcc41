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
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, cast

from ..childproc import PIPE_ERRORS, PickledWorker
from ..sheets.tabular import Cell

if TYPE_CHECKING:
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


_FAILED = PIPE_ERRORS  # a helper gone or its pipe broken (WorkerGone is an EOFError)


class _Pool:
    def __init__(self, checker: RowChecker, n: int):
        self.checker = checker
        self.workers: list[PickledWorker] = []
        self.broken = False
        from ..i18n import get_language

        try:
            for _ in range(n):
                self.workers.append(PickledWorker(WORKER_MODULE, answer_timeout_s=RESULT_TIMEOUT_S,
                                                  stop_timeout_s=STOP_TIMEOUT_S))  # fmt: skip
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
        inflight: deque[tuple[PickledWorker | None, Rows]] = deque()
        turn = itertools.cycle([None, *self.workers])
        for part in parts:
            if len(inflight) > IN_FLIGHT * len(self.workers):
                yield self._collect(*inflight.popleft())
            worker = next(turn)
            inflight.append((None if worker is None else self._send(worker, part), part))
        while inflight:
            yield self._collect(*inflight.popleft())

    def _send(self, worker: PickledWorker, part: Rows) -> PickledWorker | None:
        if self.broken:
            return None
        try:
            worker.send(part)
        except _FAILED:
            self.broken = True
            return None
        return worker

    def _collect(self, worker: PickledWorker | None, part: Rows) -> tuple[Rows, list[Outcome]]:
        if worker is not None and not self.broken:
            try:
                return part, cast("list[Outcome]", worker.receive())
            except _FAILED:
                self.broken = True
        return part, self.checker.check_rows(part)
