"""A real PostgreSQL primary and hot-standby replica for one test (test-only helper).

``initdb`` makes a small primary in a private temporary folder, started on a free loopback port;
``standby()`` takes ``pg_basebackup -R -X stream`` of it into a second folder and starts a second
postmaster on another free port with ``hot_standby = on``: streaming replication exactly as
docs/operations.md describes. The servers run as the ``postgres`` system user when the tests run
as root (PostgreSQL refuses to run as root), else as the current user; the unix sockets live in the
private folder, TCP listens on 127.0.0.1 only and asks for a password (scram), so nothing else on
the machine can use them. Everything is stopped and removed by ``close()``.

Needs the server binaries (``initdb``, ``pg_ctl``, ``pg_basebackup``: $IKRAR_PG_BIN, else the newest
/usr/lib/postgresql/*/bin, else $PATH). :func:`unavailable` says why not, for a skip.

    python tests/pg_replica.py      # start both, print the addresses, stop on Enter (manual checks)
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

TOOLS = ("initdb", "pg_ctl", "pg_basebackup")


def bin_dir() -> Path | None:
    if os.environ.get("IKRAR_PG_BIN"):
        return Path(os.environ["IKRAR_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                   key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)  # fmt: skip
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable() -> str | None:
    """Why a replica cannot be made on this machine, or None."""
    d = bin_dir()
    if d is None or not all((d / t).is_file() for t in TOOLS):
        return "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found; set IKRAR_PG_BIN"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' system user to run the servers as"
        if not shutil.which("runuser"):
            return "running as root without runuser to start the servers as 'postgres'"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    """A primary and (after ``standby()``) its hot standby; addresses as postgresql:// URLs."""

    def __init__(self) -> None:
        why = unavailable()
        if why:
            raise RuntimeError(why)
        self.bin = bin_dir()
        self.base = Path(tempfile.mkdtemp(prefix="ikrar-replica-"))
        self.password = secrets.token_hex(12)
        self.running: list[Path] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        pwfile.chmod(0o600)
        try:
            self._as_server("initdb", "-D", str(self.base / "primary"), "-U", "postgres", "--pwfile", str(pwfile),
                            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                            "--no-sync")  # fmt: skip
            pwfile.unlink()
            self.primary_port = self._start(self.base / "primary")
        except BaseException:
            self.close()
            raise

    def url(self, port: int) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{port}/postgres"

    @property
    def primary(self) -> str:
        return self.url(self.primary_port)

    def standby(self) -> str:
        """A base backup of the primary as it is now, started as a streaming hot standby."""
        d = self.base / "standby"
        self._as_server("pg_basebackup", "-h", str(self.base), "-p", str(self.primary_port), "-U", "postgres",
                        "-D", str(d), "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        port = self._start(d, "-c", "hot_standby=on")
        return self.url(port)

    def _start(self, data: Path, *extra: str) -> int:
        port = free_port()
        opts = " ".join(["-p", str(port), "-k", str(self.base), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                         *extra])  # fmt: skip
        self._as_server("pg_ctl", "-D", str(data), "-l", str(data.with_suffix(".log")), "-o", opts, "-w", "-t", "120",
                        "start")  # fmt: skip
        self.running.append(data)
        return port

    def _as_server(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]  # type: ignore[operator]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=self.base, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")

    def close(self) -> None:
        for data in reversed(self.running):
            try:
                self._as_server("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        self.running.clear()
        shutil.rmtree(self.base, ignore_errors=True)


if __name__ == "__main__":
    rep = Replica()
    try:
        print("primary:", rep.primary)
        print("standby:", rep.standby())
        input("Enter stops both servers and removes them. ")
    finally:
        rep.close()
