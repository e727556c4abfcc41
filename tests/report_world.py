"""A generated authority workspace for report sizes: n officers in units of ``per_unit``, a signed
roster snapshot, one terminal log with a session record and receipts for the first k officers
(every third one missing), a signed checkpoint and an exported trust bundle. Either engine: the
workspace uses IKRAR_DATABASE_URL when the test's ``engine`` fixture sets it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

PASS = b"correct horse battery staple 42"
PLEDGE = "pilkada-2024"


def wita_today() -> str:
    from ikrar_cli.zones import zone

    return datetime.now(zone("Asia/Makassar")).date().isoformat()


def build(home: Path, n: int, receipts: int, *, per_unit: int = 100) -> str:
    """Returns the as-of day to report on."""
    from ikrar_cli.keys.keyfiles import certify, init_authority, load_terminal_signer, new_terminal
    from ikrar_cli.keys.trust import export_bundle
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.ledger.merkle import leaf_hash
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.receipt import Claims, sign_receipt
    from ikrar_cli.recitation.attest import open_session
    from ikrar_cli.roster.snapshot import publish
    from ikrar_cli.store.core import now
    from ikrar_cli.workspace import Workspace

    ws = Workspace.init(home, institution="Pemkab Uji", code="PU", unit=None, timezone="WITA", language="id")
    try:
        init_authority(ws, PASS)
        _i, req = new_terminal(ws, "t", None, PASS)
        certify(ws, req, PASS, not_before=0)
        signer = load_terminal_signer(ws, PASS)
        units = max(1, n // per_unit)
        ids = [str(198609262015051001 + i) for i in range(n)]
        with ws.store.transaction() as conn:
            conn.executemany("INSERT INTO units (code, name) VALUES (?, ?)",
                             [(f"U{u}", f"Unit {u}") for u in range(units)])  # fmt: skip
            conn.executemany(
                "INSERT INTO officers (officer_id, id_type, name, unit_code, first_seen_at, updated_at) "
                "VALUES (?, 'nip', ?, ?, 0, 0)",
                [(oid, f"Pegawai {(i * 7919) % 1000} Ñ", f"U{i % units}") for i, oid in enumerate(ids)],
            )
        day = wita_today()
        publish(ws, PASS, (date.fromisoformat(day) - timedelta(days=2)).isoformat())
        lg = Ledger(ws.store)
        pledge = PledgeLibrary.load().get(PLEDGE)
        t0 = now() - 3600
        s = open_session(ws, lg, kid=signer.kid, terminal_name="t", public_key=signer.public_key_raw, pledge=pledge,
                         title="Apel", location="Aula", force_reason="test", at=t0)  # fmt: skip
        batch: list[tuple[object, ...]] = []
        pledged = [oid for i, oid in enumerate(ids) if i % 3][:receipts]
        for idx, oid in enumerate(pledged, start=1):
            c = Claims(pledge.id, pledge.version, pledge.digest, oid, "nip", None, "U0", s.id, t0 + 1,
                       "Asia/Makassar", "individual" if idx % 4 == 0 else "collective", idx)  # fmt: skip
            r = sign_receipt(c, signer.sign, signer.kid)
            batch.append((s.log_id, idx, r.cose, leaf_hash(r.cose), t0))
            if len(batch) == 5000:
                _flush(ws, batch)
        _flush(ws, batch)
        lg.checkpoint(s.log_id, signer.sign)
        export_bundle(ws, PASS)
    finally:
        ws.close()
    return day


def _flush(ws: object, batch: list[tuple[object, ...]]) -> None:
    with ws.store.transaction() as conn:  # type: ignore[attr-defined]
        conn.executemany(
            "INSERT INTO ledger_entries (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)", batch
        )
    batch.clear()
