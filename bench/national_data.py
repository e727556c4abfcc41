"""Input data for bench_national.py, generated once and cached on disk (never in the repo).

- ``roster.csv``: N officers in U institutions (units), valid 18-digit NIPs, the columns of a
  BKPSDM sheet; written by plain ``csv``.
- ``exports/tNNNN.jsonl``: T terminal exports of M receipts in all, made by the real library: a
  fresh Ed25519 key per terminal, a session opened through ``recitation.open_session`` (its
  signed record is in the log), receipts signed by ``receipt.sign_receipt``, a checkpoint signed
  by ``Ledger.checkpoint`` and the file written by ``ledger_export.export_ledger``, each in a
  throw-away SQLite workspace. ``terminals.json`` keeps each terminal's public key (the centre
  certifies them at set-up) and nothing secret worth keeping.

Receipt ``i`` is for officer ``i``; receipts past N are for NIPs not in the roster (unlisted).
A ``done`` marker names the sizes; an interrupted generation resumes (each export file is written
atomically, and its terminal's public key is read back from it). Data sets of different roster
sizes with the same receipts, exports and units share one set of exports (receipt ``i`` is for
``nip(i)`` and unit ``i % units`` whatever the roster size; a receipt past the roster is unlisted
in each): a new roster size links the exports of a finished set instead of signing them again.
"""

from __future__ import annotations

import base64
import csv
import json
import multiprocessing
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

CODE = "BKN"
PASS = b"bench-pass"
ROUND_DAY = date(2026, 11, 20)  # the apel; fixed so that a cache made on another day still fits
SNAPSHOT_DAY = date(2026, 11, 18)  # the roster snapshot the report uses
REPORT_DAY = date(2026, 11, 24)
HEADER = ["No", "NIP", "Nama", "Gelar Depan", "Gelar Belakang", "Jabatan", "Unit Kerja", "Golongan",
          "Status Kepegawaian"]  # fmt: skip
FIRST = ["Andi", "Siti", "Made", "Budi", "Nur", "Ketut", "Dewi", "Agus", "Rina", "Yohanes"]
LAST = ["Saputra", "Rahmawati", "Wijaya", "Lestari", "Hidayat", "Simanjuntak", "Pratama", "Mappanyukki"]


def nip(i: int) -> str:
    """The i-th of a family of valid, distinct NIPs (birth 1960-1979, TMT 2000-2023)."""
    birth = date(1960, 1, 1) + timedelta(days=i % 7300)
    rest = i // 7300
    month = rest % 288
    rest //= 288
    sex, seq = rest % 2 + 1, rest // 2 + 1
    return f"{birth:%Y%m%d}{2000 + month // 12}{month % 12 + 1:02d}{sex}{seq:03d}"


def unit_name(u: int) -> str:
    return f"Instansi {u + 1:03d}"


def write_roster(path: Path, n: int, units: int) -> None:
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(HEADER)
        for i in range(n):
            w.writerow([i + 1, nip(i), f"{FIRST[i % 10]} {LAST[i % 8]}", "", "S.E." if i % 3 == 0 else "",
                        "Analis", unit_name(i % units), "III/a", "PNS"])  # fmt: skip
    tmp.replace(path)


def _export_one(job: tuple[int, int, int, str, str, int]) -> dict[str, Any]:
    """One terminal's export: receipts for officers [first, last)."""
    t, first, last, out_dir, tz_name, units = job
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ikrar_cli.keys.keyfiles import TerminalSigner
    from ikrar_cli.ledger.export import export_ledger
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.ledger.merkle import leaf_hash
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.receipt import Claims, sign_receipt
    from ikrar_cli.recitation.attest import open_session
    from ikrar_cli.workspace import Workspace
    from ikrar_cli.zones import zone

    out = Path(out_dir) / f"t{t:04d}.jsonl"
    if out.is_file():  # made by an earlier, interrupted run (export files are written atomically)
        with open(out, encoding="utf-8") as fh:
            fh.readline()
            head = json.loads(fh.readline())
        return {"name": f"apel-{t:04d}", "public_key": head["public_key"], "file": out.name, "receipts": last - first}
    d = Path(tempfile.mkdtemp(prefix="ikrar-natgen-"))
    try:
        ws = Workspace.init(d / "ws", institution="BKN", code=CODE, unit=None, timezone="WIB", language="id")
        name = f"apel-{t:04d}"
        signer = TerminalSigner(Ed25519PrivateKey.generate(), name, None, None)
        lg = Ledger(ws.store)
        pledge = PledgeLibrary.load().get("pilkada-2024")
        t0 = int(datetime(ROUND_DAY.year, ROUND_DAY.month, ROUND_DAY.day, 8, tzinfo=zone(tz_name)).timestamp()) + t
        s = open_session(ws, lg, kid=signer.kid, terminal_name=name, public_key=signer.public_key_raw,
                         pledge=pledge, title="Apel Ikrar Netralitas", location="Halaman", force_reason="bench",
                         at=t0)  # fmt: skip
        rows: list[tuple[Any, ...]] = []
        for k, i in enumerate(range(first, last)):
            idx = k + 1  # index 0 is the session record
            c = Claims(pledge.id, pledge.version, pledge.digest, nip(i), "nip", None, f"I{i % units + 1:03d}", s.id,
                       t0 + 1 + k // 50, tz_name, "collective", idx)  # fmt: skip
            r = sign_receipt(c, signer.sign, signer.kid)
            rows.append((s.log_id, idx, r.cose, leaf_hash(r.cose), t0))
            if len(rows) == 5000:
                _flush(ws, rows)
        _flush(ws, rows)
        lg.checkpoint(s.log_id, signer.sign)
        export_ledger(ws, out)
        ws.close()
        return {"name": name, "public_key": base64.b64encode(signer.public_key_raw).decode(), "file": out.name,
                "receipts": last - first}  # fmt: skip
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _flush(ws: Any, rows: list[tuple[Any, ...]]) -> None:
    with ws.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO ledger_entries (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)", rows
        )
    rows.clear()


def ensure(data: Path, n: int, receipts: int, exports: int, units: int, workers: int = 2) -> dict[str, Any]:
    """The cached data set for these sizes under ``data`` (made now if missing)."""
    key = f"n{n}-u{units}-m{receipts}-t{exports}"
    root = data / key
    done = root / "done.json"
    if done.is_file():
        return dict(json.loads(done.read_text()), root=str(root))
    root.mkdir(parents=True, exist_ok=True)
    same = sorted(data.glob(f"n*-u{units}-m{receipts}-t{exports}/done.json"))
    if same and not (root / "exports").exists():  # signed exports made for another roster size
        (root / "exports").symlink_to(same[0].parent / "exports")
        shutil.copyfile(same[0].parent / "terminals.json", root / "terminals.json")
    (root / "exports").mkdir(parents=True, exist_ok=True)
    if not (root / "roster.csv").is_file():
        write_roster(root / "roster.csv", n, units)
    if (root / "terminals.json").is_file():
        meta = {"officers": n, "units": units, "receipts": receipts, "exports": exports}
        done.write_text(json.dumps(meta))
        return dict(meta, root=str(root))
    per, extra = divmod(receipts, exports)
    jobs, first = [], 0
    for t in range(exports):
        last = first + per + (1 if t < extra else 0)
        jobs.append((t, first, last, str(root / "exports"), "Asia/Jakarta", units))
        first = last
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            terminals = pool.map(_export_one, jobs, chunksize=1)
    else:
        terminals = [_export_one(j) for j in jobs]
    (root / "terminals.json").write_text(json.dumps(terminals))
    meta = {"officers": n, "units": units, "receipts": receipts, "exports": exports}
    done.write_text(json.dumps(meta))
    return dict(meta, root=str(root))
