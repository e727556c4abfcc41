"""``ikrar ledger merge`` of the same 100,000-receipt export by two source trees, alternating in fresh
processes on fresh copies of the same central workspace, with a probe measuring the longest wait for
the write lock during each merge (bench/lockprobe.py); prints min / median per tree
(bench/README.md, "Merges no longer lock out the office").

    git archive BASE | tar -x -C /tmp/base
    python bench/compare_merge.py 3 /tmp/base .      # ROUNDS TREE_A TREE_B [N]

The export and the central workspace are made once (bench_load.prepare_merge, ``$IKRAR_BENCH_DATA``).

    python bench/compare_merge.py swap [N]           # this tree only, in-process

times the swap step alone (``staging.apply_staged`` wrapped here: wall and CPU seconds, i.e. how
long the write lock is held and how much of that is work rather than waiting for a core).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"IKRAR_PASSPHRASE": "bench-pass"}

# One merge through the CLI of TREE (the editable install's finder removed, so only TREE's code runs).
CHILD = r"""
import runpy, sys, time
root = sys.argv[1]
sys.path.insert(0, root)
sys.meta_path = [f for f in sys.meta_path if "editable" not in (repr(f) + type(f).__module__).lower()]
import ikrar_cli
assert ikrar_cli.__file__.startswith(root), ikrar_cli.__file__
sys.argv = ["ikrar", "--home", sys.argv[2], "--json", "ledger", "merge", sys.argv[3]]
t0 = time.perf_counter()
try:
    runpy.run_module("ikrar_cli", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
sys.stderr.write(f"wall {time.perf_counter() - t0}\n")
"""


def swap_timing(n: int) -> None:
    import time

    from bench_load import DATA, prepare_merge

    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger import batched_swap, export, staging
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    base = prepare_merge(n)
    work = Path(tempfile.mkdtemp(prefix="ikrar-compare-merge-", dir=DATA))
    timings: list[tuple[float, float]] = []
    real = staging.apply_staged

    def timed(*args: object, **kw: object) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        real(*args, **kw)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - t0, time.process_time() - c0))

    staging.apply_staged = timed  # type: ignore[assignment]
    batched_swap.apply_staged = timed  # type: ignore[assignment]  # the swap calls it from there
    try:
        shutil.copytree(base / "central", work / "central")
        ws = Workspace.open(work / "central")
        t0 = time.perf_counter()
        (res,) = export.Merger(ws, Verifier(trusted_bundle(ws))).merge_files([base / "export.jsonl"])
        total = time.perf_counter() - t0
        ws.close()
    finally:
        staging.apply_staged = real  # type: ignore[assignment]
        batched_swap.apply_staged = real  # type: ignore[assignment]
        shutil.rmtree(work, ignore_errors=True)
    (wall, cpu), = timings
    print(f"merge of {n:,} (added {res.added:,}): {total:.1f} s; swap (the write transaction, without its COMMIT) "
          f"wall {wall:.2f} s, CPU {cpu:.2f} s")  # fmt: skip


def main() -> None:
    from bench_load import DATA, prepare_merge
    from lockprobe import LockProbe

    if sys.argv[1] == "swap":
        swap_timing(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
        return
    rounds, trees = int(sys.argv[1]), [str(Path(t).resolve()) for t in sys.argv[2:4]]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100_000
    base = prepare_merge(n)
    results: dict[str, list[tuple[float, float]]] = {}
    for _round in range(rounds):
        for tree in trees:
            work = Path(tempfile.mkdtemp(prefix="ikrar-compare-merge-", dir=DATA))
            try:
                shutil.copytree(base / "central", work / "central")
                with LockProbe(work / "central" / "ikrar.db") as probe:
                    out = subprocess.run([sys.executable, "-c", CHILD, tree, str(work / "central"),
                                          str(base / "export.jsonl")], capture_output=True, text=True,
                                         check=False, env=ENV)  # fmt: skip
            finally:
                shutil.rmtree(work, ignore_errors=True)
            if out.returncode:
                sys.exit(out.stderr[-1500:])
            wall = float(out.stderr.rsplit("wall ", 1)[1])
            results.setdefault(tree, []).append((wall, probe.longest))
            print(f"{tree}: {wall:.1f} s, longest lock wait {probe.longest:.2f} s", file=sys.stderr, flush=True)
    for tree, v in results.items():
        walls, locks = sorted(a for a, _ in v), sorted(b for _, b in v)
        mid = len(v) // 2
        print(f"{tree}  merge of {n:,}: wall min {walls[0]:.1f} s median {walls[mid]:.1f} s "
              f"({n / walls[mid]:,.0f} receipts/s); longest write-lock wait min {locks[0]:.2f} s "
              f"median {locks[mid]:.2f} s max {locks[-1]:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
