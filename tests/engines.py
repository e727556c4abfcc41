"""Both storage engines for the store/roster/ledger/merge/report tests.

Every test in :data:`BOTH_ENGINES` modules runs twice: ``[sqlite]`` as before and
``[postgresql]`` against a fresh database created on the server at ``$IKRAR_TEST_PG_URL``
(default postgresql://postgres@127.0.0.1/postgres) and dropped afterwards; the workspace reaches
it through ``IKRAR_DATABASE_URL``, so ``ikrar init`` and every child process use it. Without a
reachable server those runs skip with a reason naming the address; in CI (``CI=true``) they fail
instead, so PostgreSQL is never silently left out. A test that inspects SQLite's own file or
locking is marked ``@pytest.mark.sqlite_only`` and runs once.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

BOTH_ENGINES = {"test_store", "test_roster", "test_ledger", "test_merge", "test_report", "test_pg_engine",
                "test_merge_known", "test_aggregate_order"}
BOTH_ENGINES |= {"test_witness_cli"}  # witnesses: the centre's cosignatures table (issue 18)
BOTH_ENGINES |= {"test_sync_incremental", "test_sync_server"}  # online sync (issue 18)
BOTH_ENGINES |= {"test_sync_e2e", "test_sync_load", "test_sync_kiosk"}  # a real `ikrar serve` (issue 18)
BOTH_ENGINES |= {"test_sync_vectors", "test_server_language"}  # increment vectors, answers' languages
BOTH_ENGINES |= {"test_merge_staging"}  # merges staged without the write lock (issue 20)
BOTH_ENGINES |= {"test_pg_overlap"}  # the PostgreSQL read paths of publish and report (pgspeed)
BOTH_ENGINES |= {"test_roster_import_steps"}  # the roster import steps (issues 14, 19, 20)
BOTH_ENGINES |= {"test_roster_unit_key", "test_roster_parallel"}  # unit key check, parallel row checks
BOTH_ENGINES |= {"test_roster_lock", "test_merge_gate"}  # the import's summary without the write lock (issue 20)
BOTH_ENGINES |= {"test_merge_batched"}  # one large file in bounded batches, shown at once (issue 20)
BOTH_ENGINES |= {"test_verify_pool"}  # receipt signatures checked by helper processes (issues 17, 20)
BOTH_ENGINES |= {"test_report_verify_outcomes"}  # report verify: outcomes and the digest folded on the way
BOTH_ENGINES |= {"test_view_defaults"}  # migration 0019: an INSERT into a view gets the table's defaults
BOTH_ENGINES |= {"test_roster_bulk_load"}  # a first big import builds the unit index after the insert
BOTH_ENGINES |= {"test_merge_swap_ahead"}  # several files: each swap beside the next verification (PostgreSQL)
BOTH_ENGINES |= {"test_merge_key_checks"}  # migration 0020: a merge's keys checked once per statement on PostgreSQL
DEFAULT_URL = "postgresql://postgres@127.0.0.1/postgres"
_server: dict[str, Any] = {}


def server_url() -> str:
    return os.environ.get("IKRAR_TEST_PG_URL") or DEFAULT_URL


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _admin() -> Any:
    """One autocommit connection to the test server for the session, or a skip/fail."""
    if "conn" in _server:
        return _server["conn"]
    if "error" in _server:
        _unreachable(_server["error"])
    from ikrar_cli.store.dialects import redact_text, redact_url

    url = server_url()
    try:
        import psycopg

        _server["conn"] = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except Exception as exc:  # noqa: BLE001 - any failure means "no server to test against"
        _server["error"] = f"no PostgreSQL server reachable at {redact_url(url)} ({redact_text(str(exc).strip(), url)})"
        _unreachable(_server["error"])
    return _server["conn"]


def _unreachable(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the PostgreSQL tests: {why}; set IKRAR_TEST_PG_URL", pytrace=False)
    pytest.skip(f"{why}; set IKRAR_TEST_PG_URL to run the PostgreSQL tests")


def create_database() -> str:
    """A new empty database (UTF-8, from template0); returns its address."""
    name = f"ikrar_test_{uuid.uuid4().hex[:12]}"
    _admin().execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    return with_database(server_url(), name)


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    _admin().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    engines = ["sqlite"]
    if module in BOTH_ENGINES and metafunc.definition.get_closest_marker("sqlite_only") is None:
        engines.append("postgresql")
    if metafunc.definition.get_closest_marker("postgresql_only") is not None:
        engines = ["postgresql"]
    if engines != ["sqlite"]:  # SQLite alone needs no parameter (test ids stay as they were)
        metafunc.parametrize("engine", engines, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """'sqlite' or 'postgresql'; for the latter, IKRAR_DATABASE_URL names a fresh database."""
    name = getattr(request, "param", "sqlite")
    monkeypatch.delenv("IKRAR_DATABASE_URL", raising=False)
    if name != "postgresql":
        yield name
        return
    url = create_database()
    # a module with several workspaces (terminals and a centre) puts only the centre on PostgreSQL,
    # through 'init --database' (central_db_args); otherwise every workspace of the test uses it
    central_only = getattr(request.module, "PG_CENTRAL_ONLY", False)
    monkeypatch.setenv("IKRAR_TEST_CENTRAL_DB" if central_only else "IKRAR_DATABASE_URL", url)
    try:
        yield name
    finally:
        drop_database(url)


def central_db_args() -> list[str]:
    """``--database URL`` for the central workspace's init in the PostgreSQL run, else nothing."""
    url = os.environ.get("IKRAR_TEST_CENTRAL_DB")
    return ["--database", url] if url else []


def open_test_store(path: Path) -> Any:
    """A Store for this run's engine: the SQLite file ``path`` or the test's PostgreSQL database."""
    from ikrar_cli.store.postgres import open_store

    return open_store(os.environ.get("IKRAR_DATABASE_URL"), path)


def connect_store(store: Any) -> Any:
    """A second, independent connection to the database ``store`` uses (to tamper or inspect)."""
    if store.engine == "postgresql":
        from ikrar_cli.store.postgres import connect

        return connect(store.url)
    return sqlite3.connect(store.path)


def connect_db(home: Path) -> Any:
    """A DB-API connection (``?`` placeholders) to the workspace's database, either engine."""
    from ikrar_cli.workspace import CONFIG_NAME, PASSWORD_NAME, load_config

    url = os.environ.get("IKRAR_DATABASE_URL")
    if not url and (home / CONFIG_NAME).is_file():
        url = load_config(home / CONFIG_NAME).database
    if url:
        from ikrar_cli.store.postgres import connect

        pw = home / PASSWORD_NAME
        return connect(url, pw.read_text(encoding="utf-8").strip() if pw.is_file() else None)
    return sqlite3.connect(home / "ikrar.db")


def dump_db(home: Path) -> list[str]:
    """Every row of every ikrar table, sorted: equal before and after means nothing changed."""
    conn = connect_db(home)
    try:
        if isinstance(conn, sqlite3.Connection):
            return list(conn.iterdump())
        tables = [
            r[0]
            for r in conn.raw.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
        ]
        out: list[str] = []
        for t in tables:
            rows = conn.raw.execute(f"SELECT * FROM {t}").fetchall()
            out.extend(sorted(f"{t}: {row!r}" for row in rows))
        return out
    finally:
        conn.close()


def assert_pg_write_lock_held() -> None:
    """Another session holds ikrar's write lock (the advisory lock every write transaction takes)."""
    from ikrar_cli.store.postgres import WRITE_LOCK, connect

    conn = connect(os.environ["IKRAR_DATABASE_URL"])
    try:
        got = conn.raw.execute("SELECT pg_try_advisory_lock(%s)", (WRITE_LOCK,)).fetchone()[0]
        assert got is False, "no other process holds the write lock"
    finally:
        conn.close()
