"""SQLite and PostgreSQL side by side, same run, same data: roster import and the compliance report.

The PostgreSQL server is ``$IKRAR_BENCH_PG_URL`` (else ``$IKRAR_TEST_PG_URL``); a fresh database
is created for the run and dropped after. Without a server the row says so instead of a figure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def _server() -> str | None:
    return os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")


def _run(home: Path, roster: Path, database: str | None) -> tuple[float, float]:
    from ikrar_cli.roster.importer import import_roster
    from ikrar_cli.workspace import Workspace

    ws = Workspace.init(home, institution="B", code="B", unit=None, timezone="WIB", language="id", database=database)
    t0 = time.perf_counter()
    import_roster(ws.store, roster)
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ws.store.read() as conn:
        n = sum(1 for _ in conn.execute("SELECT officer_id, unit_code, active FROM officers"))
    t_read = time.perf_counter() - t0
    ws.close()
    assert n > 0
    return t_import, t_read


def bench_engines(n: int, row: Callable[..., Any]) -> None:
    from ikrar_cli.demo.office import write_sample_roster

    d = Path(tempfile.mkdtemp(prefix="ikrar-bench-engines-"))
    roster = d / "r.csv"
    write_sample_roster(roster, n, seed=1)
    s_imp, s_read = _run(d / "sqlite", roster, None)
    url = _server()
    if not url:
        row(f"roster import {n:,} rows, PostgreSQL vs SQLite", "no server", f"SQLite {n / s_imp:,.0f}/s", "–", "≥ 1x")
        shutil.rmtree(d, ignore_errors=True)
        return
    import psycopg

    name = f"ikrar_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    parts = urlsplit(url)
    target = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    try:
        p_imp, p_read = _run(d / "pg", roster, target)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
        shutil.rmtree(d, ignore_errors=True)
    row(
        f"roster import {n:,} rows on PostgreSQL (one transaction)",
        f"{n / p_imp:,.0f} rows/s",
        f"SQLite {n / s_imp:,.0f}/s",
        f"{s_imp / p_imp:.2f}x",
        "≥ 1x at national scale",
    )
    row(
        f"read {n:,} officers in one snapshot on PostgreSQL",
        f"{n / p_read:,.0f} rows/s",
        f"SQLite {n / s_read:,.0f}/s",
        f"{s_read / p_read:.2f}x",
        "≥ 1x at national scale",
    )
