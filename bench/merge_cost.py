"""CPU cost of ``ledger merge`` per receipt, on SQLite and PostgreSQL, against the bare limit.

    python bench/merge_cost.py [--quick] [--receipts M] [--exports T] [--profile] [--engine sqlite,postgresql]

The exports are made once by bench/national_data.py (real keys, receipts, checkpoints, signed
session records; cached under ``$IKRAR_BENCH_DATA``/mergecost). A fresh central workspace per
engine (authority key, every terminal certified, as bench_national.py sets it up) merges them all
in this process through ``ledger.export.Merger``; CPU seconds (``time.process_time``, this process
only: the figure to compare on a shared machine; PostgreSQL's own CPU is not in it) and wall
seconds are printed, with the swap step alone (``staging.apply_staged``, the write transaction) and
``ledger.export.duplicates`` after the merge. The reference is the bare loop of the faster Ed25519
library installed (PyNaCl when present): SHA-256 leaf hash + Merkle root + Ed25519 verify over the
same receipts with everything decoded beforehand, also in CPU seconds. ``--profile`` prints the
top of a cProfile of the SQLite merge.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
DATA = Path(os.environ.get("IKRAR_BENCH_DATA") or Path(tempfile.gettempdir()) / "ikrar-bench-load") / "mergecost"


def bare_limit(files: list[Path], sample: int) -> tuple[float, str]:
    """Receipts per CPU second of the bare loop (decoded outside the timing), and the library."""
    import json

    from ikrar_cli.keys import ed25519
    from ikrar_cli.receipts.receipt import decode_receipt

    items: list[tuple[Any, bytes, bytes, bytes]] = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            pub = None
            for line in fh:
                obj = json.loads(line)
                if "public_key" in obj:
                    import base64

                    pub = ed25519.public_key(base64.b64decode(obj["public_key"]))
                elif "receipt" in obj and pub is not None:
                    r = decode_receipt(obj["receipt"])
                    items.append((pub, r.signature, r.signed_bytes(), r.cose))
                if len(items) >= sample:
                    break
        if len(items) >= sample:
            break
    sha = hashlib.sha256
    c0 = time.process_time()
    level = []
    for pub, sig, msg, leaf in items:
        assert pub.verify(sig, msg)
        level.append(sha(b"\x00" + leaf).digest())
    while len(level) > 1:
        level = [sha(b"\x01" + level[i] + level[i + 1]).digest() if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]  # fmt: skip
    return len(items) / (time.process_time() - c0), ed25519.backend_name()


def _pg_database(url: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"ikrar_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    parts = urlsplit(url)

    def drop() -> None:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)), drop


def central(home: Path, database: str | None, data: dict[str, Any]) -> None:
    import json

    import national_data as nd
    from bench_national import certify_all

    from ikrar_cli.keys.keyfiles import init_authority
    from ikrar_cli.workspace import Workspace

    ws = Workspace.init(home, institution="BKN", code=nd.CODE, unit=None, timezone="WIB", language="id",
                        database=database)  # fmt: skip
    init_authority(ws, nd.PASS)
    ws.close()
    certify_all(home, json.loads((Path(data["root"]) / "terminals.json").read_text()))


FULL_GROUPING = (
    "SELECT a.officer_id, a.pledge_id, a.pledge_version, a.log_id, a.ledger_idx, a.attested_at, s.terminal_name "
    "FROM attestations a JOIN sessions s ON s.id = a.session_id "
    "WHERE (a.officer_id, a.pledge_id, a.pledge_version) IN (SELECT officer_id, pledge_id, pledge_version "
    "FROM attestations GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) "
    "ORDER BY a.officer_id, a.pledge_id, a.pledge_version, a.attested_at, a.log_id, a.ledger_idx"
)


def merge_once(home: Path, files: list[Path], profile: bool = False) -> dict[str, float]:
    """Merge ``files`` into the workspace at ``home``; CPU and wall seconds of the merge, the swap
    steps and the duplicates scan."""
    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger import batched_swap, export, staging
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    swaps: list[tuple[float, float]] = []
    real = staging.apply_staged

    def timed(*args: Any, **kw: Any) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        real(*args, **kw)
        swaps.append((time.perf_counter() - t0, time.process_time() - c0))

    staging.apply_staged = timed  # type: ignore[assignment]
    batched_swap.apply_staged = timed  # type: ignore[assignment]  # the swap calls it from there (batched_swap.py)
    ws = Workspace.open(home)
    try:
        merger = export.Merger(ws, Verifier(trusted_bundle(ws)))
        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        t0, c0 = time.perf_counter(), time.process_time()
        results = merger.merge_files(files)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        if prof is not None:
            import pstats

            prof.disable()
            stats = pstats.Stats(prof, stream=sys.stderr).sort_stats(os.environ.get("MC_SORT", "tottime"))
            stats.print_stats(int(os.environ.get("MC_TOP", "25")))
        bad = [r.error for r in results if not r.accepted]
        assert not bad, bad[0]
        added = sum(r.added for r in results)
        with ws.store.read() as conn:
            t1, c1 = time.perf_counter(), time.process_time()
            dups = export.duplicates(conn)
            dup_wall, dup_cpu = time.perf_counter() - t1, time.process_time() - c1
            t1 = time.perf_counter()
            old = conn.execute(FULL_GROUPING).fetchall()  # what duplicates() ran before (every attestation)
            old_wall = time.perf_counter() - t1
            assert len(old) == sum(len(d.attestations) for d in dups), (len(old), len(dups))
            n_att = conn.execute("SELECT COUNT(*) FROM attestations").fetchone()[0]
    finally:
        staging.apply_staged = real  # type: ignore[assignment]
        batched_swap.apply_staged = real  # type: ignore[assignment]
        ws.close()
    return {"cpu": cpu, "wall": wall, "added": added, "swap_wall": sum(w for w, _c in swaps),
            "swap_cpu": sum(c for _w, c in swaps), "swap_max_wall": max((w for w, _c in swaps), default=0.0),
            "dup_wall": dup_wall, "dup_cpu": dup_cpu, "dups": len(dups), "attestations": n_att,
            "old_dup_wall": old_wall}  # fmt: skip


def bench_merge_cost(receipts: int, exports: int, row: Callable[..., None], engines: list[str],
                     profile: bool = False) -> None:  # fmt: skip
    import national_data as nd

    os.environ.setdefault("IKRAR_PASSPHRASE", nd.PASS.decode())
    data = nd.ensure(DATA, receipts // 2, receipts, exports, 10, workers=1)
    files = sorted((Path(data["root"]) / "exports").glob("t*.jsonl"))
    limit, lib = bare_limit(files, min(receipts, 20_000))
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-mergecost-"))
    try:
        for engine in engines:
            drop = None
            url = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ.get("IKRAR_TEST_PG_URL")
            if engine == "postgresql":
                if not url:
                    row(f"ledger merge {receipts:,} receipts, PostgreSQL", "no server", "–", "–", "–")
                    continue
                database, drop = _pg_database(url)
            else:
                database = None
            try:
                home = work / engine
                central(home, database, data)
                m = merge_once(home, files, profile and engine == "sqlite")
            finally:
                if drop:
                    drop()
            rate = m["added"] / m["cpu"]
            row(f"`ledger merge` {len(files)} exports, {m['added']:,} receipts, {engine} (in-process, CPU)",
                f"{1000 * m['cpu'] / m['added']:.3f} CPU s per 1,000 ({rate:,.0f}/CPU s; wall {m['wall']:.1f} s)",
                f"bare SHA-256 + Ed25519 ({lib}) {limit:,.0f}/CPU s", f"{rate / limit:.2f}x",
                "≥ 0.5x")  # fmt: skip
            row(f"  swap (apply_staged, the write transaction), {engine}",
                f"CPU {m['swap_cpu']:.2f} s, wall {m['swap_wall']:.2f} s in all, longest {m['swap_max_wall']:.2f} s",
                f"the merge CPU {m['cpu']:.1f} s", f"{m['swap_cpu'] / m['cpu']:.2f}x", "a few seconds")  # fmt: skip
            row(f"  duplicates() after the merge, {engine}, {m['attestations']:,} attestations",
                f"wall {m['dup_wall']:.3f} s, CPU {m['dup_cpu']:.3f} s ({m['dups']} duplicates)",
                f"the full grouping it replaced: wall {m['old_dup_wall']:.3f} s",
                f"{m['dup_wall'] / max(m['old_dup_wall'], 1e-6):.2f}x", "not growing with the table")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--receipts", type=int, default=0)
    ap.add_argument("--exports", type=int, default=0)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--engine", default="sqlite,postgresql")
    a = ap.parse_args()
    receipts = a.receipts or (600 if a.quick else 20_000)
    exports = a.exports or (3 if a.quick else 10)

    def row(*cells: str) -> None:
        print(" | ".join(cells), flush=True)

    print(os.popen("uptime").read().strip(), file=sys.stderr)  # noqa: S605,S607 - the load, for the record
    bench_merge_cost(receipts, exports, row, a.engine.split(","), a.profile)


if __name__ == "__main__":
    main()
