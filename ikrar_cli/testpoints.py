"""Test-only pause points, so a crash test can kill a process at a known place.

Nothing happens unless the environment variable ``IKRAR_TEST_PAUSE_AT`` is set, which
only the test suite does. ``IKRAR_TEST_PAUSE_AT=NAME`` (or ``NAME:N``) makes the first
(or N-th) call of ``pause_point(NAME)`` write the line ``ikrar-test-paused: NAME N`` to
stderr and then block until the process is killed. The points sit inside the write
transactions of long operations (see the test section of docs/architecture.md), so a
test knows its ``kill -9`` landed mid-operation instead of guessing from the clock. With
``IKRAR_TEST_PAUSE_RESUME=stdin`` as well, the paused process goes on once a line arrives on its
standard input instead (a test runs other commands while it is held there, then lets it finish).
"""

from __future__ import annotations

import os
import time

ENV = "IKRAR_TEST_PAUSE_AT"
RESUME = "IKRAR_TEST_PAUSE_RESUME"
MARKER = "ikrar-test-paused:"
_calls: dict[str, int] = {}


def pause_point(name: str) -> None:
    want = os.environ.get(ENV)
    if not want:
        return
    target, _sep, nth = want.partition(":")
    if target != name:
        return
    _calls[name] = n = _calls.get(name, 0) + 1
    if n != int(nth or 1):
        return
    os.write(2, f"{MARKER} {name} {n}\n".encode())
    if os.environ.get(RESUME) == "stdin":
        os.read(0, 1)  # held until the test writes a line (or closes the pipe)
        return
    while True:  # held here, inside the caller's transaction, until the test kills the process
        time.sleep(3600)
