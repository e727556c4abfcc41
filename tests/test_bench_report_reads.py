"""bench/report_reads.py reads what a report reads, and all of it: the stored snapshot's bytes and
every entry of every log (bench/README.md, "The engine's share of the report rows")."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import report_reads as bench  # noqa: E402
import report_world  # noqa: E402


def test_the_reads_cover_the_whole_snapshot_and_every_entry(tmp_path: Path) -> None:
    from ikrar_cli.roster.snapshot_write import stored_file
    from ikrar_cli.workspace import Workspace

    report_world.build(tmp_path / "ws", 300, 150)
    got = bench.child(tmp_path / "ws")
    ws = Workspace.open(tmp_path / "ws")
    try:
        with ws.store.read() as conn:
            entries = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
            digest = conn.execute("SELECT digest FROM roster_snapshots").fetchone()[0]
            size = len(stored_file(conn, digest))
    finally:
        ws.close()
    assert entries == 151  # the session's record and 150 receipts
    assert got["entries"]["rows"] == entries
    assert got["snapshot"]["bytes"] == size > 0
    assert all(got[k]["wall"] >= 0 and got[k]["client"] >= 0 for k in ("snapshot", "entries"))
