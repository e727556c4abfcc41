"""The kiosk pushes in the background when sync.url is set: a real kiosk on a pseudo-terminal, a real
`ikrar serve`; offline, the recitation goes on exactly as before."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest
from sync_world import log_of, make_world
from test_kiosk_pty import ROOT, default_signals

pytest.importorskip("uvicorn")
from sync_proc import PASS, Server, free_closed_port  # noqa: E402

PG_CENTRAL_ONLY = True  # the kiosk's terminal stays on SQLite; the centre and its server run on each engine


def spawn(home: Path) -> pexpect.spawn:
    env = dict(os.environ, IKRAR_HOME=str(home), IKRAR_LANG="en", PYTHONPATH=str(ROOT), TERM="xterm",
               COLUMNS="80", LINES="45", **PASS)  # fmt: skip
    env.pop("IKRAR_TEST_PAUSE_AT", None)
    return pexpect.spawn(sys.executable, ["-m", "ikrar_cli", "recite", "--session", "1"], env=env, encoding="utf-8",
                         timeout=120, dimensions=(45, 80), cwd=str(ROOT), preexec_fn=default_signals)  # fmt: skip


def pledge(k: pexpect.spawn, nip: str) -> None:
    k.expect("Type or scan the NIP")
    k.sendline(nip)
    k.expect(r"right officer\? \[Y/n\]")
    k.sendline("")
    k.expect("type «SAYA BERIKRAR»")
    k.sendline("SAYA BERIKRAR")
    k.expect("PLEDGE RECORDED")
    k.expect("Press Enter for the next officer")
    k.sendline("")


def set_url(t, url: str) -> None:  # type: ignore[no-untyped-def]
    cfg = t.home / "ikrar.yaml"
    cfg.write_text(cfg.read_text() + f"sync:\n  url: {url}\n")


def test_kiosk_pushes_after_each_attestation(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    central, (t1,), nips = make_world(ikrar, tmp_path, 1)
    server = Server(central.home)
    try:
        set_url(t1, server.url)
        k = spawn(t1.home)
        pledge(k, nips[0])
        pledge(k, nips[1])
        k.expect("Type or scan the NIP")
        k.sendeof()
        assert k.expect(["Not every record", "Kiosk closed: 2 new attestations"]) == 1
        k.expect(pexpect.EOF)
    finally:
        server.stop()
    assert central.log_size(log_of(t1)) == t1.log_size() == 3
    db = t1.db()
    assert db.execute("SELECT acked_size, last_error FROM sync_state").fetchone() == (3, None)


@pytest.mark.sqlite_only  # no centre is reached
def test_kiosk_offline_keeps_recording(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _central, (t1,), nips = make_world(ikrar, tmp_path, 1)
    set_url(t1, f"http://127.0.0.1:{free_closed_port()}")
    k = spawn(t1.home)
    pledge(k, nips[0])
    pledge(k, nips[1])
    k.expect("Type or scan the NIP")
    k.sendeof()
    k.expect("Not every record reached the centre yet")
    k.expect("Kiosk closed: 2 new attestations")
    k.expect(pexpect.EOF)
    assert t1.log_size() == 3
    row = t1.db().execute("SELECT acked_size, last_error FROM sync_state").fetchone()
    assert row[0] == 0 and "cannot reach the centre" in row[1]
