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
import time
from pathlib import Path

from bench_ledger import ROOT

PLEDGE = "pilkada-2024"


def run(cmd: list[str], env: dict[str, str], stdout: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one child process."""
    t = time.perf_counter()
    with open(stdout, "wb") as fh:
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE, env=dict(os.environ, **env))
        _pid, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode() if p.stderr else ""
    if status != 0:
        raise RuntimeError(f"{cmd} failed ({status}): {err}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


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
        return
    from bench_compliance import build

    d, home, day = build(a.n, missing_every=20)
    try:
        bench_formats(home, day, a.code, row)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
