"""Kill a child process at a known point inside an operation, never at a guessed moment.

The library offers test-only pause points (``ikrar_cli/testpoints.py``): with
``IKRAR_TEST_PAUSE_AT=NAME[:N]`` the child writes ``ikrar-test-paused: NAME N`` to stderr
and blocks there, inside its open write transaction. The helpers below start a child that
way, wait for that line (an event, not a duration), prove the child still holds the write
lock, kill it with SIGKILL and let the test compare the database with what it was before.
"""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ikrar_cli.testpoints import ENV, MARKER

# Only a bound for a broken child (it never reaches the point); no test waits on it otherwise.
PAUSE_TIMEOUT = 600


def start_paused(cmd: list[str], env: dict[str, str], point: str, **popen: Any) -> subprocess.Popen[bytes]:
    """Run ``cmd`` until it reports that it is held at ``point``; return the (blocked) process."""
    proc = subprocess.Popen(cmd, env={**env, ENV: point}, stderr=subprocess.PIPE, **popen)
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    seen = b""
    name, _sep, nth = point.partition(":")
    want = f"{MARKER} {name} {nth or 1}\n".encode()
    what = " ".join(cmd[1:])
    deadline = time.monotonic() + PAUSE_TIMEOUT
    while want not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            proc.kill()
            proc.wait()
            pytest.fail(f"{what} did not reach pause point {point} in {PAUSE_TIMEOUT} s: {seen[-2000:]!r}")
        chunk = os.read(fd, 1 << 16)
        if not chunk:  # the child ended without ever reaching the point
            proc.wait()
            pytest.fail(f"{what} ended (exit {proc.returncode}) before pause point {point}: {seen[-3000:]!r}")
        seen += chunk
    return proc


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 and make sure it was the signal that ended the process, not a normal exit."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.returncode
    if proc.stderr is not None:
        proc.stderr.close()


def assert_write_transaction_open(db: Path) -> None:
    """Another process holds the database's write lock: the child is inside its transaction."""
    if os.environ.get("IKRAR_DATABASE_URL"):  # the PostgreSQL run of the test (tests/engines.py)
        from engines import assert_pg_write_lock_held

        assert_pg_write_lock_held()
        return
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.close()


def dump(db: Path) -> list[str]:
    """Every committed row of the database as SQL text (what another reader sees now)."""
    if os.environ.get("IKRAR_DATABASE_URL"):  # the PostgreSQL run of the test (tests/engines.py)
        from engines import dump_db

        return dump_db(db.parent)
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
