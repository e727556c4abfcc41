"""National scale (issue 17): SQLite and PostgreSQL side by side, in the same run, through the CLI.

    python bench/bench_national.py --quick                 # 2,000 officers, seconds (CI proves it works)
    python bench/bench_national.py --scale 100k            # 100,000 officers, 100,000 receipts
    python bench/bench_national.py --scale 1m
    python bench/bench_national.py                         # 4.8 M officers in 600 institutions, 5 M receipts
    python bench/bench_national.py --officers N --receipts M --exports T --units U --concurrency C

For each engine: a fresh central workspace (``ikrar init [--database URL]``, ``key init-authority``,
the terminals' certificates stored in-process — set-up, not measured), then, each command a child
process whose time and peak RSS (``os.wait4``) are measured:

1. ``roster import`` of N officers in U institutions (units of the national workspace);
2. ``roster publish`` of the snapshot;
3. ``ledger merge`` of the first half of the T exports by one process;
4. ``ledger merge`` of the other half by C processes at once (each a share of the files);
5. ``report compliance --json`` over everyone, and ``--unit`` for one institution;
6. ``report verify`` of the national report.

Then the database size (``pg_database_size`` / the SQLite file and its WAL) and the row counts.

The engines take turns step by step (SQLite's import, PostgreSQL's import, PostgreSQL's publish,
SQLite's publish, ...: the first engine alternates), so both meet the same machine load and never
run at the same time. Each step also records the CPU seconds of its ikrar processes (not the
PostgreSQL server's).

Robust for long runs: each step has a time limit (``--step-timeout`` minutes) and a memory limit
(``--max-rss-mb``, the ikrar process's VmHWM polled twice a second); a step past either is killed
and recorded as "did not finish in N min" / "stopped: memory > X MB" and the run goes on. Every
finished step is saved in ``state.json`` in the run folder (``--work``, default
``/work/data/national/run-<sizes>``, kept until the run completes), so a run that was interrupted
resumes at the first step it had not finished (a step cut short is run again and flagged
"resumed"); ``--fresh`` starts over. The PostgreSQL database of a run is named after its sizes so
that it survives until the run completes. The data (roster CSV,
signed exports) is generated once by ``national_data.py`` and cached under ``--data`` (default
``$IKRAR_BENCH_DATA`` or /work/data/pg; ``--quick`` uses a temporary folder). The PostgreSQL server is
``$IKRAR_BENCH_PG_URL`` (else ``$IKRAR_TEST_PG_URL``); a fresh database is created and dropped.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import national_data as nd  # noqa: E402
from lockprobe import LockProbe  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# A small wrapper whose only child is the ikrar process. Its RUSAGE_CHILDREN is that process's peak
# RSS (a child forked from this big bench process would inherit the bench's high-water mark); it
# polls the child's VmHWM to stop it past the memory limit or the time limit (with its process
# group: the child runs in a session of its own), and writes what happened as JSON.
WRAP = r"""
import json, os, resource, signal, subprocess, sys, time
out, limit_kb, timeout_s = sys.argv[1], float(sys.argv[2]) * 1024, float(sys.argv[3])
p = subprocess.Popen(sys.argv[4:], start_new_session=True)
t0, hwm, stopped = time.monotonic(), 0, None
while True:
    try:
        p.wait(timeout=0.5)
        break
    except subprocess.TimeoutExpired:
        pass
    try:
        with open(f"/proc/{p.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    hwm = max(hwm, int(line.split()[1]))
    except OSError:
        pass
    if limit_kb > 0 and hwm > limit_kb:
        stopped = "memory"
    elif timeout_s > 0 and time.monotonic() - t0 > timeout_s:
        stopped = "timeout"
    if stopped:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        break
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
peak = max(hwm, ru.ru_maxrss)
with open(out, "w") as fh:
    json.dump({"rc": p.returncode, "peak_kb": peak, "stopped": stopped, "cpu_s": ru.ru_utime + ru.ru_stime}, fh)
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
"""
DURING_AFTER = 30.0  # seconds into a merge step when a small roster import is started beside it
SCALES = {  # officers, receipts, exports, units, concurrency
    "quick": (2_000, 1_600, 8, 20, 4),
    "100k": (100_000, 100_000, 20, 600, 8),
    "1m": (1_000_000, 1_000_000, 1_000, 600, 8),
    "full": (4_800_000, 5_000_000, 1_000, 600, 8),
}


def _server() -> str | None:
    return os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")


class Central:
    """One central workspace on one engine, driven through the CLI; its finished steps in ``state``."""

    def __init__(self, engine: str, home: Path, url: str | None, state: Path, limits: tuple[float, float]):
        self.engine, self.home, self.url, self.state = engine, home, url, state
        self.timeout_min, self.max_rss_mb = limits
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), IKRAR_PASSPHRASE=nd.PASS.decode())
        self.env.pop("IKRAR_DATABASE_URL", None)
        saved = json.loads(state.read_text()) if state.is_file() else {}
        self.results: dict[str, dict[str, Any]] = saved.get("results", {})
        self.started: str | None = saved.get("started")

    def _save(self) -> None:
        tmp = self.state.with_suffix(".part")
        tmp.write_text(json.dumps({"results": self.results, "started": self.started}, indent=1))
        tmp.replace(self.state)

    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ikrar_cli", "--home", str(self.home), "--lang", "en", *args]

    def run(self, label: str, groups: list[list[str]], rows: int, stdout: Path | None = None, *,
            probe: bool = False, during: list[str] | None = None) -> None:  # fmt: skip
        """Run the commands at once; record wall time, rows/s and the largest child's peak RSS. With
        ``probe``, the longest wait for the write lock while they ran (``lockprobe.py``); with
        ``during``, that command is started ``DURING_AFTER`` seconds in (if they still run) and its
        exit code and time are recorded: what an office's command meets while the step runs."""
        if label in self.results:
            print(f"  [{self.engine}] {label}: done in an earlier run, {describe(self.results[label])}",
                  file=sys.stderr, flush=True)  # fmt: skip
            return
        resumed = self.started == label
        self.started = label
        self._save()
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        lock = LockProbe(self.url or self.home / "ikrar.db") if probe else None
        if lock is not None:
            lock.__enter__()
        procs = []
        for args in groups:
            out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115 - closed below
            err = tempfile.TemporaryFile()
            rss = self.state.parent / f"rss-{uuid.uuid4().hex}"
            limits = [str(self.max_rss_mb), str(self.timeout_min * 60)]
            p = subprocess.Popen([sys.executable, "-c", WRAP, str(rss), *limits, *self.cmd(*args)], stdout=out,
                                 stderr=err, env=self.env, cwd=ROOT)  # fmt: skip
            procs.append((p, out, err, rss))
        beside: dict[str, Any] = {}
        side = None
        if during:
            side = threading.Thread(target=self._beside, args=(during, [p for p, *_ in procs], beside))
            side.start()
        peak, cpu, failed, stopped = 0, 0.0, [], set()
        for p, out, err, rss in procs:
            p.wait()
            info: dict[str, Any] = json.loads(rss.read_text()) if rss.is_file() else {"peak_kb": 0, "stopped": None}
            rss.unlink(missing_ok=True)
            peak = max(peak, int(info["peak_kb"]))
            cpu += float(info.get("cpu_s", 0.0))
            if out is not subprocess.DEVNULL:
                out.close()  # type: ignore[union-attr]
            err.seek(0)
            if info["stopped"]:
                stopped.add(info["stopped"])
            elif p.returncode != 0:
                failed.append(f"exit {p.returncode}: {err.read().decode(errors='replace')[-1500:]}")
            err.close()
        secs = time.perf_counter() - t0
        if side is not None:
            side.join()
        if lock is not None:
            lock.__exit__(None, None, None)
        r: dict[str, Any] = {"seconds": secs, "rows": rows, "peak_mb": peak / 1024, "failed": failed, "cpu_s": cpu,
                             "processes": len(groups), "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
                             "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip
        if "memory" in stopped:
            r["stopped"] = f"stopped: memory > {self.max_rss_mb:.0f} MB"
        elif "timeout" in stopped:
            r["stopped"] = f"did not finish in {self.timeout_min:.0f} min"
        if resumed:
            r["resumed"] = True
        if lock is not None:
            r["lock_wait_s"] = round(lock.longest, 2)
        if beside:
            r["beside"] = beside
        self.results[label] = r
        self.started = None
        self._save()
        print(f"  [{self.engine}] {label}: {describe(r)}", file=sys.stderr, flush=True)

    def _beside(self, args: list[str], procs: list[subprocess.Popen[bytes]], out: dict[str, Any]) -> None:
        """Start ``args`` DURING_AFTER seconds into a step, if the step still runs; record the outcome."""
        deadline = time.monotonic() + DURING_AFTER
        while time.monotonic() < deadline:
            if all(p.poll() is not None for p in procs):
                out["skipped"] = f"the step ended within {DURING_AFTER} s"
                return
            time.sleep(0.5)
        t0 = time.perf_counter()
        done = subprocess.run(self.cmd(*args), env=self.env, cwd=ROOT, capture_output=True)
        out.update(command=" ".join(args[:2]), rc=done.returncode, seconds=round(time.perf_counter() - t0, 1),
                   step_running=any(p.poll() is None for p in procs),
                   stderr=done.stderr.decode(errors="replace")[-300:] if done.returncode else "")  # fmt: skip

    def ok(self, label: str) -> bool:
        r = self.results.get(label)
        return r is not None and not r["failed"] and not r.get("stopped") and not r.get("skipped")

    def skip(self, label: str, rows: int, why: str) -> None:
        """A step that cannot run because an earlier one did not finish: a result row that says so."""
        if label not in self.results:
            self.results[label] = {"seconds": 0.0, "rows": rows, "peak_mb": 0.0, "failed": [], "skipped": why}
            self._save()
            print(f"  [{self.engine}] {label}: not run ({why})", file=sys.stderr, flush=True)

    def count(self, label: str) -> None:
        """After a merge step: the attestations in the database (what a step cut short got done)."""
        r = self.results.get(label)
        if r is not None and "attestations_after" not in r:
            r["attestations_after"] = self.counts(("attestations",))["attestations"]
            self._save()

    def counts(self, tables: tuple[str, ...]) -> dict[str, int]:
        if self.url is None:
            import sqlite3

            conn = sqlite3.connect(self.home / "ikrar.db", timeout=600)
            try:
                return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url) as pg:
            return {t: pg.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]

    def measure_size(self) -> None:
        """The database size and what is in it (read directly: not a timed step)."""
        tables = ("officers", "attestations", "ledger_entries")
        counts = self.counts(tables)
        tables_mb: dict[str, float] = {}  # PostgreSQL only: the largest tables, indexes included
        if self.url is None:
            mb = sum(f.stat().st_size for f in self.home.glob("ikrar.db*")) / 2**20
        else:
            import psycopg

            with psycopg.connect(self.url) as pg:
                row = pg.execute("SELECT pg_database_size(current_database())").fetchone()
                mb = int(str(row[0])) / 2**20 if row else 0.0
                tables_mb = {
                    name: int(size) / 2**20
                    for name, size in pg.execute(
                        "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
                        "AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 8"
                    )
                }
        self.results["size"] = {"mb": mb, "counts": counts, "tables_mb": tables_mb}
        self._save()


def describe(r: dict[str, Any]) -> str:
    if r.get("skipped"):
        return f"not run: {r['skipped']}"
    if r.get("stopped"):
        return f"{r['stopped']} ({r['peak_mb']:.0f} MB)"
    if r["failed"]:
        return "FAILED " + r["failed"][0]
    extra = f", longest write-lock wait {r['lock_wait_s']:.1f} s" if "lock_wait_s" in r else ""
    if "beside" in r:
        b = r["beside"]
        extra += f", {b['command']} beside it: exit {b['rc']} in {b['seconds']:.1f} s" if "rc" in b else ""
    cpu = f", CPU {r['cpu_s']:.1f} s" if "cpu_s" in r else ""
    return f"{r['seconds']:.1f} s{cpu}, {r['rows'] / r['seconds']:,.0f} rows/s, peak {r['peak_mb']:.0f} MB{extra}"


def certify_all(home: Path, terminals: list[dict[str, Any]]) -> None:
    """Store a certificate for every generated terminal, signed by this centre's authority key."""
    from ikrar_cli.keys.keyfiles import TerminalCertificate, key_id, load_authority_signer
    from ikrar_cli.store.core import now
    from ikrar_cli.workspace import Workspace

    ws = Workspace.open(home)
    key, info = load_authority_signer(ws, nd.PASS)
    rows = []
    for t in terminals:
        pub = base64.b64decode(t["public_key"])
        unsigned = TerminalCertificate(key_id(pub), pub, t["name"], None, 0, 2**40, info.kid, b"")
        cert = TerminalCertificate(**{**unsigned.__dict__, "signature": key.sign(unsigned.signed_bytes())})
        rows.append((cert.kid, json.dumps(cert.to_dict()), now()))
    with ws.store.transaction() as conn:
        conn.executemany("INSERT INTO certificates (kid, body, created_at) VALUES (?, ?, ?)", rows)
    ws.close()


def bench_engine(c: Central, data: dict[str, Any], work: Path, concurrency: int) -> Iterator[str]:
    """The steps on one engine; yields after each one, so that ``main`` can interleave the engines."""
    root = Path(data["root"])
    terminals = json.loads((root / "terminals.json").read_text())
    if not (c.state.parent / f"{c.engine}.ready").is_file():  # set-up, not measured
        shutil.rmtree(c.home, ignore_errors=True)  # a set-up cut short
        db = ["--database", c.url] if c.url else []
        for args in (["init", "--institution", "BKN", "--code", nd.CODE, "--timezone", "WIB", *db],
                     ["key", "init-authority"]):  # fmt: skip
            subprocess.run(c.cmd(*args), env=c.env, cwd=ROOT, check=True, capture_output=True)
        certify_all(c.home, terminals)
        subprocess.run(c.cmd("trust", "export"), env=c.env, cwd=ROOT, check=True, capture_output=True)
        (c.state.parent / f"{c.engine}.ready").touch()
    n, m = data["officers"], data["receipts"]
    c.run("roster import", [["roster", "import", str(root / "roster.csv")]], n)
    yield "roster import"
    if c.ok("roster import"):
        c.run("roster publish", [["roster", "publish", "--as-of", nd.SNAPSHOT_DAY.isoformat()]], n)
    else:
        c.skip("roster publish", n, "the roster import did not finish")
    yield "roster publish"
    files = [str(root / "exports" / t["file"]) for t in terminals]
    half = len(files) // 2
    first, rest = files[:half], files[half:]
    label = f"ledger merge, 1 process, {len(first)} exports"
    small = work / "roster-1000.csv"  # the first 1,000 officers, unchanged: an office's import during the merge
    if not small.is_file():
        with open(root / "roster.csv", encoding="utf-8") as src:
            small.write_text("".join(itertools.islice(src, 1001)), encoding="utf-8")
    c.run(
        label,
        [["ledger", "merge", *first]],
        sum(t["receipts"] for t in terminals[:half]),
        probe=True,
        during=["roster", "import", str(small)],
    )
    c.count(label)
    yield label
    shares = [rest[i::concurrency] for i in range(concurrency) if rest[i::concurrency]]
    label = f"ledger merge, {len(shares)} processes at once, {len(rest)} exports"
    c.run(
        label,
        [["ledger", "merge", *share] for share in shares],
        sum(t["receipts"] for t in terminals[half:]),
        probe=True,
    )
    c.count(label)
    yield label
    report = work / f"{c.engine}-report.json"
    day = nd.REPORT_DAY.isoformat()
    label = "report compliance --json (all institutions)"
    if label in c.results and not report.is_file():  # the report file went with an earlier run folder
        del c.results[label]
    unit_label, per_unit = "report compliance --unit (one institution)", n // data["units"]
    if not c.ok("roster publish"):
        for k, rows in ((label, n), (unit_label, per_unit), ("report verify", m)):
            c.skip(k, rows, "no roster snapshot: the roster publish did not finish")
        c.measure_size()
        return
    c.run(label, [["report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--json"]], n, stdout=report)
    yield label
    c.run(unit_label,
          [["report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--unit", nd.unit_name(0), "--json"]],
          per_unit)  # fmt: skip
    yield unit_label
    if c.ok(label):
        c.run("report verify", [["report", "verify", str(report)]], m)
    else:
        c.skip("report verify", m, "the national report did not finish")
    c.measure_size()


def _database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def run_engine(engine: str, data: dict[str, Any], work: Path, conc: int, limits: tuple[float, float],
               keep: bool) -> Iterator[Central]:  # fmt: skip
    """Set up and run one engine's steps, yielding its ``Central`` after each step (none: no server)."""
    state = work / f"{engine}-state.json"
    if engine == "sqlite":
        c = Central(engine, work / engine, None, state, limits)
        if "size" not in c.results:
            for _ in bench_engine(c, data, work, conc):
                yield c
        if not keep:
            shutil.rmtree(c.home, ignore_errors=True)
        yield c
        return
    server = _server()
    if not server:
        print("  [postgresql] no server: set IKRAR_BENCH_PG_URL", file=sys.stderr)
        return
    name = "ikrar_national_" + hashlib.sha256(str(work).encode()).hexdigest()[:10]
    admin = _admin(server)
    try:
        fresh = not (work / f"{engine}.ready").is_file()
        if fresh:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
        c = Central(engine, work / engine, _database_url(server, name), state, limits)
        if "size" not in c.results:
            for _ in bench_engine(c, data, work, conc):
                yield c
        if not keep:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            shutil.rmtree(c.home, ignore_errors=True)
        yield c
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes in a temporary folder (CI)")
    ap.add_argument("--scale", choices=sorted(SCALES), default=None)
    ap.add_argument("--officers", type=int)
    ap.add_argument("--receipts", type=int)
    ap.add_argument("--exports", type=int)
    ap.add_argument("--units", type=int)
    ap.add_argument("--concurrency", type=int)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--work", type=Path, default=None, help="run folder (state.json, workspaces); kept to resume")
    ap.add_argument("--fresh", action="store_true", help="forget the steps an earlier run of these sizes finished")
    ap.add_argument("--keep", action="store_true", help="keep the workspaces and the PostgreSQL database")
    ap.add_argument("--step-timeout", type=float, default=60.0, help="minutes a step may take (0: no limit)")
    ap.add_argument("--max-rss-mb", type=float, default=3000.0, help="stop a process past this peak RSS (0: none)")
    ap.add_argument("--workers", type=int, default=2, help="processes that generate the signed exports")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)
    scale = "quick" if a.quick else (a.scale or "full")
    n, m, t, u, conc = SCALES[scale]
    n, m, t, u = a.officers or n, a.receipts or m, a.exports or t, a.units or u
    conc = a.concurrency or conc
    tmp = Path(tempfile.mkdtemp(prefix="ikrar-national-"))
    data_dir = a.data or (tmp / "data" if a.quick else Path(os.environ.get("IKRAR_BENCH_DATA", "/work/data/pg")))
    t0 = time.perf_counter()
    data = nd.ensure(data_dir, n, m, t, u, workers=a.workers)
    print(f"data: {data['root']} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    key = Path(data["root"]).name + f"-c{conc}"
    work = a.work or (tmp / "run" if a.quick else Path("/work/data/national") / f"run-{key}")
    if a.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    limits = (a.step_timeout, a.max_rss_mb)
    results: dict[str, Central] = {}
    try:
        # The engines take turns, one step each, the first engine alternating from step to step
        # (A B, B A, A B, ...): both meet the same machine load, and never run at the same time.
        runs = {engine: run_engine(engine, data, work, conc, limits, a.keep) for engine in a.engines.split(",")}
        turn = 0
        while runs:
            order = list(runs) if turn % 2 == 0 else list(reversed(runs))
            for engine in order:
                c = next(runs[engine], None)
                if c is None:
                    del runs[engine]
                else:
                    results[engine] = c
            turn += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(results, data, conc)
    if a.json:
        a.json.write_text(json.dumps({"data": data, "results": {k: v.results for k, v in results.items()}}, indent=1))
    return 1 if any(r["failed"] for c in results.values() for k, r in c.results.items() if k != "size") else 0


def print_table(results: dict[str, Central], data: dict[str, Any], conc: int) -> None:
    print(f"\n{data['officers']:,} officers in {data['units']} institutions, {data['receipts']:,} receipts from "
          f"{data['exports']:,} exports, {conc} concurrent mergers\n")  # fmt: skip
    print("| step | SQLite | PostgreSQL | PG/SQLite time |")
    print("|---|---|---|---|")
    s, p = results.get("sqlite"), results.get("postgresql")
    labels = [k for k in (s or p).results if k != "size"] if (s or p) else []  # type: ignore[union-attr]

    def ok(c: Central | None, k: str) -> bool:
        return c is not None and c.ok(k)

    def cell(c: Central | None, k: str) -> str:
        if c is None or k not in c.results:
            return "–"
        r = c.results[k]
        if r.get("skipped"):
            return f"not run: {r['skipped']}"
        if r.get("stopped"):
            return f"{r['stopped']} (peak {r['peak_mb']:.0f} MB)"
        if r["failed"]:
            return "failed"
        text = f"{r['seconds']:.1f} s · {r['rows'] / r['seconds']:,.0f} rows/s · {r['peak_mb']:.0f} MB"
        if "cpu_s" in r:
            text += f" · ikrar CPU {r['cpu_s']:.1f} s"
        if "lock_wait_s" in r:
            text += f" · longest write-lock wait {r['lock_wait_s']:.1f} s"
        b = r.get("beside") or {}
        if "rc" in b:
            text += f" · {b['command']} of 1,000 rows beside it: exit {b['rc']} in {b['seconds']:.1f} s"
        return text

    for k in labels:
        ratio = "–"
        if s and p and ok(s, k) and ok(p, k):
            ratio = f"{p.results[k]['seconds'] / s.results[k]['seconds']:.2f}x"
        print(f"| {k} | {cell(s, k)} | {cell(p, k)} | {ratio} |")
    sizes = [f"{c.results['size']['mb']:,.0f} MB" if c and "size" in c.results else "–" for c in (s, p)]
    print(f"| database size | {sizes[0]} | {sizes[1]} | |")
    counts = [c.results["size"].get("counts") if c and "size" in c.results else None for c in (s, p)]
    if any(counts):
        cells = [" / ".join(f"{v:,}" for v in x.values()) if x else "–" for x in counts]
        print(f"| rows in it (officers / attestations / ledger entries) | {cells[0]} | {cells[1]} | |")


if __name__ == "__main__":
    raise SystemExit(main())
