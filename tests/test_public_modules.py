"""Every module docs/library.md names says what it exports: an ``__all__`` of names that exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import ikrar_cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "library.md"
PACKAGE = Path(ikrar_cli.__file__).parent


def _module_of(dotted: str) -> str | None:
    """The longest prefix of a dotted name (``roster.importer.import_roster``) that is a module file."""
    parts = dotted.strip(".").split(".")
    for end in range(len(parts), 0, -1):
        if PACKAGE.joinpath(*parts[:end]).with_suffix(".py").is_file():
            return ".".join(parts[:end])
    return None


def _named_modules() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    names = set(re.findall(r"\bikrar_cli\.([\w.]+)", text))
    domain = re.search(r"the domain modules (.*?)\)", text, re.S)
    assert domain is not None, "docs/library.md no longer lists the domain modules"
    names |= set(re.findall(r"`([\w.]+)`", domain.group(1)))
    return sorted({m for m in map(_module_of, names) if m is not None})


def test_the_doc_names_the_modules_a_script_meets() -> None:
    assert {"api", "recitation.attendance", "i18n", "roster.importer", "receipts.verify", "reports.report",
            "keys.trust"} <= set(_named_modules())


@pytest.mark.parametrize("name", _named_modules())
def test_named_module_has_an_all_of_real_names(name: str) -> None:
    module = importlib.import_module(f"ikrar_cli.{name}")
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"ikrar_cli/{name.replace('.', '/')}.py has no __all__"
    assert len(exported) == len(set(exported))
    assert [n for n in exported if not hasattr(module, n)] == []
