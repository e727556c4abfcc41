"""Cold start of `ikrar --version` / `ikrar --help` / `ikrar verify --help` vs `python -c "import click"`.

Prints the median of several runs and the ratio to the reference measured in the same run
(target: at most 2x). Usage: python bench/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def median_time(cmd: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rows(repeat: int) -> list[tuple[str, float, float]]:
    env = dict(os.environ, IKRAR_HOME=os.environ.get("IKRAR_HOME", "/tmp/ikrar-bench-home"))
    py = sys.executable
    ref = median_time([py, "-c", "import click"], repeat, env)
    out = [("python -c 'import click' (reference)", ref, 1.0)]
    for label, args in [
        ("ikrar --version", ["--version"]),
        ("ikrar --help", ["--help"]),
        ("ikrar verify --help", ["verify", "--help"]),
    ]:
        t = median_time([py, "-m", "ikrar_cli", *args], repeat, env)
        out.append((label, t, t / ref))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    repeat = 3 if a.quick else a.repeat
    print(f"{'figure':40} {'median ms':>10} {'ratio':>7}")
    for label, t, ratio in rows(repeat):
        print(f"{label:40} {t * 1000:10.1f} {ratio:6.2f}x")


if __name__ == "__main__":
    main()
