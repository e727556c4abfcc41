"""Migration 0019's views take an INSERT as their tables do (both engines): a NOT NULL column with a
default that the INSERT leaves out gets the table's default. (On SQLite a view has no defaults of
its own: its INSTEAD OF trigger puts the table's in; without that, ``bench/bench_ledger.py``'s
insert into ``attestations`` failed with "NOT NULL constraint failed: attestation_rows.merged".)"""

from __future__ import annotations

from pathlib import Path


def test_an_insert_into_a_view_that_leaves_out_defaulted_columns_gets_the_defaults(tmp_path: Path) -> None:
    from ikrar_cli.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws", institution="Pemkab Uji", code="PU", unit=None, timezone="WIB",
                        language="id")  # fmt: skip
    try:
        with ws.store.transaction() as conn:
            conn.execute("INSERT INTO logs (log_id, origin, public_key, key_name, created_at) VALUES (?, ?, ?, ?, ?)",
                         ("00112233aabbccdd", "uji/apel-1", b"k" * 32, "apel-1", 1))  # fmt: skip
            conn.execute(
                "INSERT INTO sessions (log_id, terminal_kid, terminal_name, pledge_id, pledge_version, pledge_digest, "
                "title, location, timezone, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ("00112233aabbccdd", b"t" * 8, "apel-1", "pilkada-2024", 1, b"d" * 32, "Apel", "Aula", "WIB", 2),
            )
            sid = conn.execute("SELECT id FROM sessions").fetchone()[0]
            conn.execute(
                "INSERT INTO attestations (session_id, log_id, ledger_idx, officer_id, id_type, unit_code, pledge_id, "
                "pledge_version, method, attested_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, "00112233aabbccdd", 1, "198609262015051001", "nip", "U1", "pilkada-2024", 1, "individual", 3,
                 "IKR1:X"),
            )  # fmt: skip
        with ws.store.read() as conn:
            assert tuple(conn.execute("SELECT merged, signed FROM sessions").fetchone()) == (0, 0)
            assert tuple(conn.execute("SELECT unlisted, merged FROM attestations").fetchone()) == (0, 0)
            assert conn.execute("SELECT pending_merge FROM session_rows").fetchone()[0] is None
    finally:
        ws.close()
