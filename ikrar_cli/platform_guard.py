"""Every call that exists only on POSIX (or only on Windows) lives here, behind a guard.

BKPSDM offices run Windows. Python on Windows has no ``os.fchmod`` (before 3.13), no
``fcntl``, no ``resource``, and POSIX mode bits mean little there: a file's protection is
the ACL of the user's profile folder, which by default only that user (and administrators)
can read. So on Windows mode changes are skipped, mode-bit checks are skipped (we rely on the
profile ACL, see docs/windows.md), core-dump limits are skipped (Windows writes no core file
unless an administrator configured Windows Error Reporting LocalDumps), and file locks use
``msvcrt.locking``. ``tests/test_platform_guard.py`` fails when a POSIX-only call appears
anywhere else in ``ikrar_cli``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import stat
import sys
from pathlib import Path
from typing import IO

IS_WINDOWS = os.name == "nt"

#: PR_SET_DUMPABLE / PR_GET_DUMPABLE from <linux/prctl.h>
_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3


def set_fd_mode(fd: int, mode: int) -> None:
    """chmod an open file; on Windows (no fchmod before Python 3.13) the profile ACL protects it."""
    fchmod = getattr(os, "fchmod", None)
    if fchmod is None or IS_WINDOWS:
        return
    fchmod(fd, mode)


def make_private(path: Path) -> None:
    """Tighten an existing file to 0600 if group or others can access it (POSIX); no-op on Windows."""
    if IS_WINDOWS:
        return
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def exposed_mode(path: Path) -> int | None:
    """The permission bits of ``path`` if group or others can access it (POSIX), else None.

    On Windows mode bits do not describe who can read a file; the key folder sits in the
    user's profile, whose ACL admits only that user and administrators.
    """
    st_mode = path.stat().st_mode  # FileNotFoundError is the caller's to report
    if IS_WINDOWS:
        return None
    if st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return st_mode & 0o777
    return None


def create_new_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to a NEW file at ``path``; raise FileExistsError if it exists (never overwrite).

    The bytes go to a temporary file first (fsynced), which is then hard-linked to ``path``:
    the link fails if ``path`` exists, so an existing file is never replaced, and a crash
    leaves either no file or the whole file. Where hard links are not supported (some USB
    file systems) the file is created with O_EXCL and written in place.
    """
    import tempfile

    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        set_fd_mode(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here: exclusive create instead
            _create_excl(path, data, mode)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _create_excl(path: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, mode)
    try:
        set_fd_mode(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def disable_core_dumps() -> None:
    """Keep key material out of core files: RLIMIT_CORE 0 and, on Linux, not dumpable.

    Called before a passphrase is read or a key is unlocked or created. Lowering a limit
    never needs privileges; the soft limit (the one the kernel applies) goes to 0.
    ``PR_SET_DUMPABLE 0`` also stops other processes of the same user from reading this
    one's memory through ptrace or /proc/PID/mem.
    """
    if IS_WINDOWS:
        return
    import resource

    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))  # the soft limit decides; hard is left for the caller
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def core_dumps_disabled() -> bool:
    """True if this process can write no core file (always true on Windows)."""
    if IS_WINDOWS:
        return True
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_CORE)
    return soft == 0


def lock_exclusive(fh: IO[str]) -> None:
    """Block until this process holds an exclusive lock on the open file ``fh``."""
    if IS_WINDOWS:
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    fcntl.flock(fh, fcntl.LOCK_EX)


def try_lock_exclusive(fh: IO[str]) -> bool:
    """Take an exclusive lock on the open file ``fh`` if nobody holds it; never wait."""
    if IS_WINDOWS:
        import msvcrt

        fh.seek(0)
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(fh: IO[str]) -> None:
    """Give up the lock :func:`lock_exclusive` took on ``fh``."""
    if IS_WINDOWS:
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    fcntl.flock(fh, fcntl.LOCK_UN)


def split_command(command: str) -> list[str]:
    """A user's command line as argv: POSIX shell quoting, or Windows quoting (backslashes kept)."""
    if not IS_WINDOWS:
        return shlex.split(command)
    parts = shlex.split(command, posix=False)
    return [p[1:-1] if len(p) >= 2 and p[0] == p[-1] == '"' else p for p in parts]


def open_file_name(fd: int) -> str | None:
    """A name under which another library can open the already open file ``fd`` (Linux: the
    ``/proc/self/fd/N`` link, which also names an anonymous temporary file); ``None`` elsewhere."""
    name = f"/proc/self/fd/{fd}"
    if IS_WINDOWS or not os.path.exists(name):
        return None
    return name


def release_free_memory() -> None:
    """Hand memory that C libraries freed back to the system (glibc's ``malloc_trim``), so the next
    step of a long job does not add its peak on top of the last one's; a no-op where there is none."""
    if IS_WINDOWS or not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        trim = getattr(libc, "malloc_trim", None)  # glibc only (not musl)
        if trim is not None:
            trim(0)
    except OSError:
        return


def machine_load() -> tuple[float, int] | None:
    """(the 1-minute load average, the number of threads runnable right now, this one included),
    from Linux's ``/proc/loadavg``; None where the system does not say (then callers assume busy)."""
    if IS_WINDOWS or not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            fields = fh.read().split()
        return float(fields[0]), int(fields[3].partition("/")[0])
    except (OSError, ValueError, IndexError):
        return None
