"""Ledger verification at scale and peak memory of the big jobs, for bench/run.py.

The ledger is built through the library (real terminal key, real signed receipts, real
checkpoints at a quarter, half and all of the log), then verified by the CLI in a child
process: `ikrar ledger verify` with the workspace's live trust bundle. Peak memory is the
child's ru_maxrss, read by a wrapper process whose only child is the measured command.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASS = b"bench-pass"
WRAP = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode); "
    "sys.stderr.write(r.stderr.decode()[-2000:])"
)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak MB) of one command run as the only child of a fresh wrapper."""
    import os

    out = subprocess.run(
        [sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True, env=dict(os.environ, **(env or {}))
    )
    secs, kb, rc = out.stdout.split()
    if rc != "0":
        raise RuntimeError(f"{cmd} failed ({rc}): {out.stderr}")
    return float(secs), int(kb) / 1024


def build_ledger(n: int) -> tuple[Path, Path]:
    from ikrar_cli.keys.keyfiles import certify, init_authority, load_terminal_signer, new_terminal
    from ikrar_cli.keys.trust import receipt_revocation_id
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.ledger.merkle import leaf_hash
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.receipt import Claims, sign_receipt
    from ikrar_cli.recitation.attest import open_session
    from ikrar_cli.workspace import Workspace

    d = Path(tempfile.mkdtemp(prefix="ikrar-bench-ledger-"))
    home = d / "ws"
    ws = Workspace.init(home, institution="B", code="B", unit=None, timezone="WITA", language="id")
    init_authority(ws, PASS)
    _i, req = new_terminal(ws, "t", None, PASS)
    certify(ws, req, PASS, not_before=0)
    signer = load_terminal_signer(ws, PASS)
    lg = Ledger(ws.store)
    pledge = PledgeLibrary.load().get("pilkada-2024")
    t0 = 1_727_740_800
    s = open_session(ws, lg, kid=signer.kid, terminal_name="t", public_key=signer.public_key_raw, pledge=pledge,
                     title="B", location="B", force_reason="bench", at=t0 - 60)  # fmt: skip
    base = lg.size(ws.store.conn, s.log_id)  # entry 0 is the session-open record
    quarters = {n // 4, n // 2, n}
    batch: list[tuple[str, int, bytes, bytes, int]] = []
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        oid = str(198609262015051001 + i)
        c = Claims(pledge.id, pledge.version, pledge.digest, oid, "nip", None,
                   "DINKES", s.id, t0 + i, "Asia/Makassar", "collective", base + i)  # fmt: skip
        r = sign_receipt(c, signer.sign, signer.kid)
        batch.append((s.log_id, base + i, r.cose, leaf_hash(r.cose), t0))
        rows.append((s.id, s.log_id, base + i, oid, "nip", None, "DINKES", pledge.id, pledge.version, "collective",
                     t0 + i, 0, r.text, receipt_revocation_id(r.signature)))  # fmt: skip
        if len(batch) == 20_000 or i + 1 in quarters:
            with ws.store.transaction() as conn:
                conn.executemany(
                    "INSERT INTO ledger_entries (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                    batch,
                )
                conn.executemany(
                    "INSERT INTO attestations (session_id, log_id, ledger_idx, officer_id, id_type, officer_name, "
                    "unit_code, pledge_id, pledge_version, method, attested_at, unlisted, receipt, receipt_rid) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            batch.clear()
            rows.clear()
        if i + 1 in quarters:
            lg.checkpoint(s.log_id, signer.sign)
    ws.close()
    return d, home


def bare_rate(home: Path, sample: int) -> float:
    """Records/s of the raw limit: SHA-256 leaf hash + Merkle root + Ed25519 verify, data in memory."""
    import sqlite3

    from ikrar_cli.keys import ed25519
    from ikrar_cli.receipts.receipt import receipt_from_cose

    conn = sqlite3.connect(home / "ikrar.db")
    leaves = [
        bytes(r[0])
        for r in conn.execute(
            "SELECT leaf FROM ledger_entries WHERE substr(leaf, 1, 13) != CAST('ikrar-session' AS BLOB) "
            "ORDER BY idx LIMIT ?",
            (sample,),
        )
    ]  # receipts only: session records sign no pledge
    # the faster of the two Ed25519 libraries installed (PyNaCl when present, else cryptography)
    pub = ed25519.public_key(bytes(conn.execute("SELECT public_key FROM logs").fetchone()[0]))
    pairs = [(r.signature, r.signed_bytes()) for r in map(receipt_from_cose, leaves)]
    sha = hashlib.sha256
    t = time.perf_counter()
    level = []
    for leaf, (sig, msg) in zip(leaves, pairs, strict=True):
        assert pub.verify(sig, msg)
        level.append(sha(b"\x00" + leaf).digest())
    while len(level) > 1:  # a plain (non-RFC-6962-exact) binary Merkle root: the cost of the hashing
        level = [sha(b"\x01" + level[i] + level[i + 1]).digest() if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]  # fmt: skip
    return len(leaves) / (time.perf_counter() - t)


def bench_ledger_verify(n: int, row) -> None:  # type: ignore[no-untyped-def]
    t_build = time.perf_counter()
    d, home = build_ledger(n)
    built = time.perf_counter() - t_build
    try:
        secs, peak = measure([sys.executable, "-m", "ikrar_cli", "--home", str(home), "--json", "ledger", "verify"],
                             {"PYTHONPATH": str(ROOT)})  # fmt: skip
        sample = min(n, 20_000)
        raw = bare_rate(home, sample)
        ours = n / secs
        row(
            f"ledger verify {n:,} records (CLI: tree, every receipt, 3 checkpoints + consistency, rows)",
            f"{ours:,.0f} records/s ({secs:.1f} s, peak {peak:.0f} MB)",
            f"bare SHA-256 tree + Ed25519 verify {raw:,.0f}/s ({sample:,} in memory)",
            f"{ours / raw:.2f}x",
            "≥ 0.5x; memory bounded",
        )
        print(f"  (building the {n:,}-record ledger took {built:.0f} s)", file=sys.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def bench_import_memory(n: int, row) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.demo.office import write_sample_roster

    d = Path(tempfile.mkdtemp(prefix="ikrar-bench-mem-"))
    try:
        f = d / "r.csv"
        write_sample_roster(f, n, seed=9)
        home = d / "ws"
        env = {"PYTHONPATH": str(ROOT), "IKRAR_HOME": str(home)}
        measure([sys.executable, "-m", "ikrar_cli", "init"], env)
        secs, peak = measure([sys.executable, "-m", "ikrar_cli", "roster", "import", str(f)], env)
        size = f.stat().st_size / 1e6
        row(
            f"roster import {n:,} rows CSV via the CLI: peak memory",
            f"{peak:.0f} MB ({secs:.1f} s, {n / secs:,.0f} rows/s)",
            f"input file {size:.0f} MB",
            f"{peak / size:.2f}x file size",
            "< 300 MB (issue 20's bound; a file of 16 MB or more gets a 256 MB page cache while it runs)",
        )
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000

    def show(*cells: str) -> None:
        print(json.dumps(cells))

    bench_ledger_verify(n, show)
    bench_import_memory(n, show)
