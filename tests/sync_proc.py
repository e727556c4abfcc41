"""A real `ikrar serve` (uvicorn) child on a free port, `ikrar` children, and a TCP proxy that cuts
connections on purpose. Waiting is always for an event (a line on a pipe, a process's end)."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ikrar_cli.server.run import READY
from ikrar_cli.testpoints import MARKER

BOUND = 600  # only a bound for a broken child; no test waits for a duration otherwise
PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("IKRAR_TEST_PAUSE_AT",)}
    env.update(PASS)
    env.update(extra)
    env["IKRAR_LANG"] = "en"
    return env


def ikrar_cmd(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ikrar_cli", "--lang", "en", "--home", str(home), *args]


class Server:
    """`ikrar serve --port 0` in a child process; `url` once it listens. The server is given no
    secret (its environment goes through ``ikrar_cli.childproc.child_env``): it needs none."""

    def __init__(self, home: Path, **env: str):
        from ikrar_cli.childproc import child_env as without_secrets

        self.proc = subprocess.Popen(ikrar_cmd(home, "serve", "--port", "0"), env=without_secrets(child_env(**env)),
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)  # fmt: skip
        self.seen = b""
        line = self.wait_for(READY.encode())
        self.url = line.split(b" on ", 1)[1].strip().decode()

    def wait_for(self, marker: bytes) -> bytes:
        """Read the child's stderr until a line holding ``marker``; return that line."""
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        deadline = time.monotonic() + BOUND
        while True:
            for line in self.seen.split(b"\n")[:-1]:
                if marker in line:
                    self.seen = self.seen.split(line + b"\n", 1)[1]
                    return line
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                pytest.fail(f"ikrar serve never printed {marker!r}: {self.seen[-2000:]!r}")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self.proc.wait()
                pytest.fail(f"ikrar serve ended ({self.proc.returncode}) before {marker!r}: {self.seen[-3000:]!r}")
            self.seen += chunk

    def wait_paused(self, point: str) -> None:
        self.wait_for(f"{MARKER} {point}".encode())

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=BOUND)
        if self.proc.stderr:
            self.proc.stderr.close()


def free_closed_port() -> int:
    """A port nothing listens on (bound, read back, closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


class CuttingProxy:
    """Forwards TCP to ``target``; connection number n (from 0) is cut according to ``plan[n]``:
    "request" closes it after the first bytes of the request (the centre never sees it), "response"
    forwards the whole request and drops the centre's answer (the centre did the work, the terminal
    never hears of it). Connections past the plan are forwarded whole."""

    def __init__(self, target_url: str, plan: list[str]):
        host, port = target_url.rsplit("//", 1)[1].rsplit(":", 1)
        self.target = (host, int(port))
        self.plan = list(plan)
        self.cuts: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.n = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _addr = self.sock.accept()
            except OSError:
                return
            mode = self.plan[self.n] if self.n < len(self.plan) else "pass"
            self.n += 1
            threading.Thread(target=self._handle, args=(client, mode), daemon=True).start()

    def _handle(self, client: socket.socket, mode: str) -> None:
        if mode == "request":
            client.recv(100)
            self.cuts.append(mode)
            client.close()
            return
        upstream = socket.create_connection(self.target)
        done = threading.Event()

        def pump(src: socket.socket, dst: socket.socket, drop: bool) -> None:
            try:
                while data := src.recv(65536):
                    if drop:
                        self.cuts.append(mode)
                        break
                    dst.sendall(data)
            except OSError:
                pass
            done.set()

        threading.Thread(target=pump, args=(client, upstream, False), daemon=True).start()
        pump(upstream, client, mode == "response")
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.closed = True
        self.sock.close()


def run_all(cmds: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once, then wait for each (the concurrency is the point)."""
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    out = []
    for c, p in zip(cmds, procs, strict=True):
        stdout, stderr = p.communicate(timeout=BOUND)
        out.append(subprocess.CompletedProcess(c, p.returncode, stdout, stderr))
    return out


def start(cmd: list[str], env: dict[str, str], **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, **kw)
