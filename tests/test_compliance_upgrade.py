"""Workspaces from before issue 13: migration 0007, and logs whose sessions were never signed are
shown as such and never trusted for a figure."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from compliance_world import UNITS, World, attest, export, today

from ikrar_cli.migrations import _run, known_migrations
from ikrar_cli.store.core import Store


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
    import ikrar_cli.recitation.sessions as sessions

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


def test_terminal_setup_again_updates_the_kiosk_and_refuses_an_older_package(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = World(ikrar, tmp_path)
    t = w.terminal("apel-1")
    old = tmp_path / "apel-1-pkg.ikrar"
    kept = tmp_path / "old.ikrar"
    kept.write_bytes(old.read_bytes())
    # HR retires one officer; the authority publishes and re-packages
    lines = w.roster.read_text().splitlines()
    gone = w.nips[UNITS[2]][0]
    w.roster.write_text("\n".join(x for x in lines if gone not in x) + "\n")
    w.authority("roster", "import", str(w.roster), "--retire-missing")
    w.authority("roster", "publish", "--as-of", "2024-02-01")
    w.authority("trust", "export", "--out", str(w.bundle))
    w.authority("terminal", "package", "apel-1", "--out", str(old))
    r = t.json("terminal", "setup", str(old))  # the pinned authority: no fingerprint needed again
    assert (r["bundle"], r["officers"], r["left"]) == ("added", 11, 1)
    assert gone not in {o["officer_id"] for o in t.json("roster", "list")}
    r = t("terminal", "setup", str(kept), ok=False)  # replaying the older package: its bundle is older
    assert r.exit_code == 8 and "not newer" in r.stderr
    # one byte changed in the package: refused
    data = old.read_bytes()
    bad = tmp_path / "bad.ikrar"
    bad.write_bytes(data.replace(b'"terminal":"apel-1"', b'"terminal":"apel-9"'))
    assert t("terminal", "setup", str(bad), ok=False).exit_code == 8
