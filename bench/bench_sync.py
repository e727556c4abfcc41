"""Online sync throughput: T terminals push (through a real `ikrar serve` child, concurrently, in
two rounds: a first push, then an incremental one) against `ledger merge` of the same records as
full exports into the same central workspace (same run, same machine).

    python bench/bench_sync.py --quick      # 5 terminals x 2 rounds x 20 receipts (proves it works)
    python bench/bench_sync.py              # 50 terminals x 2 rounds x 100 receipts
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASS = b"bench-rahasia-123"


def build(d: Path, terminals: int, officers: int) -> tuple[Path, list[Path]]:
    """A central authority workspace and `terminals` certified terminal workspaces, each with a session."""
    from ikrar_cli.api import load_terminal_signer, open_session
    from ikrar_cli.keys import keyfiles as keys
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.workspace import Workspace

    central = Workspace.init(d / "central", institution="B", code="B", unit=None, timezone="WITA", language="id")
    keys.init_authority(central, PASS)
    rows = [(str(198609262015051001 + i), f"Pegawai {i}", f"U{i % 20}") for i in range(officers)]
    pledge = PledgeLibrary.load().get("pilkada-2024")
    homes = []
    for n in range(terminals):
        ws = Workspace.init(d / f"t{n}", institution="B", code="B", unit=None, timezone="WITA", language="id")
        _info, req = keys.new_terminal(ws, f"apel-{n}", None, PASS)
        keys.import_certificate(ws, keys.certify(central, req, PASS, not_before=0))
        with ws.store.transaction() as conn:
            conn.executemany("INSERT INTO units (code, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                             [(f"U{u}", f"Unit {u}") for u in range(20)])  # fmt: skip
            conn.executemany("INSERT INTO officers (officer_id, id_type, name, unit_code, first_seen_at, updated_at) "
                             "VALUES (?, 'nip', ?, ?, 0, 0)", rows)  # fmt: skip
        open_session(ws, load_terminal_signer(ws, PASS), pledge, title="Apel", location="Halaman", force_reason="b")
        ws.close()
        homes.append(d / f"t{n}")
    central.close()
    return d / "central", homes


def attest_round(homes: list[Path], start: int, count: int) -> None:
    from ikrar_cli.api import attest_many, load_terminal_signer
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.recitation.attest import log_id_for
    from ikrar_cli.workspace import Workspace

    for home in homes:
        ws = Workspace.open(home)
        signer = load_terminal_signer(ws, PASS)
        attest_many(ws, signer, 1, [(i, str(198609262015051001 + i)) for i in range(start, start + count)])
        Ledger(ws.store).checkpoint(log_id_for(signer.kid), signer.sign)
        ws.close()


def start_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", "ikrar_cli", "--home", str(home), "serve", "--port", "0"],
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline().decode()
    if "listening on" not in line:
        raise SystemExit(f"ikrar serve did not start: {line}")
    return proc, line.split(" on ", 1)[1].strip()


def push_all(homes: list[Path], url: str) -> tuple[float, int]:
    """Every terminal pushes at once (one thread each, its own connection); seconds, receipts added."""
    from ikrar_cli.api import load_terminal_signer, push_to_centre
    from ikrar_cli.workspace import Workspace

    added = [0] * len(homes)
    signers = []
    for home in homes:
        ws = Workspace.open(home)
        signers.append(load_terminal_signer(ws, PASS))
        ws.close()

    def one(i: int) -> None:
        ws = Workspace.open(homes[i])  # SQLite connections stay in their thread
        added[i] = sum(r["added"] for r in push_to_centre(ws, signers[i], url, attempts=3))
        ws.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(homes))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, sum(added)


def merge_all(central: Path, homes: list[Path], d: Path) -> tuple[float, int]:
    """Reference: full exports of the same terminals, merged with `ledger merge`'s Merger."""
    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger.export import Merger, export_ledger
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    files = []
    for n, home in enumerate(homes):
        ws = Workspace.open(home)
        files.append(export_ledger(ws, d / f"t{n}.jsonl").path)
        ws.close()
    ws = Workspace.open(central)
    verifier = Verifier(trusted_bundle(ws))
    t0 = time.perf_counter()
    results = Merger(ws, verifier).merge_files(files)
    elapsed = time.perf_counter() - t0
    ws.close()
    assert all(r.accepted for r in results), [r.error for r in results if not r.accepted]
    return elapsed, sum(r.added for r in results)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    terminals, per_round = (5, 20) if args.quick else (50, 100)
    import ikrar_cli.keys.keyfiles

    ikrar_cli.keys.keyfiles.SCRYPT_N = 2**14  # key files name their own cost; the KDF is not what is measured here
    d = Path(tempfile.mkdtemp(prefix="ikrar-bench-sync-"))
    try:
        central, homes = build(d, terminals, 2 * per_round)
        shutil.copytree(central, d / "central-merge")
        attest_round(homes, 0, per_round)
        proc, url = start_server(central)
        try:
            t1, a1 = push_all(homes, url)
            attest_round(homes, per_round, per_round)
            t2, a2 = push_all(homes, url)
        finally:
            proc.terminate()
            proc.wait()
        tm, am = merge_all(d / "central-merge", homes, d)
        assert a1 + a2 == am == terminals * 2 * per_round, (a1, a2, am)
        pushes = 2 * terminals / (t1 + t2)
        push_rate = (a1 + a2) / (t1 + t2)
        merge_rate = am / tm
        print(f"terminals {terminals}, 2 rounds of {per_round} receipts each, concurrent pushes through ikrar serve")
        print(f"push:  {2 * terminals} pushes in {t1 + t2:.2f} s = {pushes:.1f} pushes/s, {push_rate:,.0f} receipts/s")
        print(f"merge: {am} receipts from {terminals} full exports in {tm:.2f} s = {merge_rate:,.0f} receipts/s")
        print(f"  round 1 (first push, centre cold): {a1} receipts in {t1:.2f} s = {a1 / t1:,.0f} receipts/s")
        print(f"  round 2 (incremental pushes): {a2} receipts in {t2:.2f} s = {a2 / t2:,.0f} receipts/s, "
              f"{terminals / t2:.1f} pushes/s")
        warm = a2 / t2 / merge_rate
        print(f"ratio push/merge (receipts/s): {push_rate / merge_rate:.2f}x (round 2 alone: {warm:.2f}x)")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
