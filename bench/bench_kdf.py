"""What one passphrase guess costs an attacker of a stolen key file: scrypt at ikrar's parameters.

    python bench/bench_kdf.py            # medians of 5 per setting
    python bench/bench_kdf.py --quick    # one run each (CI: proves the script works)

Prints ms per guess for n = 2^15 (the old parameters), 2^16 and 2^17 (r=8, p=1), marks the one
ikrar writes (ikrar_cli.keys.keyfiles.SCRYPT_N) and checks it against the 250 ms target of docs/keys.md.
Run it on an idle machine: other load makes every guess look dearer than it is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_MS = 250.0


def guess_ms(n: int, r: int, p: int) -> float:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    t0 = time.perf_counter()
    Scrypt(salt=b"\x00" * 16, length=32, n=n, r=r, p=p).derive(b"kata sandi uji coba")
    return (time.perf_counter() - t0) * 1000


def main(argv: list[str] | None = None) -> int:
    from ikrar_cli.keys.keyfiles import SCRYPT_N, SCRYPT_P, SCRYPT_R

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one run per setting")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    ours = None
    for n in (2**15, 2**16, 2**17):
        ms = statistics.median(guess_ms(n, SCRYPT_R, SCRYPT_P) for _ in range(repeat))
        mark = "  <- ikrar writes this" if n == SCRYPT_N else ""
        print(f"scrypt n=2^{n.bit_length() - 1} r={SCRYPT_R} p={SCRYPT_P}: {ms:7.1f} ms per guess{mark}")
        if n == SCRYPT_N:
            ours = ms
    if ours is not None:
        ok = "✓" if ours >= TARGET_MS else "✗"
        print(f"ikrar: {ours:.0f} ms per guess, target ≥ {TARGET_MS:.0f} ms {ok}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
