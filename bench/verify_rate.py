"""A serial first ``ledger merge``, base against branch, per CPU second, against the single-core raw limit.

    python bench/verify_rate.py [--quick] [--reps R] [--engine sqlite,postgresql] [--base REV]
                                [--receipts M] [--exports T] [--sample S]

Issue 20's verify goal: a serial first merge at ≥ 0.5x of the raw limit measured in the same run.
The **single-core raw limit** is bench/merge_cost.py's ``bare_limit``: the faster Ed25519 library
installed (PyNaCl when present) verifying every receipt, with its SHA-256 leaf hash and the Merkle
root, over receipts decoded beforehand: receipts per CPU second of one process.

Every timed run is a fresh child process (``--one ...``); each round starts with the raw limit (and the
run ends with one more: the median of them all is the reference), then
the base (``--base``, default the merge-base of this branch with ``main``, unpacked with ``git
archive`` into a temporary directory) and this working tree merge the same exports (bench/
national_data.py, cached as bench/merge_cost.py makes them) into a fresh centre on each engine, in
alternating order (base first in even rounds, branch first in odd ones), so that a shared machine's
load falls on both alike. The merge runs as ``ledger merge`` runs it (``merge_files_any``, no
verify helpers: ``IKRAR_VERIFY_WORKERS=0``); the figure is the merging process's CPU seconds
(``time.process_time``; PostgreSQL's own CPU is not in it). Each child also hashes what the merge
left in the database (every row of the tables a merge writes, without the wall-clock columns) and
the command's ``--json`` document: base and branch must give the same two digests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TABLES = ("logs", "ledger_entries", "checkpoints", "sessions", "attestations", "merge_runs",
          "attestation_duplicate_keys")  # fmt: skip
CLOCK_COLUMNS = {"created_at", "merged_at"}  # when it was written, not what: differs run to run


def _pg_url() -> str | None:
    return os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")


def _data(receipts: int, exports: int) -> tuple[dict[str, Any], list[Path]]:
    import national_data as nd
    from merge_cost import DATA

    os.environ.setdefault("IKRAR_PASSPHRASE", nd.PASS.decode())
    data = nd.ensure(DATA, receipts // 2, receipts, exports, 10, workers=1)
    return data, sorted((Path(data["root"]) / "exports").glob("t*.jsonl"))


def _plain(v: Any) -> Any:
    return bytes(v) if isinstance(v, (memoryview, bytearray)) else v


def database_digest(conn: Any) -> str:
    """SHA-256 over every row of the tables a merge writes, in a fixed order, without clock columns."""
    h = hashlib.sha256()
    for table in TABLES:
        if isinstance(conn, sqlite3.Connection):
            names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]
        else:
            names = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                (table,)).fetchall()]  # fmt: skip
        cols = [c for c in names if c not in CLOCK_COLUMNS]
        order = ", ".join(str(i + 1) for i in range(len(cols)))
        h.update(f"{table}({','.join(cols)})\n".encode())
        for row in conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}"):  # noqa: S608
            h.update(repr(tuple(_plain(v) for v in row)).encode() + b"\n")
    return h.hexdigest()


# ------------------------------------------------------------------------------ one run (a child)
def one_merge(a: argparse.Namespace) -> dict[str, Any]:
    import ikrar_cli

    assert Path(ikrar_cli.__file__).resolve().is_relative_to(Path(a.tree).resolve()), ikrar_cli.__file__
    from merge_cost import _pg_database, central

    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger.duplicates import iter_duplicates
    from ikrar_cli.ledger.incremental import merge_files_any
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    data, files = _data(a.receipts, a.exports)
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-vrate-"))
    drop = None
    try:
        database = None
        if a.engine == "postgresql":
            database, drop = _pg_database(_pg_url() or "")
        central(work / "c", database, data)
        ws = Workspace.open(work / "c")
        try:
            verifier = Verifier(trusted_bundle(ws))
            t0, c0 = time.perf_counter(), time.process_time()
            results = []
            for path in files:  # as `ledger merge` runs it, one file at a time
                results.extend(merge_files_any(ws, verifier, [path]))
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            with ws.store.read() as conn:
                doc = {"accepted": sum(r.accepted for r in results), "rejected": sum(not r.accepted for r in results),
                       "files": [r.to_dict() for r in results],
                       "duplicates": [d.to_dict() for d in iter_duplicates(conn)]}  # fmt: skip
                db = database_digest(conn)
        finally:
            ws.close()
        text = json.dumps(doc, sort_keys=True).replace(str(work), "WORK")
        return {"cpu": cpu, "wall": wall, "added": sum(r.added for r in results), "accepted": doc["accepted"],
                "db": db, "json": hashlib.sha256(text.encode()).hexdigest()}  # fmt: skip
    finally:
        if drop:
            drop()
        shutil.rmtree(work, ignore_errors=True)


def one_raw(a: argparse.Namespace) -> dict[str, Any]:
    from merge_cost import bare_limit

    _d, files = _data(a.receipts, a.exports)
    rate, lib = bare_limit(files, a.sample)
    return {"rate": rate, "lib": lib}


# ------------------------------------------------------------------------------ the parent
def child(tree: Path, args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, IKRAR_VERIFY_WORKERS="0", PYTHONPATH=f"{tree}{os.pathsep}{HERE}")
    out = subprocess.run([sys.executable, str(HERE / "verify_rate.py"), "--one", *args, "--tree", str(tree)],
                         capture_output=True, text=True, check=False, env=env, cwd=tree)  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"child failed: {args}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def base_tree(rev: str, into: Path) -> tuple[Path, str]:
    """The package as of ``rev`` (default: where this branch left main), unpacked into ``into``."""
    git = shutil.which("git") or "git"
    if not rev:
        rev = subprocess.run([git, "merge-base", "HEAD", "main"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.strip()  # fmt: skip
    sha = subprocess.run([git, "rev-parse", "--short", rev], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.strip()  # fmt: skip
    archive = subprocess.run([git, "archive", rev, "ikrar_cli", "pledges"], cwd=REPO, capture_output=True,
                             check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)  # noqa: S607
    return into, sha


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", default=None)
    ap.add_argument("--tree", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--engine", default="sqlite,postgresql")
    ap.add_argument("--base", default="")
    ap.add_argument("--receipts", type=int, default=0)
    ap.add_argument("--exports", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--reps", type=int, default=0)
    a = ap.parse_args()
    a.receipts = a.receipts or (600 if a.quick else 20_000)
    a.exports = a.exports or (3 if a.quick else 10)
    a.sample = a.sample or min(a.receipts, 20_000)
    if a.one:
        sys.path.insert(0, str(HERE))
        fn = {"merge": one_merge, "raw": one_raw}[a.one]
        print(json.dumps(fn(a)), flush=True)
        return
    a.reps = a.reps or (1 if a.quick else 3)
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(REPO))
    _data(a.receipts, a.exports)  # made once, before anything is timed

    def row(*cells: str) -> None:
        print("| " + " | ".join(cells) + " |", flush=True)

    def load() -> str:
        return os.popen("uptime").read().strip()  # noqa: S605,S607 - the load, for the record

    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, cores {os.cpu_count()}, {load()}", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix="ikrar-bench-vrate-base-"))
    try:
        base, sha = base_tree(a.base, tmp)
        trees = {f"base {sha}": base, "branch": REPO}
        engines = [e for e in a.engine.split(",") if e != "postgresql" or _pg_url()]
        common = ["--receipts", str(a.receipts), "--exports", str(a.exports), "--sample", str(a.sample)]
        raws: list[float] = []
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        lib = ""
        for rep in range(a.reps):
            r = child(REPO, ["raw", *common])  # each round starts with the raw limit, and the run ends with one
            raws.append(r["rate"])
            lib = r["lib"]
            order = list(trees) if rep % 2 == 0 else list(reversed(trees))
            for engine in engines:
                for name in order:
                    out = child(trees[name], ["merge", "--engine", engine, *common])
                    runs.setdefault((engine, name), []).append(out)
                    print(f"  round {rep + 1}, {engine}, {name}: {out['added'] / out['cpu']:,.0f}/CPU s "
                          f"(CPU {out['cpu']:.2f} s, wall {out['wall']:.2f} s); {load()}", file=sys.stderr)  # fmt: skip
        raws.append(child(REPO, ["raw", *common])["rate"])
        raw = _median(raws)
        row(f"single-core raw limit: bare SHA-256 leaf + Merkle root + Ed25519 verify ({lib}), one process "
            f"(median of {len(raws)})", f"{raw:,.0f} receipts/CPU s ({', '.join(f'{x:,.0f}' for x in raws)})",
            "–", "–", "the reference")  # fmt: skip
        for engine in engines:
            digests = {(o["db"], o["json"]) for name in trees for o in runs[(engine, name)]}
            same = "same database and JSON ✓" if len(digests) == 1 else f"DIFFERENT ({len(digests)} digests) ✗"
            for name in trees:
                rs = runs[(engine, name)]
                n = rs[0]["added"]
                cpu = _median([o["cpu"] for o in rs])
                row(f"serial first `ledger merge`, {a.exports} exports, {n:,} receipts, {engine}, {name} "
                    f"(median of {len(rs)})",
                    f"{n / cpu:,.0f}/CPU s (CPU {', '.join(format(o['cpu'], '.2f') for o in rs)} s; "
                    f"wall {', '.join(format(o['wall'], '.1f') for o in rs)} s)",
                    f"single-core raw limit {raw:,.0f}/CPU s", f"{n / cpu / raw:.2f}x", f"≥ 0.5x; {same}")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, {load()}", file=sys.stderr)


if __name__ == "__main__":
    main()
