"""A central workspace and certified terminals for the sync tests, driven through the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from engines import central_db_args, connect_db

from ikrar_cli.demo.office import write_sample_roster

PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}


class Site:
    """One workspace (central HR or a terminal) driven through the CLI in-process."""

    def __init__(self, ikrar: Any, home: Path):
        self.ikrar, self.home = ikrar, home

    def __call__(self, *args: str, ok: bool = True) -> Any:
        r = self.ikrar("--lang", "en", "--home", str(self.home), *args, env=PASS)
        if ok:
            assert r.exit_code == 0, (args, r.stdout, r.stderr)
        return r

    def db(self) -> sqlite3.Connection:
        return connect_db(self.home)  # type: ignore[no-any-return]

    def log_size(self, log_id: str | None = None) -> int:
        db = self.db()
        try:
            if log_id is None:
                return int(db.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0])
            return int(db.execute("SELECT COUNT(*) FROM ledger_entries WHERE log_id = ?", (log_id,)).fetchone()[0])
        finally:
            db.close()


def make_world(ikrar: Any, tmp: Path, n_terminals: int, roster_size: int = 12) -> tuple[Site, list[Site], list[str]]:
    roster = tmp / "roster.csv"
    nips = write_sample_roster(roster, roster_size)
    central = Site(ikrar, tmp / "central")
    central("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA", *central_db_args())
    central("key", "init-authority")
    central("roster", "import", str(roster))
    terminals = []
    for n in range(1, n_terminals + 1):
        t = Site(ikrar, tmp / f"t{n}")
        t("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA")
        t("key", "new-terminal", f"apel-{n}", "--out", str(tmp / f"req{n}.json"))
        central("key", "certify", str(tmp / f"req{n}.json"), "--valid-from", "2024-01-01",
                "--out", str(tmp / f"cert{n}.json"))  # fmt: skip
        t("key", "import-cert", str(tmp / f"cert{n}.json"))
        t("roster", "import", str(roster))
        t("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", f"Halaman {n}",
          "--force", "--reason", "uji")  # fmt: skip
        terminals.append(t)
    return central, terminals, nips


def attest(t: Site, *nips: str) -> list[str]:
    out = []
    for nip in nips:
        r = t("attest", "--session", "1", "--nip", nip, "--yes", "--json")
        out.append(json.loads(r.stdout)["receipt"])
    return out


def log_of(t: Site) -> str:
    db = t.db()
    try:
        return str(db.execute("SELECT log_id FROM logs").fetchone()[0])
    finally:
        db.close()


def increment(t: Site, path: Path, since: str | int) -> Path:
    t("ledger", "checkpoint")
    t("ledger", "export", "--since", str(since), "--out", str(path))
    return path
