"""Opt-in trace of write transactions, to see who holds the write lock and for how long (bench only).

Nothing happens unless the environment variable ``IKRAR_LOCK_TRACE`` names a file. Then every write
transaction of :meth:`Store.transaction` appends one JSON line to it when it ends: the process id,
the code that asked for it (the first caller outside ``store/`` and ``contextlib``), the seconds it
waited for the lock (``BEGIN IMMEDIATE`` / the advisory lock), the seconds it held it (from getting
the lock to the end of ``COMMIT`` or ``ROLLBACK``: an upper bound, since SQLite's automatic WAL
checkpoint runs inside ``COMMIT`` after the lock is released) and whether it committed. Lines are
short single ``write`` calls on a file opened in append mode, so several processes may share one
file. ``bench/lock_trace.py`` summarises such a file. The test suite never times anything.
"""

from __future__ import annotations

import json
import os
import sys
import time

ENV = "IKRAR_LOCK_TRACE"


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def clock() -> float:
    return time.monotonic()


def caller() -> str:
    """``module:function:line`` of the first frame outside the store and contextlib."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not (name.startswith("ikrar_cli.store") or name == "contextlib"):
            return f"{name}:{frame.f_code.co_name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def record(engine: str, where: str, asked: float, got: float, ended: float, committed: bool) -> None:
    """Append one line (opt-in; a trace that cannot be written is skipped: it is a debugging aid)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps({"pid": os.getpid(), "engine": engine, "caller": where, "at": round(time.time(), 3),
                       "wait": round(got - asked, 4), "held": round(ended - got, 4),
                       "committed": committed}) + "\n"  # fmt: skip
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
