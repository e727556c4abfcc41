"""The CLI only parses, calls and renders: no SQL, no sqlite3, no cryptography under ikrar_cli/cli/.

AST-based, so comments do not count and nested (lazy) imports do: imports of ``sqlite3``
or ``cryptography``; calls of ``.execute()``, ``.executemany()`` or ``.executescript()``;
and string literals that read like SQL statements.
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

#: Files that still hold SQL or crypto, being moved into the core by other branches (issue 19).
#: Shrink this list as they are cleaned; the test fails if a listed file is already clean.
PENDING = {
    "recite.py",  # kiosk lookups by SQL
    "report.py",  # revoked-receipt policy and queries (moving in the compliance branch)
    "roster.py",  # roster listing/export queries (moving in the sheets branch)
    "session.py",  # one query per session (moving in the compliance branch)
    "verify.py",  # authority fingerprints policy and queries (moving in the compliance branch)
}


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
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append(f"line {node.lineno}: SQL text {node.value[:40]!r}")
    return found


def _cli_files() -> list[Path]:
    return sorted(CLI.rglob("*.py"))


@pytest.mark.parametrize("path", _cli_files(), ids=lambda p: p.name)
def test_cli_files_hold_no_sql_and_no_crypto(path: Path) -> None:
    found = violations(path.read_text(encoding="utf-8"))
    if path.name in PENDING:
        assert found, f"{path.name} is clean now: remove it from PENDING"
    else:
        assert found == []


def test_pending_names_existing_files() -> None:
    assert PENDING <= {p.name for p in _cli_files()}


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
    ],
)
def test_the_check_lets_plain_words_pass(source: str) -> None:
    assert violations(source) == []
