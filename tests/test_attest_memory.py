"""`attest --attendance` keeps no attestation once its batch is written, with or without documents.

Structural, not timed: each committed batch's Attestation objects must be gone (weak references
dead after a collection) by the time the next batch is committed; with --pdf or --png-dir they are
spooled to an anonymous temporary file (recitation/spool.py) for the documents written at the end.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from test_recitation import PASS, setup_terminal

from ikrar_cli.demo.office import write_sample_roster
from ikrar_cli.recitation.attest import Recorder, SeenRows


def _watch(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"refs": [], "alive_at_next_batch": 0, "batches": 0}
    original = Recorder.attest_many

    def attest_many(self: Recorder, session_id: int, rows: Any, **kw: Any) -> Any:
        callback = kw["on_committed"]

        def committed(batch: list[Any]) -> None:
            gc.collect()
            seen["alive_at_next_batch"] += sum(r() is not None for r in seen["refs"])
            seen["refs"] = [weakref.ref(a) for a in batch]
            seen["batches"] += 1
            callback(batch)

        kw["on_committed"] = committed
        return original(self, session_id, rows, batch_size=50, **{k: v for k, v in kw.items() if k != "batch_size"})

    monkeypatch.setattr(Recorder, "attest_many", attest_many)
    return seen


def _world(ikrar: Any, tmp_path: Path) -> Path:
    roster = tmp_path / "big.csv"
    ids = write_sample_roster(roster, 240, seed=3)
    setup_terminal(ikrar, tmp_path, roster=roster.read_text(encoding="utf-8-sig"), attest=False)
    att = tmp_path / "hadir.csv"
    att.write_text("NIP\n" + "\n".join(ids) + "\n")
    return att


def test_no_documents_nothing_kept(ikrar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    att = _world(ikrar, tmp_path)
    seen = _watch(monkeypatch)
    r = ikrar("attest", "--session", "1", "--attendance", str(att), "--json", env=PASS)
    assert r.exit_code == 0, r.stderr
    assert seen["batches"] == 5  # 240 officers in batches of 50
    assert seen["alive_at_next_batch"] == 0
    assert r.stdout.count('"receipt"') == 240


def test_with_documents_they_are_spooled_not_kept(ikrar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """With --pdf and --png-dir the documents are written after the last commit from an anonymous
    temporary file: no batch's Attestation objects outlive it, and every officer is in them."""
    att = _world(ikrar, tmp_path)
    att.write_text("\n".join(att.read_text().splitlines()[:101]) + "\n")  # 100 officers: 2 batches
    seen = _watch(monkeypatch)
    pdf = tmp_path / "slips.pdf"
    r = ikrar("attest", "--session", "1", "--attendance", str(att), "--png-dir", str(tmp_path / "png"),
              "--pdf", str(pdf), "--slips", env=PASS)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert seen["batches"] == 2 and seen["alive_at_next_batch"] == 0
    assert len(list((tmp_path / "png").glob("*.png"))) == 100
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    assert len(reader.pages) == 17  # 100 slips, six to a page
    text = "".join(page.extract_text() for page in reader.pages)
    ids = att.read_text().split()[1:]
    assert all(oid in text.replace(" ", "") for oid in ids)  # every officer's slip, from the spool


def test_seen_rows_names_the_first_row() -> None:
    s = SeenRows()
    assert s.first_row("198609262015051001", 2) is None
    assert s.first_row("098609262015051001", 3) is None  # a leading zero is another identifier
    assert s.first_row("98609262015051001", 4) is None
    assert s.first_row("198609262015051001", 9) == 2
    assert s.first_row("ABC-1", 5) is None and s.first_row("ABC-1", 6) == 5
