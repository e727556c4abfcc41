"""Peak memory of ``ikrar roster publish`` and ``ikrar roster accept`` (issue 17, issue 20).

    python bench/bench_publish.py --officers 1000000 --engine sqlite
    python bench/bench_publish.py --officers 1000000 --engine postgresql   # IKRAR_TEST_PG_URL's server
    python bench/bench_publish.py --quick

An authority workspace gets ``--officers`` generated officers in ``--units`` units (written with
SQL, not through ``roster import``: the import is measured elsewhere); then, through the CLI, each
in a wrapper that reads the child's peak RSS (bench_national.WRAP): ``roster publish --out FILE``
at the authority, and ``roster accept FILE`` in a second workspace that trusts it. Prints the time,
the peak RSS and the file size; ``--json`` writes them too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_national import WRAP  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PASS = "bench publish passphrase 2026"
NAMES = ["Siti Aisyah", "Budi Santoso", "Ni Luh Putu Ayu", "I Gusti Ngurah", "Dewi Ṣari", "Andi Muh. Ñur"]


def _database(engine: str) -> tuple[str | None, Any]:
    if engine == "sqlite":
        return None, None
    import psycopg

    server = os.environ.get("IKRAR_BENCH_PG_URL") or os.environ["IKRAR_TEST_PG_URL"]
    name = "bench_publish_" + uuid.uuid4().hex[:8]
    admin = psycopg.connect(server, autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name, (admin, name)


def _authority(home: Path, n: int, units: int, database: str | None) -> None:
    from ikrar_cli.keys.keyfiles import init_authority
    from ikrar_cli.keys.trust import export_bundle
    from ikrar_cli.workspace import Workspace

    ws = Workspace.init(home, institution="Badan Kepegawaian Negara", code="BKN", unit=None, timezone="WIB",
                        language="id", database=database)  # fmt: skip
    try:
        init_authority(ws, PASS.encode())
        with ws.store.transaction() as conn:
            conn.executemany("INSERT INTO units (code, name) VALUES (?, ?)",
                             [(f"U{u:05d}", f"Satuan Kerja {u}") for u in range(units)])  # fmt: skip
        batch = 50_000
        for start in range(0, n, batch):
            rows = [(str(196001011985031001 + i), NAMES[i % len(NAMES)] + f" {i}", "Dr." if i % 9 == 0 else None,
                     "S.E." if i % 4 == 0 else None, f"U{i % units:05d}")
                    for i in range(start, min(n, start + batch))]  # fmt: skip
            with ws.store.transaction() as conn:
                conn.executemany(
                    "INSERT INTO officers (officer_id, id_type, name, gelar_depan, gelar_belakang, unit_code, "
                    "first_seen_at, updated_at) VALUES (?, 'nip', ?, ?, ?, ?, 0, 0)",
                    rows,
                )
        export_bundle(ws, PASS.encode())
    finally:
        ws.close()


def _acceptor(home: Path, authority: Path, database: str | None) -> None:
    from ikrar_cli.keys.keyfiles import fingerprint, load_authority_signer
    from ikrar_cli.keys.provisioning import latest_signed_bundle
    from ikrar_cli.keys.trust import add_bundle
    from ikrar_cli.workspace import Workspace

    auth = Workspace.open(authority)
    try:
        with auth.store.read() as conn:
            data = latest_signed_bundle(conn)
        fp = fingerprint(load_authority_signer(auth, PASS.encode())[1].public_key)
    finally:
        auth.close()
    bundle = home.parent / "bundle.json"
    bundle.write_bytes(data)
    ws = Workspace.init(home, institution="Inspektorat", code="INSP", unit=None, timezone="WIB", language="id",
                        database=database)  # fmt: skip
    try:
        add_bundle(ws, bundle, fp)
    finally:
        ws.close()


def _measured(home: Path, *args: str) -> dict[str, Any]:
    out = home.parent / f"rss-{uuid.uuid4().hex[:6]}.json"
    env = dict(os.environ, IKRAR_PASSPHRASE=PASS, PYTHONPATH=str(ROOT))
    env.pop("IKRAR_DATABASE_URL", None)  # each workspace's ikrar.yaml names its database
    cmd = [sys.executable, "-m", "ikrar_cli", "--home", str(home), *args]
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", WRAP, str(out), "0", "0", *cmd], env=env, capture_output=True)
    took = time.perf_counter() - t0
    got = json.loads(out.read_text())
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {r.stderr.decode()[-2000:]}")
    return {"seconds": round(took, 1), "peak_mb": round(got["peak_kb"] / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--officers", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=600)
    ap.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--work", type=Path, default=None, help="folder for the workspaces (default: a temporary one)")
    ap.add_argument("--quick", action="store_true", help="2,000 officers (CI)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    n, units = (2_000, 20) if a.quick else (a.officers, a.units)
    work = Path(tempfile.mkdtemp(prefix="bench-publish-", dir=a.work))
    db_a, admin_a = _database(a.engine)
    db_b, admin_b = _database(a.engine)
    try:
        t0 = time.perf_counter()
        _authority(work / "authority", n, units, db_a)
        made = time.perf_counter() - t0
        snap = work / "snapshot.json"
        publish = _measured(work / "authority", "roster", "publish", "--as-of", "2026-11-25", "--out", str(snap))
        _acceptor(work / "auditor", work / "authority", db_b)
        accept = _measured(work / "auditor", "roster", "accept", str(snap))
        res = {"engine": a.engine, "officers": n, "units": units, "roster_written_s": round(made, 1),
               "file_bytes": snap.stat().st_size, "publish": publish, "accept": accept}  # fmt: skip
        print(json.dumps(res))
        if a.json:
            a.json.write_text(json.dumps(res, indent=1))
    finally:
        for admin in (admin_a, admin_b):
            if admin is not None:
                admin[0].execute(f"DROP DATABASE IF EXISTS {admin[1]} WITH (FORCE)")
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
