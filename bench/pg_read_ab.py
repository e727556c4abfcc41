"""Same-run A/B of the PostgreSQL read paths (pgspeed, issue 17): ``roster publish`` and the three
report rows, on SQLite and PostgreSQL, for two source trees, alternating, each in a fresh process.

    python bench/pg_read_ab.py --data ROSTER_DIR --reports SQLITE_HOME PG_HOME --trees BASE NEW \
        [--rounds 2] [--skip-reports] [--skip-publish] [--json OUT]

``--data``: a ``national_data.py`` folder (its ``roster.csv`` is imported into a fresh workspace per
publish trial: a publish follows an import, as in bench_national.py; the set-up is not timed).
``--reports``: two workspaces with a published snapshot and merged receipts (``bench_national.py
--keep`` leaves them); the reports only read them. ``TREE``: a folder holding ``ikrar_cli/`` (e.g.
``git worktree add --detach /tmp/base BASE``). Prints wall seconds, the child's CPU seconds and the
load average at the start of each run; ``--quick`` runs a 2,000-officer roster, publish only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PASS = "bench-pass"
SNAPSHOT_DAY, REPORT_DAY = "2026-11-18", "2026-11-24"


class ServerCpu:
    """CPU seconds of the PostgreSQL backends serving database ``dbname`` while a command runs: the
    backends are found in pg_stat_activity and their /proc stat read every 0.1 s (the last tenth of
    a second of each may be missed; on a shared machine the client's CPU alone hides the server's)."""

    def __init__(self, server: str | None, dbname: str | None):
        import threading

        self.server, self.dbname, self.seen = server, dbname, {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True) if server and dbname else None
        if self.thread:
            self.thread.start()

    def _poll(self) -> None:
        import psycopg

        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(str(self.server), autocommit=True) as admin:
            while not self.stop.wait(0.1):
                pids = [r[0] for r in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND "
                                                    "pid <> pg_backend_pid()", (self.dbname,))]  # fmt: skip
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    def total(self) -> float:
        if self.thread:
            self.stop.set()
            self.thread.join()
        return sum(self.seen.values())


def cli(tree: Path, home: Path, *args: str, out: Path | None = None, server: str | None = None,
        dbname: str | None = None) -> tuple[float, float, float, float]:  # fmt: skip
    """(wall s, CPU s of the child, CPU s of its server backends, load average at the start)."""
    env = dict(os.environ, PYTHONPATH=str(tree), IKRAR_PASSPHRASE=PASS)
    env.pop("IKRAR_DATABASE_URL", None)
    load = os.getloadavg()[0]
    backends = ServerCpu(server, dbname)
    t = time.perf_counter()
    with open(out or os.devnull, "wb") as fh:
        p = subprocess.Popen([sys.executable, "-m", "ikrar_cli", "--home", str(home), "--lang", "en", *args],
                             stdout=fh, stderr=subprocess.PIPE, env=env, cwd=tree)  # fmt: skip
        _err = p.stderr.read() if p.stderr else b""
        _pid, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{tree}: {' '.join(args)} failed: {_err.decode(errors='replace')[-400:]}")
    return wall, ru.ru_utime + ru.ru_stime, backends.total(), load


def _dbname(home: Path) -> str | None:
    """The PostgreSQL database a workspace uses (``database:`` in its ikrar.yaml), or None."""
    for line in (home / "ikrar.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("database:") and "postgresql://" in line:
            return urlsplit(line.split(":", 1)[1].strip()).path.lstrip("/")
    return None


def _db_url(server: str, name: str) -> str:
    p = urlsplit(server)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def fresh_roster(tree: Path, engine: str, roster: Path, work: Path, server: str | None) -> tuple[Path, str | None]:
    """A new workspace with ``roster`` imported (not timed); the database name on PostgreSQL."""
    home = work / f"{engine}-{uuid.uuid4().hex[:8]}"
    db: list[str] = []
    name = None
    if engine == "postgresql":
        import psycopg

        assert server, "set IKRAR_TEST_PG_URL or IKRAR_BENCH_PG_URL"
        name = "ikrar_pgab_" + uuid.uuid4().hex[:10]
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
        db = ["--database", _db_url(server, name)]
    cli(tree, home, "init", "--institution", "BKN", "--code", "BKN", "--timezone", "WIB", *db)
    cli(tree, home, "key", "init-authority")
    cli(tree, home, "roster", "import", str(roster))
    return home, name


def drop(server: str | None, name: str | None, home: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)
    if name and server:
        import psycopg

        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path)
    ap.add_argument("--reports", nargs=2, type=Path, metavar=("SQLITE_HOME", "PG_HOME"))
    ap.add_argument("--trees", nargs=2, type=Path, metavar=("BASE", "NEW"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-reports", action="store_true")
    ap.add_argument("--skip-publish", action="store_true")
    ap.add_argument("--skip-unit", action="store_true", help="no 'report --unit' (it reads as --json does)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    server = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")
    root = Path(__file__).resolve().parent.parent
    trees = a.trees or [root, root]
    tmp = Path(tempfile.mkdtemp(prefix="ikrar-pgab-"))
    if a.quick:
        sys.path.insert(0, str(root / "bench"))
        import national_data as nd

        roster = tmp / "roster.csv"
        nd.write_roster(roster, 2_000, 20)
        a.rounds, a.skip_reports = 1, True
    else:
        roster = a.data / "roster.csv" if a.data else Path(os.devnull)
    engines = ["sqlite", "postgresql"] if server else ["sqlite"]
    rows: list[dict[str, Any]] = []
    try:
        for r in range(a.rounds):
            order = list(enumerate(trees)) if r % 2 == 0 else list(reversed(list(enumerate(trees))))
            for engine in [] if a.skip_publish else engines:
                for i, tree in order:
                    home, name = fresh_roster(tree, engine, roster, tmp, server)
                    try:
                        wall, cpu, scpu, load = cli(tree, home, "roster", "publish", "--as-of", SNAPSHOT_DAY,
                                                    server=server, dbname=name)  # fmt: skip
                    finally:
                        drop(server, name, home)
                    rows.append(dict(step="publish", engine=engine, tree="AB"[i], round=r, wall=wall, cpu=cpu,
                                     server_cpu=scpu, load=load))  # fmt: skip
                    print(json.dumps(rows[-1]), flush=True)
            if a.skip_reports:
                continue
            for engine, home in zip(("sqlite", "postgresql"), a.reports, strict=True):
                for i, tree in order:
                    out = tmp / f"report-{engine}-{i}.json"
                    steps = [("report --json", ["report", "compliance", "--pledge", "pilkada-2024", "--as-of",
                                                REPORT_DAY, "--json"], out),
                             ("report --unit", ["report", "compliance", "--pledge", "pilkada-2024", "--as-of",
                                                REPORT_DAY, "--unit", "Instansi 001", "--json"], None),
                             ("report verify", ["report", "verify", str(out)], None)]  # fmt: skip
                    for step, args, to in steps:
                        if a.skip_unit and step == "report --unit":
                            continue
                        wall, cpu, scpu, load = cli(tree, home, *args, out=to, server=server,
                                                    dbname=_dbname(home))  # fmt: skip
                        rows.append(dict(step=step, engine=engine, tree="AB"[i], round=r, wall=wall, cpu=cpu,
                                         server_cpu=scpu, load=load))  # fmt: skip
                        print(json.dumps(rows[-1]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
