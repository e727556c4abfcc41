"""Workspaces for the compliance tests: an authority, terminals set up from its package, auditors.

Everything goes through the CLI, as a BKPSDM, a terminal operator or an Inspectorate would do it.
"""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ikrar_cli.demo.office import _nip

PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}
SNAPSHOT_DAY = "2024-01-02"
UNITS = ("Kecamatan Bangkala", "Kecamatan Batang", "Dinas Pendidikan (DISDIK)")


class Site:
    """One workspace driven through the CLI (English messages)."""

    def __init__(self, ikrar: Any, home: Path):
        self.ikrar, self.home = ikrar, home

    def __call__(self, *args: str, ok: bool = True) -> Any:
        r = self.ikrar("--lang", "en", "--home", str(self.home), *args, env=PASS)
        if ok:
            assert r.exit_code == 0, (args, r.stdout, r.stderr)
        return r

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "ikrar.db")


def write_roster(path: Path, per_unit: dict[str, int], seed: int = 13) -> dict[str, list[str]]:
    """A BKPSDM sheet with the given number of officers per unit; returns the NIPs per unit."""
    rng = random.Random(seed)
    out: dict[str, list[str]] = {u: [] for u in per_unit}
    seen: set[str] = set()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["NIP", "Nama", "Jabatan", "Unit Kerja"])
        for unit, n in per_unit.items():
            while len(out[unit]) < n:
                nip = _nip(rng)
                if nip in seen:
                    continue
                seen.add(nip)
                out[unit].append(nip)
                w.writerow([nip, f"Pegawai {len(seen)}", "Pelaksana", unit])
    return out


#: the zone every workspace of this world is created in (``--timezone WITA``)
ZONE = "Asia/Makassar"


def today_local() -> date:
    """Today where the workspaces are (WITA): between 16:00 and 24:00 UTC that is the machine's tomorrow."""
    return datetime.now(ZoneInfo(ZONE)).date()


def today() -> str:
    return today_local().isoformat()


class World:
    """An authority with the full roster, a published snapshot and an exported bundle."""

    def __init__(self, ikrar: Any, tmp: Path, per_unit: dict[str, int] | None = None):
        self.ikrar, self.tmp = ikrar, tmp
        self.roster = tmp / "pegawai.csv"
        self.nips = write_roster(self.roster, per_unit or {UNITS[0]: 5, UNITS[1]: 4, UNITS[2]: 3})
        self.authority = Site(ikrar, tmp / "bkpsdm")
        a = self.authority
        a("init", "--institution", "BKPSDM Kabupaten Uji", "--code", "UJI", "--timezone", "WITA")
        self.fingerprint = a.json("key", "init-authority")["fingerprint"]
        a("roster", "import", str(self.roster))
        self.snapshot = tmp / "snapshot.json"
        a("roster", "publish", "--as-of", SNAPSHOT_DAY, "--out", str(self.snapshot))
        self.bundle = tmp / "trust-bundle.json"
        a("trust", "export", "--out", str(self.bundle))

    def terminal(self, name: str, unit: str | None = None) -> Site:
        """A new terminal: key request, certified, packaged and set up in one command."""
        t = Site(self.ikrar, self.tmp / name)
        t("init", "--institution", "BKPSDM Kabupaten Uji", "--code", "UJI", "--timezone", "WITA")
        req, cert, pkg = (self.tmp / f"{name}-{x}" for x in ("req.json", "cert.json", "pkg.ikrar"))
        extra = ["--unit", unit] if unit else []
        t("key", "new-terminal", name, *extra, "--out", str(req))
        self.authority("key", "certify", str(req), "--valid-from", "2024-01-01", "--out", str(cert))
        self.authority("trust", "export", "--out", str(self.bundle))
        self.authority("terminal", "package", name, "--out", str(pkg))
        t("terminal", "setup", str(pkg), "--fingerprint", self.fingerprint)
        return t

    def auditor(self, name: str = "inspektorat") -> Site:
        """A workspace that gets only public material: the bundle and the snapshot."""
        s = Site(self.ikrar, self.tmp / name)
        s("init", "--institution", "Inspektorat Kabupaten Uji", "--code", "INSP", "--timezone", "WITA")
        s("trust", "add", str(self.bundle), "--fingerprint", self.fingerprint)
        s("roster", "accept", str(self.snapshot))
        return s


def open_session(t: Site, unit: str | None = None) -> str:
    extra = ["--unit", unit] if unit else []
    s = t.json("session", "open", "--pledge", "pilkada-2024", "--title", "Apel Ikrar", "--location", "Halaman",
               "--force", "--reason", "uji", *extra)  # fmt: skip
    return str(s["id"])


def attest(t: Site, session: str, *nips: str) -> list[str]:
    return [t.json("attest", "--session", session, "--nip", n, "--yes")["receipt"] for n in nips]


def export(t: Site, path: Path) -> Path:
    t("ledger", "checkpoint")
    t("ledger", "export", "--out", str(path))
    return path


def report(site: Site, as_of: str | None = None) -> Any:
    r = site("report", "compliance", "--pledge", "pilkada-2024", "--as-of", as_of or today(), "--json")
    return json.loads(r.stdout)
