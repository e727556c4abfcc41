"""The read paths made faster on PostgreSQL (pgspeed) give exactly what the plain paths gave, on
both engines: ``store/overlap.py`` (a big read beside the writes of one write transaction; chunks
read ahead on a second connection) and the first-listed insert of ``dialects``. That ``roster
publish`` still writes the bytes of the whole-document path is tests/test_snapshot_write.py's; that
the report's figures are unchanged, tests/test_report.py's (both run on both engines)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engines import open_test_store

from ikrar_cli.store.dialects import first_listed_insert
from ikrar_cli.store.overlap import chunks_ahead, overlapped

OLD_FIRST_LISTED = ("INSERT INTO roster_first_listed (officer_id, as_of) SELECT officer_id, ? FROM officers "
                    "WHERE active <> 0 ON CONFLICT DO NOTHING")  # fmt: skip


class _Undo(Exception):
    """Raised to roll a test transaction back."""


def _officers(conn: Any, rows: list[tuple[str, int]]) -> None:
    conn.executemany(
        "INSERT INTO officers (officer_id, id_type, name, unit_code, active, first_seen_at, updated_at) "
        "VALUES (?, 'nip', ?, NULL, ?, 0, 0)",
        [(oid, f"Nama {oid}", int(active)) for oid, active in rows],
    )


def _listed(conn: Any) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.execute("SELECT officer_id, as_of FROM roster_first_listed ORDER BY officer_id")]


def _store_with_roster(tmp_path: Path) -> Any:
    store = open_test_store(tmp_path / "ikrar.db")
    with store.transaction() as conn:
        # a listed before, b never; c left unlisted, d left after being listed; then 80 more active
        _officers(conn, [("a", 1), ("b", 1), ("c", 0), ("d", 0)] + [(f"n{i:03d}", i % 5 != 0) for i in range(80)])
        conn.executemany("INSERT INTO roster_first_listed (officer_id, as_of) VALUES (?, ?)",
                         [("a", "2026-01-01"), ("d", "2026-02-01")])  # fmt: skip
    return store


def _after(store: Any, sql: str) -> list[tuple[str, str]]:
    got: list[tuple[str, str]] = []
    with pytest.raises(_Undo), store.transaction() as conn:
        conn.execute(sql, ("2026-11-20",))
        got = _listed(conn)
        raise _Undo
    return got


def test_the_first_listed_insert_lists_what_the_old_statement_listed(engine: str, tmp_path: Path) -> None:
    store = _store_with_roster(tmp_path)
    try:
        old = _after(store, OLD_FIRST_LISTED)
        new = _after(store, first_listed_insert(store.engine))
        assert new == old
        got = dict(new)
        assert got["a"] == "2026-01-01" and got["d"] == "2026-02-01"  # earlier dates kept
        assert got["b"] == "2026-11-20" and "c" not in got  # the active listed from now on, not who left
        assert len(got) == 2 + 1 + sum(1 for i in range(80) if i % 5 != 0)
        # a second publish lists nobody again and changes no date
        with store.transaction() as conn:
            conn.execute(first_listed_insert(store.engine), ("2026-11-20",))
        assert _after(store, first_listed_insert(store.engine)) == new
    finally:
        store.close()


def test_overlapped_reads_what_the_transaction_sees_and_writes_in_it(engine: str, tmp_path: Path) -> None:
    store = _store_with_roster(tmp_path)
    sql = "SELECT officer_id, name, active FROM officers ORDER BY officer_id"
    try:
        with store.read() as conn:
            want = [tuple(r) for r in conn.execute(sql)]
        with store.transaction() as conn:
            with overlapped(store, conn) as ov:
                assert ov.concurrent == (engine == "postgresql")
                ov.execute(first_listed_insert(store.engine), ("2026-11-20",))
                got = [tuple(r) for r in ov.reader.execute(sql)]
                for n in range(30):  # more writes than the queue holds
                    ov.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, ?, ?)",
                               ("f", n, bytes([n]) * 100))  # fmt: skip
                if ov.concurrent:  # the reader's snapshot was taken before the writes
                    assert ov.reader.execute("SELECT COUNT(*) FROM roster_snapshot_parts").fetchone() == (0,)
            assert got == want
            # every write has run when the block ends, in this transaction
            assert conn.execute("SELECT COUNT(*), SUM(part) FROM roster_snapshot_parts").fetchone() == (30, 435)
        with store.read() as conn:
            assert dict(_listed(conn))["b"] == "2026-11-20"
            assert [bytes(r[0]) for r in conn.execute("SELECT data FROM roster_snapshot_parts ORDER BY part")] == [
                bytes([n]) * 100 for n in range(30)
            ]
    finally:
        store.close()


def test_a_failed_overlapped_write_is_raised_and_nothing_of_it_stays(engine: str, tmp_path: Path) -> None:
    store = _store_with_roster(tmp_path)
    try:
        with pytest.raises(sqlite3.IntegrityError), store.transaction() as conn, overlapped(store, conn) as ov:
            ov.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, ?, ?)", ("f", 0, b"x"))
            ov.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, ?, ?)", ("f", 0, b"y"))
            for n in range(1, 20):  # later writes are not run once one failed
                ov.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, ?, ?)", ("f", n, b"z"))
        with store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM roster_snapshot_parts").fetchone() == (0,)
        with store.transaction() as conn:  # the store goes on working
            conn.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, ?, ?)", ("g", 0, b"ok"))
        with store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM roster_snapshot_parts").fetchone() == (1,)
    finally:
        store.close()


def _table(tmp_path: Path, n: int) -> Any:
    store = open_test_store(tmp_path / "ikrar.db")
    with store.transaction() as conn:
        conn.execute("CREATE TABLE ahead_rows (k INTEGER NOT NULL PRIMARY KEY, v BLOB NOT NULL)")
        conn.executemany("INSERT INTO ahead_rows (k, v) VALUES (?, ?)",
                         [(k, f"v{k}".encode() * (k % 7 + 1)) for k in range(n)])  # fmt: skip
    return store


def _chunks(size: int, table: str = "ahead_rows") -> Callable[[Callable[[], Any]], Iterator[list[Any]]]:
    def chunks(read: Callable[[], Any]) -> Iterator[list[Any]]:
        last = -1
        while True:
            with read() as conn:
                rows = conn.execute(f"SELECT k, v FROM {table} WHERE k > ? ORDER BY k LIMIT ?", (last, size)).fetchall()
            if not rows:
                return
            yield [(int(k), bytes(v)) for k, v in rows]
            last = int(rows[-1][0])

    return chunks


def test_chunks_read_ahead_are_the_chunks_read_in_turn(engine: str, tmp_path: Path) -> None:
    store = _table(tmp_path, 1000)
    try:
        plain = list(_chunks(64)(store.read))
        assert [len(c) for c in plain] == [64] * 15 + [40]
        assert list(chunks_ahead(store, _chunks(64))) == plain
        # stopped after the first chunk: the reader ends, the store and a second pass work
        for first in chunks_ahead(store, _chunks(64)):
            assert first == plain[0]
            break
        assert list(chunks_ahead(store, _chunks(64))) == plain
        with store.transaction() as conn:
            conn.execute("DELETE FROM ahead_rows WHERE k >= 10")
        assert list(chunks_ahead(store, _chunks(4))) == [plain[0][:10][i : i + 4] for i in range(0, 10, 4)]
    finally:
        store.close()


def test_a_failed_read_ahead_is_raised_to_the_caller(engine: str, tmp_path: Path) -> None:
    store = _table(tmp_path, 10)
    try:
        with pytest.raises(sqlite3.OperationalError):
            list(chunks_ahead(store, _chunks(4, table="no_such_table")))
        assert list(chunks_ahead(store, _chunks(4))) == list(_chunks(4)(store.read))
    finally:
        store.close()


def test_without_a_second_connection_both_work_one_after_the_other(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server refusing the second connection (max_connections reached) costs the overlap only."""
    from ikrar_cli.store import postgres

    def refused(self: Any) -> Any:
        raise sqlite3.OperationalError("FATAL: sorry, too many clients already")

    monkeypatch.setattr(postgres.PgConnection, "side_connection", refused)
    store = _table(tmp_path, 100)
    try:
        assert list(chunks_ahead(store, _chunks(16))) == list(_chunks(16)(store.read))
        with store.transaction() as conn, overlapped(store, conn) as ov:
            assert not ov.concurrent and ov.reader is conn
            ov.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, ?, ?)", ("f", 0, b"x"))
        with store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM roster_snapshot_parts").fetchone() == (1,)
    finally:
        store.close()
