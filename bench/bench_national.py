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

Then the database size (``pg_database_size`` / the SQLite file and its WAL). The data (roster CSV,
signed exports) is generated once by ``national_data.py`` and cached under ``--data`` (default
``$IKRAR_BENCH_DATA`` or /work/data/pg; ``--quick`` uses a temporary folder). The PostgreSQL server is
``$IKRAR_BENCH_PG_URL`` (else ``$IKRAR_TEST_PG_URL``); a fresh database is created and dropped.
"""

from __future__ import annotations

import argparse
import base64
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import national_data as nd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# a small wrapper whose only child is the ikrar process: its RUSAGE_CHILDREN is that process's peak
# RSS (a child forked from this big bench process would inherit the bench's high-water mark)
WRAP = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(r.returncode)"
)
SCALES = {  # officers, receipts, exports, units, concurrency
    "quick": (2_000, 1_600, 8, 20, 4),
    "100k": (100_000, 100_000, 20, 600, 8),
    "1m": (1_000_000, 1_000_000, 200, 600, 8),
    "full": (4_800_000, 5_000_000, 1_000, 600, 8),
}


def _server() -> str | None:
    return os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")


class Central:
    """One central workspace on one engine, driven through the CLI."""

    def __init__(self, engine: str, home: Path, url: str | None):
        self.engine, self.home, self.url = engine, home, url
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), IKRAR_PASSPHRASE=nd.PASS.decode())
        self.env.pop("IKRAR_DATABASE_URL", None)
        self.results: dict[str, dict[str, Any]] = {}

    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ikrar_cli", "--home", str(self.home), "--lang", "en", *args]

    def run(self, label: str, groups: list[list[str]], rows: int, stdout: Path | None = None) -> None:
        """Run the commands at once; record wall time, rows/s and the largest child's peak RSS."""
        t0 = time.perf_counter()
        procs = []
        for args in groups:
            out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115 - closed below
            err = tempfile.TemporaryFile()
            rss = self.home.parent / f"rss-{uuid.uuid4().hex}"
            p = subprocess.Popen([sys.executable, "-c", WRAP, str(rss), *self.cmd(*args)], stdout=out, stderr=err,
                                 env=self.env, cwd=ROOT)  # fmt: skip
            procs.append((p, out, err, rss))
        peak, failed = 0, []
        for p, out, err, rss in procs:
            p.wait()
            peak = max(peak, int(rss.read_text()) if rss.is_file() else 0)
            rss.unlink(missing_ok=True)
            if out is not subprocess.DEVNULL:
                out.close()  # type: ignore[union-attr]
            err.seek(0)
            if p.returncode != 0:
                failed.append(f"exit {p.returncode}: {err.read().decode(errors='replace')[-1500:]}")
            err.close()
        secs = time.perf_counter() - t0
        self.results[label] = {"seconds": secs, "rows": rows, "peak_mb": peak / 1024, "failed": failed}
        rate = f"{secs:.1f} s, {rows / secs:,.0f} rows/s, peak {peak / 1024:.0f} MB"
        state = "FAILED " + failed[0] if failed else rate
        print(f"  [{self.engine}] {label}: {state}", file=sys.stderr, flush=True)

    def size_mb(self) -> float:
        if self.url is None:
            return sum(f.stat().st_size for f in self.home.glob("ikrar.db*")) / 2**20
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) / 2**20 if row else 0.0


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


def bench_engine(engine: str, data: dict[str, Any], work: Path, url: str | None, concurrency: int) -> Central:
    root = Path(data["root"])
    c = Central(engine, work / engine, url)
    db = ["--database", url] if url else []
    for args in (["init", "--institution", "BKN", "--code", nd.CODE, "--timezone", "WIB", *db],
                 ["key", "init-authority"]):  # fmt: skip
        subprocess.run(c.cmd(*args), env=c.env, cwd=ROOT, check=True, capture_output=True)
    terminals = json.loads((root / "terminals.json").read_text())
    certify_all(c.home, terminals)
    subprocess.run(c.cmd("trust", "export"), env=c.env, cwd=ROOT, check=True, capture_output=True)
    n, m = data["officers"], data["receipts"]
    c.run("roster import", [["roster", "import", str(root / "roster.csv")]], n)
    c.run("roster publish", [["roster", "publish", "--as-of", nd.SNAPSHOT_DAY.isoformat()]], n)
    files = [str(root / "exports" / t["file"]) for t in terminals]
    half = len(files) // 2
    first, rest = files[:half], files[half:]
    c.run(f"ledger merge, 1 process, {len(first)} exports", [["ledger", "merge", *first]],
          sum(t["receipts"] for t in terminals[:half]))  # fmt: skip
    shares = [rest[i::concurrency] for i in range(concurrency) if rest[i::concurrency]]
    c.run(f"ledger merge, {len(shares)} processes at once, {len(rest)} exports",
          [["ledger", "merge", *share] for share in shares], sum(t["receipts"] for t in terminals[half:]))  # fmt: skip
    report = work / f"{engine}-report.json"
    day = nd.REPORT_DAY.isoformat()
    c.run("report compliance --json (all institutions)",
          [["report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--json"]], n,
          stdout=report)  # fmt: skip
    per_unit = n // data["units"]
    c.run("report compliance --unit (one institution)",
          [["report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--unit", nd.unit_name(0), "--json"]],
          per_unit)  # fmt: skip
    c.run("report verify", [["report", "verify", str(report)]], m)
    c.results["size"] = {"mb": c.size_mb()}
    return c


def _fresh_database(url: str) -> tuple[str, Any]:
    import psycopg

    name = f"ikrar_national_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)), (admin, name)


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
    work = Path(tempfile.mkdtemp(prefix="ikrar-national-run-", dir=os.environ.get("IKRAR_BENCH_WORK")))
    results: dict[str, Central] = {}
    try:
        for engine in a.engines.split(","):
            if engine == "sqlite":
                results[engine] = bench_engine(engine, data, work, None, conc)
                continue
            server = _server()
            if not server:
                print("  [postgresql] no server: set IKRAR_BENCH_PG_URL", file=sys.stderr)
                continue
            url, (admin, name) = _fresh_database(server)
            try:
                results[engine] = bench_engine(engine, data, work, url, conc)
            finally:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                admin.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
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

    def cell(c: Central | None, k: str) -> str:
        if c is None or k not in c.results:
            return "–"
        r = c.results[k]
        if r["failed"]:
            return "failed"
        return f"{r['seconds']:.1f} s · {r['rows'] / r['seconds']:,.0f} rows/s · {r['peak_mb']:.0f} MB"

    for k in labels:
        ratio = "–"
        if s and p and k in s.results and k in p.results and not (s.results[k]["failed"] or p.results[k]["failed"]):
            ratio = f"{p.results[k]['seconds'] / s.results[k]['seconds']:.2f}x"
        print(f"| {k} | {cell(s, k)} | {cell(p, k)} | {ratio} |")
    sizes = [f"{c.results['size']['mb']:,.0f} MB" if c and "size" in c.results else "–" for c in (s, p)]
    print(f"| database size | {sizes[0]} | {sizes[1]} | |")


if __name__ == "__main__":
    raise SystemExit(main())
