"""Merging again a file whose records are all known (issue 20: ≤ 10% of its first merge), base vs branch.

    python bench/known_merge_ab.py --base /tmp/mergecpu-base [--quick] [--engine sqlite,postgresql]
                                   [--receipts M] [--exports T] [--reps R]

``--base`` is a checkout of the code to compare with (``git worktree add --detach DIR COMMIT``); each
timed run is a fresh child process that imports ``ikrar_cli`` from that checkout or from this one
(the child checks ``ikrar_cli.__file__``), the two alternating (base, branch, base, branch, ...) so
that the load of a shared machine falls on both alike. A child makes a fresh centre (bench/
merge_cost.py ``central``), merges the exports of bench/national_data.py (cached under
``$IKRAR_BENCH_DATA``/mergecost, as bench/verify_pool_cost.py makes them) through
``ledger.export.Merger`` serially, then merges the same files again. Per merge: the wall seconds and
the CPU seconds of the merging process (``time.process_time``), and on PostgreSQL also the CPU
seconds of the server processes serving the centre's database (utime + stime in ``/proc/PID/stat``
of every backend whose ``pg_stat_activity.datname`` is the centre's, read before and after the
merge from a connection to another database; a backend that ends during the merge is not counted,
and their number is printed: the store keeps its connections open, so it is 0 in practice).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _server_cpu(admin: Any, dbname: str) -> dict[int, float]:
    """CPU seconds so far of each server process serving ``dbname`` (PostgreSQL on this machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for (pid,) in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (dbname,)).fetchall():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(pid)] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15)
    return out


def one(a: argparse.Namespace) -> dict[str, Any]:
    """A child: imports ``ikrar_cli`` from ``a.root``, merges the files twice into a fresh centre."""
    root = Path(a.root).resolve()
    for p in (root / "tests", root, HERE):
        sys.path.insert(0, str(p))
    import ikrar_cli

    assert Path(ikrar_cli.__file__).resolve().is_relative_to(root), (ikrar_cli.__file__, root)
    import shutil
    import tempfile

    from merge_cost import DATA, _pg_database, central
    from verify_pool_cost import _data

    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger.export import Merger
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    data, files = _data(a.receipts, a.exports)
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-known-"))
    drop, admin, dbname = None, None, ""
    out: dict[str, Any] = {"code": str(Path(ikrar_cli.__file__).parent), "data": str(DATA)}
    try:
        database = None
        if a.engine == "postgresql":
            import psycopg

            url = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ["IKRAR_TEST_PG_URL"]
            database, drop = _pg_database(url)
            dbname = database.rsplit("/", 1)[1].split("?")[0]
            admin = psycopg.connect(url, autocommit=True)
        central(work / "c", database, data)
        ws = Workspace.open(work / "c")
        try:
            for rnd in ("first", "second"):
                verifier = Verifier(trusted_bundle(ws))
                s0 = _server_cpu(admin, dbname) if admin else {}
                t0, c0 = time.perf_counter(), time.process_time()
                results = Merger(ws, verifier).merge_files(files)
                cpu, wall = time.process_time() - c0, time.perf_counter() - t0
                s1 = _server_cpu(admin, dbname) if admin else {}
                assert all(r.accepted for r in results), [r.error for r in results if not r.accepted][:1]
                out[rnd] = {
                    "cpu": cpu, "wall": wall, "added": sum(r.added for r in results),
                    "known": sum(x.known for r in results for x in r.logs),
                    "server_cpu": sum(v - s0.get(pid, 0.0) for pid, v in s1.items()),
                    "server_gone": len(set(s0) - set(s1)),
                }  # fmt: skip
        finally:
            ws.close()
        return out
    finally:
        if admin is not None:
            admin.close()
        if drop:
            drop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", action="store_true")
    ap.add_argument("--root", default=str(HERE.parent))
    ap.add_argument("--base", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--engine", default="sqlite,postgresql")
    ap.add_argument("--receipts", type=int, default=0)
    ap.add_argument("--exports", type=int, default=0)
    ap.add_argument("--reps", type=int, default=0)
    a = ap.parse_args()
    a.receipts = a.receipts or (600 if a.quick else 100_000)
    a.exports = a.exports or (3 if a.quick else 10)
    if a.one:
        print(json.dumps(one(a)), flush=True)
        return
    reps = a.reps or (1 if a.quick else 2)
    roots = [("base", a.base), ("branch", str(HERE.parent))] if a.base else [("branch", str(HERE.parent))]
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, uptime: {os.popen('uptime').read().strip()}",
          file=sys.stderr)  # noqa: S605,S607 - the load, for the record  # fmt: skip
    for engine in a.engine.split(","):
        if engine == "postgresql" and not (os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")):
            print(f"| {engine} | no server (IKRAR_BENCH_PG_URL) | | | |")
            continue
        for rep in range(reps):
            for name, root in roots:
                cmd = [sys.executable, __file__, "--one", "--root", root, "--engine", engine,
                       "--receipts", str(a.receipts), "--exports", str(a.exports)]  # fmt: skip
                run = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if run.returncode != 0:
                    raise SystemExit(f"child failed: {cmd}\n{run.stderr[-3000:]}")
                o = json.loads(run.stdout.strip().splitlines()[-1])
                f, s = o["first"], o["second"]
                srv = ""
                if engine == "postgresql":
                    gone = f["server_gone"] + s["server_gone"]
                    srv = (f"; server CPU {s['server_cpu']:.2f} s vs {f['server_cpu']:.2f} s "
                           f"({s['server_cpu'] / max(f['server_cpu'], 1e-9):.3f}x); ikrar + server "
                           f"{(s['cpu'] + s['server_cpu']) / (f['cpu'] + f['server_cpu']):.3f}x"
                           f"{f'; backends gone: {gone}' if gone else ''}")  # fmt: skip
                print(f"| {engine} | {name} (rep {rep + 1}) | first: {f['added']:,} added, CPU {f['cpu']:.2f} s, "
                      f"wall {f['wall']:.1f} s | again: {s['known']:,} known, {s['added']} added, "
                      f"CPU {s['cpu']:.2f} s, "
                      f"wall {s['wall']:.2f} s | **{s['cpu'] / f['cpu']:.3f}x CPU**, {s['wall'] / f['wall']:.3f}x wall"
                      f"{srv} |", flush=True)  # fmt: skip
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, uptime: {os.popen('uptime').read().strip()}",
          file=sys.stderr)  # noqa: S605,S607  # fmt: skip


if __name__ == "__main__":
    main()
