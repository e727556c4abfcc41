"""A real hot-standby replica (pg_basebackup -R, streaming): reports and verification work there,
commands that record fail with one translated line and a storage exit code, and change nothing.

Needs the PostgreSQL server binaries (and, as root, the 'postgres' user): without them the test
skips with the reason; in CI (CI=true) it fails instead, so it never silently drops out there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_replica import Replica, unavailable
from test_recitation import PASS, setup_terminal

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def replica() -> Iterator[Replica]:
    why = unavailable()
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the hot-standby test: {why}", pytrace=False)
        pytest.skip(why)
    rep = Replica()
    try:
        yield rep
    finally:
        rep.close()


def _report(ikrar, env: dict[str, str]) -> dict:  # type: ignore[no-untyped-def]
    r = ikrar("report", "compliance", "--pledge", "pilkada-2024", "--json", env=env)
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    out.pop("generated_at", None)
    return out  # type: ignore[no-any-return]


def test_standby_reports_and_verifies_but_refuses_writes(ikrar, replica: Replica, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("IKRAR_DATABASE_URL", replica.primary)
    home = setup_terminal(ikrar, tmp_path)
    assert ikrar("attest", "--session", "1", "--nip", "200012312024211001", "--yes", env=PASS).exit_code == 0
    assert ikrar("ledger", "checkpoint", env=PASS).exit_code == 0
    on_primary = _report(ikrar, {})
    saved = tmp_path / "laporan.json"
    saved.write_text(ikrar("report", "compliance", "--pledge", "pilkada-2024", "--json").stdout)

    standby = replica.standby()  # a base backup of everything above, streaming from now on
    monkeypatch.setenv("IKRAR_DATABASE_URL", standby)
    from engines import connect_db

    probe = connect_db(home)
    assert probe.raw.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True  # a real standby
    before = probe.execute("SELECT COUNT(*) FROM attestations").fetchone()[0]
    probe.close()

    # reading: the same report, the ledger verifies, a saved report verifies against the replica
    assert _report(ikrar, {}) == on_primary
    r = ikrar("ledger", "verify", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["valid"] is True, r.stdout + r.stderr
    r = ikrar("report", "verify", str(saved))
    assert r.exit_code == 0, r.stdout + r.stderr

    # writing: one translated line naming the replica and the primary, exit 7 (storage), nothing changed
    r = ikrar("--lang", "en", "attest", "--session", "1", "--nip", "197803122005011002", "--yes", env=PASS)
    assert r.exit_code == 7, (r.stdout, r.stderr)
    assert "read-only replica (hot standby)" in r.stderr and "primary" in r.stderr, r.stderr
    r = ikrar("attest", "--session", "1", "--nip", "197803122005011002", "--yes", env=PASS)
    assert r.exit_code == 7 and "replika hanya-baca" in r.stderr, r.stderr
    # the same through a real process: no traceback, one message
    env = {**os.environ, **PASS, "IKRAR_HOME": str(home), "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "ikrar_cli", "--home", str(home), "--lang", "en", "ledger",
                        "checkpoint"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)  # fmt: skip
    assert p.returncode == 7, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and "read-only replica" in p.stderr, p.stderr
    assert replica.password not in p.stderr + r.stderr

    probe = connect_db(home)
    assert probe.execute("SELECT COUNT(*) FROM attestations").fetchone()[0] == before
    probe.close()
