"""The store: named migrations are recorded once; transactions are all-or-nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from engines import connect_store, open_test_store

from ikrar_cli.errors import StorageError
from ikrar_cli.migrations import known_migrations
from ikrar_cli.store.core import Store


def test_migrations_are_named_recorded_and_applied_once(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with open_test_store(db) as store:
        applied = [r[0] for r in store.conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert applied == sorted(name for name, _m in known_migrations())
    with open_test_store(db) as store:  # reopening applies nothing twice
        count = store.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    assert count == len(applied)


def test_database_from_a_newer_ikrar_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    store = open_test_store(db)
    conn = connect_store(store)
    store.close()
    conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError) as info:
        open_test_store(db)
    assert "9999_future" in info.value.message


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    with open_test_store(tmp_path / "x.db") as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            store.set_meta(conn, "a", "1")
            raise RuntimeError("boom")
        assert store.get_meta("a") is None
        with store.transaction() as conn:
            store.set_meta(conn, "a", "2")
        assert store.get_meta("a") == "2"


@pytest.mark.sqlite_only
def test_unwritable_location_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        Store(tmp_path / "missing" / "x.db")


@pytest.mark.sqlite_only
def test_migration_0006_upgrades_a_workspace_with_attestations(tmp_path: Path) -> None:
    """A database made before 0006 gets each attestation's revocation id; a damaged row gets none."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import receipt_helpers as h

    from ikrar_cli.keys.keyfiles import key_id, raw_public
    from ikrar_cli.keys.trust import receipt_revocation_id
    from ikrar_cli.migrations import _run
    from ikrar_cli.receipts.receipt import sign_receipt

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
    for name, module in known_migrations():
        if name == "0006_merge":
            break
        _run(conn, module)
        conn.execute("INSERT INTO schema_migrations VALUES (?, 0)", (name,))
    r = sign_receipt(h.claims(), h.terminal().sign, key_id(raw_public(h.terminal())))
    conn.execute(
        "INSERT INTO sessions (id, log_id, terminal_kid, terminal_name, pledge_id, pledge_version, pledge_digest, "
        "title, location, timezone, opened_at) VALUES (1, 'L', x'00', 't', 'pilkada-2024', 1, x'00', 'A', 'B', "
        "'Asia/Makassar', 0)"
    )
    for i, text in enumerate([r.text, "IKR1:damaged"]):
        conn.execute(
            "INSERT INTO attestations (session_id, log_id, ledger_idx, officer_id, id_type, unit_code, pledge_id, "
            "pledge_version, method, attested_at, receipt) VALUES (1, 'L', ?, ?, 'nip', 'DINKES', 'pilkada-2024', "
            "1, 'individual', 0, ?)",
            (i, f"officer-{i}", text),
        )
    conn.close()
    store = Store(db)
    rows = store.conn.execute("SELECT receipt_rid FROM attestations ORDER BY ledger_idx").fetchall()
    assert rows == [(receipt_revocation_id(r.signature),), (None,)]
    assert "0006_merge" in {n for (n,) in store.conn.execute("SELECT name FROM schema_migrations")}
    store.close()
