"""Several exports in one ``ledger merge`` (issue 17; ``ledger/swap_ahead.py``): on PostgreSQL each
file's swap runs beside the next file's verification, on SQLite one after another; either way each
file is merged whole or not at all, the results come in file order, and the store ends as if the
files had been merged one by one.

Whether two steps overlapped is shown by events, not by timing: the swap of the first file waits
for the event "the second file's verification has started" (bounded, so a merge that runs them one
after another fails the test instead of hanging).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from test_merge import Site
from test_merge_staging import N, rows, world  # noqa: F401 - the fixture: a centre, two terminals' exports

from ikrar_cli.errors import StorageError
from ikrar_cli.ledger import export as export_mod

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre runs on each engine (tests/engines.py)
WAIT_S = 60  # the longest a step waits for the event it needs (a failing test, not a slow one)


def overlapping(engine: str) -> bool:
    return engine == "postgresql"


class Steps:
    """Records when each file's verification (prepare) and swap (apply) start and end, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, first_swap_waits_for: Path | None = None):
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.started: dict[str, threading.Event] = {}
        self.saw_overlap: bool | None = None
        prepare, apply = export_mod.Merger.prepare, export_mod.Merger.apply
        steps = self

        def spy_prepare(merger: Any, path: Path) -> Any:
            steps.note("prepare", path)
            steps.started.setdefault(path.name, threading.Event()).set()
            out = prepare(merger, path)
            steps.note("prepared", path)
            return out

        def spy_apply(merger: Any, prepared: Any) -> Any:
            steps.note("apply", prepared.path)
            if first_swap_waits_for is not None and steps.saw_overlap is None:
                event = steps.started.setdefault(first_swap_waits_for.name, threading.Event())
                steps.saw_overlap = event.wait(WAIT_S)
            out = apply(merger, prepared)
            steps.note("applied", prepared.path)
            return out

        monkeypatch.setattr(export_mod.Merger, "prepare", spy_prepare)
        monkeypatch.setattr(export_mod.Merger, "apply", spy_apply)

    def note(self, what: str, path: Path) -> None:
        with self.lock:
            self.events.append((what, path.name))

    def count(self, what: str, path: Path) -> int:
        return self.events.count((what, path.name))

    def index(self, what: str, path: Path) -> int:
        return self.events.index((what, path.name))


def merge(central: Site, *files: Path, ok: bool = True) -> Any:
    r = central("ledger", "merge", *map(str, files), "--json", ok=ok)
    return r, json.loads(r.stdout) if r.stdout.strip() else None


def test_each_swap_runs_beside_the_next_files_verification_on_postgresql(world, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, (e1, e2), _roster = world
    steps = Steps(monkeypatch, first_swap_waits_for=e2 if overlapping(engine) else None)
    _r, report = merge(central, e1, e2)
    assert [f["file"] for f in report["files"]] == [str(e1), str(e2)]
    assert [(f["accepted"], f["added"]) for f in report["files"]] == [(True, N), (True, N)]
    if overlapping(engine):
        # e1's swap waited for e2's verification to start, and got it: they ran at the same time
        assert steps.saw_overlap is True
        assert steps.index("prepare", e2) < steps.index("applied", e1)
        # one swap at a time, in file order
        assert steps.index("applied", e1) < steps.index("apply", e2)
    else:
        assert steps.events == [("prepare", e1.name), ("prepared", e1.name), ("apply", e1.name),
                                ("applied", e1.name), ("prepare", e2.name), ("prepared", e2.name),
                                ("apply", e2.name), ("applied", e2.name)]  # fmt: skip
    # as if merged one by one: every entry and receipt once, none flagged as off the roster, the
    # officers both terminals attested noted as duplicates
    assert rows(central.home) == (2 * N + 2, 2 * N, 2 * N, 0)
    assert report["duplicates"] and len(report["duplicates"]) == N // 2
    central("ledger", "verify")


def test_a_file_sharing_a_log_with_the_file_before_is_verified_again(world, engine, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """t1 exports twice (the second export holds the first plus one receipt); both in one merge.
    On PostgreSQL the second was verified while the first was swapped in, against the store before
    it: its swap finds the log changed and it is verified again; the result is the sequential one."""
    central, (e1, _e2), roster = world
    t1 = Site(central.ikrar, tmp_path / "t1")
    nip = roster.read_text(encoding="utf-8-sig").splitlines()[N + 1].split(",")[0]
    t1("attest", "--session", "1", "--nip", nip, "--yes")
    t1("ledger", "checkpoint")
    e1b = tmp_path / "t1-later.jsonl"
    t1("ledger", "export", "--out", str(e1b))
    steps = Steps(monkeypatch)
    _r, report = merge(central, e1, e1b)
    first, second = report["files"]
    assert (first["accepted"], first["added"]) == (True, N)
    assert (second["accepted"], second["added"], second["logs"][0]["already_merged"]) == (True, 1, N + 1)
    assert steps.count("prepare", e1b) == (2 if overlapping(engine) else 1)
    assert rows(central.home)[:3] == (N + 2, N + 1, N + 1)
    central("ledger", "verify")


def test_a_rejected_file_between_two_good_ones(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, (e1, e2), _roster = world
    bad = tmp_path / "edited.jsonl"
    lines = e2.read_text(encoding="utf-8").splitlines(keepends=True)
    bad.write_text("".join(lines[:-3] + lines[-2:]), encoding="utf-8")  # an entry taken out
    r, report = merge(central, e1, bad, e2, ok=False)
    assert r.exit_code != 0
    assert [(f["file"], f["accepted"]) for f in report["files"]] == [(str(e1), True), (str(bad), False),
                                                                      (str(e2), True)]  # fmt: skip
    assert rows(central.home)[:3] == (2 * N + 2, 2 * N, 2 * N)
    central("ledger", "verify")


def test_an_error_while_verifying_lets_the_swap_in_progress_end(world, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The second file's verification fails with a storage error while the first file's swap runs:
    the command stops with the storage exit code and one line, and the first file is in the store
    whole (its swap ended before the command did), the second not at all."""
    central, (e1, e2), _roster = world
    prepare = export_mod.Merger.prepare

    def failing(merger: Any, path: Path) -> Any:
        if path == e2:
            raise StorageError("the database went away", "try again")
        return prepare(merger, path)

    monkeypatch.setattr(export_mod.Merger, "prepare", failing)
    r, _report = merge(central, e1, e2, ok=False)
    from ikrar_cli.cli.errors import EXIT_STORAGE

    assert r.exit_code == EXIT_STORAGE
    assert "Traceback" not in r.stderr and "the database went away" in r.stderr
    assert rows(central.home)[:3] == (N + 1, N, N)
    central("ledger", "verify")


def test_without_a_second_connection_the_files_are_merged_one_after_another(world, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A server at its connection limit refuses the second connection: the merge does not fail, it
    merges the files one after another on the one connection it has."""
    from ikrar_cli.workspace import Workspace

    central, (e1, e2), _roster = world
    opened = Workspace.open_store
    calls: list[int] = []

    def refuse_second(ws: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise StorageError("FATAL: sorry, too many clients already", "try again later")
        return opened(ws)

    monkeypatch.setattr(Workspace, "open_store", refuse_second)
    steps = Steps(monkeypatch)
    _r, report = merge(central, e1, e2)
    assert [(f["accepted"], f["added"]) for f in report["files"]] == [(True, N), (True, N)]
    assert steps.index("applied", e1) < steps.index("prepare", e2)  # one after another
    assert len(calls) == (2 if overlapping(engine) else 1)  # the second connection was asked for, and refused
    assert rows(central.home)[:3] == (2 * N + 2, 2 * N, 2 * N)
