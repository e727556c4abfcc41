"""Roster import by source trees and engines, alternating, each import a fresh child process that
sees only its TREE's ikrar_cli (bench/README.md, "Roster import on PostgreSQL and on the cores"):

    git archive cbf336a ikrar_cli | tar -x -C /tmp/base      # the tree before
    IKRAR_BENCH_PG_URL=postgresql://postgres:PW@127.0.0.1:5432/postgres \\
        python bench/import_ab.py 3 /work/data/pg/n100000-u600-m100000-t20/roster.csv sqlite,pg /tmp/base .

Prints per import: wall seconds of ``import_roster`` (the workspace made before, not timed), rows/s,
user+system CPU of the child and any helper processes it waited for (``/usr/bin/time``; includes
the interpreter's start), its peak RSS, and the load average before and after. A PostgreSQL run
gets a new database, dropped afterwards (``IKRAR_BENCH_LOG_MS=500``: the server logs its statements
slower than 500 ms, to find them in the server log by the database name printed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CHILD = r"""
import shutil, sys, tempfile, time
from pathlib import Path
root = sys.argv[1]
sys.path.insert(0, root)
sys.meta_path = [f for f in sys.meta_path if "editable" not in (repr(f) + type(f).__module__).lower()]
from ikrar_cli.roster.importer import import_roster
from ikrar_cli.workspace import Workspace
import ikrar_cli
assert ikrar_cli.__file__.startswith(root), ikrar_cli.__file__
home = Path(tempfile.mkdtemp(dir=sys.argv[4])) / "ws"
kw = {"database": sys.argv[3]} if sys.argv[3] != "sqlite" else {}
ws = Workspace.init(home, institution="B", code="B", unit=None, timezone="WIB", language="id", **kw)
t0 = time.perf_counter()
rep = import_roster(ws.store, Path(sys.argv[2]))
print(f"{time.perf_counter() - t0:.2f} {rep.added}")
ws.close()
shutil.rmtree(home.parent)
"""


def _db(admin: str, name: str) -> str:
    parts = urlsplit(admin)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(admin: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    rounds, src, engines, trees = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
    admin = os.environ.get("IKRAR_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    work = tempfile.mkdtemp(prefix="ikrar-import-ab-", dir=os.environ.get("IKRAR_BENCH_WORK"))
    for r in range(rounds):
        for tree in [str(Path(t).resolve()) for t in trees]:
            for engine in engines:
                name = "ikrar_ab_" + uuid.uuid4().hex[:8]
                db = "sqlite"
                if engine == "pg":
                    _admin(admin, f"CREATE DATABASE {name}")
                    if os.environ.get("IKRAR_BENCH_LOG_MS"):  # the server logs statements slower than this
                        _admin(admin, f"ALTER DATABASE {name} SET log_min_duration_statement = "
                                      f"{int(os.environ['IKRAR_BENCH_LOG_MS'])}")  # fmt: skip
                    print(f"  database {name}", flush=True)
                    db = _db(admin, name)
                load = os.getloadavg()[0]
                out = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", sys.executable, "-c", CHILD, tree, src, db,
                                      work], capture_output=True, text=True, cwd=work, check=False)  # fmt: skip
                if engine == "pg":
                    _admin(admin, f"DROP DATABASE {name} WITH (FORCE)")
                if out.returncode:
                    sys.exit(out.stderr[-2000:])
                wall, added = out.stdout.split()
                user, system, rss = out.stderr.strip().splitlines()[-1].split()
                print(f"round {r} {tree} {engine:6} import {float(wall):7.2f} s {int(added) / float(wall):9,.0f} rows/s"
                      f"  cpu {float(user) + float(system):6.2f} s  peak {int(rss) / 1024:5.0f} MB"
                      f"  load {load:.1f}->{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
