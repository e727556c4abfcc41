"""`report compliance` in every format over the bench_compliance data set with 5% of the officers
missing (issue 20: "report over 4.8M officers" in bounded memory; issue 17: "in minutes"): wall
time, CPU seconds (user + system) and peak RSS of the CLI child, per format, and `--unit` (one unit
of 20). Run it alone (``python bench/bench_report_formats.py 100000``) or through
``bench/run.py --only report-formats``; ``--home DIR --day D`` reuses a built workspace and
``--code DIR`` runs another checkout's code (a before/after comparison on the same data)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench_ledger import ROOT

PLEDGE = "pilkada-2024"


# a fresh small process starts the command: a child's peak RSS counts the memory of the process it
# was forked from (Linux keeps the high-water mark across exec), so never fork the bench itself
_WRAP = """
import os, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "wb") as fh:
    p = subprocess.Popen(sys.argv[2:], stdout=fh, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _pid, status, ru = os.wait4(p.pid, 0)
sys.stderr.buffer.write(err)
print(time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, status)
"""


def run(cmd: list[str], env: dict[str, str], stdout: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one child process, its stdout to ``stdout``."""
    out = subprocess.run([sys.executable, "-c", _WRAP, str(stdout), *cmd], capture_output=True, text=True,
                         env=dict(os.environ, **env))  # fmt: skip
    wall, cpu, kb, status = out.stdout.split()
    if status != "0":
        raise RuntimeError(f"{cmd} failed ({status}): {out.stderr}")
    return float(wall), float(cpu), int(kb) / 1024


def variants(day: str, out: Path) -> list[tuple[str, list[str]]]:
    base = ["report", "compliance", "--pledge", PLEDGE, "--as-of", day]
    return [
        ("json", [*base, "--json"]),
        ("csv --all", [*base, "--all", "--out", str(out / "r.csv")]),
        ("xlsx --all", [*base, "--all", "--out", str(out / "r.xlsx")]),
        ("table --all", [*base, "--all"]),
        ("--unit U3 --json", [*base, "--unit", "U3", "--json"]),
    ]


def bench_formats(home: Path, day: str, code: Path, row) -> None:  # type: ignore[no-untyped-def]
    out = home.parent / "formats-out"
    out.mkdir(exist_ok=True)
    env = {"PYTHONPATH": str(code), "IKRAR_HOME": str(home), "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "ikrar_cli", "--home", str(home)]
    for label, args in variants(day, out):
        wall, cpu, peak = run([*cmd, *args], env, out / "stdout")
        row(f"report compliance {label}", f"{wall:.1f} s wall, {cpu:.1f} s CPU", f"peak {peak:.0f} MB",
            f"{(out / 'stdout').stat().st_size / 1e6:.1f} MB on stdout", "")  # fmt: skip


def bench(n: int, row) -> None:  # type: ignore[no-untyped-def]
    """``bench/run.py --only report-formats``: build the data set (5% missing), measure, remove it."""
    from bench_compliance import build

    d, home, day = build(n, missing_every=20)
    try:
        bench_formats(home, day, ROOT, row)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=100_000)
    ap.add_argument("--home", type=Path)
    ap.add_argument("--day")
    ap.add_argument("--code", type=Path, default=ROOT)
    a = ap.parse_args()

    def row(*cells: str) -> None:
        print(" | ".join(cells), flush=True)

    if a.home:
        bench_formats(a.home, a.day, a.code, row)
    else:
        bench(a.n, row)


if __name__ == "__main__":
    main()
