"""An officer never names a unit that does not exist, on either engine. SQLite keeps the foreign
key; PostgreSQL checks the same rule once per statement (migration m0018: a roster import's insert
no longer pays one foreign-key trigger per officer) and defers the unit side as the key did."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ikrar_cli.errors import StorageError
from ikrar_cli.workspace import Workspace


def _imported(ikrar, workspace: Path, tmp_path: Path) -> Workspace:  # type: ignore[no-untyped-def]
    f = tmp_path / "r.csv"
    f.write_text(
        "NIP;Nama;Unit Kerja\n198001012005011001;Andi;Dinas Pendidikan\n198002022006022002;Budi;Dinas Kesehatan\n",
        encoding="utf-8",
    )
    assert ikrar("roster", "import", str(f)).exit_code == 0
    return Workspace.open(workspace)


def test_an_officer_with_an_unknown_unit_code_is_refused(ikrar, workspace: Path, tmp_path: Path) -> None:
    ws = _imported(ikrar, workspace, tmp_path)
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute(
            "INSERT INTO officers (officer_id, id_type, name, unit_code, first_seen_at, updated_at) "
            "VALUES ('198003032007031003', 'nip', 'Citra', 'NOPE', 0, 0)"
        )
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute("UPDATE officers SET unit_code = 'NOPE' WHERE officer_id = '198001012005011001'")
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:  # a bulk insert, one bad row
        conn.executemany(
            "INSERT INTO officers (officer_id, id_type, name, unit_code, first_seen_at, updated_at) "
            "VALUES (?, 'nip', 'X', ?, 0, 0)",
            [(f"1{i:017d}", "NOPE" if i == 150 else None) for i in range(200)],
        )
    with ws.store.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM officers").fetchone() == (2,)
        assert conn.execute("SELECT COUNT(*) FROM officers WHERE unit_code = 'NOPE'").fetchone() == (0,)
    ws.close()


def test_a_unit_still_named_by_officers_cannot_go(ikrar, workspace: Path, tmp_path: Path) -> None:
    ws = _imported(ikrar, workspace, tmp_path)
    with ws.store.read() as conn:
        code = conn.execute("SELECT unit_code FROM officers WHERE officer_id = '198001012005011001'").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute("DELETE FROM units WHERE code = ?", (code,))
    with pytest.raises(StorageError, match="(?i)foreign key"), ws.store.transaction() as conn:  # at COMMIT
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("UPDATE units SET code = 'ZZZ' WHERE code = ?", (code,))
    with ws.store.transaction() as conn:  # moved along in the same transaction: allowed
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("UPDATE units SET code = 'ZZZ' WHERE code = ?", (code,))
        conn.execute("UPDATE officers SET unit_code = 'ZZZ' WHERE unit_code = ?", (code,))
    with ws.store.read() as conn:
        assert conn.execute("SELECT unit_code FROM officers WHERE officer_id = '198001012005011001'").fetchone() == (
            "ZZZ",
        )
    ws.close()


def test_the_deferral_is_switched_back_and_staging_rows_are_indexed_on_postgresql() -> None:
    from ikrar_cli.store import dialects

    assert dialects.to_postgres("PRAGMA defer_foreign_keys = ON") == "SET CONSTRAINTS ALL DEFERRED"
    assert dialects.to_postgres("PRAGMA defer_foreign_keys = OFF") == "SET CONSTRAINTS ALL IMMEDIATE"
    assert dialects.staging_rowid_index(dialects.SQLITE) is None  # SQLite's rowid is the key
    index = dialects.staging_rowid_index(dialects.POSTGRESQL)
    assert index is not None and "staging (row)" in index
    assert "s.row > " in dialects.to_postgres("SELECT 1 FROM staging s WHERE s.rowid > ?")  # what it serves


def test_an_import_moving_a_unit_code_keeps_every_officer_on_a_unit(ikrar, workspace: Path, tmp_path: Path) -> None:
    """A unit renamed by the authority (``_place`` with the key deferred, then immediate again)
    and new staff in the same import: every officer names an existing unit afterwards."""
    ws = _imported(ikrar, workspace, tmp_path)
    ws.close()
    r = ikrar("roster", "unit-code", "Dinas Pendidikan", "DIKBUD")
    assert r.exit_code == 0, r.stderr
    f = tmp_path / "r2.csv"
    f.write_text(
        "NIP;Nama;Unit Kerja\n198001012005011001;Andi;Dinas Pendidikan\n198002022006022002;Budi;Dinas Kesehatan\n"
        "198003032007031003;Citra;Dinas Sosial\n",
        encoding="utf-8",
    )
    assert ikrar("roster", "import", str(f)).exit_code == 0
    ws = Workspace.open(workspace)
    with ws.store.read() as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM officers o WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.code = o.unit_code)"
        ).fetchone() == (0,)
        assert conn.execute("SELECT unit_code FROM officers WHERE officer_id = '198001012005011001'").fetchone() == (
            "DIKBUD",
        )
        assert conn.execute("SELECT COUNT(*) FROM officers").fetchone() == (3,)
    ws.close()
