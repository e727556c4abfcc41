"""Receipt signatures on helper processes (receipts/verify_pool.py): merge and report, serial vs helpers.

    python bench/verify_pool_cost.py [--quick] [--parts limits,merge,report,known] [--engine sqlite,postgresql]
                                     [--receipts M] [--exports T] [--report-officers N] [--known-receipts K]
                                     [--workers 0,1,2] [--reps R]

Every timed run is a fresh child process (``--one ...``), the settings alternating run by run
(A, B, C, A, B, C, ...), so that the load of a shared machine falls on all of them alike. Per run:
the wall seconds, this process's CPU seconds (``time.process_time``) and the helpers' CPU seconds
(``RUSAGE_CHILDREN`` after they were stopped).

* ``limits``: the **single-core raw limit**: the bare loop of the faster Ed25519 library installed
  (PyNaCl when present; bench/merge_cost.py ``bare_limit``: SHA-256 leaf + Merkle root + Ed25519
  verify, everything decoded beforehand), receipts per CPU second in one process; and the **2-core
  bare limit**: the same loop in two processes at once, receipts per wall second of the pair.
* ``merge``: ``ledger.export.Merger`` over the exports of bench/national_data.py (cached, as
  bench/merge_cost.py makes them) into a fresh centre, with 0 (serial) and N helpers: receipts per
  CPU second of the merging process, per CPU second of all processes, per wall second, and the
  ratio to the single-core raw limit.
* ``report``: ``reports.compliance.compute`` (what `report compliance` and `report verify` run) over
  tests/report_world.py's generated authority workspace, serial and with helpers.
* ``known``: issue 20's "merging a file whose records are all known costs ≤ 10% of a first merge":
  the same exports merged twice into a fresh centre (serial), first vs second, CPU and wall.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))
from merge_cost import DATA, _pg_database, bare_limit, central  # noqa: E402


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _pg_url() -> str | None:
    return os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")


def _data(receipts: int, exports: int) -> tuple[dict[str, Any], list[Path]]:
    import national_data as nd

    os.environ.setdefault("IKRAR_PASSPHRASE", nd.PASS.decode())
    data = nd.ensure(DATA, receipts // 2, receipts, exports, 10, workers=1)
    return data, sorted((Path(data["root"]) / "exports").glob("t*.jsonl"))


# ------------------------------------------------------------------------------ one run (a child)
def one_merge(a: argparse.Namespace) -> dict[str, Any]:
    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger.export import Merger
    from ikrar_cli.receipts import verify_pool
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    data, files = _data(a.receipts, a.exports)
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-vpool-"))
    drop = None
    try:
        database = None
        if a.engine == "postgresql":
            database, drop = _pg_database(_pg_url() or "")
        central(work / "c", database, data)
        ws = Workspace.open(work / "c")
        out: dict[str, Any] = {}
        try:
            for rnd in range(2 if a.twice else 1):
                verifier = verify_pool.pooled(Verifier(trusted_bundle(ws)), a.workers, chunk=a.chunk or None)
                ch0 = _children_cpu()
                t0, c0 = time.perf_counter(), time.process_time()
                try:
                    results = Merger(ws, verifier).merge_files(files)
                finally:
                    verify_pool.close(verifier)  # the helpers stopped (and waited for): their CPU is counted
                cpu, wall = time.process_time() - c0, time.perf_counter() - t0
                assert all(r.accepted for r in results), [r.error for r in results if not r.accepted][:1]
                out[f"r{rnd}"] = {"cpu": cpu, "wall": wall, "helpers_cpu": _children_cpu() - ch0,
                                  "added": sum(r.added for r in results),
                                  "known": sum(x.known for r in results for x in r.logs)}  # fmt: skip
        finally:
            ws.close()
        return out
    finally:
        if drop:
            drop()
        shutil.rmtree(work, ignore_errors=True)


def one_report(a: argparse.Namespace) -> dict[str, Any]:
    from ikrar_cli.receipts import verify_pool
    from ikrar_cli.reports import compliance
    from ikrar_cli.workspace import Workspace

    os.environ[verify_pool.ENV] = str(a.workers)
    if a.chunk:
        verify_pool.CHUNK = a.chunk
    ws = Workspace.open(Path(a.home))
    try:
        inputs = compliance.gather(ws, a.pledge, a.day)
        ch0 = _children_cpu()
        t0, c0 = time.perf_counter(), time.process_time()
        res = compliance.compute(ws, inputs)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        digest = compliance.document_digest(res.document) if hasattr(compliance, "document_digest") else ""
        return {"cpu": cpu, "wall": wall, "helpers_cpu": _children_cpu() - ch0, "digest": str(digest),
                "not_valid": res.document["receipts_not_valid"]}  # fmt: skip
    finally:
        ws.close()


def one_limit(a: argparse.Namespace) -> dict[str, Any]:
    """bare_limit's loop (merge_cost.py), timed in CPU and wall seconds from ``--start-at`` (so that
    two of them run their loops at the same time)."""
    import hashlib

    from ikrar_cli.keys import ed25519

    _data_, files = _data(a.receipts, a.exports)
    rate, lib = bare_limit(files, a.sample)  # the single-core figure, as merge_cost.py measures it
    items: list[tuple[Any, bytes, bytes, bytes]] = []
    for f in files:
        pub = None
        for line in f.open(encoding="utf-8"):
            obj = json.loads(line)
            if "public_key" in obj:
                import base64

                pub = ed25519.public_key(base64.b64decode(obj["public_key"]))
            elif "receipt" in obj and pub is not None:
                from ikrar_cli.receipts.receipt import decode_receipt

                r = decode_receipt(obj["receipt"])
                items.append((pub, r.signature, r.signed_bytes(), r.cose))
            if len(items) >= a.sample:
                break
        if len(items) >= a.sample:
            break
    while a.start_at and time.time() < a.start_at:  # a benchmark's start line, not a test's synchronisation
        time.sleep(0.01)
    sha = hashlib.sha256
    t0, c0 = time.perf_counter(), time.process_time()
    for pub, sig, msg, leaf in items:
        assert pub.verify(sig, msg)
        sha(b"\x00" + leaf).digest()
    return {"rate": rate, "lib": lib, "wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
            "n": len(items)}  # fmt: skip


# ------------------------------------------------------------------------------ the parent
def _walls(rs: list[dict[str, Any]]) -> str:
    return ", ".join(format(r["wall"], ".2f") for r in rs)


def child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--one", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"child failed: {args}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def limits(a: argparse.Namespace, row: Any) -> float:
    base = ["limit", "--receipts", str(a.receipts), "--exports", str(a.exports), "--sample", str(a.sample)]
    one = child(base)
    row(f"single-core raw limit: bare SHA-256 leaf + Ed25519 verify ({one['lib']}), one process",
        f"{one['rate']:,.0f} receipts/CPU s", f"{one['n']:,} receipts decoded beforehand", "–",
        "the reference")  # fmt: skip
    start = time.time() + 6 + a.sample / 4000  # both have decoded their receipts by then
    procs = [subprocess.Popen([sys.executable, __file__, "--one", *base, "--start-at", str(start)],
                              stdout=subprocess.PIPE, text=True) for _n in range(2)]  # fmt: skip
    outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    pair = sum(o["n"] for o in outs) / max(o["wall"] for o in outs)
    row("2-core bare limit: the same loop in two processes started together",
        f"{pair:,.0f} receipts/wall s (the pair; loops {_walls(outs)} s wall, "
        f"{', '.join(format(o['cpu'], '.2f') for o in outs)} s CPU)", "single-core above",
        f"{pair / one['rate']:.2f}x", "the most 2 cores could give")  # fmt: skip
    return float(one["rate"])


def merges(a: argparse.Namespace, row: Any, limit: float) -> None:
    for engine in a.engine.split(","):
        if engine == "postgresql" and not _pg_url():
            row(f"merge, {engine}", "no server", "–", "–", "–")
            continue
        runs: dict[int, list[dict[str, Any]]] = {w: [] for w in a.workers}
        for _rep in range(a.reps):
            for w in a.workers:
                r = child(["merge", "--engine", engine, "--workers", str(w), "--receipts", str(a.receipts),
                           "--exports", str(a.exports), "--chunk", str(a.chunk)])["r0"]  # fmt: skip
                runs[w].append(r)
        for w, rs in runs.items():
            n = rs[0]["added"]
            cpu = sorted(r["cpu"] for r in rs)[len(rs) // 2]
            allcpu = sorted(r["cpu"] + r["helpers_cpu"] for r in rs)[len(rs) // 2]
            wall = sorted(r["wall"] for r in rs)[len(rs) // 2]
            label = "serial (0 helpers)" if w == 0 else f"{w} helper{'s' * (w > 1)}"
            row(f"`ledger merge` {a.exports} exports, {n:,} receipts, {engine}, {label} (median of {len(rs)})",
                f"{n / cpu:,.0f}/CPU s of the merging process; {n / allcpu:,.0f}/CPU s of all; {n / wall:,.0f}/wall s "
                f"(wall {_walls(rs)} s)",
                f"single-core raw limit {limit:,.0f}/CPU s",
                f"{n / cpu / limit:.2f}x (all CPU {n / allcpu / limit:.2f}x)",
                "≥ 0.5x")  # fmt: skip


def reports(a: argparse.Namespace, row: Any, limit: float) -> None:
    import report_world

    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-vpool-report-"))
    try:
        os.environ.pop("IKRAR_DATABASE_URL", None)
        home = work / "ws"
        t0 = time.perf_counter()
        day = report_world.build(home, a.report_officers, a.report_officers)
        built = time.perf_counter() - t0
        runs: dict[int, list[dict[str, Any]]] = {w: [] for w in a.workers}
        for _rep in range(a.reps):
            for w in a.workers:
                runs[w].append(child(["report", "--home", str(home), "--day", day, "--pledge", report_world.PLEDGE,
                                      "--workers", str(w), "--chunk", str(a.chunk)]))  # fmt: skip
        digests = {r["digest"] for rs in runs.values() for r in rs}
        assert len(digests) == 1, digests  # every run the same document
        n = a.report_officers * 2 // 3
        for w, rs in runs.items():
            wall = sorted(r["wall"] for r in rs)[len(rs) // 2]
            cpu = sorted(r["cpu"] for r in rs)[len(rs) // 2]
            allcpu = sorted(r["cpu"] + r["helpers_cpu"] for r in rs)[len(rs) // 2]
            label = "serial (0 helpers)" if w == 0 else f"{w} helper{'s' * (w > 1)}"
            row(f"compliance compute, {a.report_officers:,} officers, {n:,} receipts, sqlite, {label} "
                f"(median of {len(rs)}; workspace built in {built:.0f} s)",
                f"wall {wall:.1f} s ({_walls(rs)}); CPU {cpu:.1f} s here + "
                f"{allcpu - cpu:.1f} s helpers", f"single-core raw limit {limit:,.0f}/CPU s",
                f"{n / cpu / limit:.2f}x per CPU s here", "same digest ✓")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def known(a: argparse.Namespace, row: Any) -> None:
    for engine in a.engine.split(","):
        if engine == "postgresql" and not _pg_url():
            row(f"known file, {engine}", "no server", "–", "–", "–")
            continue
        out = child(["merge", "--engine", engine, "--workers", "0", "--receipts", str(a.known_receipts),
                     "--exports", str(a.exports), "--twice"])  # fmt: skip
        first, second = out["r0"], out["r1"]
        row(f"merging {a.exports} exports of {first['added']:,} receipts again (all known), {engine}, serial",
            f"CPU {second['cpu']:.2f} s, wall {second['wall']:.2f} s "
            f"({second['known']:,} known, {second['added']} new)",
            f"first merge: CPU {first['cpu']:.1f} s, wall {first['wall']:.1f} s",
            f"{second['cpu'] / first['cpu']:.3f}x CPU, {second['wall'] / first['wall']:.3f}x wall",
            "≤ 0.10x")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--parts", default="limits,merge,report,known")
    ap.add_argument("--engine", default="sqlite,postgresql")
    ap.add_argument("--receipts", type=int, default=0)
    ap.add_argument("--exports", type=int, default=0)
    ap.add_argument("--report-officers", type=int, default=0)
    ap.add_argument("--known-receipts", type=int, default=0)
    ap.add_argument("--workers", default="0,1,2")
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--twice", action="store_true")
    ap.add_argument("--start-at", type=float, default=0.0)
    ap.add_argument("--chunk", type=int, default=0)
    ap.add_argument("--home", default="")
    ap.add_argument("--day", default="")
    ap.add_argument("--pledge", default="")
    a, rest = ap.parse_known_args()
    if a.one:
        a.workers = int(a.workers.split(",")[0])
        a.receipts, a.exports = a.receipts or 600, a.exports or 3
        a.sample = a.sample or 2000
        fn = {"merge": one_merge, "report": one_report, "limit": one_limit}[a.one]
        print(json.dumps(fn(a)), flush=True)
        return
    a.receipts = a.receipts or (600 if a.quick else 20_000)
    a.exports = a.exports or (3 if a.quick else 10)
    a.report_officers = a.report_officers or (1_500 if a.quick else 100_000)
    a.known_receipts = a.known_receipts or (600 if a.quick else 100_000)
    a.reps = a.reps or (1 if a.quick else 2)
    a.sample = a.sample or min(a.receipts, 20_000)
    a.chunk = a.chunk or (50 if a.quick else 0)  # --quick: several chunks even in its small files
    a.workers = [int(w) for w in a.workers.split(",")]

    def row(*cells: str) -> None:
        print("| " + " | ".join(cells) + " |", flush=True)

    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, cores {os.cpu_count()}, "
          f"uptime: {os.popen('uptime').read().strip()}", file=sys.stderr)  # noqa: S605,S607 - the load, for the record  # fmt: skip
    parts = a.parts.split(",")
    limit = limits(a, row) if "limits" in parts or "merge" in parts or "report" in parts else 0.0
    if "merge" in parts:
        merges(a, row, limit)
    if "report" in parts:
        reports(a, row, limit)
    if "known" in parts:
        known(a, row)
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, uptime: {os.popen('uptime').read().strip()}",
          file=sys.stderr)  # noqa: S605,S607  # fmt: skip


if __name__ == "__main__":
    main()
