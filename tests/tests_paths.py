"""Where the in-process CLI fixture keeps its workspace."""

from __future__ import annotations

from pathlib import Path


def home_of(ikrar) -> Path:  # type: ignore[no-untyped-def]
    return Path(ikrar.home)
