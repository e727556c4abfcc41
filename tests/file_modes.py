"""Unreadable-file tests that also run as root (CI runs as root).

Root reads any file whatever its mode because it holds CAP_DAC_OVERRIDE (and
CAP_DAC_READ_SEARCH). Such a test is therefore run again in a child pytest that keeps
uid 0 but has those two capabilities dropped from its bounding set before ``exec``: in
the child, ``open()`` of a mode-0 file fails with EACCES exactly as for any user, so
the real code path is exercised, with the workspace and the sources still readable.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = "IKRAR_TEST_OBEYS_FILE_MODES"
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def modes_enforced(path: Path) -> bool:
    """True when this process cannot read ``path`` (a file with mode 0)."""
    try:
        with open(path, "rb"):
            return False
    except PermissionError:
        return True


def _drop_dac_capabilities() -> None:
    """In the child before exec: root keeps its uid but must obey file modes from now on."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))


def rerun_obeying_file_modes(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Run the current test again in a child pytest without CAP_DAC_OVERRIDE; it must pass, not skip."""
    if os.environ.get(CHILD):
        pytest.fail("a mode-0 file is still readable after dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH")
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "child")]
    cmd.append(request.node.nodeid)
    try:
        r = subprocess.run(
            cmd,
            cwd=request.config.rootpath,
            env={**os.environ, CHILD: "1"},
            preexec_fn=_drop_dac_capabilities,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.SubprocessError as exc:  # no CAP_SETPCAP here (e.g. a restricted container)
        why = f"running as root, and this process may not drop CAP_DAC_OVERRIDE ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(why + "; CI must run the unreadable-file tests")
        pytest.skip(why + ", so no file can be made unreadable")
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "1 passed" in r.stdout and "skipped" not in r.stdout, r.stdout[-3000:]
