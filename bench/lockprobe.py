"""How long does a command keep others from writing? A probe thread asks for the workspace's write
lock over and over while the command runs (SQLite: ``BEGIN IMMEDIATE`` with a long busy timeout,
then ``COMMIT`` at once; PostgreSQL: ikrar's advisory write lock) and keeps the longest wait. That
wait is what a ``roster import`` started at the worst moment would see: the longest write
transaction the command held, to within the probe's period and SQLite's busy-handler step (up to
0.1 s). Bench only; the test suite never times anything.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

PERIOD = 0.02  # seconds between two probes


class LockProbe:
    def __init__(self, db: Path | str, *, gate: bool = False):
        self.db = db
        self.gate = gate  # SQLite: wait at ikrar's write gate first, as an ikrar command of a tree that has it does
        self.longest = 0.0
        self.probes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        if str(self.db).startswith(("postgres://", "postgresql://")):
            self._run_pg(str(self.db))
            return
        conn = sqlite3.connect(self.db, timeout=3600, isolation_level=None)
        turn: Any = contextlib.nullcontext
        if self.gate:
            from ikrar_cli.store.writegate import WriteGate

            turn = WriteGate(Path(self.db)).turn
        try:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                with turn():
                    conn.execute("BEGIN IMMEDIATE")
                self._note(time.perf_counter() - t0)
                conn.execute("COMMIT")
                time.sleep(PERIOD)
        finally:
            conn.close()

    def _run_pg(self, url: str) -> None:
        import psycopg

        from ikrar_cli.store.postgres import WRITE_LOCK

        with psycopg.connect(url, autocommit=True) as conn:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    self._note(time.perf_counter() - t0)
                time.sleep(PERIOD)

    def _note(self, wait: float) -> None:
        self.probes += 1
        self.longest = max(self.longest, wait)
