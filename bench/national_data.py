"""Input data for bench_national.py, generated once and cached on disk (never in the repo).

- ``roster.csv``: N officers in U institutions (units), valid 18-digit NIPs, the columns of a
  BKPSDM sheet; written by plain ``csv``.
- ``exports/tNNNN.jsonl``: T terminal exports of M receipts in all, made by the real library: a
  fresh Ed25519 key per terminal, a session opened through ``recitation.open_session`` (its
  signed record is in the log), receipts signed as ``receipt.sign_receipt`` signs them (its
  encoders; the first receipt of each terminal is compared with ``sign_receipt``'s own), a
  checkpoint signed by ``Ledger.checkpoint`` and the file written by
  ``ledger_export.export_ledger``, each in a throw-away SQLite workspace (a copy of one made per
  worker process, ``synchronous = OFF``, the receipts in one transaction). ``terminals.json`` keeps
  each terminal's public key (the centre certifies them at set-up) and nothing secret worth keeping.

Receipt ``i`` is for officer ``i``; receipts past N are for NIPs not in the roster (unlisted).
A ``done`` marker names the sizes; an interrupted generation resumes (each export file is written
atomically, and its terminal's public key is read back from it). Data sets of different roster
sizes with the same receipts, exports and units share one set of exports (receipt ``i`` is for
``nip(i)`` and unit ``i % units`` whatever the roster size; a receipt past the roster is unlisted
in each): a new roster size links the exports of a finished set instead of signing them again,
and new receipts for a roster size already made hard-link its ``roster.csv`` (it depends on the
officers and units only). ``python bench/national_data.py --data DIR --officers N --receipts M
--exports T --units U`` makes (or resumes) one set without running the benchmark.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
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
    rest = i // 7300
    seq = rest // 576 + 1
    return f"{_births()[i % 7300]}{_TMT[rest % 576]}{seq:03d}"


_BIRTHS: list[str] = []
# TMT year+month then sex, for (rest % 288) + 288 * (rest // 288 % 2)
_TMT = [f"{2000 + m // 12}{m % 12 + 1:02d}{s + 1}" for s in range(2) for m in range(288)]


def _births() -> list[str]:
    """The birth dates 1960-01-01 + 0..7299 days as YYYYMMDD, built once (nip() runs millions of times)."""
    if not _BIRTHS:
        _BIRTHS.extend(f"{date(1960, 1, 1) + timedelta(days=d):%Y%m%d}" for d in range(7300))
    return _BIRTHS


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


_WORKER: dict[str, Any] = {}  # per worker process: the pledge and a template workspace, made once


def _worker_state(scratch: Path) -> dict[str, Any]:
    """The pledge (its YAML parsed once) and a freshly initialised, closed workspace that each
    terminal copies instead of running ``Workspace.init`` and its migrations again."""
    if _WORKER.get("scratch") != str(scratch):
        from ikrar_cli.pledges.templates import PledgeLibrary
        from ikrar_cli.workspace import Workspace

        template = Path(tempfile.mkdtemp(prefix=f"tpl-{os.getpid()}-", dir=scratch)) / "ws"
        Workspace.init(template, institution="BKN", code=CODE, unit=None, timezone="WIB", language="id").close()
        pledge = PledgeLibrary.load().get("pilkada-2024")
        _WORKER.update(scratch=str(scratch), template=template, pledge=pledge, digest=pledge.digest)
    return _WORKER


def _export_one(job: tuple[int, int, int, str, str, int, str]) -> dict[str, Any]:
    """One terminal's export: receipts for officers [first, last).

    Receipts are COSE_Sign1 made by the library's own encoders exactly as ``sign_receipt`` makes them,
    without the ``IKR1:`` string the export re-encodes from the stored bytes anyway; the first one is
    also made by ``sign_receipt`` and must be the same bytes (Ed25519 is deterministic). The terminal's
    workspace is a throw-away copy, written with ``synchronous = OFF`` and one transaction."""
    t, first, last, out_dir, tz_name, units, scratch = job
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ikrar_cli.keys.keyfiles import TerminalSigner
    from ikrar_cli.ledger.export import export_ledger
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.ledger.merkle import leaf_hash
    from ikrar_cli.receipts.receipt import ALG_ED25519, HDR_ALG, HDR_KID, Claims, _enc, sig_structure, sign_receipt
    from ikrar_cli.recitation.attest import open_session
    from ikrar_cli.workspace import Workspace
    from ikrar_cli.zones import zone

    out = Path(out_dir) / f"t{t:04d}.jsonl"
    if out.is_file():  # made by an earlier, interrupted run (export files are written atomically)
        with open(out, encoding="utf-8") as fh:
            fh.readline()
            head = json.loads(fh.readline())
        return {"name": f"apel-{t:04d}", "public_key": head["public_key"], "file": out.name, "receipts": last - first}
    state = _worker_state(Path(scratch))
    pledge, digest = state["pledge"], state["digest"]
    d = Path(tempfile.mkdtemp(prefix="ikrar-natgen-", dir=scratch))
    try:
        shutil.copytree(state["template"], d / "ws")
        ws = Workspace.open(d / "ws")
        ws.store.conn.execute("PRAGMA synchronous = OFF")  # a throw-away workspace: no fsync
        name = f"apel-{t:04d}"
        signer = TerminalSigner(Ed25519PrivateKey.generate(), name, None, None)
        sign, kid = signer.sign, signer.kid
        lg = Ledger(ws.store)
        t0 = int(datetime(ROUND_DAY.year, ROUND_DAY.month, ROUND_DAY.day, 8, tzinfo=zone(tz_name)).timestamp()) + t
        s = open_session(ws, lg, kid=kid, terminal_name=name, public_key=signer.public_key_raw,
                         pledge=pledge, title="Apel Ikrar Netralitas", location="Halaman", force_reason="bench",
                         at=t0)  # fmt: skip
        protected = _enc({HDR_ALG: ALG_ED25519, HDR_KID: kid})
        rows: list[tuple[Any, ...]] = []
        for k, i in enumerate(range(first, last)):
            idx = k + 1  # index 0 is the session record
            c = Claims(pledge.id, pledge.version, digest, nip(i), "nip", None, f"I{i % units + 1:03d}", s.id,
                       t0 + 1 + k // 50, tz_name, "collective", idx)  # fmt: skip
            payload = _enc(c.to_map())
            cose = _enc([protected, {}, payload, sign(sig_structure(protected, payload))])
            if k == 0 and cose != sign_receipt(c, sign, kid).cose:
                raise RuntimeError("the generator's receipt differs from sign_receipt's: update national_data.py")
            rows.append((s.log_id, idx, cose, leaf_hash(cose), t0))
        _flush(ws, rows)
        lg.checkpoint(s.log_id, sign)
        export_ledger(ws, out)
        ws.close()
        return {"name": name, "public_key": base64.b64encode(signer.public_key_raw).decode(), "file": out.name,
                "receipts": last - first}  # fmt: skip
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _flush(ws: Any, rows: list[tuple[Any, ...]]) -> None:
    with ws.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO ledger_entry_rows (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)", rows
        )
    rows.clear()


def _link_or_write_roster(data: Path, root: Path, n: int, units: int) -> None:
    """The roster of another data set with the same officers and units is the same file (it depends on
    ``n`` and ``units`` only): hard-link it (copy across file systems) instead of writing it again."""
    for other in sorted(data.glob(f"n{n}-u{units}-m*-t*/roster.csv")):
        if other.parent != root and (other.parent / "done.json").is_file():
            tmp = root / "roster.part"
            tmp.unlink(missing_ok=True)
            try:
                os.link(other, tmp)
            except OSError:
                shutil.copyfile(other, tmp)
            tmp.replace(root / "roster.csv")
            return
    write_roster(root / "roster.csv", n, units)


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
        _link_or_write_roster(data, root, n, units)
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
    scratch = Path(tempfile.mkdtemp(prefix="ikrar-natgen-"))
    try:
        jobs = [(*j, str(scratch)) for j in jobs]
        started, terminals = time.monotonic(), []
        with contextlib.ExitStack() as stack:
            if workers > 1:
                pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers))
                made: Iterator[dict[str, Any]] = pool.imap(_export_one, jobs, chunksize=1)
            else:
                made = map(_export_one, jobs)
            for terminal in made:
                terminals.append(terminal)
                if len(terminals) % 10 == 0 or len(terminals) == exports:
                    elapsed = time.monotonic() - started
                    print(f"{key}: {len(terminals)}/{exports} exports, {elapsed:.0f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    (root / "terminals.json").write_text(json.dumps(terminals))
    meta = {"officers": n, "units": units, "receipts": receipts, "exports": exports}
    done.write_text(json.dumps(meta))
    return dict(meta, root=str(root))


if __name__ == "__main__":  # generate (or resume) one data set without running the benchmark
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--officers", type=int, required=True)
    ap.add_argument("--receipts", type=int, required=True)
    ap.add_argument("--exports", type=int, required=True)
    ap.add_argument("--units", type=int, default=600)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    t = time.monotonic()
    print(ensure(a.data, a.officers, a.receipts, a.exports, a.units, workers=a.workers), file=sys.stderr)
    print(f"{time.monotonic() - t:.1f} s", file=sys.stderr)
