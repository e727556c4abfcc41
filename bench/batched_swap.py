"""The longest write-lock hold of ``ledger merge`` of ONE large export, one transaction against
bounded batches (issue 20; bench/README.md, "One large file: batches, published at once").

    python bench/batched_swap.py [--quick] [--receipts M] [--engine sqlite,postgresql]

One terminal export of M receipts (default 200,000; ``--quick`` 2,000 with batches of 500) is made
once by bench/national_data.py (cached under ``$IKRAR_BENCH_DATA``). Per engine, two fresh central
workspaces (authority key, the terminal certified) merge it through the CLI with
``IKRAR_LOCK_TRACE`` (``ikrar_cli/store/locktrace.py``): "one transaction" with ``IKRAR_MERGE_BATCH``
above M (the swap as before), "batches" with the default batch size (or ``--batch``). Printed: the
merge's wall and CPU seconds (the child's user + system, ``resource``), the number of write
transactions, the longest and total hold of the write lock (``bench/lock_trace.py``). The two runs
alternate in the order given by ``--order``. Bench only.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("IKRAR_BENCH_DATA") or Path(tempfile.gettempdir()) / "ikrar-bench-load") / "bigswap"


def merge(home: Path, export: Path, batch: int, trace: Path) -> dict[str, float]:
    import national_data as nd
    from lock_trace import summarise

    env = dict(os.environ, PYTHONPATH=str(ROOT), IKRAR_PASSPHRASE=nd.PASS.decode(), IKRAR_LOCK_TRACE=str(trace),
               IKRAR_MERGE_BATCH=str(batch))  # fmt: skip
    env.pop("IKRAR_DATABASE_URL", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ikrar_cli", "--home", str(home), "ledger", "merge", str(export)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    s = summarise(trace)
    return {"wall": wall, "cpu": cpu, "n": sum(v["n"] for v in s.values()),
            "held_max": max(v["held_max"] for v in s.values()), "held_sum": sum(v["held_sum"] for v in s.values())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--receipts", type=int, default=0)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--engine", default="sqlite")
    ap.add_argument("--order", default="one,batches")
    a = ap.parse_args()
    receipts = a.receipts or (2_000 if a.quick else 200_000)
    import national_data as nd
    from merge_cost import _pg_database, central

    from ikrar_cli.ledger.batched_swap import BATCH_ROWS

    batch = a.batch or (500 if a.quick else BATCH_ROWS)
    os.environ.setdefault("IKRAR_PASSPHRASE", nd.PASS.decode())
    print(os.popen("uptime").read().strip(), file=sys.stderr)  # noqa: S605,S607 - the load, for the record
    data = nd.ensure(DATA, receipts, receipts, 1, 10, workers=1)
    export = next((Path(data["root"]) / "exports").glob("t*.jsonl"))
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-bigswap-"))
    try:
        for engine in a.engine.split(","):
            for mode in a.order.split(","):
                drop = None
                url = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")
                database = None
                if engine == "postgresql":
                    if not url:
                        print(f"{engine}: no server", flush=True)
                        continue
                    database, drop = _pg_database(url)
                try:
                    home = work / f"{engine}-{mode}"
                    central(home, database, data)
                    size = batch if mode == "batches" else receipts * 10
                    m = merge(home, export, size, work / f"{engine}-{mode}.trace")
                finally:
                    if drop:
                        drop()
                label = "one transaction" if mode == "one" else f"batches of {batch:,}"
                print(f"`ledger merge` of one export, {receipts:,} receipts, {engine}, {label} | "
                      f"wall {m['wall']:.1f} s, CPU {m['cpu']:.1f} s | {m['n']:.0f} write transactions, "
                      f"longest hold {m['held_max']:.2f} s, "
                      f"held {m['held_sum']:.2f} s in all", flush=True)  # fmt: skip
        print(os.popen("uptime").read().strip(), file=sys.stderr)  # noqa: S605,S607
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
