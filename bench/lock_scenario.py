"""Who holds the SQLite write lock, and how long, in the national run's lock scenarios (issue 20),
at a modest size, for one or more source trees alternating (bench/README.md, "Write locks in
bounded batches").

    git archive BASE | tar -x -C /tmp/base
    python bench/lock_scenario.py --data /work/data/pg/n100000-u600-m100000-t20 --work /tmp/ls \\
        --trees /tmp/base,. --rounds 1

Set-up once (not measured): a central workspace (``init``, ``key init-authority``, the terminals'
certificates), the national roster imported. Then per round and tree, on a fresh copy of that
workspace, with ``IKRAR_LOCK_TRACE`` (``ikrar_cli/store/locktrace.py``: every write transaction's
caller, wait and hold, if the tree has it) and a probe thread asking for the write lock every 20 ms
(``lockprobe.py``, the figure that does not depend on the tree's own trace):

1. ``ledger merge`` of the first half of the exports by one process, with ``roster import`` beside
   it, one after the other until the merge ends: the first 1,000 officers (as the national run)
   and the whole roster with every tenth officer's position changed (an import that writes);
2. ``ledger merge`` of the other half by ``--concurrency`` processes at once.

Prints and writes (``--json``) per step: wall seconds, the probe's longest wait, the imports' exit
codes and seconds, and the trace's longest hold per caller. The load average is recorded at each
step's start and end. Bench only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lock_trace import summarise  # noqa: E402
from lockprobe import LockProbe  # noqa: E402

PASS = "bench-pass"  # national_data.PASS
# One ikrar command through TREE's code only (the editable install's finder removed).
CHILD = r"""
import runpy, sys
root = sys.argv[1]
sys.path.insert(0, root)
sys.meta_path = [f for f in sys.meta_path if "editable" not in (repr(f) + type(f).__module__).lower()]
import ikrar_cli
assert ikrar_cli.__file__.startswith(root), ikrar_cli.__file__
sys.argv = ["ikrar", *sys.argv[2:]]
runpy.run_module("ikrar_cli", run_name="__main__")
"""


def ikrar(tree: str, home: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", CHILD, tree, "--home", str(home), "--lang", "en", *args]


def env(trace: Path | None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IKRAR_DATABASE_URL")}
    e["IKRAR_PASSPHRASE"] = PASS
    if trace is not None:
        e["IKRAR_LOCK_TRACE"] = str(trace)
    return e


def setup(data: Path, work: Path, tree: str) -> Path:
    import national_data as nd
    from bench_national import certify_all

    home = work / "central"
    if (work / "central.ready").is_file():
        return home
    shutil.rmtree(home, ignore_errors=True)
    for args in (["init", "--institution", "BKN", "--code", nd.CODE, "--timezone", "WIB"],
                 ["key", "init-authority"]):  # fmt: skip
        subprocess.run(ikrar(tree, home, *args), env=env(None), check=True, capture_output=True)
    certify_all(home, json.loads((data / "terminals.json").read_text()))
    subprocess.run(ikrar(tree, home, "trust", "export"), env=env(None), check=True, capture_output=True)
    subprocess.run(ikrar(tree, home, "roster", "import", str(data / "roster.csv")), env=env(None), check=True,
                   capture_output=True)  # fmt: skip
    small = work / "roster-1000.csv"
    changed = work / "roster-changed.csv"
    with (
        open(data / "roster.csv", encoding="utf-8", newline="") as src,
        open(small, "w", encoding="utf-8", newline="") as s,
        open(changed, "w", encoding="utf-8", newline="") as c,
    ):
        rd = csv.reader(src, delimiter=";")
        head = next(rd)
        pos = head.index(next(h for h in head if "jabatan" in h.lower() or "position" in h.lower()))
        ws, wc = csv.writer(s, delimiter=";"), csv.writer(c, delimiter=";")
        ws.writerow(head)
        wc.writerow(head)
        for i, row in enumerate(rd):
            if i < 1000:
                ws.writerow(row)
            if i % 10 == 0:
                row[pos] = row[pos] + " (baru)"
            wc.writerow(row)
    (work / "central.ready").touch()
    return home


def imports_beside(tree: str, home: Path, files: list[Path], trace: Path, procs: list[subprocess.Popen[bytes]],
                   out: list[dict[str, Any]]) -> None:  # fmt: skip
    """Roster imports one after another (cycling through ``files``) while any of ``procs`` runs."""
    i = 0
    while any(p.poll() is None for p in procs):
        f = files[i % len(files)]
        t0 = time.perf_counter()
        done = subprocess.run(ikrar(tree, home, "roster", "import", str(f)), env=env(trace), capture_output=True)
        out.append({"file": f.name, "rc": done.returncode, "seconds": round(time.perf_counter() - t0, 1),
                    "stderr": done.stderr.decode(errors="replace")[-300:] if done.returncode else ""})  # fmt: skip
        i += 1


def step(tree: str, home: Path, groups: list[list[str]], trace: Path, beside: list[Path] | None) -> dict[str, Any]:
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    imports: list[dict[str, Any]] = []
    gate = (Path(tree) / "ikrar_cli" / "store" / "writegate.py").is_file()
    with LockProbe(home / "ikrar.db", gate=gate) as probe:
        procs = [subprocess.Popen(ikrar(tree, home, "ledger", "merge", *g), env=env(trace),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for g in groups]  # fmt: skip
        side = None
        if beside:
            side = threading.Thread(target=imports_beside, args=(tree, home, beside, trace, procs, imports))
            side.start()
        errors = [p.communicate()[1].decode(errors="replace")[-500:] for p in procs]
        rcs = [p.returncode for p in procs]
        if side is not None:
            side.join()
    r: dict[str, Any] = {"seconds": round(time.perf_counter() - t0, 1), "probe_longest_wait": round(probe.longest, 2),
                         "probes": probe.probes, "merge_rc": rcs, "load": [load0, os.getloadavg()[0]],
                         "imports": imports, "probe_gate": gate}  # fmt: skip
    if any(rcs):
        r["merge_errors"] = [e for e, rc in zip(errors, rcs, strict=True) if rc]
    if trace.is_file():
        r["trace"] = dict(sorted(summarise(trace).items(), key=lambda kv: -kv[1]["held_max"])[:8])
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny generated data in a temporary folder (CI)")
    ap.add_argument("--data", type=Path, help="a national_data.py folder (roster, exports)")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--trees", default=".", help="comma-separated source trees, run alternating")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--steps", default="single,concurrent")
    ap.add_argument("--single-files", type=int, default=0, help="exports merged by the one process (0: half)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    if a.quick:
        import tempfile

        import national_data as nd

        tmp = Path(tempfile.mkdtemp(prefix="ikrar-lock-scenario-"))
        try:
            a.data = Path(nd.ensure(tmp / "data", 2_000, 1_600, 8, 20)["root"])
            a.work, a.concurrency, a.single_files = tmp / "work", 4, 2
            return run(a)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if a.data is None or a.work is None:
        ap.error("--data and --work are needed (or --quick)")
    return run(a)


def run(a: argparse.Namespace) -> int:
    trees = [str(Path(t).resolve()) for t in a.trees.split(",")]
    a.work.mkdir(parents=True, exist_ok=True)
    base = setup(a.data, a.work, trees[-1])
    terminals = json.loads((a.data / "terminals.json").read_text())
    files = [str(a.data / "exports" / t["file"]) for t in terminals]
    half = a.single_files or len(files) // 2
    results: list[dict[str, Any]] = []
    for rnd in range(a.rounds):
        for tree in trees:
            run = a.work / f"r{rnd}-{Path(tree).name or 'tree'}"
            shutil.rmtree(run, ignore_errors=True)
            shutil.copytree(base, run / "central")
            home = run / "central"
            res: dict[str, Any] = {"round": rnd, "tree": tree}
            if "single" in a.steps:
                res["single"] = step(tree, home, [files[:half]], run / "trace-single.jsonl",
                                     [a.work / "roster-1000.csv", a.work / "roster-changed.csv"])  # fmt: skip
                print(json.dumps({"tree": tree, "single": res["single"]}, indent=1), file=sys.stderr, flush=True)
            if "concurrent" in a.steps:
                rest = files[half:]
                shares = [rest[i :: a.concurrency] for i in range(a.concurrency) if rest[i :: a.concurrency]]
                res["concurrent"] = step(tree, home, shares, run / "trace-concurrent.jsonl", None)
                print(json.dumps({"tree": tree, "concurrent": res["concurrent"]}, indent=1), file=sys.stderr,
                      flush=True)  # fmt: skip
            results.append(res)
            shutil.rmtree(home, ignore_errors=True)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
