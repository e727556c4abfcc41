"""ikrar benchmarks: every figure next to its raw limit, measured in the same run.

    python bench/run.py            # full sizes (a few minutes)
    python bench/run.py --quick    # small sizes, only to prove the scripts work (CI)

Each row: figure, value, reference measured in this run, ratio, target. Medians of --repeat runs.
Peers (sqlite-utils) come from the `bench` extra: pip install '.[bench]'.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

ROWS: list[tuple[str, str, str, str, str]] = []


def median(fn: Callable[[], float], repeat: int) -> float:
    return statistics.median(fn() for _ in range(repeat))


def row(figure: str, value: str, reference: str, ratio: str, target: str) -> None:
    ROWS.append((figure, value, reference, ratio, target))
    print(f"  {figure}: {value} | ref {reference} | {ratio} | target {target}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ start-up
def bench_startup(repeat: int) -> None:
    from bench_startup import rows

    data = rows(repeat)
    ref = data[0][1]
    for label, t, ratio in data[1:]:
        row(f"`{label}` cold start", f"{t * 1000:.0f} ms", f"import click {ref * 1000:.0f} ms", f"{ratio:.2f}x", "≤ 2x")


# ------------------------------------------------------------------------------ verify
def bench_verify(n: int, repeat: int) -> None:
    import receipt_env

    from ikrar_cli.keys import ed25519

    env = receipt_env.make(n)
    msgs = [(r.signature, r.signed_bytes()) for r in env.receipts]

    def bare_with(backend: str) -> Callable[[], float]:
        pub = ed25519.public_key(env.public_key, backend=backend)

        def bare() -> float:
            t0 = time.perf_counter()
            for sig, m in msgs:
                assert pub.verify(sig, m)
            return time.perf_counter() - t0

        return bare

    limits = {b: median(bare_with(b), repeat) for b in ("cryptography", "pynacl") if ed25519.backend_name(b) == b}
    best = min(limits, key=lambda b: limits[b])
    tb = limits[best]

    def cli() -> float:
        t0 = time.perf_counter()
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "ikrar_cli",
                "verify",
                "-",
                "--bundle",
                str(env.bundle_file),
                "--fingerprint",
                env.fingerprint,
                "--json",
            ],
            input=env.text_lines,
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT), IKRAR_HOME=str(env.dir / "none")),
        )
        assert p.returncode == 0, p.stderr[-500:]
        assert p.stdout.count('"valid": true') == n
        return time.perf_counter() - t0

    tc = median(cli, repeat)
    others = ", ".join(f"{b} {n / t:,.0f}/s" for b, t in limits.items())
    row(
        f"`ikrar verify -` {n:,} receipts (stdin, JSON out, whole process, backend {ed25519.backend_name()})",
        f"{n / tc:,.0f} receipts/s",
        f"best bare Ed25519 verify loop: {best} {n / tb:,.0f}/s (measured: {others})",
        f"{tb / tc:.2f}x",
        "≥ 0.5x",
    )
    shutil.rmtree(env.dir, ignore_errors=True)


# ------------------------------------------------------------------------------ roster import
def write_roster(path: Path, n: int) -> None:
    from ikrar_cli.demo.office import write_sample_roster

    write_sample_roster(path, n, seed=1)


def write_office_roster(src: Path, out: Path) -> None:
    """The same rows as an office sheet: title rows above a two-row header, a numbering row,
    a JUMLAH subtotal row and a blank row after every 100 officers (header detection's work)."""
    with open(src, encoding="utf-8-sig", newline="") as fi, open(out, "w", encoding="utf-8-sig", newline="") as fo:
        r, w = csv.reader(fi, delimiter=";"), csv.writer(fo, delimiter=";")
        head = next(r)
        width = len(head)
        w.writerow(["DAFTAR PEGAWAI"] + [""] * (width - 1))
        w.writerow(["PEMERINTAH KABUPATEN JENEPONTO"] + [""] * (width - 1))
        w.writerow(["KEADAAN BULAN NOVEMBER 2026"] + [""] * (width - 1))
        w.writerow([""] * width)
        w.writerow([h if h not in ("Golongan", "Status Kepegawaian") else "" for h in head[:7]] + ["PANGKAT", ""])
        w.writerow([""] * 7 + ["Golongan", "Status Kepegawaian"])
        w.writerow([str(i) for i in range(1, width + 1)])
        for i, rec in enumerate(r, 1):
            w.writerow(rec)
            if i % 100 == 0:
                w.writerow(["", "JUMLAH", "", "", "", "", "", "100 orang", ""])
                w.writerow([""] * width)


def bench_roster(n: int, repeat: int) -> None:
    d = Path(tempfile.mkdtemp(prefix="ikrar-bench-roster-"))
    src = d / "r.csv"
    write_roster(src, n)
    # the same data as a plain comma CSV for the peer (sqlite-utils does not sniff ';' + BOM)
    plain = d / "plain.csv"
    with open(src, encoding="utf-8-sig") as fi, open(plain, "w", newline="") as fo:
        csv.writer(fo).writerows(csv.reader(fi, delimiter=";"))

    def raw() -> float:
        db = d / "raw.db"
        db.unlink(missing_ok=True)
        t0 = time.perf_counter()
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE t (no, nip, nama, gd, gb, jabatan, unit, gol, status)")
        with open(src, encoding="utf-8-sig", newline="") as fh:
            r = csv.reader(fh, delimiter=";")
            next(r)
            with conn:
                conn.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?)", r)
        conn.close()
        return time.perf_counter() - t0

    def ours(path: Path) -> Callable[[], float]:
        def run() -> float:
            home = d / "ws"
            shutil.rmtree(home, ignore_errors=True)
            from ikrar_cli.roster.importer import import_roster
            from ikrar_cli.workspace import Workspace

            ws = Workspace.init(home, institution="B", code="B", unit=None, timezone="WIB", language="id")
            t0 = time.perf_counter()
            rep = import_roster(ws.store, path)
            t = time.perf_counter() - t0
            assert rep.added == n, rep.to_dict()
            ws.close()
            return t

        return run

    t_raw = median(raw, repeat)
    t_csv = median(ours(src), repeat)
    row(
        f"roster import {n:,} rows CSV (validated, staged, one transaction)",
        f"{n / t_csv:,.0f} rows/s",
        f"csv + executemany {n / t_raw:,.0f}/s",
        f"{t_raw / t_csv:.2f}x",
        "≥ 0.33x",
    )
    office = d / "office.csv"
    write_office_roster(src, office)
    t_off = median(ours(office), repeat)
    row(
        f"roster import {n:,} rows office-sheet CSV (3 title rows, two-row header, numbering row, JUMLAH every 100)",
        f"{n / t_off:,.0f} rows/s",
        f"csv + executemany {n / t_raw:,.0f}/s",
        f"{t_raw / t_off:.2f}x",
        "≥ 0.33x",
    )
    peer = shutil.which("sqlite-utils") or str(Path(sys.executable).parent / "sqlite-utils")
    if Path(peer).exists():

        def run_peer() -> float:
            db = d / "peer.db"
            db.unlink(missing_ok=True)
            t0 = time.perf_counter()
            subprocess.run([peer, "insert", str(db), "t", str(plain), "--csv"], check=True, capture_output=True)
            return time.perf_counter() - t0

        t_peer = median(run_peer, repeat)
        row(
            f"peer: sqlite-utils insert --csv {n:,} rows",
            f"{n / t_peer:,.0f} rows/s",
            f"ours {n / t_csv:,.0f}/s",
            f"ours {t_peer / t_csv:.2f}x faster",
            "faster than peer",
        )
    else:
        row("peer: sqlite-utils insert --csv", "not installed", "pip install '.[bench]'", "-", "faster than peer")
    try:
        import xlsxwriter

        x = d / "r.xlsx"
        wb = xlsxwriter.Workbook(str(x), {"constant_memory": True})
        ws_ = wb.add_worksheet()
        with open(src, encoding="utf-8-sig", newline="") as fh:
            for i, rec in enumerate(csv.reader(fh, delimiter=";")):
                for j, v in enumerate(rec):
                    ws_.write_string(i, j, v)
        wb.close()
        t_x = median(ours(x), repeat)
        row(
            f"roster import {n:,} rows XLSX (python-calamine)",
            f"{n / t_x:,.0f} rows/s",
            f"csv + executemany {n / t_raw:,.0f}/s",
            f"{t_raw / t_x:.2f}x",
            "≥ 0.33x",
        )
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------------------ collective attestation
def bench_attest(n: int, repeat: int) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def setup() -> tuple:
        from ikrar_cli.keys.keyfiles import certify, init_authority, load_terminal_signer, new_terminal
        from ikrar_cli.ledger.log import Ledger
        from ikrar_cli.pledges.templates import PledgeLibrary
        from ikrar_cli.recitation.attest import Recorder, open_session
        from ikrar_cli.roster.importer import import_roster
        from ikrar_cli.workspace import Workspace

        d = Path(tempfile.mkdtemp(prefix="ikrar-bench-attest-"))
        ws = Workspace.init(d / "ws", institution="B", code="B", unit=None, timezone="WITA", language="id")
        f = d / "r.csv"
        write_roster(f, n)
        import_roster(ws.store, f)
        init_authority(ws, b"bench-pass")
        _i, req = new_terminal(ws, "t", None, b"bench-pass")
        certify(ws, req, b"bench-pass", not_before=0)
        signer = load_terminal_signer(ws, b"bench-pass")
        lg = Ledger(ws.store)
        s = open_session(
            ws,
            lg,
            kid=signer.kid,
            terminal_name="t",
            public_key=signer.public_key_raw,
            pledge=PledgeLibrary.load().get("pilkada-2024"),
            title="B",
            location="B",
            force_reason="bench",
        )
        with ws.store.read() as conn:
            ids = [r[0] for r in conn.execute("SELECT officer_id FROM officers")]
        return d, ws, Recorder(ws, lg, signer), s, ids

    def ours() -> float:
        d, ws, rec, s, ids = setup()
        t0 = time.perf_counter()
        rep = rec.attest_many(s.id, ((i + 2, x) for i, x in enumerate(ids)))
        t = time.perf_counter() - t0
        assert rep.attested == n
        ws.close()
        shutil.rmtree(d, ignore_errors=True)
        return t

    def bare() -> float:
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

    tb, to = median(bare, repeat), median(ours, repeat)
    row(
        f"collective attestation of {n:,} officers incl. ledger",
        f"{n / to:,.0f} receipts/s ({to:.2f} s)",
        f"bare sign + insert loop {n / tb:,.0f}/s",
        f"{tb / to:.2f}x",
        "≥ 0.25x",
    )


def bench_slips(n: int) -> None:
    import receipt_env

    from ikrar_cli.receipts.qr import qr_matrix
    from ikrar_cli.receipts.slips import Slip, write_slips_pdf

    env = receipt_env.make(n, bundle=False)
    labels = {k: k for k in ("officer", "id", "unit", "time", "terminal", "method")}
    slips = [
        Slip(
            r.text,
            "BKPSDM",
            "Ikrar Netralitas ASN pada Pilkada 2024",
            ("Satu " * 30,) * 4,
            "Nama Pegawai",
            r.claims.officer_id,
            "DINKES",
            "2024-10-01 08:00:00 WITA",
            "t",
            "bersama",
            "ikrar verify",
            labels,
        )
        for r in env.receipts
    ]
    t0 = time.perf_counter()
    for r in env.receipts:
        qr_matrix(r.text)
    t_qr = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_slips_pdf(env.dir / "s.pdf", slips)
    t = time.perf_counter() - t0
    row(
        f"PDF of {n:,} slips (4 per A4 page)",
        f"{t:.1f} s ({n / t:,.0f} slips/s)",
        f"QR matrices alone {t_qr:.1f} s",
        f"{t_qr / t:.2f}x",
        "report it",
    )
    shutil.rmtree(env.dir, ignore_errors=True)


def bench_size() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ikrar_cli.keys.keyfiles import key_id, raw_public
    from ikrar_cli.receipts.qr import qr_version
    from ikrar_cli.receipts.receipt import Claims, sign_receipt

    k = Ed25519PrivateKey.generate()
    for name, label in (("A" * 40, "40-char name"), (None, "no name")):
        c = Claims(
            "jakut-pemilu-2024",
            1,
            bytes(32),
            "198609262015051001",
            "nip",
            name,
            "DISDUKCP",
            255,
            1727740800,
            "Asia/Makassar",
            "collective",
            65535,
        )
        r = sign_receipt(c, k.sign, key_id(raw_public(k)))
        row(
            f"receipt size, {label} (worst documented fields)",
            f"{len(r.text)} chars, QR v{qr_version(r.text)}-M",
            "EU DCC ~556 chars v18-Q; SMART Health Card up to v22",
            f"{len(r.text) / 556:.2f}x DCC",
            "v10 or lower",
        )


def main() -> None:
    import bench_compliance
    import bench_documents
    import bench_ledger

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    q = a.quick
    rep = 1 if q else a.repeat
    parts = {
        "startup": lambda: bench_startup(3 if q else 11),
        "verify": lambda: bench_verify(2000 if q else 100_000, rep),
        "roster": lambda: bench_roster(2000 if q else 100_000, rep),
        "attest": lambda: bench_attest(300 if q else 4000, rep),
        "slips": lambda: bench_slips(40 if q else 4000),
        "documents": lambda: bench_documents.run(60 if q else 4000, row),
        "slips_stream": lambda: (
            __import__("bench_slips_stream").run(40 if q else 20_000, ["mono", "parted", "sealed"], row),
            __import__("bench_slips_stream").run(400 if q else 100_000, ["join"], row),
        ),
        "size": bench_size,
        "ledger": lambda: bench_ledger.bench_ledger_verify(2000 if q else 1_000_000, row),
        "memory": lambda: bench_ledger.bench_import_memory(2000 if q else 1_000_000, row),
        "compliance": lambda: bench_compliance.bench_report(2000 if q else 100_000, row),
        "attest_cli": lambda: __import__("bench_load").bench_attest_cli(300 if q else 1_000_000, row),
        "merge": lambda: __import__("bench_load").bench_merge(300 if q else 1_000_000, row),
        "mergecost": lambda: __import__("merge_cost").bench_merge_cost(600 if q else 20_000, 3 if q else 10, row,
                                                                       ["sqlite", "postgresql"]),  # fmt: skip
        "engines": lambda: __import__("bench_engines").bench_engines(2000 if q else 100_000, row),
        "report-formats": lambda: __import__("bench_report_formats").bench(2000 if q else 100_000, row),
    }
    for name, fn in parts.items():
        if not a.only or name in a.only.split(","):
            print(f"[{name}]", file=sys.stderr, flush=True)
            fn()
    print(
        f"\nikrar benchmarks — {time.strftime('%Y-%m-%d')} — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{' (quick)' if q else ''}\n"
    )
    print("| figure | value | reference (same run) | ratio | target |\n|---|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
