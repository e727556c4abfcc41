"""The engine's share of the national report rows (issue 17): the store reads of a compliance report
alone, on SQLite and PostgreSQL, engines in turns, beside the whole row when asked.

    python bench/report_reads.py --homes SQLITE_HOME PG_HOME [--rounds 2] [--rows] [--json OUT]

``SQLITE_HOME``, ``PG_HOME``: two workspaces with the same published snapshot and merged receipts
(``bench_national.py --keep`` leaves them, e.g. ``/work/data/national/s12/full/{sqlite,postgresql}``).

What a report reads from the store, and nothing else, each measurement in a fresh process:

1. the stored roster snapshot, in the chunks the report streams it in
   (``snapshot_write.stored_chunks_ahead``), bytes counted and dropped;
2. every entry of every log of the signed trust bundle, as the report reads them
   (``compliance._log_entries``: one read-ahead over all logs, ``CHUNK`` rows per query).

Everything else a report does (the snapshot's signature, parsing and checking 4.8 M officers, the
Merkle roots, decoding and verifying 5 M receipt signatures, the spool and the totals) is the same
code on both engines. Printed per measurement: wall seconds, CPU seconds of the reading process
(``getrusage``) and of the PostgreSQL server over the same time (``/proc``, as ``merge_rows.py``:
run on a quiet machine). The raw limit of each engine's reads is its own CPU (client + server):
the table gives PostgreSQL's against SQLite's.

``--rows``: also runs ``report compliance --json`` (national) once per engine and round through the
CLI and prints the reads' CPU as a share of the row's CPU (client and helpers, plus the server), so
the arithmetic of "can the engine make this row faster or slower" is in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import national_data as nd  # noqa: E402
from merge_rows import server_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("sqlite", "postgresql")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(home: Path) -> dict[str, Any]:
    """The two reads, measured in this process (run by ``--child``): the latest published snapshot
    read through, then every entry of the trust bundle's logs."""
    sys.path.insert(0, str(ROOT))
    from ikrar_cli.reports import compliance
    from ikrar_cli.roster.snapshot_stream import READ
    from ikrar_cli.roster.snapshot_write import stored_chunks_ahead
    from ikrar_cli.workspace import Workspace

    ws = Workspace.open(home)
    try:
        with ws.store.read() as conn:
            row = conn.execute("SELECT digest FROM roster_snapshots ORDER BY serial DESC LIMIT 1").fetchone()
        if row is None:
            raise SystemExit(f"{home}: no published roster snapshot")
        logs = compliance._log_inputs(ws, compliance.signed_bundle(ws), None)
        out: dict[str, Any] = {}
        s, t, c = server_cpu(), time.perf_counter(), _cpu()
        size = 0
        for piece in stored_chunks_ahead(ws.store, str(row[0]), READ):
            size += len(piece)
        out["snapshot"] = {"bytes": size, "wall": time.perf_counter() - t, "client": _cpu() - c,
                           "server": server_cpu() - s}  # fmt: skip
        s, t, c = server_cpu(), time.perf_counter(), _cpu()
        n = 0
        for _log, _idx, _leaf in compliance._log_entries(ws, logs):
            n += 1
        out["entries"] = {"rows": n - len(logs), "wall": time.perf_counter() - t, "client": _cpu() - c,
                          "server": server_cpu() - s}  # fmt: skip
        return out
    finally:
        ws.close()


def measure_reads(home: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("IKRAR_DATABASE_URL", None)
    got = subprocess.run([sys.executable, __file__, "--child", str(home)], env=env, cwd=ROOT,
                         capture_output=True, check=True)  # fmt: skip
    return dict(json.loads(got.stdout))


def measure_row(home: Path, day: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), IKRAR_PASSPHRASE=nd.PASS.decode())
    env.pop("IKRAR_DATABASE_URL", None)
    s, t = server_cpu(), time.perf_counter()
    with open(os.devnull, "wb") as sink:
        p = subprocess.Popen([sys.executable, "-m", "ikrar_cli", "--home", str(home), "--lang", "en", "report",
                              "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--json"],
                             env=env, cwd=ROOT, stdout=sink, stderr=subprocess.PIPE)  # fmt: skip
        _pid, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"{home}: report compliance failed: {p.stderr.read().decode()[-300:] if p.stderr else ''}")
    return {"wall": time.perf_counter() - t, "client": ru.ru_utime + ru.ru_stime, "server": server_cpu() - s}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--homes", nargs=2, type=Path, metavar=("SQLITE_HOME", "PG_HOME"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rows", action="store_true", help="also run the national report row per engine and round")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child)))
        return 0
    if not a.homes:
        ap.error("--homes SQLITE_HOME PG_HOME is required")
    homes = dict(zip(ENGINES, a.homes, strict=True))
    results: dict[str, list[dict[str, Any]]] = {e: [] for e in ENGINES}
    for r in range(a.rounds):
        for engine in ENGINES if r % 2 == 0 else ENGINES[::-1]:
            got = measure_reads(homes[engine])
            if a.rows:
                got["row"] = measure_row(homes[engine], nd.REPORT_DAY.isoformat())
            results[engine].append(got)
            line = "  ".join(f"{k} wall {v['wall']:6.2f} s client {v['client']:6.2f} s server {v['server']:5.2f} s"
                             for k, v in got.items())  # fmt: skip
            print(f"round {r + 1} {engine:10s} {line}", flush=True)
    print()
    print("median over rounds   reads CPU (client + server)   of which server   row CPU    reads' share of the row")
    med: dict[str, float] = {}
    for engine in ENGINES:
        runs = results[engine]
        reads = statistics.median(sum(x[k]["client"] + x[k]["server"] for k in ("snapshot", "entries")) for x in runs)
        server = statistics.median(sum(x[k]["server"] for k in ("snapshot", "entries")) for x in runs)
        med[engine] = reads
        row = statistics.median(x["row"]["client"] + x["row"]["server"] for x in runs) if a.rows else None
        share = f"{reads / row:.1%}" if row else "-"
        row_cpu = f"{row:7.1f} s" if row else "      -  "
        print(f"{engine:20s} {reads:10.2f} s {server:27.2f} s   {row_cpu}  {share:>10s}")
    print(f"PostgreSQL/SQLite, reads CPU: {med['postgresql'] / med['sqlite']:.2f}x")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
