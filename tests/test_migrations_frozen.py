"""Released migrations are frozen: they import no live domain module, and their copies agree with it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import IkrarError
from ikrar_cli.keys.trust import receipt_revocation_id
from ikrar_cli.migrations import m0006_merge
from ikrar_cli.receipts.base45 import ALPHABET, b45encode
from ikrar_cli.receipts.receipt import decode_receipt, sign_receipt

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402

MIGRATIONS = Path(m0006_merge.__file__).parent
#: what a migration may import from ikrar_cli: the migrations package, errors and i18n (messages)
ALLOWED = {"ikrar_cli.migrations", "ikrar_cli.errors", "ikrar_cli.i18n"}


def _ikrar_imports(path: Path) -> set[str]:
    """Every ikrar_cli module a file imports, at module level or inside functions, made absolute."""
    package = "ikrar_cli.migrations"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "ikrar_cli"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
                names = [module] if node.module else [f"{base}.{a.name}" for a in node.names]
                found |= set(names)
            elif node.module and node.module.split(".")[0] == "ikrar_cli":
                found.add(node.module)
    return found


def test_migrations_import_nothing_live() -> None:
    offenders = {}
    files = sorted(MIGRATIONS.glob("m[0-9]*.py"))  # the released migrations (not the runner in __init__)
    assert len(files) >= 6
    for path in files:
        bad = {m for m in _ikrar_imports(path) if not any(m == a or m.startswith(a + ".") for a in ALLOWED)}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_import_check_sees_relative_and_nested_imports(tmp_path: Path) -> None:
    f = tmp_path / "m9999_x.py"
    f.write_text(
        "from ..errors import E\ndef up(c):\n"
        "    from ..receipts.receipt import decode_receipt\n    from . import m0001_core\n"
    )
    assert _ikrar_imports(f) == {"ikrar_cli.errors", "ikrar_cli.receipts.receipt", "ikrar_cli.migrations.m0001_core"}


def _live_rid(text: str) -> bytes | None:
    try:
        return receipt_revocation_id(decode_receipt(text).signature)
    except IkrarError:
        return None


def test_frozen_revocation_id_matches_the_live_one_for_real_receipts() -> None:
    for i in range(5):
        r = sign_receipt(h.claims(ledger_index=i), h.terminal().sign, b"\x01" * 8)
        assert m0006_merge._revocation_id(r.text) == _live_rid(r.text) is not None
        link = "https://verify.example/#" + r.text
        assert m0006_merge._revocation_id(link) == _live_rid(link)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_frozen_base45_matches_the_live_one(data: bytes) -> None:
    assert m0006_merge._b45decode(b45encode(data)) == data


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET + "#:IKR1", max_size=80))
def test_damaged_text_never_raises_and_gets_no_rid_where_live_gets_none(text: str) -> None:
    frozen = m0006_merge._revocation_id("IKR1:" + text)
    live = _live_rid("IKR1:" + text)
    assert live is None or frozen == live
