"""Receipt signatures checked on the machine's cores (issue 17/20: merge, compliance report).

The costly part of checking a receipt is its Ed25519 signature (with the trust checks around it:
``Verifier.receipt_code``). A :class:`PooledVerifier` is a :class:`~.verify.Verifier` whose
helper processes (``python -c _BOOT`` running ``ikrar_cli.receipts.verify_worker``, started
through ``childproc.start_worker``: no secret in their environment; they get only the trust
bundle, which is public, and the receipts) compute those codes *ahead* of the serial loop that
reads the entries:

* :func:`ahead_lines` wraps an export file read line by line (``ledger merge``): the lines are read
  a few chunks ahead of the reader and the receipt strings of each chunk go to a helper;
* :func:`ahead_entries` wraps an iterator of stored ledger entries (the compliance report and
  ``report verify``): the receipts' COSE bytes of each chunk go to a helper.

The serial loop itself is unchanged: it reads, decodes and checks every entry in order, raises the
first problem with its own line and words, and asks ``receipt_code(receipt)`` as before. The answer
is taken from the helper's reply for the chunk being read when it holds that very receipt (the
same string, or the same COSE bytes: ``receipt_code`` is a function of those and the bundle alone),
else it is computed here. So the accepted set, the reason codes and messages, their order and the
all-or-nothing of a file are those of the serial path by construction; only where the signature
arithmetic runs changes.

Memory stays bounded: at most ``IN_FLIGHT`` chunks per helper are read ahead. A helper that dies,
answers something else than a list of reason codes, or stays silent for ``RESULT_TIMEOUT_S`` is a
:class:`~ikrar_cli.errors.StorageError` (the merge of that file stops before its swap: nothing of
it is written); the hint names ``IKRAR_VERIFY_WORKERS=0``.

One helper: this process keeps every :data:`LOCAL_TURN`-th chunk and checks it itself. A helper
spends more per receipt than the serial loop (it decodes each receipt again and pickles), and the
signatures are most of a report's work: at 5 M receipts the report's process did ~130 s of other
work and its helper ~290 s of checks, so the report waited for the helper (bench/README.md, "One
helper"). Kept here, a third of the chunks balances the two. With two or more helpers they keep up
on their own, and every chunk goes to them.

Helpers: ``IKRAR_VERIFY_WORKERS`` (this pool only), else ``IKRAR_CHECK_WORKERS`` (shared with the
roster import's row checks, ``roster/check_pool.py``), else one per core beyond the first up to
:data:`MAX_WORKERS` (the reading, decoding and staging here keep one core busy); on 2 cores one
helper only when the second core is free (:func:`core_free`): measured on an idle 2-core machine,
one helper took a 1,000,000-receipt merge from 82 s to 55 s and `report verify` at 5 M receipts
from 324–349 s to 250–262 s, while on a 2-core machine already busy (other merges, a test suite) a
helper only adds its extra work (bench/README.md). ``0`` checks everything in this process.
"""

from __future__ import annotations

import itertools
import os
import re
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

from ..childproc import PIPE_ERRORS, PickledWorker, WorkerGone
from ..errors import StorageError
from ..i18n import _
from .verify import REASONS, Verifier

if TYPE_CHECKING:
    import subprocess

    from .receipt import Receipt

CHUNK = 1000  # entries per chunk (one round trip to a helper; about 0.3 MB of lines)
MAX_WORKERS = 4
IN_FLIGHT = 2  # chunks handed to each helper at a time
LOCAL_TURN = 3  # with one helper, every third chunk is checked here (module docstring: "One helper")
STOP_TIMEOUT_S = 10
RESULT_TIMEOUT_S = 600  # a helper silent this long is given up: an error, not a hang
WORKER_MODULE = "ikrar_cli.receipts.verify_worker"
ENV = "IKRAR_VERIFY_WORKERS"
SHARED_ENV = "IKRAR_CHECK_WORKERS"

T = TypeVar("T")
Key = str | bytes


def default_workers() -> int:
    """Helpers for this machine (module docstring): the override, else one per core beyond the
    first from 3 cores up, and on 2 cores one when the other core is free (:func:`core_free`)."""
    for name in (ENV, SHARED_ENV):
        wanted = os.environ.get(name, "").strip()
        if wanted.isdigit():
            return min(int(wanted), MAX_WORKERS)
    cores = os.cpu_count() or 1
    if cores == 2:
        return 1 if core_free() else 0
    return 0 if cores < 3 else min(cores - 1, MAX_WORKERS)


LOOKS = 5  # times the runnable threads are counted, LOOK_GAP_S apart, before a 2-core machine gets a helper
LOOK_GAP_S = 0.002


def core_free() -> bool:
    """Whether a 2-core machine has its second core to spare: each of :data:`LOOKS` counts of the
    threads runnable right now finds at most two (this process's and one other, such as a database
    server answering it). Eight merges started together, or a merge beside a test suite, find more:
    each one's work is CPU work. Not the load average: it says what ran in the last minute, and a
    report started right after another (or after its own helper's minute) would be refused the core
    that is free now. Unknown (not Linux) counts as busy."""
    import time

    from ..platform_guard import machine_load

    for n in range(LOOKS):
        if n:
            time.sleep(LOOK_GAP_S)
        load = machine_load()
        if load is None or load[1] > 2:
            return False
    return True


def _failed(why: str) -> StorageError:
    return StorageError(
        _("A signature-checking helper process failed: {why}", why=why),
        _("nothing of the file being checked was written; run the command again, or set {env}=0 to check in "
          "this process only", env=ENV),
        code="verify_worker_failed",
    )  # fmt: skip


_FAILED = PIPE_ERRORS  # a helper gone or its pipe broken (WorkerGone is an EOFError)


def _gone(exc: WorkerGone) -> StorageError:
    if exc.silent_s is not None:
        return _failed(_("no answer for {n} seconds", n=int(exc.silent_s)))
    return _failed(_("it ended (exit status {code})", code=exc.exit_status) if exc.exit_status is not None
                   else _("its pipe was closed"))  # fmt: skip


def _stop_all(helpers: list[PickledWorker]) -> None:
    while helpers:
        helpers.pop().stop()


class PooledVerifier(Verifier):
    """A :class:`Verifier` whose ``receipt_code`` comes from helper processes when they have checked
    the receipt ahead of the reader (module docstring). Use as a context manager, or :meth:`close`;
    the helpers are started only when a second chunk is read (a small file never starts one)."""

    def __init__(self, verifier: Verifier, workers: int, *, chunk: int | None = None):
        super().__init__(verifier.bundle, verifier.now)
        self.workers = workers
        self.chunk = chunk or CHUNK
        self.helpers: list[PickledWorker] = []
        self._turn: Iterator[PickledWorker] | None = None
        self._ahead: _Ahead[Any] | None = None  # the reader whose entries are being checked now
        self._failure: StorageError | None = None
        self._seq = 0  # the number of the last chunk sent (answers carry it back)
        self._turns = 0  # chunks handed out (to a helper or kept here) while sending
        self.local_turn = LOCAL_TURN if workers == 1 else 0  # every n-th chunk is checked here (0: none)
        self._active = False  # whether the last reader ended sending its chunks to the helpers
        self._finalizer = weakref.finalize(self, _stop_all, self.helpers)

    # -- the helpers ---------------------------------------------------------------------
    def start(self) -> None:
        """Start the helpers (done on first need; tests call it to reach the processes)."""
        if self.helpers:
            return
        try:
            for _n in range(self.workers):
                self.helpers.append(PickledWorker(WORKER_MODULE, answer_timeout_s=RESULT_TIMEOUT_S,
                                                  stop_timeout_s=STOP_TIMEOUT_S))  # fmt: skip
            for h in self.helpers:
                h.send(self.bundle)
        except _FAILED as exc:
            self.close()
            raise _failed(str(exc)) from None
        self._turn = itertools.cycle(self.helpers)

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [h.proc for h in self.helpers]

    def close(self) -> None:
        self._ahead = None
        self._turn = None
        _stop_all(self.helpers)

    def fail(self, exc: StorageError) -> None:
        """A helper failed where the error could not be raised: stop them; the next use raises it."""
        self.close()
        self._failure = exc

    def reader(self, source: Iterable[T], key: Callable[[T], Key | None]) -> _Ahead[T]:
        """The items of ``source``, their receipts checked ahead; the one reader answered now."""
        if self._failure is not None:
            raise self._failure
        self._ahead = _Ahead(self, source, key)
        return self._ahead

    def __enter__(self) -> PooledVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _keep_here(self) -> bool:
        """Whether the next chunk to hand out is this process's own share (``local_turn``)."""
        self._turns += 1
        return self.local_turn > 0 and self._turns % self.local_turn == 0

    def _next_helper(self) -> PickledWorker:
        if self._failure is not None:
            raise self._failure
        if self._turn is None:
            self.start()
        assert self._turn is not None
        return next(self._turn)

    # -- the answers ---------------------------------------------------------------------
    def receipt_code(self, receipt: Receipt) -> str:
        ahead = self._ahead
        if ahead is not None:
            key: Key = receipt._text if receipt._text is not None else receipt.cose
            code = ahead.code(key)
            if code is not None:
                return code
        return super().receipt_code(receipt)


class _Chunk:
    """One chunk read ahead: its items, the keys of its receipts, the helper they went to (none:
    not sent, checked here when asked) and, once collected, the helper's answers by key."""

    __slots__ = ("_key", "_keys", "answers", "asked", "helper", "items", "local", "seq")

    def __init__(self, items: list[Any], key: Callable[[Any], Key | None]):
        self.items = items
        self._key = key
        self._keys: list[Key] | None = None
        self.helper: PickledWorker | None = None
        self.local = False  # this process's own share: not sent, checked here when asked
        self.seq = 0
        self.answers: dict[Key, str | None] | None = None
        self.asked = False

    @property
    def keys(self) -> list[Key]:
        """The receipts' keys, found when first asked: only for a chunk that may be sent (one that
        never is, such as the known entries of a re-merged log, is not searched at all). Asked before
        the reader takes the items (``_Ahead.next``) or never."""
        if self._keys is None:
            self._keys = [k for k in map(self._key, self.items) if k is not None]
        return self._keys

    def collect(self) -> dict[Key, str | None]:
        """The helper's answers for this chunk; the answers to chunks sent earlier and never collected
        (a reader given up after its first problem) are passed over by their number."""
        if self.answers is None:
            if self.helper is None:
                self.answers = {}
                return self.answers
            while True:
                try:
                    got = self.helper.receive()
                except WorkerGone as exc:
                    raise _gone(exc) from None
                if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], int) and got[0] <= self.seq):
                    raise _failed(_("it answered something else than the reason codes asked for"))
                if got[0] == self.seq:
                    break
            codes = got[1]
            if not isinstance(codes, list) or len(codes) != len(self.keys) or any(
                c is not None and c not in REASONS for c in codes
            ):  # fmt: skip
                raise _failed(_("it answered something else than the reason codes asked for"))
            self.answers = dict(zip(self.keys, codes, strict=True))
        return self.answers


class _Ahead(Generic[T]):
    """Items of ``source`` in order, read up to ``IN_FLIGHT`` chunks per helper ahead of the one
    being read. Chunks are sent to the helpers (in turn) only while the reader asks for codes: a
    chunk in which it asked none (the entries of a log merged before, receipts a report leaves
    out) stops the sending; a question about a chunk not sent starts it again with the chunks
    behind it (that chunk's own receipts are checked here). A reader starts as the one before it
    ended (the first one of a verifier: not sending, until asked)."""

    def __init__(self, pv: PooledVerifier, source: Iterable[T], key: Callable[[T], Key | None]):
        self.pv = pv
        self.source = iter(source)
        self.key = key
        self.buffered: deque[_Chunk] = deque()
        self.current: _Chunk | None = None
        self.items: deque[T] = deque()
        self.active = pv._active  # as the reader before it ended: the next file's receipts go ahead at once
        self.done = False

    def _send(self, chunk: _Chunk) -> None:
        if self.pv._keep_here():
            chunk.local = True
            return
        helper = self.pv._next_helper()
        chunk.seq = self.pv._seq = self.pv._seq + 1
        try:
            helper.send((chunk.seq, chunk.keys))
        except _FAILED as exc:
            raise _failed(str(exc)) from None
        chunk.helper = helper

    def _fill(self) -> None:
        depth = IN_FLIGHT * self.pv.workers + (1 if self.pv.local_turn else 0)  # a chunk of our own share too
        while not self.done and len(self.buffered) < depth:
            items = list(itertools.islice(self.source, self.pv.chunk))
            if not items:
                self.done = True
                return
            chunk = _Chunk(items, self.key)
            if self.active and chunk.keys:
                self._send(chunk)
            self.buffered.append(chunk)

    def next(self) -> T | None:
        """The next item, or None at the end."""
        if not self.items:
            old = self.current
            if old is not None:
                old.collect()  # a helper's answers come in order: take them even if none was asked
                self.active = old.asked
            self._fill()
            if not self.buffered:
                self.current = None
                return None
            self.current = self.buffered.popleft()
            self.items.extend(self.current.items)
            self.current.items = []
            self._fill()
        return self.items.popleft()

    def code(self, key: Key) -> str | None:
        chunk = self.current
        if chunk is None:
            return None
        chunk.asked = True
        if chunk.helper is None and not chunk.local and not self.active:
            self.active = True
            for later in self.buffered:
                if later.helper is None and not later.local and later.keys:
                    self._send(later)
        return chunk.collect().get(key)

    def drain(self) -> None:
        """Collect every answer still owed (a helper's replies stay in order for the next reader);
        a helper that failed meanwhile stops the pool (its next use is the error)."""
        try:
            for chunk in (self.current, *self.buffered):
                if chunk is not None:
                    chunk.collect()
        except StorageError as exc:
            self.pv.fail(exc)
        self.buffered.clear()
        self.current = None
        if self.pv._ahead is self:
            self.pv._ahead = None
            self.pv._active = self.active


def ahead_entries(verifier: Verifier, entries: Iterable[T], key: Callable[[T], Key | None]) -> Iterator[T]:
    """``entries`` in order; with a :class:`PooledVerifier`, their receipts (``key``) checked ahead."""
    if not isinstance(verifier, PooledVerifier) or verifier.workers <= 0:
        yield from entries
        return
    ahead = verifier.reader(entries, key)
    try:
        while (item := ahead.next()) is not None:
            yield item
    finally:
        ahead.drain()


_RECEIPT = re.compile(rb'"receipt":"(IKR1:[0-9A-Z $%*+\-./:]*)"')


def _line_key(line: bytes) -> str | None:
    m = _RECEIPT.search(line)
    return m[1].decode("ascii") if m is not None else None


class _AheadFile:
    """A binary file read by lines (``readline``, ``read``, ``close``: what the export reader uses),
    the receipts of the lines ahead checked by the helpers."""

    def __init__(self, verifier: PooledVerifier, fh: IO[bytes]):
        self.fh = fh
        self.ahead = verifier.reader(iter(fh.readline, b""), _line_key)

    def readline(self) -> bytes:
        line = self.ahead.next()
        return b"" if line is None else line

    def read(self, n: int = -1) -> bytes:
        """What follows the lines read (the export reader asks one byte after the end line)."""
        rest = b"".join([*self.ahead.items, *(line for c in self.ahead.buffered for line in c.items)])
        self.ahead.items.clear()
        self.ahead.drain()
        if n < 0 or len(rest) < n:
            rest += self.fh.read(-1 if n < 0 else n - len(rest))
        return rest if n < 0 else rest[:n]

    def close(self) -> None:
        self.ahead.drain()
        self.fh.close()


def ahead_lines(verifier: Verifier, fh: Any) -> Any:
    """``fh`` itself, or with a :class:`PooledVerifier` a wrapper that checks the receipts ahead."""
    if not isinstance(verifier, PooledVerifier) or verifier.workers <= 0:
        return fh
    return _AheadFile(verifier, fh)


def pooled(verifier: Verifier, workers: int | None = None, *, chunk: int | None = None) -> Verifier:
    """A :class:`PooledVerifier` around ``verifier`` when helpers are wanted (:func:`default_workers`
    unless ``workers`` is given), else ``verifier`` itself. Close it (:func:`close`) when done."""
    n = default_workers() if workers is None else workers
    if n <= 0 or isinstance(verifier, PooledVerifier):
        return verifier
    return PooledVerifier(verifier, n, chunk=chunk)


def close(verifier: Verifier) -> None:
    """Stop the helpers of a verifier made by :func:`pooled` (nothing for a plain one)."""
    if isinstance(verifier, PooledVerifier):
        verifier.close()
