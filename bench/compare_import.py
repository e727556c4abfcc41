"""Roster import of the same 100,000-row CSV and XLSX by two source trees, alternating in fresh
processes; prints min / median wall and CPU seconds per tree and file (bench/README.md, "The roster
import figure fell").

    git worktree add /tmp/base 107d36e
    python bench/compare_import.py 5 /tmp/base .     # ROUNDS TREE_A TREE_B

The files are made once under the temporary directory (the roster of bench/run.py).
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TMP = Path(tempfile.gettempdir())

# One import in a child that sees only TREE's ikrar_cli (the editable install's finder removed).
CHILD = r"""
import sys, time, tempfile
from pathlib import Path
root = sys.argv[1]
sys.path.insert(0, root)
sys.meta_path = [f for f in sys.meta_path if "editable" not in (repr(f) + type(f).__module__).lower()]
try:
    from ikrar_cli.roster.importer import import_roster
except ImportError:
    from ikrar_cli.roster import import_roster
from ikrar_cli.workspace import Workspace
import ikrar_cli
assert ikrar_cli.__file__.startswith(root), ikrar_cli.__file__
home = Path(tempfile.mkdtemp()) / "ws"
ws = Workspace.init(home, institution="B", code="B", unit=None, timezone="WIB", language="id")
t0, c0 = time.perf_counter(), time.process_time()
rep = import_roster(ws.store, Path(sys.argv[2]))
print(time.perf_counter() - t0, time.process_time() - c0, rep.added)
"""


def files() -> tuple[Path, Path]:
    src, xlsx = TMP / "ikrar-compare-r100k.csv", TMP / "ikrar-compare-r100k.xlsx"
    if not src.exists():
        sys.path.insert(0, str(HERE))
        from run import write_roster

        write_roster(src, 100_000)
    if not xlsx.exists():
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True})
        sheet = wb.add_worksheet()
        with open(src, encoding="utf-8-sig", newline="") as fh:
            for i, rec in enumerate(csv.reader(fh, delimiter=";")):
                for j, v in enumerate(rec):
                    sheet.write_string(i, j, v)
        wb.close()
    return src, xlsx


def main() -> None:
    rounds, trees = int(sys.argv[1]), [str(Path(t).resolve()) for t in sys.argv[2:4]]
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _round in range(rounds):
        for tree in trees:
            for f in files():
                out = subprocess.run([sys.executable, "-c", CHILD, tree, str(f)], capture_output=True, text=True,
                                     cwd=TMP, check=False)  # fmt: skip
                if out.returncode:
                    sys.exit(out.stderr[-800:])
                wall, cpu, _added = out.stdout.split()
                results.setdefault((tree, f.suffix), []).append((float(wall), float(cpu)))
    for (tree, kind), v in sorted(results.items()):
        walls, cpus = sorted(a for a, _ in v), sorted(b for _, b in v)
        mid = len(v) // 2
        print(f"{tree} {kind:5}  wall min {walls[0]:.2f} s median {walls[mid]:.2f} s  "
              f"cpu min {cpus[0]:.2f} s median {cpus[mid]:.2f} s  ({100_000 / walls[mid]:,.0f} rows/s)")  # fmt: skip


if __name__ == "__main__":
    main()
