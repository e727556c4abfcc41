"""`report compliance` and `report verify` over a large signed roster snapshot and as many
receipts, for bench/run.py: time and peak memory of the CLI in a child process, next to the raw
limit measured in the same run (Ed25519 verify + SHA-256 leaf hash of every receipt, in memory)."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench_ledger import PASS, ROOT, bare_rate, measure


def build(n: int, missing_every: int = 0) -> tuple[Path, Path, str]:
    """An authority workspace: n officers in 20 units, a published snapshot, one terminal log with
    a session record and n receipts (one per officer), a signed checkpoint and an exported bundle.
    ``missing_every``: every such officer (0, k, 2k, ...) has no receipt (20: 5% missing)."""
    from ikrar_cli.keys.keyfiles import certify, init_authority, load_terminal_signer, new_terminal
    from ikrar_cli.keys.trust import export_bundle, receipt_revocation_id
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.ledger.merkle import leaf_hash
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.receipt import Claims, sign_receipt
    from ikrar_cli.recitation.attest import open_session
    from ikrar_cli.roster.snapshot import publish
    from ikrar_cli.store.core import now
    from ikrar_cli.workspace import Workspace

    d = Path(tempfile.mkdtemp(prefix="ikrar-bench-compliance-"))
    home = d / "ws"
    ws = Workspace.init(home, institution="B", code="B", unit=None, timezone="WITA", language="id")
    init_authority(ws, PASS)
    _i, req = new_terminal(ws, "t", None, PASS)
    certify(ws, req, PASS, not_before=0)
    signer = load_terminal_signer(ws, PASS)
    ids = [str(198609262015051001 + i) for i in range(n)]
    with ws.store.transaction() as conn:
        conn.executemany("INSERT INTO units (code, name) VALUES (?, ?)", [(f"U{u}", f"Unit {u}") for u in range(20)])
        conn.executemany(
            "INSERT INTO officers (officer_id, id_type, name, unit_code, first_seen_at, updated_at) "
            "VALUES (?, 'nip', ?, ?, 0, 0)",
            [(oid, f"Pegawai {i}", f"U{i % 20}") for i, oid in enumerate(ids)],
        )
    from ikrar_cli.reports.compliance import today_in

    today = date.fromisoformat(today_in("Asia/Makassar"))  # the receipts' day in WITA, not the machine's UTC day
    publish(ws, PASS, (today - timedelta(days=2)).isoformat())
    lg = Ledger(ws.store)
    pledge = PledgeLibrary.load().get("pilkada-2024")
    t0 = now() - 3600
    s = open_session(ws, lg, kid=signer.kid, terminal_name="t", public_key=signer.public_key_raw, pledge=pledge,
                     title="B", location="B", force_reason="bench", at=t0)  # fmt: skip
    batch: list[tuple[object, ...]] = []
    rows: list[tuple[object, ...]] = []
    idx = 0
    for i, oid in enumerate(ids):  # everyone pledged: n officers, n receipts (issue 13's size)
        if missing_every and i % missing_every == 0:
            continue
        idx += 1
        c = Claims(pledge.id, pledge.version, pledge.digest, oid, "nip", None, f"U{i % 20}", s.id, t0 + 1,
                   "Asia/Makassar", "collective", idx)  # fmt: skip
        r = sign_receipt(c, signer.sign, signer.kid)
        batch.append((s.log_id, idx, r.cose, leaf_hash(r.cose), t0))
        rows.append((s.id, s.log_id, idx, oid, "nip", None, f"U{i % 20}", pledge.id, pledge.version, "collective",
                     t0 + 1, 0, r.text, receipt_revocation_id(r.signature)))  # fmt: skip
        if len(batch) == 20_000:
            _flush(ws, batch, rows)
    _flush(ws, batch, rows)
    lg.checkpoint(s.log_id, signer.sign)
    export_bundle(ws, PASS)
    ws.close()
    return d, home, today.isoformat()


def _flush(ws, batch: list[tuple[object, ...]], rows: list[tuple[object, ...]]) -> None:  # type: ignore[no-untyped-def]
    with ws.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO ledger_entries (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)", batch
        )
        conn.executemany(
            "INSERT INTO attestations (session_id, log_id, ledger_idx, officer_id, id_type, officer_name, unit_code, "
            "pledge_id, pledge_version, method, attested_at, unlisted, receipt, receipt_rid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    batch.clear()
    rows.clear()


def bench_report(n: int, row) -> None:  # type: ignore[no-untyped-def]
    t_build = time.perf_counter()
    d, home, day = build(n)
    built = time.perf_counter() - t_build
    try:
        env = {"PYTHONPATH": str(ROOT), "IKRAR_HOME": str(home)}
        base = [sys.executable, "-m", "ikrar_cli", "--home", str(home)]
        secs, peak = measure([*base, "report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--json"],
                             env)  # fmt: skip
        out = d / "laporan.json"
        import subprocess

        with open(out, "wb") as fh:
            subprocess.run([*base, "report", "compliance", "--pledge", "pilkada-2024", "--as-of", day, "--json"],
                           stdout=fh, check=True, env=dict(__import__("os").environ, **env))  # fmt: skip
        vsecs, vpeak = measure([*base, "report", "verify", str(out)], env)
        conn = sqlite3.connect(home / "ikrar.db")
        receipts = conn.execute("SELECT COUNT(*) FROM attestations").fetchone()[0]
        conn.close()
        raw = bare_rate(home, min(receipts, 20_000))
        for label, t, p in (("report compliance --json", secs, peak), ("report verify REPORT.json", vsecs, vpeak)):
            row(
                f"{label}: {n:,}-officer snapshot, {receipts:,} receipts (every receipt verified, tree recomputed)",
                f"{t:.1f} s ({receipts / t:,.0f} receipts/s), peak {p:.0f} MB",
                f"bare SHA-256 + Ed25519 verify {raw:,.0f}/s",
                f"{receipts / t / raw:.2f}x",
                "report it; memory bounded",
            )
        print(f"  (building the workspace took {built:.0f} s)", file=sys.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)

