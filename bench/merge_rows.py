"""The national run's two merge rows alone, engines in turns, one or more code trees (issue 17).

    python bench/merge_rows.py --rounds 3                               # this tree, both engines
    python bench/merge_rows.py --rounds 3 --trees .,/tmp/base           # A/B against another tree

The national bench (``bench_national.py``) measures each merge row once per run, after an import
and a publish of 4.8 M officers. This bench builds that state once per engine (``ikrar init``, the
authority key, every terminal certified, ``roster import`` and ``roster publish`` of the national
roster: set-up, not measured) and keeps a copy: the SQLite file, and a PostgreSQL template database
(``CREATE DATABASE … TEMPLATE``). Each measurement starts from a fresh copy (PostgreSQL: then one
``count(*)`` of the officers, as the publish before it would have read them), and runs, as the
national bench does, through the CLI:

1. ``ledger merge`` of the first 10 exports by one process;
2. ``ledger merge`` of the next 10 by 8 processes at once (each a share of the files).

``--one N`` and ``--eight M`` change the numbers of exports (``--one 500 --eight 0`` with the
national run's data of 1,000 exports: its one-process row at full scale, alone). A ``--work``
folder keeps the state it was built with: use one per data set.

Printed per run: wall seconds, CPU seconds of the ikrar processes (``wait4``), CPU seconds of the
PostgreSQL server's processes over the same time (``/proc``: the postmaster's reaped children and
the live backends), and at the end the PostgreSQL/SQLite ratio of the median wall times per tree.
Every child runs with its tree as working directory and ``PYTHONPATH`` (``python -m`` puts the
working directory first on the path). The data is the national bench's (``--data``).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_national as bn  # noqa: E402
import national_data as nd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("IKRAR_BENCH_DATA", "/work/data/pg")) / "n4800000-u600-m100000-t20"


def server_cpu() -> float:
    """CPU seconds of the PostgreSQL server so far: its live processes, plus the postmaster's reaped
    children (backends that have exited)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, list[str]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(stat[:-4] + "comm") as fh:
                if fh.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        procs[int(stat.split("/")[2])] = fields
    total = 0.0
    for fields in procs.values():
        total += (int(fields[11]) + int(fields[12])) / tick
        if int(fields[1]) not in procs:  # the postmaster (its parent is not a server process)
            total += (int(fields[13]) + int(fields[14])) / tick
    return total


class Rig:
    def __init__(self, data: Path, work: Path, server: str | None):
        self.data, self.work, self.server = data, work, server
        self.terminals = json.loads((data / "terminals.json").read_text())

    def home(self, engine: str) -> Path:
        return self.work / engine

    def url(self, name: str) -> str:
        assert self.server
        return bn._database_url(self.server, name)

    def cmd(self, engine: str, *args: str) -> list[str]:
        return [sys.executable, "-m", "ikrar_cli", "--home", str(self.home(engine)), "--lang", "en", *args]

    def env(self, tree: Path) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=str(tree), IKRAR_PASSPHRASE=nd.PASS.decode())
        env.pop("IKRAR_DATABASE_URL", None)
        return env

    def setup(self, engine: str) -> None:
        ready = self.work / f"{engine}.ready"
        if ready.is_file():
            return
        home = self.home(engine)
        shutil.rmtree(home, ignore_errors=True)
        db: list[str] = []
        if engine == "postgresql":
            with bn._admin(self.server) as admin:
                admin.execute("DROP DATABASE IF EXISTS ikrar_merge_rows WITH (FORCE)")
                admin.execute("DROP DATABASE IF EXISTS ikrar_merge_rows_template WITH (FORCE)")
                admin.execute("CREATE DATABASE ikrar_merge_rows TEMPLATE template0 ENCODING 'UTF8'")
            db = ["--database", self.url("ikrar_merge_rows")]
        env = self.env(ROOT)
        steps = (["init", "--institution", "BKN", "--code", nd.CODE, "--timezone", "WIB", *db],
                 ["key", "init-authority"])  # fmt: skip
        for args in steps:
            subprocess.run(self.cmd(engine, *args), env=env, cwd=ROOT, check=True, capture_output=True)
        bn.certify_all(home, self.terminals)
        subprocess.run(self.cmd(engine, "trust", "export"), env=env, cwd=ROOT, check=True, capture_output=True)
        for args in (["roster", "import", str(self.data / "roster.csv")],
                     ["roster", "publish", "--as-of", nd.SNAPSHOT_DAY.isoformat()]):  # fmt: skip
            t0 = time.perf_counter()
            subprocess.run(self.cmd(engine, *args), env=env, cwd=ROOT, check=True, capture_output=True)
            print(f"  set-up [{engine}] {' '.join(args[:2])}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if engine == "postgresql":
            with bn._admin(self.server) as admin:
                admin.execute("CREATE DATABASE ikrar_merge_rows_template TEMPLATE ikrar_merge_rows")
        else:
            conn = sqlite3.connect(home / "ikrar.db")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            shutil.copy(home / "ikrar.db", self.work / "sqlite-template.db")
        ready.touch()

    def restore(self, engine: str) -> None:
        if engine == "postgresql":
            with bn._admin(self.server) as admin:
                admin.execute("DROP DATABASE IF EXISTS ikrar_merge_rows WITH (FORCE)")
                admin.execute("CREATE DATABASE ikrar_merge_rows TEMPLATE ikrar_merge_rows_template")
            import psycopg

            with psycopg.connect(self.url("ikrar_merge_rows")) as conn:
                conn.execute("SELECT count(*) FROM officers").fetchone()
            return
        for old in self.home(engine).glob("ikrar.db*"):
            old.unlink()
        db = self.home(engine) / "ikrar.db"
        shutil.copy(self.work / "sqlite-template.db", db)
        # on disk before the merge starts: else the merge's first fsync (synchronous = FULL) waits for
        # the gigabytes of the copy (CREATE DATABASE writes and syncs PostgreSQL's copy itself)
        fd = os.open(db, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def merge(self, engine: str, tree: Path, shares: list[list[str]]) -> dict[str, Any]:
        cpu0, t0 = server_cpu(), time.perf_counter()
        procs = [subprocess.Popen(self.cmd(engine, "ledger", "merge", *files), env=self.env(tree), cwd=tree,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for files in shares]  # fmt: skip
        cpu, failed = 0.0, []
        for p in procs:
            _pid, status, usage = os.wait4(p.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
            if status:
                failed.append((p.stderr.read() if p.stderr else b"").decode(errors="replace")[-300:])
        return {"wall": time.perf_counter() - t0, "cpu": cpu, "server": server_cpu() - cpu0, "failed": failed}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--trees", default=str(ROOT), help="comma-separated code trees (the first is the one named 'this')")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--work", type=Path, default=Path("/work/data/merge-rows"))
    ap.add_argument("--one", type=int, default=10, help="exports merged by one process (the national run: half)")
    ap.add_argument("--eight", type=int, default=10, help="exports merged next by 8 processes (0: not measured)")
    a = ap.parse_args()
    server = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")
    engines = a.engines.split(",")
    if "postgresql" in engines and not server:
        print("no PostgreSQL server: set IKRAR_BENCH_PG_URL", file=sys.stderr)
        return 2
    a.work.mkdir(parents=True, exist_ok=True)
    rig = Rig(a.data, a.work, server)
    for engine in engines:
        rig.setup(engine)
    files = [str(a.data / "exports" / t["file"]) for t in rig.terminals]
    rows = {f"1 process, {a.one} exports": [files[: a.one]]}
    if a.eight:
        rows[f"8 processes, {a.eight} exports"] = [files[a.one : a.one + a.eight][i::8] for i in range(8)]
    trees = [Path(t).resolve() for t in a.trees.split(",")]
    runs = [(tree, engine) for tree in trees for engine in engines]
    walls: dict[tuple[str, Path, str], list[float]] = {}
    for r in range(a.rounds):
        for tree, engine in runs if r % 2 == 0 else runs[::-1]:
            rig.restore(engine)
            for label, shares in rows.items():
                out = rig.merge(engine, tree, shares)
                walls.setdefault((label, tree, engine), []).append(out["wall"])
                status = "FAILED " + out["failed"][0] if out["failed"] else ""
                print(f"round {r + 1} {tree.name:>8} {engine:10} {label:24} wall {out['wall']:6.2f} s  ikrar CPU "
                      f"{out['cpu']:5.2f} s  server CPU {out['server']:5.2f} s {status}", flush=True)  # fmt: skip
    if set(engines) == {"sqlite", "postgresql"}:
        for label in rows:
            for tree in trees:
                pg = statistics.median(walls[(label, tree, "postgresql")])
                lite = statistics.median(walls[(label, tree, "sqlite")])
                print(f"{tree.name:>8} {label:24} median wall PostgreSQL {pg:.2f} s, SQLite {lite:.2f} s: "
                      f"{pg / lite:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
