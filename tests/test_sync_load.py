"""Load, on each engine of the centre: 50 terminals push at once to a real `ikrar serve` (a uvicorn
child on loopback) through a proxy that cuts connections; the server is killed in the middle of an
ingest while the others wait, a terminal process is killed after the centre stored its push but
before it recorded the answer. Then everyone pushes again: nothing lost, nothing duplicated, every
terminal acknowledged. Waiting is for events only (a pause point's line, a thread's or process's
end); the backoff between retries is skipped (``sleep`` is a no-op), it is not what is tested."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from pausepoints import kill_hard, start_paused

pytest.importorskip("uvicorn")
from sync_proc import CuttingProxy, Server, child_env, ikrar_cmd  # noqa: E402

from ikrar_cli.workspace import Workspace  # noqa: E402

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre and its server run on each engine
TERMINALS = 50
PER_TERMINAL = 2  # receipts; with the session-open record each log has 3 entries
PASS = b"rahasia-uji"


def build(d: Path) -> tuple[Path, list[Path]]:
    """A central authority workspace and TERMINALS certified terminals, each with a session and
    PER_TERMINAL receipts under a signed checkpoint. Built through the library from one initialised
    terminal folder copied (the CLI is not what this test is about, and 50 terminals through it
    take minutes); each terminal still gets its own key, certified by the authority."""
    import shutil

    from ikrar_cli.api import attest_many, open_session
    from ikrar_cli.keys import keyfiles as keys
    from ikrar_cli.ledger.log import Ledger
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.recitation.attest import log_id_for

    central = Workspace.init(d / "central", institution="BKPSDM Uji", code="UJI", unit=None, timezone="WITA",
                             language="id", database=os.environ.get("IKRAR_TEST_CENTRAL_DB"))  # fmt: skip
    keys.init_authority(central, PASS)
    rows = [(str(198609262015051001 + i), f"Pegawai {i}", "DINKES") for i in range(PER_TERMINAL)]
    pledge = PledgeLibrary.load().get("pilkada-2024")
    template = Workspace.init(d / "template", institution="BKPSDM Uji", code="UJI", unit=None, timezone="WITA",
                              language="id")  # fmt: skip
    with template.store.transaction() as conn:
        conn.execute("INSERT INTO units (code, name) VALUES ('DINKES', 'Dinas Kesehatan')")
        conn.executemany("INSERT INTO officers (officer_id, id_type, name, unit_code, first_seen_at, updated_at) "
                         "VALUES (?, 'nip', ?, ?, 0, 0)", rows)  # fmt: skip
    template.close()
    homes = []
    for n in range(TERMINALS):
        home = d / f"t{n}"
        shutil.copytree(d / "template", home)
        ws = Workspace.open(home)
        _info, req = keys.new_terminal(ws, f"apel-{n}", None, PASS)
        keys.import_certificate(ws, keys.certify(central, req, PASS, not_before=0))
        signer = keys.load_terminal_signer(ws, PASS)
        open_session(ws, signer, pledge, title="Apel", location=f"Halaman {n}", force_reason="uji")
        attest_many(ws, signer, 1, [(i, r[0]) for i, r in enumerate(rows)])
        Ledger(ws.store).checkpoint(log_id_for(signer.kid), signer.sign)
        ws.close()
        homes.append(home)
    central.close()
    return d / "central", homes


@pytest.fixture
def unlock_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each key file is derived from its passphrase once in this process (a key just written is
    kept; the authority signs 50 certificates; each terminal key signs while building and pushing):
    the KDF's cost is not what this test is about. Each file is still written encrypted."""
    from ikrar_cli.keys import keyfiles

    real_load, real_write = keyfiles.load_private_key, keyfiles.write_key_file
    seen: dict[Path, Any] = {}

    def load(path: Path, passphrase: bytes) -> Any:
        if path not in seen:
            seen[path] = real_load(path, passphrase)
        return seen[path]

    def write(path: Path, key: Any, *args: Any, **kw: Any) -> Any:
        out = real_write(path, key, *args, **kw)
        seen[path] = key
        return out

    monkeypatch.setattr(keyfiles, "load_private_key", load)
    monkeypatch.setattr(keyfiles, "write_key_file", write)


def push_all(homes: list[Path], url: str, attempts: int) -> list[Any]:
    """Every terminal pushes at once, one thread each; the result or the error of each."""
    from ikrar_cli.errors import IkrarError
    from ikrar_cli.keys.keyfiles import load_terminal_signer
    from ikrar_cli.recitation.attest import log_id_for
    from ikrar_cli.sync.client import push_log

    out: list[Any] = [None] * len(homes)
    signers = []
    for home in homes:
        ws = Workspace.open(home)
        signers.append(load_terminal_signer(ws, PASS))
        ws.close()
    start = threading.Barrier(len(homes))

    def one(i: int) -> None:
        ws = Workspace.open(homes[i])
        try:
            start.wait()
            out[i] = push_log(ws, signers[i], url, log_id_for(signers[i].kid), attempts=attempts,
                              sleep=lambda _s: None)  # fmt: skip
        except IkrarError as exc:
            out[i] = exc
        finally:
            ws.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(homes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def centre_counts(central: Path) -> dict[str, tuple[int, int, int]]:
    """Per log: entries, attestations, distinct (log, index) of attestations."""
    from engines import connect_db

    db = connect_db(central)
    try:
        return {
            str(log): (int(n), int(a), int(d))
            for log, n, a, d in db.execute(
                "SELECT l.log_id, (SELECT COUNT(*) FROM ledger_entries e WHERE e.log_id = l.log_id), "
                "(SELECT COUNT(*) FROM attestations t WHERE t.log_id = l.log_id), "
                "(SELECT COUNT(DISTINCT t.ledger_idx) FROM attestations t WHERE t.log_id = l.log_id) FROM logs l"
            ).fetchall()
        }
    finally:
        db.close()


def log_of(home: Path) -> str:
    from ikrar_cli.sync.client import status

    ws = Workspace.open(home)
    try:
        return str(status(ws)[0]["log"])
    finally:
        ws.close()


def acked(home: Path) -> int:
    from ikrar_cli.sync.client import status

    ws = Workspace.open(home)
    try:
        return int(status(ws)[0]["acked_size"])
    finally:
        ws.close()


@pytest.mark.slow
def test_fifty_terminals_a_killed_server_a_killed_push_and_a_cutting_proxy(tmp_path: Path, ikrar, unlock_once) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.sync.client import PushResult, Unreachable

    central, homes = build(tmp_path)
    # 1. everyone pushes at once; the centre is killed while it holds the 10th ingest's transaction open
    paused = Server(central, IKRAR_TEST_PAUSE_AT="sync.commit:10")
    first: list[Any] = []
    runner = threading.Thread(target=lambda: first.extend(push_all(homes, paused.url, attempts=1)))
    runner.start()
    paused.wait_paused("sync.commit")
    paused.kill()
    runner.join()
    ok = [r for r in first if isinstance(r, PushResult)]
    assert all(isinstance(r, Unreachable) for r in first if not isinstance(r, PushResult))
    held = centre_counts(central)
    assert sorted(held.values()) == [(3, 2, 2)] * 9  # nine committed before the kill; the tenth left nothing
    assert {r.log_id for r in ok} <= set(held)  # (an answer may have been lost with the server: fewer acks)
    # 2. a terminal whose push the centre stores, killed before it records the answer
    server = Server(central)
    try:
        late = next(h for h in homes if log_of(h) not in held)
        proc = start_paused(ikrar_cmd(late, "ledger", "push", server.url), child_env(), "sync.ack")
        kill_hard(proc)
        assert len(centre_counts(central)) == 10 and acked(late) == 0
        # 3. everyone again, through a proxy that cuts 12 connections (requests and answers)
        proxy = CuttingProxy(server.url, ["request", "response"] * 6)
        try:
            second = push_all(homes, proxy.url, attempts=5)
        finally:
            proxy.close()
    finally:
        server.stop()
    assert all(isinstance(r, PushResult) for r in second), [r for r in second if not isinstance(r, PushResult)]
    assert sorted(proxy.cuts) == ["request"] * 6 + ["response"] * 6
    assert centre_counts(central) == {k: (3, 2, 2) for k in centre_counts(central)}
    assert len(centre_counts(central)) == TERMINALS
    assert [acked(h) for h in homes] == [3] * TERMINALS  # every terminal acknowledged
    r = ikrar("--lang", "en", "--home", str(central), "ledger", "verify", env={"IKRAR_PASSPHRASE": "rahasia-uji"})
    assert r.exit_code == 0, r.stderr
