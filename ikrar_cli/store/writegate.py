"""A fair wait for SQLite's write lock (docs/ledger-export.md, "Staging and locks").

SQLite lets a writer that finds the lock taken sleep in its busy handler (1 ms growing to 100 ms
between tries); whoever asks at the moment the lock comes free gets it. With several merges
swapping back to back, a waiting process keeps losing to later arrivals: measured at 100,000
receipts with 8 merges (bench/README.md, "Write locks: who holds them"), one swap waited 21.3 s
while four swaps that asked after it went first (14.8 s of their holds).

The gate is a turnstile in front of ``BEGIN IMMEDIATE``: a process takes an exclusive lock on the
file ``ikrar.db-writers`` (``flock``; the kernel wakes the waiters when it is released), asks SQLite
for the write lock with the usual busy timeout, and releases the gate as soon as it has the write
lock (or gave up), not at the end of its transaction. So at most one ikrar process at a time
competes for each hand-over of the write lock, and a process waits for the transactions of those
ahead of it in the turnstile, not for an unlucky run of later ones. A paused or hung transaction
still makes the one process at the front fail after the busy timeout, as before. PostgreSQL's
lock manager already queues the waiters of ikrar's advisory lock in order: no gate there.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..platform_guard import lock_exclusive, unlock


def gate_path(db: Path) -> Path:
    return db.with_name(db.name + "-writers")


class WriteGate:
    """The turnstile of one store (one open file, kept for the store's life)."""

    def __init__(self, db: Path):
        self.path = gate_path(db)
        self._fh: IO[str] | None = None

    def _file(self) -> IO[str] | None:
        if self._fh is None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None  # no gate (e.g. the folder turned read-only): SQLite's own wait still works
            self._fh = os.fdopen(fd, "r+")
        return self._fh

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Held while this process asks SQLite for the write lock."""
        fh = self._file()
        if fh is None:
            yield
            return
        try:
            lock_exclusive(fh)
        except OSError:  # Windows gives up after 10 s: then SQLite's own wait decides, as without a gate
            yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                unlock(fh)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
