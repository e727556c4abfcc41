"""A roster import holds the write lock only to write (issue 20): its change summary is made in a read
snapshot; if the roster changed meanwhile the summary is made again under the lock, so what it
reports is what it applied. A kill -9 after the summary writes nothing. SQLite's writers wait their
turn at the write gate, which a process leaves as soon as it holds the lock.

The import child is held at a test pause point (ikrar_cli/testpoints.py) and let go by a line on its
standard input: every step waits for an event, never a duration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engines import connect_db
from pausepoints import dump, kill_hard, start_paused
from test_merge_staging import write_lock_held

from ikrar_cli.testpoints import RESUME

ROOT = Path(__file__).resolve().parents[1]


def nip(i: int) -> str:
    return f"19860926{2005 + i % 15}{1 + i // 15 % 12:02d}{1 + i // 180 % 2}{1 + i // 360:03d}"


def roster(path: Path, rows: list[tuple[int, str, str, str]]) -> Path:
    """(officer number, name, position, unit) per row."""
    path.write_text("NIP,Nama,Jabatan,Unit Kerja\n" + "".join(f"{nip(i)},{n},{p},{u}\n" for i, n, p, u in rows),
                    encoding="utf-8")  # fmt: skip
    return path


def env(home: Path) -> dict[str, str]:
    return dict(os.environ, IKRAR_HOME=str(home), PYTHONPATH=str(ROOT), IKRAR_LANG="en")


def import_cmd(home: Path, path: Path) -> list[str]:
    return [sys.executable, "-m", "ikrar_cli", "--home", str(home), "roster", "import", str(path), "--json"]


def held_import(home: Path, path: Path, point: str) -> subprocess.Popen[bytes]:
    return start_paused(import_cmd(home, path), {**env(home), RESUME: "stdin"}, point, stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE)  # fmt: skip


def let_go(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(b"\n")
    proc.stdin.close()
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait()
    assert proc.returncode == 0, err.decode()
    return json.loads(out)  # type: ignore[no-any-return]


def run_import(home: Path, path: Path) -> dict[str, Any]:
    done = subprocess.run(import_cmd(home, path), env=env(home), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def officers(home: Path) -> dict[str, tuple[str, str, int]]:
    db = connect_db(home)
    try:
        return {r[0]: (r[1], r[2], r[3]) for r in db.execute("SELECT officer_id, name, position, active FROM officers")}
    finally:
        db.close()


BASE = [(i, f"Pegawai {i}", "Analis", f"Dinas {i % 3}") for i in range(6)]


@pytest.fixture
def home(engine: str, workspace: Path, tmp_path: Path) -> Path:
    run_import(workspace, roster(tmp_path / "base.csv", BASE))
    return workspace


def test_the_summary_is_made_without_the_lock_and_again_if_the_roster_changed(home: Path, tmp_path: Path) -> None:
    """Held after its summary: no write lock; another import changes the roster meanwhile; the first
    then reports (and applies) the changes against the roster as it is when it writes."""
    mine = roster(tmp_path / "mine.csv", [(0, "Pegawai Nol", "Analis", "Dinas 0"), *BASE[1:5]])  # 5 missing
    other = roster(tmp_path / "other.csv", [*BASE, (6, "Pegawai 6", "Analis", "Dinas 0")])  # adds officer 6
    proc = held_import(home, mine, "roster.planned")
    try:
        assert not write_lock_held(home)  # summarised in a snapshot, nothing held
        assert run_import(home, other)["added"] == 1  # another import completes meanwhile
    finally:
        rep = let_go(proc)
    missing = sorted(c["officer_id"] for c in rep["changes"] if c["kind"] == "missing")
    assert missing == [nip(5), nip(6)]  # officer 6 came in after the snapshot: summarised again
    assert rep["missing"] == 2 and rep["updated"] == 1 and rep["unchanged"] == 4
    assert [(c["officer_id"], c["field"], c["new"]) for c in rep["changes"] if c["kind"] == "field"] == [
        (nip(0), "name", "Pegawai Nol")
    ]
    got = officers(home)
    assert got[nip(0)][0] == "Pegawai Nol" and got[nip(6)] == ("Pegawai 6", "Analis", 1) and len(got) == 7


def test_an_unchanged_roster_keeps_the_snapshot_summary(home: Path, tmp_path: Path) -> None:
    """A write that leaves the roster alone (a unit-free table) does not make the import look again,
    and what it reports is exactly what it wrote."""
    mine = roster(tmp_path / "mine.csv", [(i, n, "Kepala" if i == 2 else p, u) for i, n, p, u in BASE[:4]])
    proc = held_import(home, mine, "roster.planned")
    try:
        db = connect_db(home)
        try:  # a write to another table meanwhile
            db.execute("INSERT INTO meta (key, value) VALUES ('test_other_write', 'x')")
            db.commit()
        finally:
            db.close()
    finally:
        rep = let_go(proc)
    assert sorted(c["officer_id"] for c in rep["changes"] if c["kind"] == "missing") == [nip(4), nip(5)]
    assert [(c["officer_id"], c["field"], c["old"], c["new"]) for c in rep["changes"] if c["kind"] == "field"] == [
        (nip(2), "position", "Analis", "Kepala")
    ]
    assert officers(home)[nip(2)][1] == "Kepala"


def test_killed_after_its_summary_the_import_writes_nothing(home: Path, tmp_path: Path) -> None:
    """kill -9 after the summary (temporary tables, the change log): the database is exactly as
    before; the next run imports."""
    db = home / "ikrar.db"
    before = dump(db)
    mine = roster(tmp_path / "mine.csv", [(i, n, "Kepala", u) for i, n, _p, u in BASE])
    proc = start_paused(import_cmd(home, mine), env(home), "roster.planned", stdout=subprocess.DEVNULL)
    kill_hard(proc)
    assert dump(db) == before
    assert run_import(home, mine)["updated"] == 6
    assert {v[1] for v in officers(home).values()} == {"Kepala"}


def test_readers_see_the_roster_before_the_import_until_it_commits(home: Path, tmp_path: Path) -> None:
    """Held inside its write transaction, every row written: another reader sees the old roster."""
    db = home / "ikrar.db"
    before = dump(db)
    mine = roster(tmp_path / "mine.csv", [(i, f"Baru {i}", p, u) for i, _n, p, u in BASE])
    proc = held_import(home, mine, "roster.commit")
    try:
        assert write_lock_held(home)
        assert dump(db) == before
    finally:
        rep = let_go(proc)
    assert rep["updated"] == 6 and {v[0] for v in officers(home).values()} == {f"Baru {i}" for i in range(6)}


@pytest.mark.sqlite_only
def test_a_writer_leaves_the_write_gate_once_it_holds_the_lock(home: Path, tmp_path: Path) -> None:
    """The gate (``ikrar.db-writers``, private) is free while a process sits inside its transaction:
    it only orders the processes asking for the lock."""
    import fcntl

    gate = home / "ikrar.db-writers"
    mine = roster(tmp_path / "mine.csv", [(i, f"Baru {i}", p, u) for i, _n, p, u in BASE])
    proc = held_import(home, mine, "roster.commit")
    try:
        assert write_lock_held(home)
        assert gate.stat().st_mode & 0o777 == 0o600
        with open(gate, "r+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if it were kept
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        let_go(proc)
