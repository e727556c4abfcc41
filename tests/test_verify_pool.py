"""Receipt signatures checked by helper processes (receipts/verify_pool.py) give exactly what the
serial path gives: the same files accepted, the same rows stored, the same error (code, message,
file and line) for each refused file, in the same order; the compliance report the same JSON.
A helper killed (a real process, SIGKILL) is a clear StorageError and nothing of the file is
written.

Two central workspaces certify the same terminals: one merges in this process only, the other with
helpers; every comparison is between the two.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from engines import central_db_args, create_database, drop_database, dump_db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge import Site

from ikrar_cli.demo.office import write_sample_roster
from ikrar_cli.errors import StorageError
from ikrar_cli.receipts import verify_pool
from ikrar_cli.receipts.base45 import b45decode, b45encode
from ikrar_cli.receipts.receipt import PREFIX, decode_receipt, sign_receipt

PG_CENTRAL_ONLY = True  # terminals stay on SQLite; the centres run on each engine (tests/engines.py)
N = 60  # officers attested on each terminal


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"


@pytest.fixture
def world(ikrar, tmp_path: Path, engine: str):  # type: ignore[no-untyped-def]
    """Two centres (``serial``, ``pooled``) that certified the same two terminals, and each
    terminal's full export (N receipts each, overlapping by half)."""
    roster = tmp_path / "roster.csv"
    nips = write_sample_roster(roster, 2 * N)
    extra = None
    centres = []
    for name in ("serial", "pooled"):
        c = Site(ikrar, tmp_path / name)
        args = central_db_args()
        if args and name == "pooled":  # its own database beside the serial centre's
            extra = create_database()
            args = ["--database", extra]
        c("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA", *args)
        c("key", "init-authority")
        c("roster", "import", str(roster))
        centres.append(c)
    exports = []
    for n, chosen in ((1, nips[:N]), (2, nips[N // 2 : N // 2 + N])):
        t = Site(ikrar, tmp_path / f"t{n}")
        t("init", "--institution", "BKPSDM Uji", "--code", "UJI", "--timezone", "WITA")
        t("key", "new-terminal", f"apel-{n}", "--out", str(tmp_path / f"req{n}.json"))
        for c in centres:
            c("key", "certify", str(tmp_path / f"req{n}.json"), "--valid-from", "2024-01-01",
              "--out", str(tmp_path / f"cert{n}-{c.home.name}.json"))  # fmt: skip
        t("key", "import-cert", str(tmp_path / f"cert{n}-serial.json"))
        t("roster", "import", str(roster))
        t("session", "open", "--pledge", "pilkada-2024", "--title", "Apel", "--location", f"Halaman {n}",
          "--force", "--reason", "uji")  # fmt: skip
        att = tmp_path / f"att{n}.csv"
        att.write_text("NIP\n" + "\n".join(chosen) + "\n")
        t("attest", "--session", "1", "--attendance", str(att))
        t("ledger", "checkpoint")
        t("ledger", "export", "--out", str(tmp_path / f"t{n}.jsonl"))
        exports.append(tmp_path / f"t{n}.jsonl")
    try:
        yield centres[0], centres[1], exports, tmp_path
    finally:
        if extra:
            drop_database(extra)


# ------------------------------------------------------------------------------ damaged copies
def _receipt_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if '"receipt":' in line]


def damaged(export: Path, out: Path, kind: str, which: int) -> Path:
    """A copy of ``export`` with its ``which``-th receipt (modulo their number) damaged."""
    lines = export.read_text().splitlines(keepends=True)
    at = _receipt_lines(lines)[which % len(_receipt_lines(lines))]
    obj = json.loads(lines[at])
    r = decode_receipt(obj["receipt"])
    if kind == "forged":  # another officer, signed by an intruder under the same key id
        other = replace(r.claims, officer_id="199001012020121001")
        obj["receipt"] = sign_receipt(other, Ed25519PrivateKey.generate().sign, r.kid).text
    elif kind == "bad_signature":  # one bit of the signature flipped
        cose = bytearray(b45decode(obj["receipt"].removeprefix(PREFIX)))
        cose[-5] ^= 0x10
        obj["receipt"] = PREFIX + b45encode(bytes(cose))
    elif kind == "malformed":  # the receipt cut short
        obj["receipt"] = obj["receipt"][: len(obj["receipt"]) // 2]
    elif kind == "swap":  # two receipts exchanged: each names the other's index
        nxt = _receipt_lines(lines)[(which + 1) % len(_receipt_lines(lines))]
        other_obj = json.loads(lines[nxt])
        obj["receipt"], other_obj["receipt"] = other_obj["receipt"], obj["receipt"]
        lines[nxt] = _line(other_obj)
    lines[at] = _line(obj)
    out.write_text("".join(lines))
    return out


STARTED: list[int] = []  # helpers started by the last merge_results


def merge_results(centre: Site, files: list[Path], workers: int, chunk: int) -> list[dict[str, Any]]:
    """``Merger.merge_files`` in this process, with ``workers`` helpers (0: the serial path)."""
    from ikrar_cli.i18n import set_language
    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger.export import Merger
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    set_language("en")
    ws = Workspace.open(centre.home)
    try:
        plain = Verifier(trusted_bundle(ws))
        verifier = verify_pool.pooled(plain, workers, chunk=chunk)
        assert (verifier is plain) == (workers == 0)
        try:
            results = Merger(ws, verifier).merge_files(files)
            STARTED[:] = [p.poll() is None for p in getattr(verifier, "processes", [])]
        finally:
            verify_pool.close(verifier)
        return [r.to_dict() for r in results]
    finally:
        ws.close()


def same_rows(a: Site, b: Site) -> None:
    """The two centres hold the same ledger and attestation rows (ids and times aside)."""
    from engines import connect_db

    def rows(site: Site) -> list[Any]:
        db = connect_db(site.home)
        try:
            ent = db.execute("SELECT log_id, idx, leaf, leaf_hash FROM ledger_entries ORDER BY log_id, idx").fetchall()
            att = db.execute("SELECT log_id, ledger_idx, officer_id, unit_code, pledge_id, method, attested_at, "
                             "unlisted, receipt FROM attestations ORDER BY log_id, ledger_idx").fetchall()  # fmt: skip
            cps = db.execute("SELECT log_id, size, root FROM checkpoints ORDER BY log_id, size").fetchall()
            plain = [[tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in x] for x in (ent, att)]
            return [*plain, [tuple(r) for r in cps]]
        finally:
            db.close()

    assert rows(a) == rows(b)


def test_mixed_files_give_the_serial_results_and_rows(world) -> None:  # type: ignore[no-untyped-def]
    serial, pooled, (e1, e2), tmp = world
    files = [
        damaged(e1, tmp / "forged.jsonl", "forged", 37),
        damaged(e2, tmp / "badsig.jsonl", "bad_signature", 3),
        e1,
        damaged(e2, tmp / "malformed.jsonl", "malformed", 50),
        damaged(e2, tmp / "swap.jsonl", "swap", 20),
        e2,
        e1,  # again: all known
    ]
    want = merge_results(serial, files, 0, 0)
    got = merge_results(pooled, files, 2, 7)
    assert STARTED == [True, True]  # the helpers were used (and are still running at the end)
    assert got == want
    assert [f["accepted"] for f in want] == [False, False, True, False, False, True, True]
    codes = [f["error"]["code"] for f in want if f["error"]]
    assert codes == ["bad_signature", "bad_signature", "malformed", "reordered"]
    assert "forged.jsonl:" in want[0]["error"]["message"]  # file and line, as the serial path says them
    same_rows(serial, pooled)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.tuples(st.sampled_from(["forged", "bad_signature", "malformed", "swap"]),
                                st.integers(0, 2 * N)), min_size=1, max_size=3),
       chunk=st.integers(1, 40), workers=st.integers(1, 2))  # fmt: skip
def test_refused_files_in_any_order_and_chunking_give_the_serial_errors(world, kinds, chunk, workers) -> None:  # type: ignore[no-untyped-def]
    serial, pooled, (e1, e2), tmp = world
    files = [damaged(e1 if n % 2 else e2, tmp / f"d{n}.jsonl", kind, which) for n, (kind, which) in enumerate(kinds)]
    before = dump_db(pooled.home)
    assert merge_results(pooled, files, workers, chunk) == merge_results(serial, files, 0, 0)
    assert dump_db(pooled.home) == before  # refused whole: nothing written


def test_a_killed_helper_is_a_clear_error_and_nothing_is_written(world) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.i18n import set_language
    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger.export import Merger
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    set_language("en")
    _serial, pooled, (e1, _e2), _tmp = world
    before = dump_db(pooled.home)
    ws = Workspace.open(pooled.home)
    try:
        with verify_pool.PooledVerifier(Verifier(trusted_bundle(ws)), 1, chunk=5) as verifier:
            verifier.start()
            (proc,) = verifier.processes
            proc.kill()  # a real helper process, killed
            assert proc.wait() != 0
            with pytest.raises(StorageError) as err:
                Merger(ws, verifier).merge_files([e1])
            assert err.value.code == "verify_worker_failed"
            assert "helper process failed" in err.value.message
            assert verify_pool.ENV in (err.value.hint or "")
    finally:
        ws.close()
    assert dump_db(pooled.home) == before


def test_a_helper_answering_garbage_is_a_clear_error(world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A helper that answers something else than reason codes (here: a real process running
    ``python -c`` that echoes a wrong list) is refused, not trusted."""
    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.ledger.export import Merger
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    liar = ("import pickle, sys\n"
            "pickle.load(sys.stdin.buffer)\n"
            "while True:\n"
            "    seq, part = pickle.load(sys.stdin.buffer)\n"
            "    pickle.dump((seq, ['valid'] * (len(part) + 1)), sys.stdout.buffer)\n"
            "    sys.stdout.buffer.flush()\n")  # fmt: skip
    from ikrar_cli import childproc

    monkeypatch.setattr(childproc, "_BOOT", liar)
    from ikrar_cli.i18n import set_language

    set_language("en")
    _serial, pooled, (e1, _e2), _tmp = world
    before = dump_db(pooled.home)
    ws = Workspace.open(pooled.home)
    try:
        with verify_pool.PooledVerifier(Verifier(trusted_bundle(ws)), 1, chunk=5) as verifier:
            with pytest.raises(StorageError, match="answered something else"):
                Merger(ws, verifier).merge_files([e1])
    finally:
        ws.close()
    assert dump_db(pooled.home) == before


def test_the_cli_merge_with_helpers_says_what_the_serial_one_says(world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    serial, pooled, (e1, e2), tmp = world
    bad = damaged(e2, tmp / "bad.jsonl", "bad_signature", 41)
    args = ("ledger", "merge", str(e1), str(bad), str(e2), "--json")
    monkeypatch.setenv(verify_pool.ENV, "0")
    a = serial(*args, ok=False)
    monkeypatch.setenv(verify_pool.ENV, "2")
    monkeypatch.setattr(verify_pool, "CHUNK", 8)  # (the command runs in this process) several chunks a file
    started = []
    real_start = verify_pool.PooledVerifier.start

    def start(self: verify_pool.PooledVerifier) -> None:
        real_start(self)
        started.append(len(self.processes))

    monkeypatch.setattr(verify_pool.PooledVerifier, "start", start)
    b = pooled(*args, ok=False)
    assert started == [2]  # once for the whole command, two helpers
    assert (a.exit_code, json.loads(a.stdout)) == (b.exit_code, json.loads(b.stdout))
    assert json.loads(a.stdout)["files"][1]["error"]["code"] == "bad_signature"
    same_rows(serial, pooled)


@pytest.mark.parametrize("workers", [1, 2])
def test_with_one_helper_this_process_checks_every_third_chunk(
    world, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:  # type: ignore[no-untyped-def]
    """One helper alone would keep the reader waiting (it checks more slowly than the serial loop):
    this process takes every LOCAL_TURN-th chunk itself. With two helpers it takes none (beyond
    the first chunk, which is read before anyone asked for a code). The results stay the serial ones."""
    from ikrar_cli.receipts.verify import Verifier

    serial, pooled, (e1, e2), _tmp = world
    here: list[int] = []
    real = Verifier.receipt_code

    def counted(self: Verifier, receipt: Any) -> str:
        here.append(1)
        return real(self, receipt)

    want = merge_results(serial, [e1, e2], 0, 0)
    monkeypatch.setattr(Verifier, "receipt_code", counted)  # the parent's own checks (helpers are other processes)
    chunk = 5
    got = merge_results(pooled, [e1, e2], workers, chunk)
    assert got == want
    receipts = 2 * N
    first = chunk  # the first chunk of the first file: checked here before the helpers start
    if workers == 1:
        share = (receipts - first) // verify_pool.LOCAL_TURN
        assert first + share - 2 * chunk <= len(here) <= first + share + 2 * chunk, len(here)
    else:
        assert len(here) <= first, len(here)
    same_rows(serial, pooled)


def test_default_workers_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (verify_pool.ENV, verify_pool.SHARED_ENV):
        monkeypatch.delenv(name, raising=False)
    from ikrar_cli import platform_guard

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(verify_pool, "LOOK_GAP_S", 0.0)
    for counts, helpers in (([1] * 5, 1), ([2, 1, 2, 2, 1], 1),  # idle, or the database server answering
                            ([1, 1, 3, 1, 1], 0), ([9] * 5, 0),  # any look finds others runnable
                            ([None] * 5, 0)):  # fmt: skip # not Linux: counted busy
        looks = iter(counts)
        monkeypatch.setattr(platform_guard, "machine_load",
                            lambda looks=looks: None if (n := next(looks)) is None else (2.0, n))  # fmt: skip
        assert verify_pool.default_workers() == helpers, counts
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert verify_pool.default_workers() == 0
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert verify_pool.default_workers() == verify_pool.MAX_WORKERS
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert verify_pool.default_workers() == 2
    monkeypatch.setenv(verify_pool.SHARED_ENV, "1")  # the roster pool's setting serves both
    assert verify_pool.default_workers() == 1
    monkeypatch.setenv(verify_pool.ENV, "0")  # this pool's own wins
    assert verify_pool.default_workers() == 0


def test_the_helpers_get_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helpers' environment is childproc's: no passphrase."""
    import receipt_helpers as h

    from ikrar_cli.receipts.verify import Verifier

    monkeypatch.setenv("IKRAR_PASSPHRASE", "rahasia")
    with verify_pool.PooledVerifier(Verifier(h.bundle()), 1) as verifier:
        verifier.start()
        (proc,) = verifier.processes
        environ = Path(f"/proc/{proc.pid}/environ")
        if sys.platform.startswith("linux") and environ.exists():
            assert b"IKRAR_PASSPHRASE" not in environ.read_bytes()


# ------------------------------------------------------------------------------ the compliance report
def test_the_compliance_report_with_helpers_is_the_serial_one(tmp_path: Path, engine: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Every seventh receipt forged (same key id, another key) before the checkpoint: the report
    counts them as not valid the same way with and without helpers."""
    import report_world

    from ikrar_cli.receipts import receipt as receipt_mod
    from ikrar_cli.reports import compliance
    from ikrar_cli.workspace import Workspace

    if engine == "postgresql":  # this module puts only centres on PostgreSQL: this workspace is one
        monkeypatch.setenv("IKRAR_DATABASE_URL", os.environ["IKRAR_TEST_CENTRAL_DB"])
    real = receipt_mod.sign_receipt
    intruder = Ed25519PrivateKey.generate()

    def sometimes_forged(claims, sign, kid):  # type: ignore[no-untyped-def]
        return real(claims, intruder.sign if claims.ledger_index % 7 == 0 else sign, kid)

    monkeypatch.setattr(receipt_mod, "sign_receipt", sometimes_forged)
    day = report_world.build(tmp_path / "ws", 300, 150)
    monkeypatch.setattr(receipt_mod, "sign_receipt", real)

    def run(workers: str, chunk: int) -> bytes:
        monkeypatch.setenv(verify_pool.ENV, workers)
        monkeypatch.setattr(verify_pool, "CHUNK", chunk)
        ws = Workspace.open(tmp_path / "ws")
        try:
            res = compliance.compute(ws, compliance.gather(ws, report_world.PLEDGE, day))
            return compliance.render_json(res.document)
        finally:
            ws.close()

    serial = run("0", verify_pool.CHUNK)
    assert run("2", 9) == serial
    assert json.loads(serial)["receipts_not_valid"] == 21  # 150 receipts, every seventh forged


# ------------------------------------------------------------------------------ ledger verify
def _tamper_signature(site: Site, idx: int) -> str:
    """Flip a bit of the signature of the receipt at ``idx`` of the first log (its stored leaf hash
    made to match, so the receipt check is what fails)."""
    from engines import connect_db

    from ikrar_cli.ledger.merkle import leaf_hash

    db = connect_db(site.home)
    try:
        log_id = db.execute("SELECT log_id FROM logs ORDER BY log_id").fetchone()[0]
        leaf = bytearray(db.execute("SELECT leaf FROM ledger_entries WHERE log_id = ? AND idx = ?",
                                    (log_id, idx)).fetchone()[0])  # fmt: skip
        leaf[-5] ^= 0x10
        db.execute("UPDATE ledger_entries SET leaf = ?, leaf_hash = ? WHERE log_id = ? AND idx = ?",
                   (bytes(leaf), leaf_hash(bytes(leaf)), log_id, idx))  # fmt: skip
        db.commit()
        return str(log_id)
    finally:
        db.close()


def test_ledger_verify_with_helpers_reports_what_the_serial_one_reports(world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Two logs; the first fails at an early receipt (its reader is given up with answers owed),
    the second is checked after it: both reports as the serial path makes them."""
    serial, pooled, (e1, e2), _tmp = world
    for c in (serial, pooled):
        c("ledger", "merge", str(e1), str(e2))
    monkeypatch.setenv(verify_pool.ENV, "2")
    monkeypatch.setattr(verify_pool, "CHUNK", 4)
    good = pooled("ledger", "verify", "--json", ok=False)
    assert good.exit_code == 0, good.stdout
    for c in (serial, pooled):
        _tamper_signature(c, 3)
    monkeypatch.setenv(verify_pool.ENV, "0")
    a = serial("ledger", "verify", "--json", ok=False)
    monkeypatch.setenv(verify_pool.ENV, "2")
    b = pooled("ledger", "verify", "--json", ok=False)
    doc = json.loads(a.stdout)
    assert a.exit_code == b.exit_code != 0
    assert doc == json.loads(b.stdout)
    problems = [p for log in doc["logs"] for p in log["problems"]]
    assert [p["code"] for p in problems] == ["bad_signature"]
    assert [log["valid"] for log in doc["logs"]].count(True) == 1  # the other log verified


def test_the_report_reads_all_logs_as_one_stream_and_stops_at_the_same_damage(  # type: ignore[no-untyped-def]
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compliance report reads every log's entries as one stream, so a chunk of receipts for the
    helper may hold the end of one log and the start of the next (chunks of 7; each log has 61
    entries). Damage in the stored logs is the same error, naming the same log and entry, with one
    helper as without; the first damage in log order wins: a missing last entry of the second log,
    then a changed receipt of the first, then a missing entry of the first before it."""
    from compliance_world import today
    from engines import connect_db

    serial, pooled, (e1, e2), tmp = world
    for c in (serial, pooled):
        c("ledger", "merge", str(e1), str(e2))
        c("roster", "publish", "--as-of", today())
        c("trust", "export", "--out", str(tmp / f"bundle-{c.home.name}.json"))
    monkeypatch.setattr(verify_pool, "CHUNK", 7)
    from ikrar_cli.reports import compliance
    from ikrar_cli.store import overlap

    monkeypatch.setattr(compliance, "CHUNK", 10)  # each log read in 7 chunks, the last of one entry
    read_aheads: list[int] = []
    real_ahead = overlap.chunks_ahead

    def counted(store: Any, chunks: Any) -> Any:
        if chunks.__module__ == compliance.__name__:  # the entries' read-ahead (the snapshot has its own)
            read_aheads.append(1)
        return real_ahead(store, chunks)

    monkeypatch.setattr(overlap, "chunks_ahead", counted)

    def report(c: Site, workers: str) -> Any:  # type: ignore[no-untyped-def]
        monkeypatch.setenv(verify_pool.ENV, workers)
        return c("report", "compliance", "--pledge", "pilkada-2024", "--as-of", today(), "--json", ok=False)

    a = report(serial, "0")
    assert len(read_aheads) == 1  # the entries of both logs: one read-ahead (on PostgreSQL, one reader)
    b = report(pooled, "1")
    assert a.exit_code == b.exit_code == 0, (a.stderr, b.stderr)
    assert json.loads(a.stdout)["totals"] == json.loads(b.stdout)["totals"]
    assert json.loads(a.stdout)["totals"]["attested"] == N + N // 2  # both logs counted, the overlap once

    def tamper(sql: str, which: int, *params: object) -> str:
        log_id = ""
        for c in (serial, pooled):
            db = connect_db(c.home)
            try:
                log_id = db.execute("SELECT log_id FROM logs ORDER BY log_id").fetchall()[which][0]
                db.execute(sql, (*params, log_id))
                db.commit()
            finally:
                db.close()
        return str(log_id)

    def same_error(log_id: str, words: str) -> None:
        a, b = report(serial, "0"), report(pooled, "1")
        assert a.exit_code == b.exit_code != 0
        assert a.stderr == b.stderr and log_id in a.stderr and words in a.stderr, a.stderr

    second = tamper("DELETE FROM ledger_entries WHERE idx = 60 AND log_id = ?", 1)
    same_error(second, "does not match its signed checkpoint")  # the second log is one entry short
    first = _tamper_signature(serial, 3)
    assert _tamper_signature(pooled, 3) == first != second
    same_error(first, "does not match its signed checkpoint")  # a receipt of the first log changed
    tamper("DELETE FROM ledger_entries WHERE idx = 5 AND log_id = ?", 0)
    same_error(first, "Entry 5 of log")
