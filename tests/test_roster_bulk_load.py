"""A first big roster import into an empty roster builds the unit index after the insert (both
engines; ``roster/apply.py``, ``BULK_LOAD_ROWS``): the officers come out exactly as the row-by-row
path writes them, the index comes back with its own definition, and a dry run (rolled back inside
the write transaction) leaves the roster and its indexes as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ikrar_cli.demo.office import write_sample_roster
from ikrar_cli.roster import apply
from ikrar_cli.roster.importer import import_roster
from ikrar_cli.store import dialects
from ikrar_cli.workspace import Workspace

SECONDARY_INDEXES = dialects.secondary_indexes  # the real one (the fixture replaces it with a spy)
COLUMNS = ("officer_id, id_type, name, gelar_depan, gelar_belakang, position, unit_code, sub_unit, rank, status, nik, "
           "email, active, retired_at")  # fmt: skip


def _workspace(root: Path) -> Workspace:
    return Workspace.init(root, institution="Pemkab Uji", code="PU", unit=None, timezone="WIB", language="id")


def _officers(ws: Workspace) -> list[tuple[Any, ...]]:
    with ws.store.read() as conn:
        return [tuple(r) for r in conn.execute(f"SELECT {COLUMNS} FROM officers ORDER BY officer_id")]


def _indexes(ws: Workspace) -> list[tuple[str, str]]:
    with ws.store.read() as conn:
        query = SECONDARY_INDEXES(dialects.engine_of_connection(conn))
        return [(str(name), str(sql)) for name, sql in conn.execute(query, ("officers",))]


@pytest.fixture
def bulk_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bulk path from 100 new officers on; each time it looks up the indexes to drop is noted."""
    calls: list[str] = []

    def spy(engine: str) -> str:
        calls.append(engine)
        return SECONDARY_INDEXES(engine)

    monkeypatch.setattr(dialects, "secondary_indexes", spy)
    monkeypatch.setattr(apply, "BULK_LOAD_ROWS", 100)
    return calls


def test_a_first_big_import_writes_what_the_row_by_row_path_writes(
    tmp_path: Path, bulk_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "roster.csv"
    write_sample_roster(roster, 300, seed=5)
    with monkeypatch.context() as m:  # the reference: SQLite, the bulk path out of reach
        m.delenv("IKRAR_DATABASE_URL", raising=False)
        m.setattr(apply, "BULK_LOAD_ROWS", 10**9)
        ref = _workspace(tmp_path / "ref")
        try:
            assert import_roster(ref.store, roster).added == 300
            expected = _officers(ref)
        finally:
            ref.close()
    assert not bulk_calls
    ws = _workspace(tmp_path / "ws")
    try:
        before = _indexes(ws)
        assert [name for name, _ in before] == ["officers_unit"]
        assert import_roster(ws.store, roster).added == 300
        assert len(bulk_calls) == 1  # the bulk path ran
        assert _officers(ws) == expected
        assert _indexes(ws) == before  # built again, with its own definition
        more = tmp_path / "more.csv"
        write_sample_roster(more, 200, seed=6)
        assert import_roster(ws.store, more).added >= 100
        assert len(bulk_calls) == 1  # the roster was not empty: row by row
        assert _indexes(ws) == before
    finally:
        ws.close()


def test_a_dry_run_on_the_bulk_path_leaves_roster_and_indexes_as_they_were(
    tmp_path: Path, bulk_calls: list[str]
) -> None:
    roster = tmp_path / "roster.csv"
    write_sample_roster(roster, 300, seed=5)
    ws = _workspace(tmp_path / "ws")
    try:
        before = _indexes(ws)
        report = import_roster(ws.store, roster, dry_run=True)
        assert report.added == 300 and len(bulk_calls) == 1
        assert _officers(ws) == []
        assert _indexes(ws) == before
        assert import_roster(ws.store, roster).added == 300  # and the real import after it
        assert len(_officers(ws)) == 300 and _indexes(ws) == before
    finally:
        ws.close()


def test_a_big_job_on_postgresql_raises_session_memory_only_and_gives_it_back(tmp_path: Path, engine: str) -> None:
    """PostgreSQL: ``PG_BIG_SETTINGS`` inside a big job, the session's own values after it; a value the
    server already has higher is kept, and temp_buffers is left alone once the session has touched a
    temporary table (PostgreSQL refuses the change then). SQLite: the page cache, as before."""
    from ikrar_cli.store.bigjob import BIG_CACHE_KIB, BIG_INPUT_BYTES, PG_BIG_SETTINGS, big_job_cache

    ws = _workspace(tmp_path / "ws")
    try:
        conn = ws.store.conn
        if engine == "sqlite":
            with big_job_cache(ws.store, BIG_INPUT_BYTES):
                assert conn.execute("PRAGMA cache_size").fetchone()[0] == -BIG_CACHE_KIB
            return
        names = [name for name, _ in PG_BIG_SETTINGS]

        def show() -> dict[str, int]:
            return {n: int(conn.execute("SELECT pg_size_bytes(current_setting(?))", (n,)).fetchone()[0]) for n in names}

        conn.execute("SET work_mem = '2GB'")  # already more than the big job asks for: kept
        conn.execute("SET maintenance_work_mem = '16MB'")
        before = show()
        with big_job_cache(ws.store, BIG_INPUT_BYTES - 1):
            assert show() == before  # not big: nothing changes
        with big_job_cache(ws.store, BIG_INPUT_BYTES):
            inside = show()
        wanted = {name: int(conn.execute("SELECT pg_size_bytes(?)", (v,)).fetchone()[0]) for name, v in PG_BIG_SETTINGS}
        assert inside["work_mem"] == before["work_mem"] == 2 << 30
        assert inside["maintenance_work_mem"] == wanted["maintenance_work_mem"] > before["maintenance_work_mem"]
        assert inside["temp_buffers"] == max(wanted["temp_buffers"], before["temp_buffers"])
        assert show() == before  # given back
        conn.execute("CREATE TEMP TABLE touched (a INTEGER)")
        conn.execute("INSERT INTO touched VALUES (1)")
        with big_job_cache(ws.store, BIG_INPUT_BYTES):
            assert show()["temp_buffers"] == before["temp_buffers"]  # refused by the server: kept, no error
            assert show()["maintenance_work_mem"] == wanted["maintenance_work_mem"]
        assert show() == before
    finally:
        ws.close()
