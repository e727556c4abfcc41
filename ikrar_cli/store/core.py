"""The workspace database: every store access goes through here.

SQLite in WAL mode (several terminal processes may share one workspace), with
``synchronous=FULL`` so a committed attestation survives a crash or power cut.
Schema changes are named migrations in ``ikrar_cli/migrations/`` and every applied
one is recorded in ``schema_migrations``. SQL is kept portable (standard types,
``INSERT ... ON CONFLICT``) so a server database could be added later.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import StorageError
from ..i18n import _
from ..platform_guard import make_private
from . import locktrace

BUSY_TIMEOUT_MS = 30_000
WAL_SIZE_LIMIT = 64 << 20  # bytes of write-ahead log kept on disk after it restarts (SQLite)
LOG_RESTART_WAIT_MS = 200  # Store.restart_log: the longest it makes writers wait for older readers


def _storage_error(path: Path, exc: sqlite3.Error) -> StorageError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(
            _("The workspace database {path} is busy", path=path),
            _("another ikrar process holds it; try again in a moment"),
        )
    if "readonly" in text or "read-only" in text:
        return StorageError(
            _("The workspace database {path} is read-only", path=path),
            _("check the permissions of the workspace folder"),
        )
    if "disk is full" in text or "full" in text:
        return StorageError(_("The disk holding {path} is full", path=path), _("free some space; nothing was written"))
    return StorageError(
        _("Database error in {path}: {reason}", path=path, reason=text),
        _("check the workspace folder; run 'ikrar init' if it is new"),
    )


def _read_only_location(path: Path) -> bool:
    """True when the database (or its folder, where SQLite keeps its log) cannot be written."""
    import os

    folder = path.parent if str(path.parent) else Path(".")
    if not path.exists():
        return False  # creating it will fail with its own clear error
    return not (os.access(folder, os.W_OK) and os.access(path, os.W_OK))


def _make_private(path: Path) -> None:
    """The database holds personal data: create it 0600 and tighten an older, wider one.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so they follow.
    """
    import os

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError:
        return  # the folder is missing or unwritable: sqlite3 says so with its own clear error
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            if p.exists():
                make_private(p)


class Store:
    """A connection to the workspace database with explicit transactions."""

    engine = "sqlite"  # PostgreSQL: pgstore.PgStore

    def __init__(self, path: Path, *, migrate: bool = True):
        self.path = Path(path)
        self.read_only = _read_only_location(self.path)
        if self.read_only:
            self._open_read_only()
            return
        _make_private(self.path)
        from .writegate import WriteGate

        self._gate: WriteGate | None = WriteGate(self.path)  # a fair wait for the write lock
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"cannot enable WAL (journal_mode={mode})")
            # a log that grew (a long read snapshot while others wrote) is cut back when it restarts
            self.conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            self.conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise _storage_error(self.path, exc) from exc
        if migrate:
            from ..migrations import apply_migrations

            try:
                apply_migrations(self)
            except sqlite3.Error as exc:
                raise _storage_error(self.path, exc) from exc

    def _open_read_only(self) -> None:
        """Read-only media or folder: reads work, any write says so plainly.

        A cleanly closed database (no write-ahead log left) is opened ``immutable``, which
        needs no lock files; one with a pending log is opened read-only with normal locking.
        """
        wal = self.path.with_name(self.path.name + "-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        uri = f"{self.path.resolve().as_uri()}?{'mode=ro' if pending else 'immutable=1'}"
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            self.conn.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise self._read_only_error() from exc
        from ..migrations import pending_migrations

        if pending_migrations(self):
            raise StorageError(
                _("The workspace {path} needs a schema upgrade but is read-only", path=self.path.parent),
                _("open it once from a writable copy"),
            )

    def _read_only_error(self) -> StorageError:
        return StorageError(
            _("The workspace {path} is read-only: nothing can be recorded there", path=self.path.parent),
            _("copy the workspace to a writable folder or ask for write access"),
        )

    def close(self) -> None:
        self.conn.close()
        gate = getattr(self, "_gate", None)
        if gate is not None:
            gate.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together or not at all.

        IMMEDIATE takes the write lock at the start, so two terminals never both
        read "next index = 7" and then race to write it.
        """
        if self.read_only:
            raise self._read_only_error()
        traced = locktrace.enabled()  # opt-in (bench): who held the write lock, how long
        where, asked = (locktrace.caller(), locktrace.clock()) if traced else ("", 0.0)
        self._begin(immediate)
        got, committed = (locktrace.clock() if traced else 0.0), False
        try:
            try:
                yield self.conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
                committed = True
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise _storage_error(self.path, exc) from exc
        finally:
            if traced:
                locktrace.record(self.engine, where, asked, got, locktrace.clock(), committed)

    def _begin(self, immediate: bool) -> None:
        """BEGIN; an IMMEDIATE one waits its turn at the write gate (``writegate``) for the lock."""
        gate = getattr(self, "_gate", None)
        try:
            if immediate and gate is not None:
                with gate.turn():
                    self.conn.execute("BEGIN IMMEDIATE")
            else:
                self.conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except sqlite3.Error as exc:
            raise _storage_error(self.path, exc) from exc

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees one consistent snapshot."""
        try:
            self.conn.execute("BEGIN")
            # A deferred transaction takes its snapshot at the first read.
            self.conn.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise _storage_error(self.path, exc) from exc
        try:
            yield self.conn
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("COMMIT")

    def renew_read(self) -> None:
        """Inside :meth:`read`: end the snapshot and take a new one, with a passive checkpoint between
        them. For a reader that runs for minutes while others write (a large file's verification): a
        snapshot held that long keeps SQLite from copying what others commit meanwhile back into the
        database, so the write-ahead log can neither restart nor shrink (6.26 GB beside a 4.32 M
        merge with roster imports running). After the renewal the caller sees what was committed
        meanwhile: it must not need one snapshot across the call (the merge checks at its swap that
        each log is still as it was first read). The passive checkpoint waits for nobody; what it
        cannot copy, a later one does. Rows written to temporary tables stay."""
        conn = self.conn
        if not conn.in_transaction:
            return
        try:
            conn.execute("COMMIT")
            with contextlib.suppress(sqlite3.OperationalError):  # read-only or busy: a later one copies it
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            conn.execute("BEGIN")
            conn.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()  # the new snapshot, taken now
        except sqlite3.Error as exc:
            raise _storage_error(self.path, exc) from exc

    def restart_log(self, wait_ms: int = LOG_RESTART_WAIT_MS) -> bool:
        """Between the write transactions of a long job (the batched merge swap): checkpoint the whole
        write-ahead log and let the next writer start it again from its beginning; whether that was done.

        SQLite's own checkpoint after each commit copies only the frames no reader still needs, and the
        log restarts only when it has all been copied. With readers coming and going all the time (an
        office importing rosters during a merge), each batch's frames stay pinned for a moment and the
        log never restarts: it grew by a batch's pages at every batch (over 5 GB in 70 s of a 1 M merge;
        a 4.32 M merge filled the disk). Here, outside any transaction, a RESTART checkpoint waits at
        most ``wait_ms`` for readers of older snapshots (new writers wait meanwhile, new readers do
        not), so the log stays about one batch long. Not done (False) when a reader holds on longer."""
        conn = self.conn
        if self.read_only or conn.in_transaction:
            return False
        before = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
        except sqlite3.OperationalError:  # the log locked by another checkpointer: next time
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {before}")  # the connection's own wait again
        return busy == 0

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def now() -> int:
    """Current time as UTC seconds (one place, so tests can see every use)."""
    return int(time.time())
