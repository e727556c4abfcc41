"""PostgreSQL merge: the ikrar process's peak memory and the 8-process merge against SQLite (issue 17).

    python bench/pg_merge_mem.py setup --officers 200000 [--work DIR]   # base workspaces, both engines
    python bench/pg_merge_mem.py mem --engine postgresql --files 40     # one process merges N exports
    python bench/pg_merge_mem.py conc --rounds 3 --exports 10 --procs 8 # alternating engines, fresh copies

Data: the 5 M set's exports (5,000 receipts each, ``$IKRAR_BENCH_DATA`` or /work/data/pg) and the first
``--officers`` rows of its roster. ``setup`` makes one base workspace per engine (init, authority key, the
1,000 terminals certified, trust bundle exported, the roster imported and published); each measurement runs
on a fresh copy of it (``CREATE DATABASE ... TEMPLATE`` / a copy of the SQLite folder). Every ikrar command
is a child process whose peak RSS is read with ``wait4``. ``--quick`` uses 2,000 officers and 2 exports.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench_national as bn  # noqa: E402
import national_data as nd  # noqa: E402

DATA = Path(os.environ.get("IKRAR_BENCH_DATA", "/work/data/pg")) / "n4800000-u600-m5000000-t1000"
BASE_DB = "ikrar_pgmerge_base"
COUNT = (
    "import sys, pathlib\nfrom ikrar_cli.workspace import Workspace\n"
    "ws = Workspace.open(pathlib.Path(sys.argv[1]))\nwith ws.store.read() as c:\n"
    " print(c.execute('SELECT COUNT(*) FROM attestations').fetchone()[0])"
)
ENV = dict(os.environ, IKRAR_PASSPHRASE=nd.PASS.decode())
ENV.pop("IKRAR_DATABASE_URL", None)
ENV.pop("PYTHONPATH", None)


def cmd(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ikrar_cli", "--home", str(home), "--lang", "en", *args]


# A child's ru_maxrss (wait4) is at least its parent's peak RSS when it was started: Linux keeps the
# high-water mark of the memory the child replaced at exec. A harness that ran scrypt (the authority key:
# 128 MB) therefore "measures" 148-178 MB for any child, even /bin/true. So the ikrar process is started by
# this small wrapper, and its peak is the wrapper's RUSAGE_CHILDREN (bench_national.py does the same).
WRAP = (
    "import json, resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'status': p.returncode, 'peak_mb': ru.ru_maxrss / 1024, 'cpu_s': ru.ru_utime + ru.ru_stime,"
    " 'err': p.stderr.decode()[-400:] if p.returncode else ''}))"
)


def run(argv: list[str]) -> dict[str, Any]:
    """One child: wall, CPU, peak RSS (through WRAP), exit status."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", WRAP, *argv], env=ENV, cwd=ROOT, capture_output=True, text=True)
    return {"wall_s": time.perf_counter() - t0, **json.loads(out.stdout)}


def server() -> str:
    url = bn._server()
    if not url:
        sys.exit("set IKRAR_BENCH_PG_URL or IKRAR_TEST_PG_URL")
    return url


def terminals() -> list[dict[str, Any]]:
    return json.loads((DATA / "terminals.json").read_text())


def exports(n: int, skip: int = 0) -> list[str]:
    return [str(DATA / "exports" / t["file"]) for t in terminals()[skip : skip + n]]


def setup(work: Path, officers: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    roster = work / f"roster-{officers}.csv"
    with open(DATA / "roster.csv", encoding="utf-8") as src, open(roster, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i > officers:
                break
            dst.write(line)
    admin = bn._admin(server())
    admin.execute(f"DROP DATABASE IF EXISTS {BASE_DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {BASE_DB} TEMPLATE template0 ENCODING 'UTF8'")
    admin.close()
    for engine in ("sqlite", "postgresql"):
        home = work / f"base-{engine}"
        shutil.rmtree(home, ignore_errors=True)
        db = ["--database", bn._database_url(server(), BASE_DB)] if engine == "postgresql" else []
        for args in (["init", "--institution", "BKN", "--code", nd.CODE, "--timezone", "WIB", *db],
                     ["key", "init-authority"]):  # fmt: skip
            subprocess.run(cmd(home, *args), env=ENV, cwd=ROOT, check=True, capture_output=True)
        bn.certify_all(home, terminals())
        for args in (["trust", "export"], ["roster", "import", str(roster)],
                     ["roster", "publish", "--as-of", nd.SNAPSHOT_DAY.isoformat()]):  # fmt: skip
            r = run(cmd(home, *args))
            print(engine, args[:2], json.dumps(r), flush=True)
            if r["status"]:
                sys.exit(1)


def fresh(work: Path, engine: str, name: str) -> Path:
    """A fresh copy of the base workspace of ``engine``; returns its home."""
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(work / f"base-{engine}", home)
    if engine == "postgresql":
        admin = bn._admin(server())
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {BASE_DB}")
        admin.close()
        cfg = home / "ikrar.yaml"
        cfg.write_text(cfg.read_text().replace(f"/{BASE_DB}", f"/{name}"))
    return home


def drop(work: Path, engine: str, name: str) -> None:
    shutil.rmtree(work / name, ignore_errors=True)
    if engine == "postgresql":
        admin = bn._admin(server())
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def mem(work: Path, engine: str, files: int, skip: int) -> dict[str, Any]:
    home = fresh(work, engine, f"ikrar_pgmerge_mem_{engine[:2]}")
    try:
        r = run(cmd(home, "ledger", "merge", "--json", *exports(files, skip)))
    finally:
        drop(work, engine, f"ikrar_pgmerge_mem_{engine[:2]}")
    return r


def server_cpu() -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster's reaped children (backends that ended)
    and its live ones (other clients of the server are counted too: the machine is shared)."""
    admin = bn._admin(server())
    backend = admin.execute("SELECT pg_backend_pid()").fetchone()[0]
    admin.close()
    tick = os.sysconf("SC_CLK_TCK")
    stat = Path(f"/proc/{backend}/stat").read_text()
    post = int(stat.rsplit(")", 1)[1].split()[1])
    fields = Path(f"/proc/{post}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(f[1]) == post:
            total += (int(f[11]) + int(f[12])) / tick
    return total


def conc(work: Path, engine: str, n_exports: int, procs: int, skip: int) -> dict[str, Any]:
    """``procs`` merges at once of ``n_exports`` exports (process i takes i, i+procs, ...)."""
    name = f"ikrar_pgmerge_conc_{engine[:2]}"
    home = fresh(work, engine, name)
    files = exports(n_exports, skip)
    try:
        cpu0 = server_cpu() if engine == "postgresql" else 0.0
        t0 = time.perf_counter()
        load0 = os.getloadavg()[0]
        trace = work / f"trace-{engine}.jsonl"
        trace.unlink(missing_ok=True)
        env = dict(ENV, IKRAR_LOCK_TRACE=str(trace))
        ps = [subprocess.Popen(cmd(home, "ledger", "merge", "--json", *files[i::procs]), env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for i in range(procs) if files[i::procs]]  # fmt: skip
        kids = []
        pending = {p.pid for p in ps}
        while pending:
            pid, status, ru = os.wait4(-1, 0)
            if pid not in pending:
                continue
            pending.discard(pid)
            kids.append({"wall_s": time.perf_counter() - t0, "status": status, "peak_mb": ru.ru_maxrss / 1024,
                         "cpu_s": ru.ru_utime + ru.ru_stime})  # fmt: skip
        wall = time.perf_counter() - t0
        server_s = server_cpu() - cpu0 if engine == "postgresql" else 0.0
        count = subprocess.run(
            [sys.executable, "-c", COUNT, str(home)],
            env=ENV, cwd=ROOT, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    finally:
        drop(work, engine, name)
    locks = [json.loads(line) for line in trace.read_text().splitlines()] if trace.is_file() else []
    held = sum(r["held"] for r in locks)
    return {"engine": engine, "wall_s": wall, "lock_held_s": held,
            "lock_wait_max_s": max((r["wait"] for r in locks), default=0),
            "kid_walls": sorted(round(k["wall_s"], 1) for k in kids), "load": [load0, os.getloadavg()[0]],
            "attestations": count,
            "failed": sum(1 for k in kids if k["status"]), "peak_mb": max(k["peak_mb"] for k in kids),
            "cpu_s": sum(k["cpu_s"] for k in kids), "server_cpu_s": server_s}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["setup", "mem", "conc"])
    ap.add_argument("--work", type=Path, default=Path("/work/data/pgmerge"))
    ap.add_argument("--officers", type=int, default=200_000)
    ap.add_argument("--engine", default="postgresql")
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--skip", type=int, default=0, help="start at this export")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--exports", type=int, default=10)
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.officers, a.files, a.exports, a.rounds, a.procs = 2_000, 2, 2, 1, 2
    if a.what == "setup":
        setup(a.work, a.officers)
    elif a.what == "mem":
        for engine in a.engine.split(","):
            print(engine, a.files, "files", json.dumps(mem(a.work, engine, a.files, a.skip)), flush=True)
    else:
        for rnd in range(a.rounds):
            order = ("sqlite", "postgresql") if rnd % 2 == 0 else ("postgresql", "sqlite")
            for engine in order:
                print(rnd, json.dumps(conc(a.work, engine, a.exports, a.procs, a.skip)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
