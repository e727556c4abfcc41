"""Row checks on several cores (issue 20): the helper processes give exactly the serial outcomes,
in file order, whatever the rows (good, bad, title rows) and the chunk size; an import with
helpers writes the same report, rejects file and roster as one without; a helper that dies is
replaced by checking here; helpers get no secret; nothing else in ikrar starts processes."""

from __future__ import annotations

import ast
import json
import sys
from datetime import date
from pathlib import Path

import pytest
from engines import connect_db
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli import childproc
from ikrar_cli.i18n import speaking
from ikrar_cli.roster import check_pool
from ikrar_cli.roster.row_check import RowChecker

TODAY = date(2026, 11, 25)
HEADERS = ["No", "NIP", "Nama", "Gelar Depan", "Gelar Belakang", "Jabatan", "Unit Kerja", "Golongan", "Status"]
COLS = {"officer_id": 1, "name": 2, "gelar_depan": 3, "gelar_belakang": 4, "position": 5, "unit": 6, "rank": 7,
        "status": 8}  # fmt: skip


def _checker() -> RowChecker:
    keys = frozenset(h.lower().replace(" ", "") for h in HEADERS)
    return RowChecker(len(HEADERS) + 1, COLS, None, TODAY, keys, frozenset({1, 2}))


_NIP = st.one_of(
    st.sampled_from(["198001012005011001", "19690504 202223 2 508", "'199912312020122001", "197001012000011000"]),
    st.text(alphabet="0123456789 .-", min_size=0, max_size=22),  # mostly invalid
    st.sampled_from(["", "NIP", "JUMLAH", "3173010101800001"]),
)
_TEXT = st.one_of(
    st.sampled_from(["", "Dinas Pendidikan", "  Dinas  Kesehatan ", "Añi Rahmawati", "Dr. H. Ahmad, S.H."]),
    st.text(max_size=12),
    st.text(alphabet="ab ", min_size=240, max_size=260),  # around the field bound
)
_ROW = st.lists(st.one_of(_NIP, _TEXT), min_size=0, max_size=10)  # short and long rows
_ROWS = st.lists(st.tuples(_NIP, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT).map(lambda t: ["1", *t]),
                 max_size=40)  # fmt: skip


def _flatten(chunks: list[tuple[list, list]]) -> list:  # type: ignore[type-arg]
    return [o for _part, outcomes in chunks for o in outcomes]


@settings(max_examples=15, deadline=None)
@given(rows=_ROWS, ragged=st.lists(_ROW, max_size=5), chunk=st.integers(1, 9), lang=st.sampled_from(["id", "en"]))
def test_helpers_give_the_serial_outcomes_in_order(rows: list, ragged: list, chunk: int, lang: str) -> None:  # type: ignore[type-arg]
    numbered = [(i + 2, cells) for i, cells in enumerate(rows + ragged)]
    checker = _checker()
    with speaking(lang):
        serial = checker.check_rows(numbered)
        parallel = list(check_pool.checked_chunks(checker, numbered, chunk=chunk, workers=2))
    assert [p for part, _o in parallel for p in part] == numbered  # every chunk, in file order
    assert _flatten(parallel) == serial
    assert [o[0] for o in serial] == [n for n, _c in numbered]


def test_bad_rows_are_checked_by_the_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helpers really run (not the fallback here): chunks go round this process, helper 1,
    helper 2; the helpers' chunks come back checked although this process's check is stubbed."""
    checker = _checker()
    rows = [(i, ["1", "12345", "Andi", "", "", "", "Dinas", "", ""]) for i in range(2, 42)]
    calls = []
    monkeypatch.setattr(RowChecker, "check_rows", lambda self, part: calls.append(part[0][0]) or [])  # type: ignore[func-returns-value]
    got = list(check_pool.checked_chunks(checker, rows, chunk=10, workers=2))
    assert calls == [2, 32]  # chunks 1 and 4 were this process's turn
    assert [p[0][0] for p, _o in got] == [2, 12, 22, 32]
    for _part, outcomes in got[1:3]:
        assert len(outcomes) == 10 and all(o[1] is None and o[2].field == "officer_id" for o in outcomes)


def test_a_helper_that_cannot_run_is_replaced_by_checking_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_pool, "WORKER_MODULE", "ikrar_cli.roster.no_such_module")
    checker = _checker()
    rows = [(i, ["1", "198001012005011001" if i % 3 else "bad", "Andi", "", "", "", "Dinas", "", ""])
            for i in range(2, 60)]  # fmt: skip
    got = list(check_pool.checked_chunks(checker, rows, chunk=7, workers=2))
    assert _flatten(got) == checker.check_rows(rows)


def test_helpers_get_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IKRAR_PASSPHRASE", "s3cret-pass")
    monkeypatch.setenv("PGPASSWORD", "s3cret-pg")
    prog = "import os,sys; sys.stdout.write(repr(sorted(v for v in os.environ.values() if 's3cret' in v)))"
    proc = childproc.start_worker([sys.executable, "-c", prog], extra_env={"PYTHONPATH": "/nowhere"})
    out, _err = proc.communicate(timeout=60)
    assert out == b"[]"
    with pytest.raises(ValueError):
        childproc.start_worker([sys.executable, "-c", "pass"], extra_env={"MY_TOKEN": "x"})


def _bad_roster(path: Path, n: int) -> None:
    from ikrar_cli.demo.office import write_sample_roster

    write_sample_roster(path, n, seed=5)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for i in (3, 5_500, 11_000, n - 2):  # an invalid NIP, an empty name, a too-long unit, a repeat
        cells = lines[i].split(";")
        if i == 3:
            cells[1] = "12345"
        elif i == 5_500:
            cells[2] = ""
        elif i == 11_000:
            cells[6] = "x" * 300
        else:
            cells = lines[10].split(";")
            cells[6] = "Inspektorat Daerah X"
        lines[i] = ";".join(cells)
    lines.insert(8_000, "JUMLAH;;;;;;;;")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def test_import_with_helpers_equals_import_without(ikrar, workspace: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Same report (rows, first error, every invalid row in order), same rejects file, same roster."""
    f = tmp_path / "r.csv"
    _bad_roster(f, 12_000)
    outs = []
    for workers in ("0", "2"):
        monkeypatch.setenv("IKRAR_CHECK_WORKERS", workers)
        refused = ikrar("--lang", "en", "roster", "import", str(f), "--json")
        assert refused.exit_code == 3
        (tmp_path / workers).mkdir()
        rejects = tmp_path / workers / "rejects.csv"
        ok = ikrar("--lang", "en", "roster", "import", str(f), "--skip-invalid", "--rejects", str(rejects), "--json",
                   "--dry-run")  # fmt: skip
        assert ok.exit_code == 0, ok.stderr
        done = json.loads(ok.stdout)
        assert done.pop("rejects_file") == str(rejects)
        outs.append((json.loads(refused.stdout), done, rejects.read_bytes()))
    assert outs[0] == outs[1]
    details = outs[0][0]["error"]["details"]
    assert [p["row"] for p in details["invalid_rows"]] == [4, 5_501, 11_002]
    assert [s["row"] for s in details["skipped_rows"]] == [8_001]
    monkeypatch.setenv("IKRAR_CHECK_WORKERS", "2")
    assert ikrar("roster", "import", str(f), "--skip-invalid").exit_code == 0
    assert connect_db(workspace).execute("SELECT COUNT(*) FROM officers").fetchone()[0] == 12_000 - 4


def test_processes_start_only_through_childproc() -> None:
    """The rule of test_platform_guard for process pools too: no multiprocessing, no process pool
    executor, no fork outside childproc (their children would inherit every secret)."""
    root = Path(__file__).resolve().parents[1] / "ikrar_cli"
    banned = {"multiprocessing", "concurrent.futures.process"}
    offenders = []
    for p in root.rglob("*.py"):
        if p.name == "childproc.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n.split(".")[0] in banned or n in banned or n.endswith("ProcessPoolExecutor") for n in names):
                offenders.append(f"{p.name}:{node.lineno}")
    assert offenders == []
