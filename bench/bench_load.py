"""National-season load (issue 20): peak memory and time of the big jobs through the CLI.

Data is generated once and kept outside the repository (``$IKRAR_BENCH_DATA``, default
``ikrar-bench-load`` in the temporary directory; the figures in bench/README.md used
``/work/data/load``); each measured command runs on a fresh copy of the prepared workspace, as
the only child of a wrapper that reads its ``ru_maxrss`` (bench_ledger.measure). Every ratio is
printed against a raw limit measured in the same run.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_ledger import PASS, measure

DATA = Path(os.environ.get("IKRAR_BENCH_DATA") or Path(tempfile.gettempdir()) / "ikrar-bench-load")
ENV = {"IKRAR_PASSPHRASE": PASS.decode()}


def _cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ikrar_cli", "--home", str(home), *args]


def prepare_attest(n: int) -> Path:
    """A workspace with ``n`` officers, an authority, a certified terminal ``t`` and session 1 open;
    ``hadir.csv`` lists every officer (a real attendance file: a NIP column with its header)."""
    base = DATA / f"attest-{n}"
    if (base / "ready").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    from ikrar_cli.demo.office import write_sample_roster
    from ikrar_cli.keys.keyfiles import certify, init_authority, load_terminal_signer, new_terminal
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.recitation.attest import open_session
    from ikrar_cli.roster.importer import import_roster
    from ikrar_cli.workspace import Workspace

    ws = Workspace.init(base / "ws", institution="B", code="B", unit=None, timezone="WITA", language="id")
    roster = base / "roster.csv"
    write_sample_roster(roster, n, seed=1)
    import_roster(ws.store, roster)
    init_authority(ws, PASS)
    _i, req = new_terminal(ws, "t", None, PASS)
    certify(ws, req, PASS, not_before=0)
    signer = load_terminal_signer(ws, PASS)
    open_session(ws, Ledger(ws.store), kid=signer.kid, terminal_name="t", public_key=signer.public_key_raw,
                 pledge=PledgeLibrary.load().get("pilkada-2024"), title="B", location="B",
                 force_reason="bench")  # fmt: skip
    with ws.store.read() as conn, (base / "hadir.csv").open("w") as fh:
        fh.write("NIP\n")
        for (oid,) in conn.execute("SELECT officer_id FROM officers"):
            fh.write(oid + "\n")
    ws.close()
    (base / "ready").write_text("ok")
    return base


def bare_sign_insert(n: int) -> float:
    """Seconds of the raw limit: Ed25519 sign + one insert each, committing every 500, WAL + FULL."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    d = Path(tempfile.mkdtemp())
    key = Ed25519PrivateKey.generate()
    conn = sqlite3.connect(d / "b.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, sig BLOB)")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    for i in range(n):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, key.sign(b"%d" % i * 20)))
        if i % 500 == 499:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("COMMIT")
    t = time.perf_counter() - t0
    conn.close()
    shutil.rmtree(d, ignore_errors=True)
    return t


def bench_attest_cli(n: int, row: Callable[..., None]) -> None:
    base = prepare_attest(n)
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-attest-", dir=DATA))
    try:
        shutil.copytree(base / "ws", work / "ws")
        secs, peak = measure(_cli(work / "ws", "--json", "attest", "--session", "1", "--attendance",
                                  str(base / "hadir.csv")), ENV)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    raw = bare_sign_insert(min(n, 100_000))
    raw_rate = min(n, 100_000) / raw
    row(
        f"`ikrar attest --attendance` {n:,} officers (CLI, real attendance CSV, JSON lines out)",
        f"{n / secs:,.0f} receipts/s ({secs:.1f} s), peak {peak:.0f} MB",
        f"bare sign + insert loop {raw_rate:,.0f}/s",
        f"{n / secs / raw_rate:.2f}x",
        "peak < 300 MB",
    )


def prepare_merge(n: int) -> Path:
    """A terminal log of ``n`` real receipts exported to ``export.jsonl``, and ``central``: the same
    workspace (authority, certificate) with its ledger emptied, ready to merge the export."""
    base = DATA / f"merge-{n}"
    if (base / "ready").exists():
        return base
    from bench_ledger import build_ledger

    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    d, home = build_ledger(n)
    shutil.move(str(home), base / "terminal")
    shutil.rmtree(d, ignore_errors=True)
    secs, _peak = measure(_cli(base / "terminal", "ledger", "export", "--out", str(base / "export.jsonl")), ENV)
    shutil.copytree(base / "terminal", base / "central")
    db = sqlite3.connect(base / "central" / "ikrar.db")
    for table in ("attestations", "ledger_entries", "checkpoints", "sessions", "logs"):
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    db.commit()
    db.execute("VACUUM")
    db.close()
    (base / "ready").write_text("ok")
    return base


def bench_merge(n: int, row: Callable[..., None]) -> None:
    from bench_ledger import bare_rate
    from lockprobe import PERIOD, LockProbe

    base = prepare_merge(n)
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-merge-", dir=DATA))
    try:
        shutil.copytree(base / "central", work / "central")
        cmd = _cli(work / "central", "--json", "ledger", "merge", str(base / "export.jsonl"))
        with LockProbe(work / "central" / "ikrar.db") as probe:  # how long a roster import would wait
            first, peak = measure(cmd, ENV)
        again, peak2 = measure(cmd, ENV)
        raw = bare_rate(work / "central", min(n, 20_000))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row(
        f"`ikrar ledger merge` {n:,} receipts, first merge (CLI)",
        f"{n / first:,.0f} records/s ({first:.1f} s), peak {peak:.0f} MB",
        f"bare SHA-256 tree + Ed25519 verify (best library) {raw:,.0f}/s",
        f"{n / first / raw:.2f}x",
        "peak < 300 MB",
    )
    row(
        f"longest wait for the write lock during that merge (a probe asking every {PERIOD * 1000:.0f} ms)",
        f"{probe.longest:.2f} s ({probe.probes:,} probes)",
        f"the whole merge {first:.1f} s",
        f"{probe.longest / first:.2f}x",
        "a few seconds (busy timeout 30 s)",
    )
    row(
        f"`ikrar ledger merge` of the same {n:,}-receipt file again (all records known)",
        f"{again:.1f} s, peak {peak2:.0f} MB",
        f"first merge {first:.1f} s (same run)",
        f"{again / first:.2f}x",
        "≤ 0.10x",
    )
