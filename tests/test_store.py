"""The store: named migrations are recorded once; transactions are all-or-nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ikrar_cli.errors import StorageError
from ikrar_cli.migrations import known_migrations
from ikrar_cli.store import Store


def test_migrations_are_named_recorded_and_applied_once(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with Store(db) as store:
        applied = [r[0] for r in store.conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert applied == sorted(name for name, _m in known_migrations())
    with Store(db) as store:  # reopening applies nothing twice
        count = store.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    assert count == len(applied)


def test_database_from_a_newer_ikrar_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError) as info:
        Store(db)
    assert "9999_future" in info.value.message


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            store.set_meta(conn, "a", "1")
            raise RuntimeError("boom")
        assert store.get_meta("a") is None
        with store.transaction() as conn:
            store.set_meta(conn, "a", "2")
        assert store.get_meta("a") == "2"


def test_unwritable_location_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        Store(tmp_path / "missing" / "x.db")
