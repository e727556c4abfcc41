"""External programs some tests need, looked up on PATH (never at a fixed path).

Without them those tests skip with a reason naming the program; ``.ci/run`` installs them
(see ``.ci/apt-packages``) and fails when one is missing, so CI runs every one of them.
Use: ``@needs_program("node")`` on a test, and ``program("node")`` for its path.
"""

from __future__ import annotations

import shutil

import pytest

#: program -> (names tried on PATH, Debian package that provides it)
PROGRAMS: dict[str, tuple[tuple[str, ...], str]] = {
    "chromium": (("chromium", "chromium-browser"), "chromium"),
    "node": (("node", "nodejs"), "nodejs"),
    "pdftoppm": (("pdftoppm",), "poppler-utils"),
}


def program(name: str) -> str | None:
    """Full path of ``name`` found on PATH, or None."""
    names, _package = PROGRAMS[name]
    return next((found for found in map(shutil.which, names) if found), None)


def needs_program(name: str) -> pytest.MarkDecorator:
    names, package = PROGRAMS[name]
    return pytest.mark.skipif(
        program(name) is None,
        reason=f"{name} is not installed (no {' or '.join(names)} on PATH; CI installs the {package} package)",
    )
