"""Child processes get an environment without secrets.

``$IKRAR_PASSPHRASE`` unlocks a key; a printer command (``recite --print-cmd``) or any other
program ikrar starts has no business seeing it, and a child's environment is readable by
more tools than ours (``/proc/PID/environ``, crash reporters, print spoolers' logs). Every
subprocess in ``ikrar_cli`` goes through :func:`run` (``tests/test_platform_guard.py``
checks that no other module starts one).
"""

from __future__ import annotations

import os
import pickle
import subprocess
from collections.abc import Mapping, Sequence

#: variables never passed on, whatever their value
SECRET_VARIABLES = frozenset({"IKRAR_PASSPHRASE"})
#: and any variable whose name contains one of these
SECRET_MARKERS = ("PASSPHRASE", "PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY")


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return upper in SECRET_VARIABLES or any(marker in upper for marker in SECRET_MARKERS)


def child_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment with every secret variable removed."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not is_secret_name(k)}


def run(argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` (no shell) without secrets in its environment; raise on failure or timeout."""
    return subprocess.run(list(argv), check=True, timeout=timeout, capture_output=True, env=child_env())


def start_worker(argv: Sequence[str], *, extra_env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a long-lived helper process of ikrar's own (``argv``, no shell) that talks through
    its stdin/stdout pipes: the same secret-free environment as :func:`run` (plus ``extra_env``,
    which must hold no secret), its stderr discarded (a failing helper must not print a traceback
    into the user's terminal; the caller notices the closed pipe and carries on without it)."""
    env = child_env()
    for name, value in (extra_env or {}).items():
        if is_secret_name(name):
            raise ValueError(f"not passed to a child: {name}")
        env[name] = value
    return subprocess.Popen(
        list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )


# -- helper processes of ikrar's own, talking pickles over their pipes -------------------------
# The helper's start: the folder holding this ikrar_cli goes first on its path unless it is there
# already (an installed ikrar: site-packages is not moved before the standard library).
_BOOT = (
    "import importlib, sys\n"
    "if sys.argv[1] not in sys.path:\n"
    "    sys.path.insert(0, sys.argv[1])\n"
    "importlib.import_module(sys.argv[2]).main()\n"
)
#: what a helper that is gone, or whose pipe broke, raises on this side
PIPE_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, ValueError)
#: what reading a helper's answer raises when the helper is gone or wrote something else than a pickle
_UNREADABLE: tuple[type[Exception], ...] = (OSError, EOFError, ValueError, AttributeError, ImportError, IndexError,
                                           TypeError, pickle.PickleError)  # fmt: skip
_GONE = object()


class WorkerGone(EOFError):
    """A helper that ended, closed its pipe or stayed silent past its time (``silent_s``)."""

    def __init__(self, exit_status: int | None, silent_s: float | None = None):
        super().__init__(f"helper gone (exit status {exit_status}, silent {silent_s})")
        self.exit_status = exit_status
        self.silent_s = silent_s


class PickledWorker:
    """One helper process running ``module``'s ``main()`` (this very ikrar_cli, started by
    :func:`start_worker`: no secrets), fed and drained by two threads of this process, so that an
    object handed over never waits for the helper to be scheduled and its answer leaves the
    helper's pipe at once (the pipes hold 64 KiB). Objects go both ways as pickles; the helper is
    ours and the pipe is its own."""

    def __init__(self, module: str, *, answer_timeout_s: float, stop_timeout_s: float = 10.0):
        import queue
        import sys
        import threading
        from pathlib import Path

        root = str(Path(__file__).resolve().parents[1])
        self.proc = start_worker([sys.executable, "-c", _BOOT, root, module])
        self.answer_timeout_s, self.stop_timeout_s = answer_timeout_s, stop_timeout_s
        self.stdin = self.proc.stdin
        self.stdout = self.proc.stdout
        self.outbox: queue.Queue[bytes | None] = queue.Queue()
        self.inbox: queue.Queue[object] = queue.Queue()
        self.threads = [threading.Thread(target=self._feed, daemon=True),
                        threading.Thread(target=self._drain, daemon=True)]  # fmt: skip
        for t in self.threads:
            t.start()

    def send(self, obj: object) -> None:
        self.outbox.put(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self) -> object:
        """The helper's next answer; :class:`WorkerGone` if it ended or stayed silent too long."""
        import queue

        try:
            got = self.inbox.get(timeout=self.answer_timeout_s)
        except queue.Empty:
            raise WorkerGone(None, self.answer_timeout_s) from None
        if got is _GONE:
            self.inbox.put(_GONE)
            raise WorkerGone(self.proc.poll())
        return got

    def _feed(self) -> None:
        assert self.stdin is not None
        while (data := self.outbox.get()) is not None:
            try:
                self.stdin.write(data)
                self.stdin.flush()
            except PIPE_ERRORS:
                break
        try:
            self.stdin.close()  # the helper ends at the end of its input
        except OSError:
            pass

    def _drain(self) -> None:
        assert self.stdout is not None
        while True:
            try:
                self.inbox.put(pickle.load(self.stdout))  # noqa: S301 - our own child, over its own pipe
            except _UNREADABLE:
                self.inbox.put(_GONE)
                return

    def stop(self) -> None:
        self.outbox.put(None)
        try:
            self.proc.wait(timeout=self.stop_timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self.threads:
            t.join(timeout=self.stop_timeout_s)
        if self.stdout is not None:
            self.stdout.close()
