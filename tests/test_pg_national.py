"""PostgreSQL at national scale (issue 17): what keeps the ikrar process's memory bounded there.

Measured in bench/README.md "National scale": a SELECT iterated inside a write transaction (what
``roster publish`` reads: every officer) fetched whole held 180 MB at 1 M officers; the signed
snapshot (160 MB at 1 M) fetched as hex text peaked at 954 MB. These tests pin the two paths.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.postgresql_only


def _store():  # type: ignore[no-untyped-def]
    from ikrar_cli.store.postgres import PgStore

    return PgStore(os.environ["IKRAR_DATABASE_URL"])


def _open_stream_cursors(store) -> int:  # type: ignore[no-untyped-def]
    row = store.conn.raw.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE 'ikrar_stream_%'").fetchone()
    return int(row[0])


def test_a_select_iterated_in_a_write_transaction_streams_and_keeps_its_snapshot() -> None:
    from ikrar_cli.store.postgres import STREAM_BATCH

    store = _store()
    n = STREAM_BATCH + 3
    with store.transaction() as conn:
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [(f"k{i:06d}", str(i)) for i in range(n)])
    seen = []
    with store.transaction() as conn:
        rows = iter(conn.execute("SELECT key, value FROM meta WHERE key LIKE 'k%' ORDER BY key"))
        seen.append(next(rows))
        streaming = _open_stream_cursors(store)
        # a write inside the loop (as publish and import do) changes neither the rows still to come
        conn.execute("UPDATE meta SET value = 'changed' WHERE key LIKE 'k%'")
        conn.execute("INSERT INTO meta (key, value) VALUES ('k999999', 'late')")
        seen.extend(rows)
        one = conn.execute("SELECT value FROM meta WHERE key = 'k000000'").fetchone()
    assert streaming == 1
    assert seen == [(f"k{i:06d}", str(i)) for i in range(n)]
    assert one == ("changed",)  # fetchone is a plain query that sees the transaction's own writes
    store.close()


def test_select_results_come_in_binary_format_with_sqlite_value_types() -> None:
    store = _store()
    blob = bytes(range(256)) * 64
    with store.transaction() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('n1', '5'), ('n2', '6')")
    with store.read() as conn:
        cur = conn.execute("SELECT ?::bytea, SUM(CAST(value AS BIGINT)), AVG(CAST(value AS BIGINT)) FROM meta "
                           "WHERE key IN ('n1', 'n2')", (blob,))  # fmt: skip
        got = cur.fetchone()
        fmt = cur._cur.pgresult.fformat(0)  # type: ignore[attr-defined]
    assert fmt == 1  # binary: a bytea travels as its bytes, not as hex text twice its size
    assert got == (blob, 11, 5.5)
    assert type(got[1]) is int and type(got[2]) is float
    store.close()
