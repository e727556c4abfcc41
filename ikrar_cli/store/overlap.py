"""A big read and the writes of the same write transaction run side by side on PostgreSQL.

``roster publish`` reads every officer (the client turns each into canonical JSON: Python work)
and writes the snapshot's parts and the first-listed rows (server work: heap, index, TOAST and
WAL). On SQLite both happen in this process anyway. On PostgreSQL one connection does one thing
at a time, so the server waited while Python worked and Python waited while the server wrote: on
2 cores, PostgreSQL's publish took 1.36x SQLite's at 1 M officers (bench/README.md) although its
read alone was as fast. Here, on PostgreSQL:

- the rows are read over a second connection whose transaction is set to the write transaction's
  own snapshot (``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``, REPEATABLE READ): it sees
  exactly what a SELECT in the write transaction saw when the snapshot was taken, taken after the
  write lock (no other writer commits in between) and before the caller writes anything;
- the writes go, in the order given, to a thread that runs them on the write transaction's
  connection while this thread reads (psycopg waits on the socket without the GIL). A bounded
  queue keeps memory to a few parts. When the block ends, every write has run (or the first
  error is raised here), and the caller's transaction goes on as before: commit or rollback of
  all of it.

On SQLite ``overlapped`` gives the connection itself for both, writes run at once: nothing
changes there. Only the connection's owner thread uses a connection at any moment: the writer
thread uses the write connection between ``overlapped``'s start and end, while the caller only
reads over the side connection.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

from . import dialects

__all__ = ["Overlap", "chunks_ahead", "overlapped"]

QUEUED = 4  # writes waiting at most (a snapshot part is about 1 MB)


class Overlap:
    """``reader``: the connection to read from; ``execute``: a write of the transaction, in order."""

    def __init__(self, reader: Any, conn: Any, concurrent: bool):
        self.reader = reader
        self.concurrent = concurrent
        self._conn = conn
        self._queue: queue.Queue[tuple[str, Sequence[Any]] | None] = queue.Queue(QUEUED)
        self._error: sqlite3.Error | None = None
        self._thread: threading.Thread | None = None
        if concurrent:
            self._thread = threading.Thread(target=self._run, name="ikrar-overlap-writer", daemon=True)
            self._thread.start()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if not self.concurrent:
            self._conn.execute(sql, params)
            return
        self._raise()
        item = (sql, tuple(params))
        while True:
            try:
                self._queue.put(item, timeout=1.0)
                return
            except queue.Full:
                self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is not None and not self._thread.is_alive():
            raise sqlite3.OperationalError("the writer of the overlapped transaction stopped")

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drained, not run: the first error is raised to the caller
            try:
                self._conn.execute(*item)
            except sqlite3.Error as exc:  # pgstore raises database errors as sqlite3's classes
                self._error = exc

    def finish(self) -> None:
        """Every write has run (or the first error is raised)."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join()
        self._thread = None
        if self._error is not None:
            raise self._error


@contextlib.contextmanager
def overlapped(store: Any, conn: Any) -> Iterator[Overlap]:
    """Inside ``store.transaction()`` (``conn``), before the transaction writes anything: an
    ``Overlap`` whose ``reader`` sees what ``conn`` sees and whose writes join ``conn``'s
    transaction. When the block is left, every write has run."""
    if store.engine != dialects.POSTGRESQL:
        yield Overlap(conn, conn, concurrent=False)
        return
    from .postgres import PgConnection

    pg = cast(PgConnection, conn)
    try:
        side = pg.side_connection()
    except sqlite3.Error:  # no second connection (max_connections reached): one after the other
        yield Overlap(conn, conn, concurrent=False)
        return
    name = pg.execute("SELECT pg_export_snapshot()").fetchone()
    try:
        side.begin(write=False)
        from psycopg import sql

        snapshot = sql.Literal(str(cast(tuple[Any, ...], name)[0]))  # SET takes no parameters
        side.execute_raw(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(snapshot))
        ov = Overlap(side, conn, concurrent=True)
        try:
            yield ov
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                ov.finish()  # the writer leaves the connection before the caller rolls back
            raise
        ov.finish()
    finally:
        with contextlib.suppress(sqlite3.Error):
            side.rollback()  # it only read


Reads = Callable[[Callable[[], AbstractContextManager[Any]]], Iterator[list[Any]]]
AHEAD = 1  # chunks read and waiting (besides the one the caller works on and the one being read)


def chunks_ahead(store: Any, chunks: Reads) -> Iterator[list[Any]]:
    """The chunks ``chunks(read)`` yields, each read inside ``with read() as conn:`` (a read
    transaction of its own). On PostgreSQL the next chunk is read by a thread over a second
    connection while the caller works on this one (the report verifies a chunk's signatures while
    the server reads the next; before, each waited for the other); on SQLite they are read here,
    in turn, from ``store.read``: nothing changes there. Memory: at most ``AHEAD`` + 2 chunks."""
    if store.engine != dialects.POSTGRESQL or getattr(store.conn, "in_transaction", False):
        yield from chunks(store.read)  # (inside an open transaction: only its own connection sees it)
        return
    from .postgres import PgConnection

    try:
        side = cast(PgConnection, store.conn).side_connection()
    except sqlite3.Error:  # no second connection (max_connections reached): read in turn
        yield from chunks(store.read)
        return
    got: queue.Queue[tuple[str, Any]] = queue.Queue(AHEAD)
    stop = threading.Event()

    @contextlib.contextmanager
    def read() -> Iterator[Any]:
        side.begin(write=False)
        try:
            yield side
        finally:
            with contextlib.suppress(sqlite3.Error):
                side.commit()

    def hand(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                got.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for rows in chunks(read):
                if not hand(("rows", rows)):
                    return
            hand(("end", None))
        except sqlite3.Error as exc:  # pgstore raises database errors as sqlite3's classes
            hand(("error", exc))
        except BaseException:
            hand(("crash", None))
            raise

    thread = threading.Thread(target=run, name="ikrar-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = got.get()
            if kind == "rows":
                yield cast(list[Any], value)
            elif kind == "end":
                return
            elif kind == "error":
                raise cast(sqlite3.Error, value)
            else:
                raise sqlite3.OperationalError("the reader of the chunks stopped")
    finally:
        stop.set()
        thread.join()
