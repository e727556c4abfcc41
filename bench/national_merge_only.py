"""After mergestage was merged (main ac3be94, merged into national 9397d5a): the 1 M data set's first
200 exports (200,000 receipts) merged by one process into a fresh central workspace, per engine."""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_national as bn
import national_data as nd

engine = sys.argv[1]
root = Path("/work/data/pg/n1000000-u600-m1000000-t1000")
work = Path(f"/work/data/national/merge-only/{engine}")
work.mkdir(parents=True, exist_ok=True)
url = None
if engine == "postgresql":
    server = bn._server() or sys.exit("set IKRAR_BENCH_PG_URL")
    admin = bn._admin(server)
    admin.execute("DROP DATABASE IF EXISTS ikrar_national_mergeonly WITH (FORCE)")
    admin.execute("CREATE DATABASE ikrar_national_mergeonly TEMPLATE template0 ENCODING 'UTF8'")
    url = bn._database_url(server, "ikrar_national_mergeonly")
c = bn.Central(engine, work / "ws", url, work / "state.json", (10.0, 4000.0))
terminals = json.loads((root / "terminals.json").read_text())
if not (work / "ready").is_file():
    import shutil

    shutil.rmtree(c.home, ignore_errors=True)
    db = ["--database", url] if url else []
    for args in (
        ["init", "--institution", "BKN", "--code", nd.CODE, "--timezone", "WIB", *db],
        ["key", "init-authority"],
    ):
        subprocess.run(c.cmd(*args), env=c.env, cwd=bn.ROOT, check=True, capture_output=True)
    bn.certify_all(c.home, terminals)
    subprocess.run(c.cmd("trust", "export"), env=c.env, cwd=bn.ROOT, check=True, capture_output=True)
    (work / "ready").touch()
files = [str(root / "exports" / t["file"]) for t in terminals[:200]]
label = "ledger merge, 1 process, 200 exports (mergestage code)"
c.run(label, [["ledger", "merge", *files]], 200_000)
c.count(label)
c.measure_size()
print(json.dumps(c.results, indent=1))
