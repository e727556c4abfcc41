"""End to end with a real `ikrar serve` (uvicorn child on a free port): terminals push with
`ikrar ledger push`, a resend after 409, an unreachable centre, the server killed mid-ingest, a
push killed before it recorded the answer, a network that cuts connections, ten terminals at once.
Nothing is lost, nothing duplicated, every terminal ends acknowledged."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pausepoints import kill_hard, start_paused
from sync_world import attest, log_of, make_world

pytest.importorskip("uvicorn")
from sync_proc import CuttingProxy, Server, child_env, free_closed_port, ikrar_cmd, run_all  # noqa: E402

from ikrar_cli.workspace import Workspace  # noqa: E402

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre (and its `ikrar serve`) runs on each engine

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centre (and its `ikrar serve`) runs on each engine


@pytest.fixture
def world(ikrar, tmp_path: Path):  # type: ignore[no-untyped-def]
    central, terms, nips = make_world(ikrar, tmp_path, 2)
    server = Server(central.home)
    yield central, terms, nips, server
    server.stop()


def centre_state(central) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    db = central.db()
    try:
        out = {}
        for (log,) in db.execute("SELECT log_id FROM logs").fetchall():
            n = db.execute("SELECT COUNT(*) FROM ledger_entries WHERE log_id = ?", (log,)).fetchone()[0]
            a = db.execute("SELECT COUNT(*) FROM attestations WHERE log_id = ?", (log,)).fetchone()[0]
            out[log] = (n, a)
        return out
    finally:
        db.close()


def status(t) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(t("ledger", "status", "--json").stdout)["logs"][0]  # type: ignore[no-any-return]


def test_push_status_and_verify_with_a_proof_from_the_centre(world) -> None:  # type: ignore[no-untyped-def]
    central, (t1, t2), nips, server = world
    receipts = attest(t1, *nips[0:3])
    before = status(t1)
    assert (before["local_size"], before["acked_size"], before["last_attempt"]) == (4, 0, None)
    r = t1("ledger", "push", server.url, "--json")
    assert json.loads(r.stdout)["logs"][0] | {"url": None} == {
        "log": log_of(t1), "url": None, "local_size": 4, "acked_size": 4, "added": 3, "attempts": 1}
    after = status(t1)
    assert (after["acked_size"], after["url"], after["last_error"]) == (4, server.url, None)
    assert centre_state(central) == {log_of(t1): (4, 3)}
    r = t1("ledger", "status")
    assert f"4 entries here, 4 acknowledged by {server.url} (0 to push)" in r.stdout
    # a second push with nothing new is a no-op; then one more receipt goes alone
    t1("ledger", "push", server.url)
    attest(t1, nips[3])
    assert json.loads(t1("ledger", "push", server.url, "--json").stdout)["logs"][0]["added"] == 1
    # anyone with the trust bundle checks the receipt against the centre's proof (HR workspace here)
    ok = central("verify", receipts[0], "--proof-from", server.url, "--json")
    assert json.loads(ok.stdout)["receipt"]["proof"]["checkpoint_size"] == 5
    # a receipt the centre never got: the proof is unavailable, so the check fails
    other = attest(t2, nips[5])[0]
    bad = central("verify", other, "--proof-from", server.url, "--json", ok=False)
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["reason"] == "proof_unavailable"


def test_sync_url_from_config_and_resend_after_409(world) -> None:  # type: ignore[no-untyped-def]
    central, (t1, _t2), nips, server = world
    attest(t1, *nips[0:2])
    cfg = t1.home / "ikrar.yaml"
    cfg.write_text(cfg.read_text() + f"sync:\n  url: {server.url}\n")
    # the terminal believes the centre holds 2 entries (the centre was restored from an older backup)
    db = t1.db()
    db.execute("INSERT INTO sync_state (log_id, url, acked_size) VALUES (?, ?, 2)", (log_of(t1), server.url))
    db.commit()
    db.close()
    r = t1("ledger", "push")
    assert "the centre holds 0 entries; resending from there" in r.stderr
    assert "the centre holds 3 of 3 entries (2 new)" in r.stdout
    assert centre_state(central) == {log_of(t1): (3, 2)}


def test_an_unreachable_centre_is_reported_and_the_terminal_keeps_working(world) -> None:  # type: ignore[no-untyped-def]
    _central, (t1, _t2), nips, _server = world
    attest(t1, nips[0])
    url = f"http://127.0.0.1:{free_closed_port()}"
    r = t1("ledger", "push", url, "--attempts", "1", ok=False)
    assert r.exit_code == 7
    assert "The centre was not reached after 1 attempt" in r.stderr
    assert "the records stay on this terminal" in r.stderr
    st = status(t1)
    assert st["acked_size"] == 0 and "cannot reach the centre" in st["last_error"]
    attest(t1, nips[1])  # offline: recording goes on
    assert status(t1)["local_size"] == 3


def test_backoff_doubles_and_is_bounded(world) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.keys.keyfiles import load_terminal_signer
    from ikrar_cli.sync.client import Unreachable, push_log

    _central, (t1, _t2), nips, _server = world
    attest(t1, nips[0])
    ws = Workspace.open(t1.home)
    waits: list[float] = []
    with pytest.raises(Unreachable):
        push_log(ws, load_terminal_signer(ws, b"rahasia-uji"), f"http://127.0.0.1:{free_closed_port()}",
                 log_of(t1), attempts=4, base_delay=0.5, sleep=waits.append)  # fmt: skip
    ws.close()
    assert waits == [0.5, 1.0, 2.0]


def test_server_killed_mid_ingest_then_push_again(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    central, (t1, _t2), nips, server = world
    server.stop()
    attest(t1, *nips[0:3])
    t1("ledger", "checkpoint")
    paused = Server(central.home, IKRAR_TEST_PAUSE_AT="sync.commit")
    push = subprocess.Popen(ikrar_cmd(t1.home, "ledger", "push", paused.url, "--attempts", "1"), env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    paused.wait_paused("sync.commit")  # inside the ingest transaction, every entry written
    paused.kill()
    _out, err = push.communicate(timeout=600)
    assert push.returncode == 7, err
    assert centre_state(central) == {}  # rolled back whole
    again = Server(central.home)
    try:
        t1("ledger", "push", again.url)
    finally:
        again.stop()
    assert centre_state(central) == {log_of(t1): (4, 3)}


def test_push_killed_before_recording_the_answer(world) -> None:  # type: ignore[no-untyped-def]
    central, (t1, _t2), nips, server = world
    attest(t1, *nips[0:2])
    proc = start_paused(ikrar_cmd(t1.home, "ledger", "push", server.url), child_env(), "sync.ack")
    kill_hard(proc)
    assert centre_state(central) == {log_of(t1): (3, 2)}
    assert status(t1)["acked_size"] == 0  # the terminal never heard the answer
    attest(t1, nips[2])
    r = json.loads(t1("ledger", "push", server.url, "--json").stdout)["logs"][0]
    assert (r["acked_size"], r["added"]) == (4, 1)  # resent from 0: nothing duplicated
    assert centre_state(central) == {log_of(t1): (4, 3)}


def test_a_network_that_cuts_connections(world) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.keys.keyfiles import load_terminal_signer
    from ikrar_cli.sync.client import push_log

    central, (t1, t2), nips, server = world
    attest(t1, *nips[0:2])
    attest(t2, *nips[2:5])
    proxy = CuttingProxy(server.url, ["request", "response", "response", "request"])
    try:
        for t, n in ((t1, 3), (t2, 4)):
            ws = Workspace.open(t.home)
            res = push_log(ws, load_terminal_signer(ws, b"rahasia-uji"), proxy.url, log_of(t), attempts=5,
                           sleep=lambda _s: None)  # fmt: skip
            ws.close()
            assert res.acked_size == n
    finally:
        proxy.close()
    assert sorted(proxy.cuts) == ["request", "request", "response", "response"]
    assert centre_state(central) == {log_of(t1): (3, 2), log_of(t2): (4, 3)}
    central("ledger", "verify")


def test_ten_terminals_push_at_once(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    central, terms, nips = make_world(ikrar, tmp_path, 10, roster_size=30)
    for i, t in enumerate(terms):
        attest(t, nips[i], nips[i + 10])
        t("ledger", "checkpoint")
    server = Server(central.home)
    try:
        done = run_all([ikrar_cmd(t.home, "ledger", "push", server.url, "--json") for t in terms], child_env())
    finally:
        server.stop()
    assert [p.returncode for p in done] == [0] * 10, [p.stderr for p in done if p.returncode]
    assert centre_state(central) == {log_of(t): (3, 2) for t in terms}
    for t in terms:
        assert status(t)["acked_size"] == 3
    central("ledger", "verify")


def test_a_lying_centre_is_caught_by_the_verifier(world) -> None:  # type: ignore[no-untyped-def]
    """`verify --proof-from` trusts the trust bundle, not the server: a proof whose checkpoint was
    edited (another root, the terminal's signature kept) is INVALID."""
    import base64
    import http.server
    import threading
    import urllib.request

    from ikrar_cli.receipts.receipt import decode_receipt

    central, (t1, _t2), nips, server = world
    receipts = attest(t1, *nips[0:2])
    t1("ledger", "push", server.url)
    r = decode_receipt(receipts[0])
    real = urllib.request.urlopen(f"{server.url}/v1/logs/{log_of(t1)}/proof/{r.claims.ledger_index}").read()
    head, _sep, note = real.decode().partition("\n\n")  # proof lines, then the checkpoint note
    body = note.split("\n")
    body[2] = base64.b64encode(b"\x07" * 32).decode()  # origin, size, ROOT: another tree, same signature
    forged = (head + "\n\n" + "\n".join(body)).encode()

    class Liar(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Length", str(len(forged)))
            self.end_headers()
            self.wfile.write(forged)

        def log_message(self, *args: object) -> None:
            pass

    liar = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=liar.serve_forever, daemon=True).start()
    try:
        bad = central("verify", receipts[0], "--proof-from", f"http://127.0.0.1:{liar.server_address[1]}", "--json",
                      ok=False)  # fmt: skip
    finally:
        liar.shutdown()
        liar.server_close()
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["reason"] == "bad_checkpoint_signature"


def test_a_long_backlog_goes_in_pieces(world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.keys.keyfiles import load_terminal_signer
    from ikrar_cli.sync import client as sync_client

    central, (t1, _t2), nips, server = world
    attest(t1, *nips[0:4])  # 5 entries with the session record
    monkeypatch.setattr(sync_client, "MAX_PUSH_ENTRIES", 2)
    ws = Workspace.open(t1.home)
    res = sync_client.push_log(ws, load_terminal_signer(ws, b"rahasia-uji"), server.url, log_of(t1))
    ws.close()
    assert (res.acked_size, res.added, res.attempts) == (5, 4, 3)  # pieces ending at 2, 4, 5
    db = central.db()
    assert [r[0] for r in db.execute("SELECT size FROM checkpoints ORDER BY size")] == [2, 4, 5]
    central("ledger", "verify")  # the checkpoints signed for the pieces are consistent with the log
