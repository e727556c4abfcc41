"""The longest write-lock hold of ``ledger merge`` of ONE large export, one transaction against
bounded batches (issue 20; bench/README.md, "One large file: batches, published at once").

    python bench/batched_swap.py [--quick] [--receipts M] [--engine sqlite,postgresql]

One terminal export of M receipts (default 200,000; ``--quick`` 2,000 with batches of 500) is made
once by bench/national_data.py (cached under ``$IKRAR_BENCH_DATA``). Per engine, two fresh central
workspaces (authority key, the terminal certified) merge it through the CLI with
``IKRAR_LOCK_TRACE`` (``ikrar_cli/store/locktrace.py``): "one transaction" with ``IKRAR_MERGE_BATCH``
above M (the swap as before), "batches" with the default batch size (or ``--batch``). Printed: the
merge's wall and CPU seconds (the child's user + system, ``resource``), the number of write
transactions, the longest and total hold of the write lock (``bench/lock_trace.py``). The two runs
alternate in the order given by ``--order``. Bench only.

``--imports-beside``: while the merge runs, ``roster import`` runs again and again on the same
workspace through the CLI (issue 20: "a roster import during a 1M merge succeeds"), alternating
the data set's first 1,000 officers with the same officers each with a changed position, so that
every import writes (its change summary, history and upsert under the write lock). Printed per
merge: how many imports ran, their exit codes, and the longest; the merge child's CPU and peak
RSS are then read with ``os.wait4`` (the imports are children too).

The bench refuses to start a merge when the code under ``ikrar_cli/`` changed since it started
(:func:`code_fingerprint`): it made its workspaces with the code it imported then, and a child
running later code on a workspace made by earlier code measures neither (bench/README.md, "the exit 7
of the first batched run": a migration edited meanwhile).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("IKRAR_BENCH_DATA") or Path(tempfile.gettempdir()) / "ikrar-bench-load") / "bigswap"


def code_fingerprint(root: Path = ROOT) -> str:
    """A digest of every ``.py`` file under ``root/ikrar_cli`` (names and contents)."""
    h = hashlib.sha256()
    for path in sorted((root / "ikrar_cli").rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def same_code(started: str, root: Path = ROOT) -> None:
    """Stop (exit 2) when the code changed since the bench started: its workspaces were made by the
    code it imported then, and the merge child would run other code on them."""
    if code_fingerprint(root) != started:
        raise SystemExit("the code under ikrar_cli/ changed while the bench ran: run it again on a quiet tree")


# The merge runs as the only child of this small wrapper, which reads its CPU and peak RSS with wait4:
# a child started by this (large) bench process itself would report the bench's own peak, which Linux
# keeps in ``ru_maxrss`` across ``execve`` (the imports beside it are this process's children too).
WRAP = """import json, os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, ru = os.wait4(p.pid, 0)
rc = os.waitstatus_to_exitcode(status)
print(json.dumps({"cpu": ru.ru_utime + ru.ru_stime, "rss_kb": ru.ru_maxrss}))
sys.exit(rc)
"""


def _env(trace: Path | None, batch: int = 0) -> dict[str, str]:
    import national_data as nd

    env = dict(os.environ, PYTHONPATH=str(ROOT), IKRAR_PASSPHRASE=nd.PASS.decode())
    if trace is not None:
        env["IKRAR_LOCK_TRACE"] = str(trace)
    if batch:
        env["IKRAR_MERGE_BATCH"] = str(batch)
    env.pop("IKRAR_DATABASE_URL", None)
    return env


def import_files(roster: Path, work: Path) -> list[Path]:
    """The data set's first 1,000 officers, and the same with every position changed: imported in
    turn, each import changes every one of them (it writes)."""
    import csv

    small, changed = work / "roster-1000.csv", work / "roster-1000-changed.csv"
    with (
        open(roster, encoding="utf-8-sig", newline="") as src,
        open(small, "w", encoding="utf-8", newline="") as s,
        open(changed, "w", encoding="utf-8", newline="") as c,
    ):
        rd = csv.reader(src, delimiter=";")
        head = next(rd)
        pos = next(i for i, h in enumerate(head) if "jabatan" in h.lower() or "position" in h.lower())
        ws, wc = csv.writer(s, delimiter=";"), csv.writer(c, delimiter=";")
        ws.writerow(head)
        wc.writerow(head)
        for i, row in enumerate(rd):
            if i == 1000:
                break
            ws.writerow(row)
            row[pos] = row[pos] + " (baru)"
            wc.writerow(row)
    return [small, changed]


def _imports_while(home: Path, files: list[Path], trace: Path, merging: subprocess.Popen[bytes],
                   out: list[dict[str, Any]]) -> None:  # fmt: skip
    """Roster imports one after another (cycling through ``files``) while ``merging`` runs."""
    i = 0
    while merging.poll() is None:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "ikrar_cli", "--home", str(home), "--lang", "en", "roster",
                               "import", str(files[i % len(files)])], env=_env(trace), capture_output=True)  # fmt: skip
        out.append({"rc": done.returncode, "seconds": time.perf_counter() - t0,
                    "stderr": done.stderr.decode(errors="replace")[-300:] if done.returncode else ""})  # fmt: skip
        i += 1


def merge(home: Path, export: Path, batch: int, trace: Path, beside: list[Path] | None = None) -> dict[str, Any]:
    import json
    import threading

    from lock_trace import summarise

    errors = trace.with_suffix(".stderr")
    imports: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "ikrar_cli", "--home", str(home), "ledger", "merge", str(export)]
    with errors.open("wb") as err:
        p = subprocess.Popen([sys.executable, "-c", WRAP, *cmd], env=_env(trace, batch), stdout=subprocess.PIPE,
                             stderr=err)  # fmt: skip
        side = None
        if beside:
            side = threading.Thread(target=_imports_while,
                                    args=(home, beside, trace.with_suffix(".imports"), p, imports))
            side.start()
        out = p.communicate()[0]
        wall = time.perf_counter() - t0
        if side is not None:
            side.join()
    if p.returncode:
        raise SystemExit(f"merge failed (exit {p.returncode}): {errors.read_text(errors='replace')[-3000:]}")
    usage = json.loads(out)
    s = summarise(trace)
    side_trace = summarise(trace.with_suffix(".imports")) if trace.with_suffix(".imports").is_file() else {}
    return {
        "wall": wall,
        "cpu": usage["cpu"],
        "rss_mb": usage["rss_kb"] / 1024,
        "n": sum(v["n"] for v in s.values()),
        "imports": imports,
        "imports_held_max": max((v["held_max"] for v in side_trace.values()), default=0.0),
        "imports_wait_max": max((v["wait_max"] for v in side_trace.values()), default=0.0),
        "held_max": max(v["held_max"] for v in s.values()),
        "held_sum": sum(v["held_sum"] for v in s.values()),
    }


QUERIES = {
    "size of a log": "SELECT idx FROM {e} WHERE log_id = 'l' ORDER BY idx DESC LIMIT 1",
    "count of a log's entries": "SELECT COUNT(*) FROM {e} WHERE log_id = 'l'",
    "count of a log's attestations": "SELECT COUNT(*) FROM {a} WHERE log_id = 'l'",
    "leaf hashes of a log (its root)": "SELECT leaf_hash FROM {e} WHERE log_id = 'l' ORDER BY idx",
    "report: a pledge's attestations": "SELECT officer_id, method, receipt_rid FROM {a} WHERE pledge_id = 'p'",
    "kiosk: one officer's attestation": "SELECT id FROM {a} WHERE officer_id = '000000000000012345' "
    "AND pledge_id = 'p' AND pledge_version = 1",
}
PG_FILL = (
    "INSERT INTO log_rows (log_id, origin, public_key, key_name, created_at) VALUES ('l', 'o', '\\x00', 'k', 0)",
    "INSERT INTO session_rows (id, log_id, terminal_kid, terminal_name, pledge_id, pledge_version, pledge_digest, "
    "title, location, timezone, opened_at) VALUES (1, 'l', '\\x00', 't', 'p', 1, '\\x00', '', '', 'UTC', 0)",
    "INSERT INTO ledger_entry_rows (log_id, idx, leaf, leaf_hash, created_at) SELECT 'l', g, "
    "decode(repeat(md5(g::text), 11), 'hex'), sha256(int4send(g)), 0 FROM generate_series(0, {n} - 1) g",
    "INSERT INTO attestation_rows (session_id, log_id, ledger_idx, officer_id, id_type, unit_code, pledge_id, "
    "pledge_version, method, attested_at, receipt, receipt_rid) SELECT 1, 'l', g, lpad(g::text, 18, '0'), 'nip', "
    "'U', 'p', 1, 'individual', 0, 'IKR1:x', decode(md5(g::text), 'hex') FROM generate_series(0, {n} - 1) g",
)


def readers(rows: int, engine: str = "sqlite") -> None:
    """What the views cost readers: a few readers' queries over ``rows`` entries and attestations of
    one log, on the view and on its table, alternating, best of 3 each; the plans of the counts."""
    from ikrar_cli.store.core import Store

    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-views-"))
    drop = None
    try:
        if engine == "sqlite":
            store = Store(work / "ikrar.db")
            c: Any = store.conn
            with store.transaction() as conn:
                conn.execute("INSERT INTO log_rows (log_id, origin, public_key, key_name, created_at) "
                             "VALUES ('l', 'o', x'00', 'k', 0)")  # fmt: skip
                conn.execute("INSERT INTO session_rows (id, log_id, terminal_kid, terminal_name, pledge_id, "
                             "pledge_version, pledge_digest, title, location, timezone, opened_at) "
                             "VALUES (1, 'l', x'00', 't', 'p', 1, x'00', '', '', 'UTC', 0)")  # fmt: skip
                conn.executemany("INSERT INTO ledger_entry_rows (log_id, idx, leaf, leaf_hash, created_at) "
                                 "VALUES ('l', ?, randomblob(180), randomblob(32), 0)",
                                 ((i,) for i in range(rows)))  # fmt: skip
                conn.executemany(
                    "INSERT INTO attestation_rows (session_id, log_id, ledger_idx, officer_id, id_type, unit_code, "
                    "pledge_id, pledge_version, method, attested_at, receipt, receipt_rid) VALUES (1, 'l', ?, "
                    "printf('%018d', ?), 'nip', 'U', 'p', 1, 'individual', 0, 'IKR1:x', randomblob(16))",
                    ((i, i) for i in range(rows)),
                )
            c.execute("ANALYZE")
            explain = "EXPLAIN QUERY PLAN "
        else:
            import psycopg
            from merge_cost import _pg_database

            url = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")
            if not url:
                print("postgresql: no server", flush=True)
                return
            database, drop = _pg_database(url)
            from ikrar_cli.workspace import Workspace

            Workspace.init(work / "w", institution="BKN", code="BKN", unit=None, timezone="WIB", language="id",
                           database=database).close()  # fmt: skip  # the migrations, 0019 included
            c = psycopg.connect(database, autocommit=True)
            for sql in PG_FILL:
                c.execute(sql.replace("{n}", str(rows)))
            c.execute("VACUUM ANALYZE")  # as autovacuum leaves a settled table: the visibility map set
            explain = "EXPLAIN "
        for label, q in QUERIES.items():
            best = {"view": 1e9, "table": 1e9}
            for _round in range(3):
                for kind, names in (("view", {"e": "ledger_entries", "a": "attestations"}),
                                    ("table", {"e": "ledger_entry_rows", "a": "attestation_rows"})):  # fmt: skip
                    t0 = time.perf_counter()
                    c.execute(q.format(**names)).fetchall()
                    best[kind] = min(best[kind], time.perf_counter() - t0)
            print(f"{label}, {rows:,} rows, {engine} | view {1000 * best['view']:.2f} ms | "
                  f"table {1000 * best['table']:.2f} ms | {best['view'] / best['table']:.2f}x", flush=True)  # fmt: skip
            if label.startswith("count"):
                plan = [str(r[-1]) for r in c.execute(explain + q.format(e="ledger_entries", a="attestations"))]
                print("   plan (view): " + " / ".join(p.strip() for p in plan), flush=True)
        c.close()
    finally:
        if drop:
            drop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    started = code_fingerprint()  # before anything of ikrar_cli is imported here
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--receipts", type=int, default=0)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--engine", default="sqlite")
    ap.add_argument("--order", default="one,batches")
    ap.add_argument("--readers", type=int, default=0, help="only the views' cost to readers, over N rows")
    ap.add_argument("--imports-beside", action="store_true", help="roster imports one after another meanwhile")
    a = ap.parse_args()
    if a.readers:
        for engine in a.engine.split(","):
            readers(a.readers, engine)
        return
    receipts = a.receipts or (2_000 if a.quick else 200_000)
    import national_data as nd
    from merge_cost import _pg_database, central

    from ikrar_cli.ledger.batched_swap import BATCH_ROWS

    batch = a.batch or (500 if a.quick else BATCH_ROWS)
    os.environ.setdefault("IKRAR_PASSPHRASE", nd.PASS.decode())
    print(os.popen("uptime").read().strip(), file=sys.stderr)  # noqa: S605,S607 - the load, for the record
    data = nd.ensure(DATA, receipts, receipts, 1, 10, workers=1)
    export = next((Path(data["root"]) / "exports").glob("t*.jsonl"))
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-bigswap-"))
    try:
        for engine in a.engine.split(","):
            for mode in a.order.split(","):
                drop = None
                url = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")
                database = None
                if engine == "postgresql":
                    if not url:
                        print(f"{engine}: no server", flush=True)
                        continue
                    database, drop = _pg_database(url)
                try:
                    home = work / f"{engine}-{mode}"
                    central(home, database, data)
                    same_code(started)  # the workspace and the merge child: the code this bench imported
                    size = batch if mode == "batches" else receipts * 10
                    beside = import_files(Path(data["root"]) / "roster.csv", work) if a.imports_beside else None
                    m = merge(home, export, size, work / f"{engine}-{mode}.trace", beside)
                    same_code(started)  # the child imports modules lazily: all of them of that code
                finally:
                    if drop:
                        drop()
                label = "one transaction" if mode == "one" else f"batches of {batch:,}"
                print(f"`ledger merge` of one export, {receipts:,} receipts, {engine}, {label} | "
                      f"wall {m['wall']:.1f} s, CPU {m['cpu']:.1f} s | {m['n']:.0f} write transactions, "
                      f"longest hold {m['held_max']:.2f} s, "
                      f"held {m['held_sum']:.2f} s in all | peak RSS {m['rss_mb']:.0f} MB", flush=True)  # fmt: skip
                if a.imports_beside:
                    runs = m["imports"]
                    rcs = sorted({r["rc"] for r in runs})
                    longest = max((r["seconds"] for r in runs), default=0.0)
                    print(f"   roster imports beside it: {len(runs)} run, exit codes {rcs}, "
                          f"longest {longest:.1f} s; their longest wait for the write lock "
                          f"{m['imports_wait_max']:.2f} s, longest hold {m['imports_held_max']:.2f} s",
                          flush=True)  # fmt: skip
                    for r in runs:
                        if r["rc"]:
                            print(f"   import failed (exit {r['rc']}): {r['stderr']}", flush=True)
        print(os.popen("uptime").read().strip(), file=sys.stderr)  # noqa: S605,S607
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
