"""Slips of a collective recitation end to end through the CLI (issue 20): peak memory of one
``ikrar attest --attendance hadir.csv --pdf slips.pdf --slips --seal segel.p12`` run — every officer
attested and signed, the slips drawn six to an A4 page in parts, joined, sealed (PAdES) and written
— as the only child of a wrapper that reads its ``ru_maxrss`` (bench_ledger.measure: wait4).

    python bench/bench_slips_cli.py 100000          # one run; prepares the workspace once (bench_load)
    python bench/bench_slips_cli.py --quick         # 600 officers: proves the script works

The workspace (``n`` officers, certified terminal, session 1 open, ``hadir.csv`` naming everyone) is
bench_load.prepare_attest's, under ``$IKRAR_BENCH_DATA``; each run works on a fresh copy of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import DATA, ENV, _cli, prepare_attest  # noqa: E402
from bench_slips_stream import _p12  # noqa: E402


def measure_sampled(cmd: list[str], env: dict[str, str]) -> tuple[float, float, list[tuple[float, float]]]:
    """(seconds, peak MB from wait4, [(seconds since start, RSS MB)] sampled every half second).

    The peak of a signing command is often the passphrase's KDF (scrypt, 128 MB, freed at once);
    the samples show what the rest of the run (attesting, drawing, joining, sealing) holds."""
    import time

    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=dict(os.environ, **env))
        samples: list[tuple[float, float]] = []
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # reaped here: its rusage is the child's own
            if pid:
                break
            try:
                with open(f"/proc/{proc.pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            samples.append((time.perf_counter() - t0, int(line.split()[1]) / 1024))
            except OSError:
                pass
            time.sleep(0.5)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    secs = time.perf_counter() - t0
    peak = usage.ru_maxrss / 1024
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {text[-2000:]}")
    return secs, peak, samples


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def run_slips(n: int) -> dict[str, object]:
    base = prepare_attest(n)
    work = Path(tempfile.mkdtemp(prefix="ikrar-bench-slips-cli-", dir=DATA))
    try:
        shutil.copytree(base / "ws", work / "ws")
        p12 = _p12(work)
        out = work / "slips.pdf"
        cmd = _cli(work / "ws", "attest", "--session", "1", "--attendance", str(base / "hadir.csv"),
                   "--pdf", str(out), "--slips", "--seal", str(p12))  # fmt: skip
        load_before = _uptime()
        secs, peak, samples = measure_sampled(cmd, ENV)  # the bench certificate has no passphrase
        load_after = _uptime()
        from pyhanko.pdf_utils.reader import PdfFileReader

        with out.open("rb") as fh:
            reader = PdfFileReader(fh)
            pages = int(reader.root["/Pages"]["/Count"])
            sealed = len(reader.embedded_signatures) == 1
        return {"n": n, "secs": secs, "peak_mb": peak, "pages": pages, "size_mb": out.stat().st_size / 1e6,
                "sealed": sealed, "load_before": load_before, "load_after": load_after,
                "command": " ".join(cmd[2:]),
                "rss_after_10s": max((mb for t, mb in samples if t > 10), default=0.0),
                "rss_samples": samples[:: max(1, len(samples) // 200)]}  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_slips_cli(n: int, row: Callable[..., None]) -> None:
    r = run_slips(n)
    row(
        f"`ikrar attest --attendance … --pdf --slips --seal` {n:,} officers (CLI: attest, slips 6 a page, sealed)",
        f"peak **{r['peak_mb']:.0f} MB**, {r['secs']:.0f} s wall, {r['pages']:,} pages, {r['size_mb']:.0f} MB, "
        f"sealed: {r['sealed']}; highest RSS sampled after the first 10 s {r['rss_after_10s']:.0f} MB",
        "target 300 MB (issue 20), aim 200 MB",
        f"{float(r['peak_mb']) / 300:.2f}x of the target",  # type: ignore[arg-type]
        "< 300 MB",
    )
    print(f"load: {r['load_before']} -> {r['load_after']}", file=sys.stderr)
    print(json.dumps(r), file=sys.stderr)


if __name__ == "__main__":
    args = sys.argv[1:]
    count = 600 if args == ["--quick"] else int(args[0]) if args else 100_000

    def show(*cells: str) -> None:
        print("| " + " | ".join(cells) + " |", flush=True)

    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    bench_slips_cli(count, show)
