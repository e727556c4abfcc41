"""The kiosk's background push (docs/server.md, "Kiosk"): after each attestation the records go to
the centre from a worker thread, so the recitation never waits for, or fails because of, the network.

The worker holds its own workspace connection (SQLite connections stay in their thread) and shares
the kiosk's unlocked signer in memory only: no child process, no passphrase in any environment.
A failed push is kept in ``sync_state`` and retried after a doubling pause (up to five minutes) or
at the next attestation; closing the kiosk gives the worker one bounded last chance.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import IkrarError

if TYPE_CHECKING:
    from ..keys.keyfiles import TerminalSigner

MAX_PAUSE = 300.0

__all__ = ["BackgroundPusher", "start_background_push"]


class BackgroundPusher:
    def __init__(self, home: Path, signer: TerminalSigner, url: str):
        self.home, self.signer, self.url = home, signer, url
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.acked = 0

    def poke(self) -> None:
        """New records: push them soon (never blocks)."""
        self._idle.clear()
        self._wake.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ikrar-push", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 20.0) -> bool:
        """Stop after the push in progress (bounded); True when the last attempt was acknowledged."""
        if self._thread is None:
            return True
        done = self._idle.wait(timeout)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=1.0)
        return done and self.last_error is None

    def _run(self) -> None:
        from ..recitation.attest import log_id_for
        from ..workspace import Workspace
        from .client import push_log

        pause = 1.0
        ws = None
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                ws = ws or Workspace.open(self.home)
                result = push_log(ws, self.signer, self.url, log_id_for(self.signer.kid), attempts=1)
            except (IkrarError, OSError) as exc:
                self.last_error = exc.message if isinstance(exc, IkrarError) else str(exc)
                if not self._wake.is_set():
                    self._idle.set()  # this attempt is over; closing the kiosk need not wait for the next
                if self._stop.wait(pause):
                    break
                pause = min(pause * 2, MAX_PAUSE)
                self._wake.set()  # try again after the pause
                continue
            self.last_error, self.acked, pause = None, result.acked_size, 1.0
            if not self._wake.is_set():
                self._idle.set()
        if ws is not None:
            ws.close()


def start_background_push(home: Path, signer: TerminalSigner, url: str | None) -> BackgroundPusher | None:
    return BackgroundPusher(home, signer, url) if url else None
