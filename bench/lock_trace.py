"""Summarise an ``IKRAR_LOCK_TRACE`` file (``ikrar_cli/store/locktrace.py``): per caller, how many
write transactions, the longest and total time holding the write lock, the longest wait for it.

    python bench/lock_trace.py TRACE.jsonl [--top N]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any


def summarise(path: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"n": 0, "held_max": 0.0, "held_sum": 0.0, "wait_max": 0.0})
    for line in path.read_text().splitlines():
        r = json.loads(line)
        s = out[r["caller"]]
        s["n"] += 1
        s["held_max"] = max(s["held_max"], r["held"])
        s["held_sum"] += r["held"]
        s["wait_max"] = max(s["wait_max"], r["wait"])
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace", type=Path)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args(argv)
    rows = sorted(summarise(args.trace).items(), key=lambda kv: -kv[1]["held_max"])[: args.top]
    print(f"{'caller':<60} {'n':>6} {'held max s':>10} {'held sum s':>10} {'wait max s':>10}")
    for caller, s in rows:
        print(f"{caller:<60} {s['n']:>6} {s['held_max']:>10.2f} {s['held_sum']:>10.2f} {s['wait_max']:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
