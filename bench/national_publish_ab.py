"""A/B of the memory ``roster publish`` needs to read the roster on PostgreSQL (issue 17).

    python bench/national_publish_ab.py HOME old|new

``HOME`` is a central workspace on PostgreSQL with its roster imported (bench_national.py
``--keep`` leaves one). Builds the snapshot body as ``roster publish`` does (``build_body`` inside a
write transaction, then rolled back: nothing changes) and prints the time and the peak RSS. ``old``
streams SELECTs only inside ``store.read()``, as before 2026-11-25 (the rows of a SELECT iterated
in a write transaction fetched at once); ``new`` is the code as it is.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path
from typing import Any

from ikrar_cli.roster.snapshot import build_body
from ikrar_cli.store import postgres
from ikrar_cli.workspace import Workspace


def main(home: Path, mode: str) -> None:
    if mode == "old":
        original = postgres.PgConnection.execute

        def execute(self: postgres.PgConnection, sql: str, params: Any = ()) -> Any:
            keep = self.in_transaction
            self.in_transaction = keep and self.in_read  # a write transaction: no streaming
            try:
                return original(self, sql, params)
            finally:
                self.in_transaction = keep

        postgres.PgConnection.execute = execute  # type: ignore[method-assign]
    ws = Workspace.open(home)
    conn: Any = ws.store.conn
    t0 = time.perf_counter()
    conn.begin(write=True)
    try:
        body = build_body(conn, institution={"name": "BKN", "code": "BKN"}, zone="Asia/Jakarta", as_of="2026-11-18",
                          scope=None)  # fmt: skip
        n = len(body["officers"])
        del body
    finally:
        conn.rollback()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{mode}: {n:,} officers, {time.perf_counter() - t0:.1f} s, peak {peak} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
