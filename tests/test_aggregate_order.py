"""Where ikrar relies on the order of an aggregate's elements (``json_group_array``: the roster
import's list of new staff, in file order), the order is explicit and holds on both engines even
when the rows are stored in another order."""

from __future__ import annotations

import json
import random
from pathlib import Path

from engines import open_test_store

from ikrar_cli.store.dialects import engine_of_connection, json_group_array, sqlite_orders_aggregates, to_postgres

N = 300


def _stored_shuffled(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = open_test_store(tmp_path / "ikrar.db")
    keys = list(range(N))
    random.Random(17).shuffle(keys)
    with store.transaction() as conn:
        conn.execute("CREATE TABLE agg_order (k INTEGER NOT NULL, v TEXT NOT NULL)")
        conn.executemany("INSERT INTO agg_order (k, v) VALUES (?, ?)", [(k, f"v{k}") for k in keys])
    return store, keys


def test_json_group_array_elements_follow_the_order_key(engine: str, tmp_path: Path) -> None:
    store, keys = _stored_shuffled(tmp_path)
    want = [[k, f"v{k}"] for k in range(N)]
    with store.read() as conn:
        # the precondition that makes this test bite: scanned without ORDER BY, rows come in the
        # shuffled order they were stored in, so an aggregate that took them as they come would fail
        assert [r[0] for r in conn.execute("SELECT k FROM agg_order").fetchall()] == keys != sorted(keys)
        agg = json_group_array(engine_of_connection(conn), "json_array(k, v)", "k")
        # the form roster_apply uses: an ordered subquery feeding the aggregate (with its own key)
        ordered = conn.execute(f"SELECT COUNT(*), {agg} FROM (SELECT k, v FROM agg_order ORDER BY k)").fetchone()
        assert ordered[0] == N and json.loads(ordered[1]) == want
        if engine == "postgresql" or sqlite_orders_aggregates():
            # the aggregate's own ORDER BY alone orders it, straight over the shuffled table
            direct = conn.execute(f"SELECT {agg} FROM agg_order").fetchone()[0]
            assert json.loads(direct) == want
    store.close()


def test_the_order_inside_the_aggregate_reaches_postgresql() -> None:
    assert to_postgres("SELECT json_group_array(json_array(a, b) ORDER BY k, a) FROM (SELECT a, b, k FROM t)") == (
        "SELECT '[' || string_agg(CAST(json_build_array(a, b) AS TEXT), ',' ORDER BY k, a) || ']' "
        "FROM (SELECT a, b, k FROM t) AS _ikrar_sub1"
    )
    # an ORDER BY inside a nested call is that call's business, not the aggregate's
    assert to_postgres("SELECT json_group_array(json_array(a, 'x ORDER BY y'))") == (
        "SELECT '[' || string_agg(CAST(json_build_array(a, 'x ORDER BY y') AS TEXT), ',') || ']'"
    )
    assert json_group_array("postgresql", "x", "k") == "json_group_array(x ORDER BY k)"
