"""Time and peak RSS of `report compliance --json` and `report verify` of its output, for one or
more source trees on the same workspace (the reportstream figures in bench/README.md):

    python bench/compare_report.py HOME DAY TREE [TREE ...]

TREE is a folder holding `ikrar_cli/` and `pledges/` (e.g. `git archive BASE ikrar_cli pledges`);
a tree older than the workspace's migrations refuses it: copy the workspace for it and delete the
newer rows of `schema_migrations`. Build a workspace with `tests/report_world.py` (prints DAY):
`cd tests && python -c "import report_world as w, pathlib; print(w.build(pathlib.Path(HOME), 100_000, 66_000))"`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(tree: str, home: str, args: list[str], out: Path) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=tree)
    t = time.perf_counter()
    with open(out, "wb") as fh:
        p = subprocess.Popen([sys.executable, "-m", "ikrar_cli", "--home", home, *args], stdout=fh, env=env)
        _pid, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"{tree}: {' '.join(args)} failed ({status})")
    return time.perf_counter() - t, ru.ru_maxrss / 1024


def main() -> None:
    home, day, *trees = sys.argv[1:]
    outs = []
    for tree in trees:
        d = Path(tempfile.mkdtemp(prefix="ikrar-compare-report-"))
        report = d / "r.json"
        secs, peak = run(tree, home, ["report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--json"],
                         report)  # fmt: skip
        vsecs, vpeak = run(tree, home, ["report", "verify", str(report)], d / "verify.txt")
        print(f"{tree}: report {secs:.1f} s, peak {peak:.0f} MB; verify {vsecs:.1f} s, peak {vpeak:.0f} MB")
        outs.append(report.read_bytes())
    print("JSON byte-identical across trees:", all(o == outs[0] for o in outs))


if __name__ == "__main__":
    main()
