"""Child processes get an environment without secrets.

``$IKRAR_PASSPHRASE`` unlocks a key; a printer command (``recite --print-cmd``) or any other
program ikrar starts has no business seeing it, and a child's environment is readable by
more tools than ours (``/proc/PID/environ``, crash reporters, print spoolers' logs). Every
subprocess in ``ikrar_cli`` goes through :func:`run` (``tests/test_platform_guard.py``
checks that no other module starts one).
"""

from __future__ import annotations

import os
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
