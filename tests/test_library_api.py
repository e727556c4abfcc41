"""docs/library.md: its example runs as documented, and the API it names is what api.__all__ exports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import ikrar_cli
from ikrar_cli import api

DOC = Path(__file__).resolve().parent.parent / "docs" / "library.md"


def _block(kind: str) -> str:
    found = re.search(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert found is not None
    return found.group(1)


def test_the_documented_example_runs_and_prints_what_the_doc_says(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _block("python")], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == _block("text")
    assert (tmp_path / "contoh-bkpsdm" / "ikrar.yaml").is_file()


def test_the_doc_table_names_exactly_the_public_functions() -> None:
    documented = set(re.findall(r"^\| `(\w+)\(", DOC.read_text(encoding="utf-8"), re.M))
    functions = {n for n in api.__all__ if callable(getattr(api, n)) and not n[0].isupper()}
    assert documented == functions


def test_package_re_exports_the_api_lazily() -> None:
    assert ikrar_cli.open_workspace is api.open_workspace
    assert ikrar_cli.IkrarError is api.IkrarError
    assert set(api.__all__) <= set(dir(ikrar_cli))
    code = "import sys, ikrar_cli; print('ikrar_cli.api' in sys.modules, 'sqlite3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
