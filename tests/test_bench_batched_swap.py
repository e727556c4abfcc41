"""bench/batched_swap.py stops when the code changes under it (bench/README.md: the exit 7 of the
first batched run was a workspace made by the bench's own process with migration 0019 as it was
when the bench started, merged by a child running the later code; tests/test_merge_batched.py
checks the merge itself)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
import batched_swap as bench  # noqa: E402


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "ikrar_cli" / "migrations").mkdir(parents=True)
    (root / "ikrar_cli" / "__init__.py").write_text("")
    (root / "ikrar_cli" / "migrations" / "m0019_pending_merges.py").write_text("TABLE = 'a'\n")
    return root


def test_the_bench_stops_when_a_module_changed_since_it_started(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    started = bench.code_fingerprint(root)
    bench.same_code(started, root)  # unchanged: goes on
    (root / "ikrar_cli" / "migrations" / "m0019_pending_merges.py").write_text("TABLE = 'b'\n")
    with pytest.raises(SystemExit, match="changed while the bench ran"):
        bench.same_code(started, root)


def test_a_new_or_removed_module_counts_as_a_change(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    started = bench.code_fingerprint(root)
    (root / "ikrar_cli" / "late.py").write_text("")
    with pytest.raises(SystemExit):
        bench.same_code(started, root)
    (root / "ikrar_cli" / "late.py").unlink()
    bench.same_code(started, root)
    shutil.rmtree(root / "ikrar_cli" / "migrations")
    with pytest.raises(SystemExit):
        bench.same_code(started, root)
