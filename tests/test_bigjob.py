"""A big job gets a large SQLite page cache for its duration only, and a smaller one around an index
build; small jobs do not (PostgreSQL's session settings: tests/test_roster_bulk_load.py)."""

from __future__ import annotations

from pathlib import Path

from ikrar_cli.store.bigjob import BIG_CACHE_KIB, BIG_INPUT_BYTES, big_job_cache, input_size
from ikrar_cli.workspace import Workspace


def test_cache_is_raised_for_big_inputs_and_given_back(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", institution="B", code="B", unit=None, timezone="WIB", language="id")
    conn = ws.store.conn
    default = conn.execute("PRAGMA cache_size").fetchone()[0]
    with big_job_cache(ws.store, BIG_INPUT_BYTES - 1) as raised:
        assert raised is False
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == default
    with big_job_cache(ws.store, BIG_INPUT_BYTES) as raised:
        assert raised is True
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -BIG_CACHE_KIB
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == default
    ws.close()


def test_input_size_of_a_missing_file_is_zero(tmp_path: Path) -> None:
    assert input_size(tmp_path / "absent.csv") == 0
    (tmp_path / "r.csv").write_bytes(b"x" * 10)
    assert input_size(tmp_path / "r.csv") == 10


def test_a_library_roster_import_of_a_big_sheet_runs_with_the_big_cache(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The cache is the library's decision (a script calling ``import_roster`` gets it too), seen
    from inside the import through its progress callback, and given back afterwards."""
    from ikrar_cli.roster.importer import import_roster
    from ikrar_cli.store import bigjob

    ws = Workspace.init(tmp_path / "ws", institution="B", code="B", unit=None, timezone="WIB", language="id")
    conn = ws.store.conn
    default = conn.execute("PRAGMA cache_size").fetchone()[0]
    sheet = tmp_path / "roster.csv"
    sheet.write_text("NIP;Nama;Unit Kerja\n198609262015051001;Andi;Dinas A\n", encoding="utf-8")
    seen: list[int] = []

    def tick(_done: int, _total: int | None) -> None:
        seen.append(conn.execute("PRAGMA cache_size").fetchone()[0])

    import_roster(ws.store, sheet, progress=tick)
    assert seen and set(seen) == {default}  # a small sheet: the default cache
    monkeypatch.setattr(bigjob, "BIG_INPUT_BYTES", sheet.stat().st_size)  # now this sheet counts as big
    seen.clear()
    import_roster(ws.store, sheet, progress=tick)
    assert seen and set(seen) == {-BIG_CACHE_KIB}
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == default
    ws.close()


def test_an_index_build_gets_a_smaller_page_cache_and_gives_it_back(tmp_path: Path) -> None:
    """SQLite's sorter may use what the page cache may: a big job's 256 MB cache is lowered to
    INDEX_SORT_KIB around its CREATE INDEX (and only then), and restored."""
    from ikrar_cli.store.bigjob import INDEX_SORT_KIB, index_build_memory

    ws = Workspace.init(tmp_path / "ws", institution="B", code="B", unit=None, timezone="WIB", language="id")
    conn = ws.store.conn
    default = conn.execute("PRAGMA cache_size").fetchone()[0]
    with index_build_memory(conn):  # a small cache is left as it is
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == default
    with big_job_cache(ws.store, BIG_INPUT_BYTES):
        with index_build_memory(conn):
            assert conn.execute("PRAGMA cache_size").fetchone()[0] == -INDEX_SORT_KIB
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -BIG_CACHE_KIB
    conn.execute("PRAGMA cache_size = 100000")  # in pages (4 KiB each here: 400 MB)
    with index_build_memory(conn):
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -INDEX_SORT_KIB
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == 100000
    ws.close()
