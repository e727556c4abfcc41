"""The CLI only parses, calls and renders: no SQL, no sqlite3, no cryptography under ikrar_cli/cli/.

AST-based, so comments do not count and nested (lazy) imports do: imports of ``sqlite3``
or ``cryptography`` (also through ``importlib.import_module`` / ``__import__``); calls of
``.execute()``, ``.executemany()`` or ``.executescript()``; and string literals or f-strings
that read like SQL statements. Every file under ``ikrar_cli/cli/`` is checked, none excepted.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ikrar_cli

CLI = Path(ikrar_cli.__file__).parent / "cli"
FORBIDDEN_MODULES = ("sqlite3", "cryptography")
SQL_CALLS = ("execute", "executemany", "executescript")
SQL_TEXT = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bPRAGMA\s+\w+|\bBEGIN\s+(IMMEDIATE|EXCLUSIVE)\b",
    re.DOTALL,
)


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            bad = [a.name for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
            found += [f"line {node.lineno}: import {name}" for name in bad]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"line {node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append(f"line {node.lineno}: .{node.func.attr}()")
        elif isinstance(node, ast.Call) and _names_forbidden_module(node):
            found.append(f"line {node.lineno}: dynamic import of {FORBIDDEN_MODULES}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append(f"line {node.lineno}: SQL text {node.value[:40]!r}")
        elif isinstance(node, ast.JoinedStr):
            # f"SELECT {cols} FROM t": the literal parts together read as SQL
            text = " x ".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if SQL_TEXT.search(text):
                found.append(f"line {node.lineno}: SQL f-string {text[:40]!r}")
    return found


def _names_forbidden_module(call: ast.Call) -> bool:
    """``importlib.import_module("sqlite3")`` / ``__import__("cryptography.x509")``."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__") or not call.args:
        return False
    first = call.args[0]
    return (
        isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and first.value.split(".")[0] in FORBIDDEN_MODULES
    )


def _cli_files() -> list[Path]:
    return sorted(CLI.rglob("*.py"))


@pytest.mark.parametrize("path", _cli_files(), ids=lambda p: p.name)
def test_cli_files_hold_no_sql_and_no_crypto(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


def test_every_cli_file_is_checked() -> None:
    names = {p.name for p in _cli_files()}
    assert {"app.py", "recite.py", "roster.py", "report.py", "verify.py"} <= names


@pytest.mark.parametrize(
    "source",
    [
        "import sqlite3",
        "def f():\n    from cryptography.hazmat.primitives import hashes",
        "import cryptography.x509 as x",
        "conn.execute(q)",
        "store.conn.executemany(q, rows)",
        "q = 'SELECT name FROM keys WHERE kid = ?'",
        "q = '''\n  INSERT INTO units (code) VALUES (?)'''",
        "q = 'UPDATE attestations SET x = 1'",
        "q = 'DELETE FROM keys'",
        "q = 'PRAGMA table_info(x)'",
        "q = f'SELECT {cols} FROM officers WHERE unit_code = ?'",
        "import importlib\nimportlib.import_module('sqlite3')",
        "__import__('cryptography.hazmat')",
        "with store.read() as conn:\n    rows = conn.execute(q).fetchall()",
    ],
)
def test_the_check_catches(source: str) -> None:
    assert violations(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "# import sqlite3",
        "help = 'Select the sheet to read from the workbook'",
        "say('Update the roster, then delete the old file')",
        "from ..store import transaction",
        "x = ledger.executed",
        "say(f'Selected {n} officers from the file')",
        "importlib.import_module('rich.table')",
    ],
)
def test_the_check_lets_plain_words_pass(source: str) -> None:
    assert violations(source) == []


#: the only modules at the top of the package: infrastructure every domain uses; everything else
#: lives in the domain subpackage it belongs to (docs/architecture.md, "Layout")
TOP_LEVEL = {"__init__", "__main__", "api", "childproc", "errors", "fsutil", "i18n", "i18n_tools",
             "platform_guard", "testpoints", "textsafe", "workspace", "zones"}  # fmt: skip
PACKAGE = Path(ikrar_cli.__file__).parent


def test_the_top_level_holds_only_infrastructure() -> None:
    assert {p.stem for p in PACKAGE.glob("*.py")} == TOP_LEVEL


def test_every_subpackage_is_in_the_layout_and_the_cli_mirrors_the_library() -> None:
    layout = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")} - {"cli"}
    for name in packages:
        assert f"\n  {name}/" in layout, f"docs/architecture.md does not describe ikrar_cli/{name}/"
    cli_packages = {p.parent.name for p in CLI.glob("*/__init__.py")}
    assert cli_packages and cli_packages <= packages, cli_packages - packages
    assert len(list(CLI.glob("*.py"))) <= 15  # command modules go into the group they mirror


def _workspace_constructions(source: str) -> list[str]:
    """Calls that open or create a workspace directly: ``Workspace.open/init(...)``, ``Workspace(...)``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "Workspace":
            found.append(f"line {node.lineno}: Workspace.{func.attr}()")
        elif isinstance(func, ast.Name) and func.id == "Workspace":
            found.append(f"line {node.lineno}: Workspace()")
    return found


@pytest.mark.parametrize("path", _cli_files(), ids=lambda p: p.name)
def test_the_cli_opens_and_creates_workspaces_through_the_public_api(path: Path) -> None:
    # ikrar init and every command's workspace go through ikrar_cli.api (docs/library.md), the
    # entry points a script uses, so the two cannot drift apart
    assert _workspace_constructions(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("source", ["Workspace.open(home)", "Workspace.init(p, code='X')", "ws = Workspace(root, cfg)"])
def test_the_workspace_check_catches(source: str) -> None:
    assert _workspace_constructions(source) != []
