"""The workspace store on PostgreSQL (psycopg 3), behind the same small API as SQLite's.

Domain modules keep calling ``conn.execute("... ? ...", params).fetchone()`` inside
``with store.transaction() as conn:``; :class:`PgConnection` offers that API over psycopg:
statements are rewritten once by :func:`dialects.to_postgres`, rows are tuples, ``lastrowid``
comes from ``RETURNING id``, ``total_changes`` counts affected rows, and database errors are
raised as the ``sqlite3`` exception classes the rest of ikrar already handles (with the
password of the address removed from every message).

Transactions keep SQLite's promises. SQLite's ``BEGIN IMMEDIATE`` lets one writer in at a
time; here every write transaction takes one transaction-scoped advisory lock
(:data:`WRITE_LOCK`) before its first statement, so writers from any number of processes and
machines queue exactly as they do on SQLite: none reads "next index = 7" while another writes
it, and a merge or import never loses or duplicates a record. A merge's swap takes it in shared
mode with a lock per log instead, beside swaps of other logs (``store/pgmergelock.py``). Statements inside see every
earlier writer's commit (READ COMMITTED after the lock). Reads run in REPEATABLE READ: one
snapshot for the whole ``with store.read()`` block.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from ..errors import StorageError
from ..i18n import _
from . import dialects, locktrace
from .core import Store

WRITE_LOCK = 0x696B726172  # "ikrar": the one advisory lock every write transaction takes
CONNECT_TIMEOUT_S = 10
STREAM_BATCH = 5000  # rows per round trip when a report iterates a server-side cursor
COPY_FROM_ROWS = 64  # executemany of at least this many rows goes through COPY


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # the 'postgresql' extra is not installed
        raise StorageError(
            _("PostgreSQL support is not installed"),
            _("install it with: pip install 'ikrar[postgresql]'"),
        ) from exc
    return psycopg


def _translate_error(exc: Exception, url: str | None) -> sqlite3.Error:
    """A psycopg error as the sqlite3 class ikrar handles, its text free of the password."""
    psycopg = _psycopg()
    text = dialects.redact_text(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return sqlite3.OperationalError(f"no such table: {text}")
    if isinstance(exc, psycopg.IntegrityError):
        return sqlite3.IntegrityError(text)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege | psycopg.errors.ReadOnlySqlTransaction):
        return sqlite3.OperationalError(f"read-only: {text}")
    if isinstance(exc, psycopg.errors.DiskFull):
        return sqlite3.OperationalError(f"disk is full: {text}")
    if isinstance(exc, psycopg.OperationalError | psycopg.errors.ProgrammingError):
        return sqlite3.OperationalError(text)
    return sqlite3.DatabaseError(text)


class PgCursor:
    """What ``conn.execute`` returns: iterable rows, ``fetchone``/``fetchall``, ``lastrowid``."""

    def __init__(self, cur: Any, lastrowid: int | None = None):
        self._cur = cur
        self.lastrowid = lastrowid
        self.rowcount = cur.rowcount if cur is not None else -1

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._cur is None or self._cur.description is None:
            return None
        return cast("tuple[Any, ...] | None", self._cur.fetchone())

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._cur is None or self._cur.description is None:
            return []
        return cast("list[tuple[Any, ...]]", self._cur.fetchall())

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        if self._cur is None or self._cur.description is None:
            return []
        return cast("list[tuple[Any, ...]]", self._cur.fetchmany(size))

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self._cur is None or self._cur.description is None:
            return iter(())
        return iter(self._cur)

    def close(self) -> None:
        if self._cur is not None:
            self._cur.close()


class _StreamedSelect(PgCursor):
    """A SELECT inside a transaction (``store.read()`` or ``store.transaction()``): ``fetchone``/
    ``fetchall`` run it as usual, while iterating over it streams the rows from a server-side cursor a
    batch at a time, so a report or a snapshot over millions of officers holds one batch in memory,
    not the whole result (a client-side cursor held 180 MB for the 1 M officers ``roster publish``
    reads, bench/README.md). The cursor's snapshot is taken when it opens, as when the rows were
    fetched at once, so statements run inside the loop do not change what it yields."""

    def __init__(self, conn: PgConnection, sql: str, params: Any):
        super().__init__(None)
        self._conn, self._sql, self._params = conn, sql, params

    def _run(self) -> None:
        if self._cur is None:
            cur = self._conn.raw.cursor()
            try:
                cur.execute(self._sql, self._params, binary=True)
            except self._conn._errors() as exc:
                raise _translate_error(exc, self._conn.url) from exc
            self._cur = cur

    def fetchone(self) -> tuple[Any, ...] | None:
        self._run()
        return super().fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        self._run()
        return super().fetchall()

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        self._run()
        return super().fetchmany(size)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self._cur is not None:
            return super().__iter__()
        return self._stream()

    def _stream(self) -> Iterator[tuple[Any, ...]]:
        conn = self._conn
        conn.cursors += 1
        cur = conn.raw.cursor(name=f"ikrar_stream_{conn.cursors}")
        cur.itersize = STREAM_BATCH
        try:
            cur.execute(self._sql, self._params, binary=True)
            yield from cur
        except conn._errors() as exc:
            raise _translate_error(exc, conn.url) from exc
        finally:
            with contextlib.suppress(Exception):
                cur.close()


class PgConnection:
    """The ``sqlite3.Connection`` subset ikrar uses, over one psycopg connection (autocommit;
    transactions are explicit, as with ``isolation_level=None`` in SQLite)."""

    def __init__(self, url: str, password: str | None = None):
        self.url = url
        self._password = password  # for side_connection (store/overlap.py), never logged
        self._side: PgConnection | None = None
        psycopg = _psycopg()
        extra = {"password": password} if password else {}
        self.lock_pending = False  # a write transaction began; its lock is taken before its first statement
        self.lock_got = 0.0  # locktrace.clock() when the write lock was granted (bench traces)
        self.shared_swap = False  # this write transaction is a merge swap beside others (store/pgmergelock.py)
        try:
            self._raw: Any = psycopg.connect(
                url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name="ikrar", **extra
            )
        except psycopg.Error as exc:
            raise _translate_error(exc, url) from exc
        _register_types(self._raw)
        self.total_changes = 0
        self._identity_tables: set[str] | None = None
        self.in_transaction = False
        self.in_read = False  # inside store.read() (in_transaction: in either kind; SELECTs then stream)
        self.cursors = 0

    @property
    def raw(self) -> Any:
        """The psycopg connection. Inside a write transaction the write lock is taken before anything
        reaches the server through it (module docstring; ``store/pgmergelock.py``)."""
        if self.lock_pending:
            self.take_write_lock(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        return self._raw

    def take_write_lock(self, *statements: str) -> None:
        """Run the lock statements of a write transaction that has none yet (the exclusive write lock,
        or a merge swap's, ``store/pgmergelock.py``)."""
        self.lock_pending = False
        try:
            for sql in statements:
                self._raw.execute(sql)
        except self._errors() as exc:
            raise _translate_error(exc, self.url) from exc
        self.lock_got = locktrace.clock()

    # -- the sqlite3.Connection API -----------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> PgCursor:
        verb = dialects.transaction_verb(sql)
        if verb is not None:
            {"begin": self.begin, "commit": self.commit, "rollback": self.rollback}[verb]()
            return PgCursor(None)
        named = isinstance(params, dict)
        pg_sql = dialects.to_postgres(sql, named)
        if pg_sql == dialects.NOOP:
            return PgCursor(None)
        select = re.match(r"\s*(SELECT|WITH)\b", sql, re.I) is not None
        if self.in_transaction and select:
            return _StreamedSelect(self, pg_sql, params if named else tuple(params))
        table = dialects.insert_target(sql)
        returning = table is not None and table in self._identities()
        if returning:
            pg_sql += " RETURNING id"
        cur = self.raw.cursor()
        try:
            cur.execute(pg_sql, params if named else tuple(params), binary=select)
        except self._errors() as exc:
            raise _translate_error(exc, self.url) from exc
        if cur.description is None or returning:  # rows a DML statement changed
            self.total_changes += max(cur.rowcount, 0)
        if dialects.is_ddl(sql):
            self._identity_tables = None
        lastrowid = None
        if returning:
            row = cur.fetchone()
            lastrowid = int(row[0]) if row else None
        return PgCursor(cur, lastrowid)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        rows = [tuple(p) for p in seq]
        plan = dialects.bulk_insert_plan(sql) if len(rows) >= COPY_FROM_ROWS else None
        if plan is not None:
            try:
                if self.in_transaction:
                    n = self._copy_insert(plan, rows)
                else:
                    with self.raw.transaction():
                        n = self._copy_insert(plan, rows)
            except self._errors() as exc:
                raise _translate_error(exc, self.url) from exc
            self.total_changes += n
            return PgCursor(None)
        return self._executemany(sql, rows)

    def _copy_insert(self, plan: tuple[str, list[str] | None, list[str], str], rows: list[tuple[Any, ...]]) -> int:
        """The rows through COPY: straight into the table, or (with constants or ON CONFLICT) via a
        temporary table of the same column types, inserted in file order; returns rows inserted."""
        table, cols, exprs, conflict = plan
        if cols is None:
            cur = self.raw.execute(f"SELECT * FROM {table} LIMIT 0")
            cols = [d.name for d in cur.description]
        fed = [c for c, e in zip(cols, exprs, strict=True) if e == "?"]
        if not conflict and len(fed) == len(cols):
            with self.raw.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        tmp = f"_ikrar_bulk_{table}"
        self.raw.execute(f"DROP TABLE IF EXISTS pg_temp.{tmp}")
        self.raw.execute(f"CREATE TEMP TABLE {tmp} AS SELECT {', '.join(fed)} FROM {table} WITH NO DATA")
        with self.raw.cursor().copy(f"COPY {tmp} ({', '.join(fed)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        select = ", ".join(c if e == "?" else e for c, e in zip(cols, exprs, strict=True))
        tail = f" {dialects.to_postgres(conflict)}" if conflict else ""
        cur = self.raw.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {tmp} ORDER BY ctid{tail}"
        )
        self.raw.execute(f"DROP TABLE pg_temp.{tmp}")
        return max(cur.rowcount, 0)

    def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> PgCursor:
        pg_sql = dialects.to_postgres(sql, False)
        seq = rows
        cur = self.raw.cursor()
        try:
            if self.in_transaction:
                cur.executemany(pg_sql, [tuple(p) for p in seq])
            else:  # one commit for the batch, not one per row (staging outside a transaction)
                with self.raw.transaction():
                    cur.executemany(pg_sql, [tuple(p) for p in seq])
        except self._errors() as exc:
            raise _translate_error(exc, self.url) from exc
        self.total_changes += max(cur.rowcount, 0)
        return PgCursor(cur)

    def cursor(self) -> PgConnection:
        return self

    def side_connection(self) -> PgConnection:
        """A second connection to the same database, made once and kept until this one closes
        (store/overlap.py reads over it; whoever uses it ends its transaction before handing it back)."""
        if self._side is None:
            self._side = PgConnection(self.url, self._password)
        return self._side

    def execute_raw(self, sql: Any, params: Sequence[Any] = ()) -> None:
        """A PostgreSQL statement as written (``%s`` placeholders, or composed with ``psycopg.sql``),
        its errors as sqlite3's classes."""
        try:
            self.raw.execute(sql, tuple(params))
        except self._errors() as exc:
            raise _translate_error(exc, self.url) from exc

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
        self._raw.close()

    # -- transactions ----------------------------------------------------------------------

    def begin(self, *, write: bool = True) -> None:
        """BEGIN; a write transaction then waits for the one write lock (SQLite's IMMEDIATE)."""
        try:
            if write:
                self._raw.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                self.in_transaction = self.lock_pending = True  # the lock: before the first statement
                self.shared_swap = False
            else:
                self._raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                self.in_transaction = self.in_read = True
        except self._errors() as exc:
            raise _translate_error(exc, self.url) from exc

    def commit(self) -> None:
        try:
            self.raw.execute("COMMIT")  # (a write transaction that ran nothing takes its lock first, as before)
        except self._errors() as exc:
            raise _translate_error(exc, self.url) from exc
        finally:
            self.in_transaction = self.in_read = self.lock_pending = False

    def rollback(self) -> None:
        self.lock_pending = False  # nothing ran: nothing to protect
        try:
            self._raw.execute("ROLLBACK")
        except self._errors() as exc:
            raise _translate_error(exc, self.url) from exc
        finally:
            self.in_transaction = self.in_read = False

    # -- helpers -----------------------------------------------------------------------------

    def _errors(self) -> type[Exception]:
        return cast("type[Exception]", _psycopg().Error)

    def _identities(self) -> set[str]:
        """Tables whose ``id`` is an identity column (SQLite's INTEGER PRIMARY KEY)."""
        if self._identity_tables is None:
            rows = self.raw.execute(
                "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE a.attname = 'id' AND a.attidentity <> '' AND pg_table_is_visible(c.oid)"
            ).fetchall()
            self._identity_tables = {str(r[0]).lower() for r in rows}
        return self._identity_tables


def _register_types(conn: Any) -> None:
    """SQLite's value types: integral sums as int (not Decimal), Python bools as 0/1.

    SELECT results come in PostgreSQL's binary format (``binary=True``): a ``bytea`` value then
    travels as its bytes, not as hex text twice its size that libpq must decode — fetching the
    160 MB signed snapshot of 1 M officers peaked at 954 MB in text format and 495 MB in binary
    (13.6 s and 4.7 s; bench/README.md "National scale"). The schema's columns are ``text``,
    ``bigint`` and ``bytea``; aggregates add ``numeric`` (loaded as below in both formats)."""
    from psycopg.adapt import Dumper
    from psycopg.types.numeric import NumericBinaryLoader, NumericLoader

    def integral(value: Any) -> Any:
        if isinstance(value, Decimal) and value.is_finite():
            return int(value) if value == value.to_integral_value() else float(value)
        return value

    class IntegralNumericLoader(NumericLoader):
        def load(self, data: Any) -> Any:
            return integral(super().load(data))

    class IntegralNumericBinaryLoader(NumericBinaryLoader):
        def load(self, data: Any) -> Any:
            return integral(super().load(data))

    class BoolAsIntDumper(Dumper):
        oid = 20  # int8

        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    conn.adapters.register_loader("numeric", IntegralNumericLoader)
    conn.adapters.register_loader("numeric", IntegralNumericBinaryLoader)
    conn.adapters.register_dumper(bool, BoolAsIntDumper)


class _Address(str):
    """The redacted address where messages expect the database file's path."""

    @property
    def parent(self) -> _Address:
        return self

    @property
    def name(self) -> str:
        return str(self)


class PgStore(Store):
    """The workspace database on PostgreSQL; ``path`` is the address without its password."""

    engine = dialects.POSTGRESQL

    def __init__(self, url: str, *, password: str | None = None, migrate: bool = True):
        self.url = url
        self.path = cast(Path, _Address(dialects.redact_url(url)))
        self.read_only = False
        try:
            self.conn = cast(sqlite3.Connection, PgConnection(url, password))
        except sqlite3.Error as exc:
            raise _connect_error(url, exc) from exc
        pg = cast(PgConnection, self.conn)
        self.standby = False
        if self._server_read_only(pg):  # a hot-standby replica or a read-only role: reports only
            self.read_only = True
            from ..migrations import pending_migrations

            try:
                pending = pending_migrations(self)
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            if pending:
                raise StorageError(
                    _("The workspace {path} needs a schema upgrade but is read-only", path=self.path),
                    _("open it once from a writable copy"),
                )
            return
        if migrate and not self._schema_current(pg):
            from ..migrations import apply_migrations

            try:
                # one migrator at a time across processes (PostgreSQL's CREATE TABLE IF NOT
                # EXISTS is not safe against a concurrent twin); released when the session ends
                pg.raw.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
                try:
                    apply_migrations(self)
                finally:
                    pg.raw.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            except _psycopg().Error as exc:
                raise self._error(_translate_error(exc, url)) from exc

    def _schema_current(self, pg: PgConnection) -> bool:
        """Whether the database has applied exactly the migrations this ikrar knows: then the store opens
        without the migrators' lock, which is the write lock and so would wait for every write
        transaction in progress (a merge's swap) just to find nothing to do."""
        from ..migrations import known_migrations

        try:
            applied = {str(r[0]) for r in pg.raw.execute("SELECT name FROM schema_migrations").fetchall()}
        except _psycopg().Error:  # a new database: no table yet
            return False
        return applied == {name for name, _m in known_migrations()}

    def renew_read(self) -> None:
        """Nothing to do: a long snapshot does not hold back the server's write-ahead log
        (``Store.renew_read`` is SQLite's); the read goes on in its one snapshot."""

    def restart_log(self, wait_ms: int = 0) -> bool:
        """Nothing to do: the server recycles its write-ahead log at its own checkpoints, which no
        reader's snapshot holds back (``Store.restart_log`` is SQLite's)."""
        return True

    def _server_read_only(self, pg: PgConnection) -> bool:
        row = pg.raw.execute(
            "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'on'"
        ).fetchone()
        self.standby = bool(row[0])
        return bool(row[0] or row[1])

    def _read_only_error(self) -> StorageError:
        if not self.standby:
            return super()._read_only_error()
        return StorageError(
            _("The database {url} is a read-only replica (hot standby): nothing can be recorded there", url=self.path),
            _("run commands that record (merge, import, attest, checkpoint) against the primary server; reports "
              "and verification work on the replica"),  # fmt: skip
        )

    def _error(self, exc: sqlite3.Error) -> StorageError:
        from .core import _storage_error

        return _storage_error(self.path, exc)

    @contextlib.contextmanager
    def transaction(self, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction under the write lock: all of it commits, or none of it.

        Inside an open transaction of this store (``db migrate-to`` verifying before it
        commits) it joins that transaction."""
        pg = cast(PgConnection, self.conn)
        if pg.in_transaction:
            yield self.conn
            return
        if self.read_only:
            raise self._read_only_error()
        where, asked = (locktrace.caller(), locktrace.clock()) if locktrace.enabled() else ("", 0.0)
        try:
            pg.begin(write=True)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        got, committed = locktrace.clock(), False
        pg.lock_got = 0.0
        try:
            try:
                yield self.conn
            except BaseException:
                with contextlib.suppress(Exception):
                    pg.rollback()
                raise
            try:
                pg.commit()
                committed = True
            except sqlite3.Error as exc:
                with contextlib.suppress(Exception):
                    pg.rollback()
                raise self._error(exc) from exc
        finally:
            if where:  # opt-in (bench): who held the write lock, how long (taken at the first statement)
                got = pg.lock_got or got
                locktrace.record(self.engine, where, asked, got, locktrace.clock(), committed)

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One snapshot (REPEATABLE READ) for every query inside (or the open transaction's view)."""
        pg = cast(PgConnection, self.conn)
        if pg.in_transaction:
            yield self.conn
            return
        try:
            pg.begin(write=False)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            yield self.conn
        finally:
            with contextlib.suppress(Exception):
                pg.commit()


def _connect_error(url: str, exc: sqlite3.Error) -> StorageError:
    return StorageError(
        _("Cannot connect to the database {url}: {reason}", url=dialects.redact_url(url), reason=exc),
        _("check that the server runs and the address, user and password are right"),
    )


def open_store(database: str | None, sqlite_path: Path, password: str | None = None) -> Store:
    """The workspace store: PostgreSQL when ``database`` is a postgresql:// address, else the
    SQLite file ``sqlite_path``."""
    if dialects.engine_of(database) == dialects.POSTGRESQL:
        return PgStore(cast(str, database), password=password)
    return Store(sqlite_path)


def connect(url: str, password: str | None = None) -> PgConnection:
    """A bare connection with the SQLite-style API (migrate-to and tests use it)."""
    try:
        return PgConnection(url, password)
    except sqlite3.Error as exc:
        raise _connect_error(url, exc) from exc
