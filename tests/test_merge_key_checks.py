"""A ledger entry always names a stored log and an attestation a stored session, on either engine.
SQLite keeps its foreign keys; PostgreSQL checks the same rules once per statement (migration
m0020: a merge's swap no longer pays one foreign-key trigger per copied row) and keeps the parent
side as the keys did (deferrable, and a concurrent delete of a parent waits)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from ikrar_cli.errors import StorageError
from ikrar_cli.workspace import Workspace

LOG = "aa" * 16
SESSION_COLS = ("INSERT INTO session_rows (log_id, terminal_kid, terminal_name, pledge_id, pledge_version, "
                "pledge_digest, title, location, timezone, opened_at) ")  # fmt: skip
ENTRY = "INSERT INTO ledger_entry_rows (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, 0)"
ATTESTATION = (
    "INSERT INTO attestation_rows (session_id, log_id, ledger_idx, officer_id, id_type, unit_code, pledge_id, "
    "pledge_version, method, attested_at, receipt) VALUES (?, ?, ?, ?, 'nip', 'U', 'p', 1, 'individual', 0, 'r')"
)


def _with_log_and_session(workspace: Path) -> tuple[Workspace, int]:
    ws = Workspace.open(workspace)
    with ws.store.transaction() as conn:
        conn.execute("INSERT INTO log_rows (log_id, origin, public_key, key_name, created_at) VALUES (?, ?, ?, ?, 0)",
                     (LOG, "uji/apel-1", b"\x01" * 32, "apel-1"))  # fmt: skip
        conn.execute(SESSION_COLS + "VALUES (?, ?, 'apel-1', 'p', 1, ?, 'Apel', 'Halaman', 'Asia/Makassar', 0)",
                     (LOG, b"\x02" * 16, b"\x03" * 32))  # fmt: skip
        sid = int(conn.execute("SELECT id FROM session_rows WHERE log_id = ?", (LOG,)).fetchone()[0])
    return ws, sid


def _counts(ws: Workspace) -> tuple[int, int]:
    with ws.store.read() as conn:
        return (int(conn.execute("SELECT COUNT(*) FROM ledger_entry_rows").fetchone()[0]),
                int(conn.execute("SELECT COUNT(*) FROM attestation_rows").fetchone()[0]))  # fmt: skip


def test_rows_naming_a_missing_log_or_session_are_refused_whole(workspace: Path) -> None:
    ws, sid = _with_log_and_session(workspace)
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute(ENTRY, ("bb" * 16, 0, b"leaf", b"h" * 32))
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:  # one bad row of many
        conn.executemany(ENTRY, [(LOG if i != 150 else "bb" * 16, i, b"leaf", bytes([i % 256]) * 32)
                                 for i in range(200)])  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute(ATTESTATION, (sid + 1000, LOG, 0, "198001012005011001"))
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:  # INSERT ... SELECT, as the swap
        conn.execute(
            "INSERT INTO attestation_rows (session_id, log_id, ledger_idx, officer_id, id_type, unit_code, pledge_id, "
            "pledge_version, method, attested_at, receipt) SELECT ? + (idx % 2) * 1000, ?, idx, 'x' || idx, 'nip', "
            "'U', 'p', 1, 'individual', 0, 'r' FROM (SELECT 0 AS idx UNION ALL SELECT 1) t",
            (sid, LOG),
        )
    assert _counts(ws) == (0, 0)
    with ws.store.transaction() as conn:  # the same rows with their parents stored: accepted
        conn.executemany(ENTRY, [(LOG, i, b"leaf", bytes([i]) * 32) for i in range(3)])
        conn.executemany(ATTESTATION, [(sid, LOG, i, f"19800101200501100{i}") for i in range(3)])
    assert _counts(ws) == (3, 3)
    ws.close()


def test_an_update_may_not_point_a_row_at_a_missing_parent(workspace: Path) -> None:
    ws, sid = _with_log_and_session(workspace)
    with ws.store.transaction() as conn:
        conn.execute(ENTRY, (LOG, 0, b"leaf", b"h" * 32))
        conn.execute(ATTESTATION, (sid, LOG, 0, "198001012005011001"))
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute("UPDATE attestation_rows SET session_id = ?", (sid + 1000,))
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute("UPDATE ledger_entry_rows SET log_id = ?", ("bb" * 16,))
    with ws.store.transaction() as conn:  # other columns: no check needed, none fails
        conn.execute("UPDATE attestation_rows SET unlisted = 1")
        conn.execute("UPDATE ledger_entry_rows SET created_at = 5")
    with ws.store.read() as conn:
        assert conn.execute("SELECT session_id, unlisted FROM attestation_rows").fetchall() == [(sid, 1)]
        assert conn.execute("SELECT log_id, created_at FROM ledger_entry_rows").fetchall() == [(LOG, 5)]
    ws.close()


def test_a_log_or_session_still_named_cannot_go(workspace: Path) -> None:
    ws, sid = _with_log_and_session(workspace)
    with ws.store.transaction() as conn:
        conn.execute(ENTRY, (LOG, 0, b"leaf", b"h" * 32))
        conn.execute(ATTESTATION, (sid, LOG, 0, "198001012005011001"))
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute("DELETE FROM session_rows WHERE id = ?", (sid,))
    with pytest.raises(sqlite3.IntegrityError), ws.store.transaction() as conn:
        conn.execute("DELETE FROM attestation_rows")
        conn.execute("DELETE FROM session_rows")  # the session goes; its log is still named by the entry
        conn.execute("DELETE FROM log_rows WHERE log_id = ?", (LOG,))
    with pytest.raises(StorageError, match="(?i)foreign key"), ws.store.transaction() as conn:  # at COMMIT
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("UPDATE session_rows SET id = ? WHERE id = ?", (sid + 1000, sid))
    with ws.store.transaction() as conn:  # children first, then the parents (as the clean-up of a dead merge)
        conn.execute("DELETE FROM attestation_rows")
        conn.execute("DELETE FROM ledger_entry_rows")
        conn.execute("DELETE FROM session_rows")
        conn.execute("DELETE FROM log_rows")
    assert _counts(ws) == (0, 0)
    ws.close()


@pytest.mark.postgresql_only
def test_a_session_deleted_meanwhile_never_leaves_an_orphan(workspace: Path) -> None:
    """Two transactions at once: one inserts an attestation of the session, the other (a raw second
    writer) deletes the session meanwhile. The delete waits for the insert's transaction (the
    statement's ``FOR KEY SHARE``, as the key's row lock did), then fails: no attestation is left
    naming a missing session. SQLite has one writer at a time: the two cannot overlap there."""
    ws, sid = _with_log_and_session(workspace)
    other = Workspace.open(workspace)
    inserted = threading.Event()
    outcome: dict[str, object] = {}

    def delete() -> None:
        inserted.wait(30)
        try:
            with other.store.conn.raw.transaction():  # not through the store's write lock: a raw second writer
                other.store.conn.raw.execute("DELETE FROM session_rows WHERE id = %s", (sid,))
            outcome["delete"] = "committed"
        except Exception as exc:  # noqa: BLE001 - the test records what the server answered
            outcome["delete"] = type(exc).__name__

    t = threading.Thread(target=delete)
    t.start()
    with ws.store.transaction() as conn:
        conn.execute(ATTESTATION, (sid, LOG, 0, "198001012005011001"))
        inserted.set()
        # the delete now waits on this transaction's FOR KEY SHARE lock of the session
        deadline = 200
        while deadline and not _waiting_on_lock(ws):
            threading.Event().wait(0.05)
            deadline -= 1
        assert deadline, "the delete did not wait for the inserting transaction"
    t.join(30)
    assert outcome["delete"] != "committed"
    with ws.store.read() as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM attestation_rows a WHERE NOT EXISTS (SELECT 1 FROM session_rows s WHERE s.id = "
            "a.session_id)"
        ).fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM session_rows").fetchone() == (1,)
    other.close()
    ws.close()


def _waiting_on_lock(ws: Workspace) -> bool:
    side = ws.store.conn.side_connection()
    row = side.raw.execute(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    ).fetchone()
    return bool(row and row[0])


def test_postgresql_checks_by_statement_and_sqlite_keeps_its_keys(workspace: Path) -> None:
    ws = Workspace.open(workspace)
    with ws.store.read() as conn:
        if ws.store.engine == "postgresql":
            keys = conn.execute(
                "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN "
                "('ledger_entry_rows'::regclass, 'attestation_rows'::regclass)"
            ).fetchone()
            triggers = {r[0] for r in conn.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'ikrar_%'")}  # fmt: skip
            assert keys == (0,)
            assert {"ikrar_entries_log_insert", "ikrar_entries_log_update", "ikrar_entries_log_parent",
                    "ikrar_attestations_session_insert", "ikrar_attestations_session_update",
                    "ikrar_attestations_session_parent"} <= triggers  # fmt: skip
        else:
            fks = {(r[2], r[3]) for t in ("ledger_entry_rows", "attestation_rows")
                   for r in conn.execute(f"PRAGMA foreign_key_list({t})")}  # fmt: skip
            assert ("log_rows", "log_id") in fks or ("logs", "log_id") in fks
            assert ("session_rows", "session_id") in fks or ("sessions", "session_id") in fks
    ws.close()
