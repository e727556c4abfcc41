"""Workspaces from before issue 13: migration 0007, and logs whose sessions were never signed are
shown as such and never trusted for a figure."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from compliance_world import UNITS, World, attest, export, today

from ikrar_cli.migrations import _run, known_migrations
from ikrar_cli.store import Store


def test_migration_0007_keeps_old_sessions_unsigned_and_codes_in_the_registry(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
    for name, module in known_migrations():
        if name == "0007_compliance":
            break
        _run(conn, module)
        conn.execute("INSERT INTO schema_migrations VALUES (?, 0)", (name,))
    conn.execute("INSERT INTO units (code, name) VALUES ('KB', 'Kecamatan Bangkala')")
    conn.execute(
        "INSERT INTO sessions (id, log_id, terminal_kid, terminal_name, pledge_id, pledge_version, pledge_digest, "
        "title, location, timezone, opened_at) VALUES (1, 'L', x'00', 't', 'pilkada-2024', 1, x'00', 'A', 'B', "
        "'Asia/Makassar', 0)"
    )
    conn.close()
    store = Store(db)
    assert store.conn.execute("SELECT signed, roster_digest FROM sessions").fetchall() == [(0, None)]
    assert store.conn.execute("SELECT code, name, received FROM unit_registry").fetchall() == [
        ("KB", "Kecamatan Bangkala", 0)
    ]
    store.close()


def test_a_log_recorded_before_sessions_were_signed_is_shown_as_such(
    ikrar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import ikrar_cli.sessions as sessions

    w = World(ikrar, tmp_path)
    t = w.terminal("apel-lama")
    # the old program: sessions opened without a record in the log
    monkeypatch.setattr(sessions, "open_record", lambda *a, **k: None)
    s = str(t.json("session", "open", "--pledge", "pilkada-2024", "--title", "Apel lama", "--location", "Aula",
                   "--force", "--reason", "uji")["id"])  # fmt: skip
    monkeypatch.undo()
    attest(t, s, *w.nips[UNITS[0]][:2])
    t("session", "close", s)
    exp = export(t, tmp_path / "lama.jsonl")
    assert '"opened_at"' in exp.read_text()  # the unsigned session line travels as before
    w.authority("ledger", "merge", str(exp))
    (row,) = w.authority.json("session", "list")
    assert (row["session_id"], row["signed"]) == ("apel-lama/1", False)
    r = w.authority("--lang", "en", "session", "show", "apel-lama/1")
    assert "Session metadata unsigned" in r.stdout
    rep = json.loads(w.authority("report", "compliance", "--pledge", "pilkada-2024", "--as-of", today(),
                                 "--json").stdout)  # fmt: skip
    (log,) = rep["inputs"]["logs"]
    assert log["sessions_signed"] is False
    # its receipts count; its unsigned session dates decide nobody's 'joined later'
    assert rep["totals"]["attested"] == 2
    assert all(u["last_session"] is None for u in rep["units"])
