"""Bad input everywhere, read-only and full workspaces, kill -9 during a merge, and fuzzing of
every parser. The promise: one clear line, a documented exit code, no traceback, nothing half-written."""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import IkrarError

PASS = {"IKRAR_PASSPHRASE": "rahasia-uji"}
DOCUMENTED = {1, 2, 3, 4, 5, 6, 7, 8}
FUZZ = int(os.environ.get("IKRAR_FUZZ_EXAMPLES", "60"))
FUZZ_SETTINGS = settings(max_examples=FUZZ, deadline=None, suppress_health_check=list(HealthCheck))
ROOT = Path(__file__).resolve().parents[1]
FP = "SHA256:" + "A" * 43

# every command that reads a file the user names; F is replaced by the bad file
FILE_COMMANDS: list[list[str]] = [
    ["roster", "import", "F"],
    ["roster", "import", "F", "--dry-run"],
    ["attest", "--session", "1", "--attendance", "F"],
    ["trust", "add", "F", "--fingerprint", FP],
    ["verify", "F"],
    ["verify", "--bundle", "F", "--fingerprint", FP, "IKR1:00"],
    ["key", "import-cert", "F"],
    ["key", "certify", "F"],
    ["ledger", "merge", "F"],
    ["ledger", "checkpoint", "--passphrase-file", "F"],
    ["pledge", "validate", "F"],
    ["session", "close", "1", "--passphrase-file", "F"],
]
KINDS = ["missing", "directory", "empty", "garbage", "unreadable"]


def make_bad(kind: str, tmp: Path) -> Path:
    p = tmp / f"bad-{kind}.csv"
    if kind == "directory":
        p.mkdir()
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "garbage":
        p.write_bytes(random.Random(7).randbytes(4096))
    elif kind == "unreadable":
        p.write_text("NIP,Nama\n")
        p.chmod(0)
    return p


def one_line_error(r, lang: str) -> None:  # type: ignore[no-untyped-def]
    out = r.stdout + r.stderr
    assert "Traceback" not in out
    assert r.exit_code in DOCUMENTED, (r.exit_code, out)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("ikrar: "), out
    if lang == "en":
        assert not any(w in lines[0] for w in (" tidak ", " bukan ", "berkas")), lines[0]
    else:
        assert any(w in lines[0].lower() for w in ("tidak", "bukan", "berkas", "kosong", "folder", "salah")), lines[0]


@pytest.fixture
def ready(ikrar, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    from test_recitation import setup_terminal

    return setup_terminal(ikrar, tmp_path)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_bad_files_everywhere(ikrar, request, tmp_path: Path, kind: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    from file_modes import modes_enforced, rerun_obeying_file_modes

    bad = make_bad(kind, tmp_path)
    if kind == "unreadable" and not modes_enforced(bad):  # root: again in a child that obeys file modes
        rerun_obeying_file_modes(request, tmp_path)
        return
    ready = request.getfixturevalue("ready")
    before = sqlite3.connect(ready / "ikrar.db").execute("SELECT COUNT(*) FROM ledger_entries").fetchone()
    for template in FILE_COMMANDS:
        args = [str(bad) if a == "F" else a for a in template]
        r = ikrar("--lang", lang, *args, env=PASS if "--passphrase-file" not in args else None)
        batch = {("ledger", "merge"): ("REJECTED ", "DITOLAK "), ("verify", str(bad)): ("INVALID ", "TIDAK SAH ")}
        verdict = batch.get((args[0], args[1]))
        if verdict:
            # batch commands report each input on stdout; the refusal is data, the exit code says it failed
            assert r.exit_code in DOCUMENTED and "Traceback" not in r.stdout + r.stderr
            (line,) = r.stdout.splitlines()
            assert line.startswith(verdict[0] if lang == "en" else verdict[1]), line
            assert str(bad) in line
            if kind == "unreadable":
                assert ("permission denied" if lang == "en" else "izin ditolak") in line, line
            continue
        one_line_error(r, lang)
        if kind == "unreadable":  # the library's own message, translated (not click's English check)
            assert ("permission denied" if lang == "en" else "izin ditolak") in r.stderr, r.stderr
    after = sqlite3.connect(ready / "ikrar.db").execute("SELECT COUNT(*) FROM ledger_entries").fetchone()
    assert before == after


@pytest.mark.parametrize("lang", ["id", "en"])
def test_missing_workspace_everywhere(ikrar, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "nowhere"
    f = tmp_path / "x.csv"
    f.write_text("NIP\n198609262015051001\n")
    commands = [
        ["roster", "list"], ["roster", "import", str(f)], ["roster", "stats"], ["key", "list"],
        ["key", "init-authority"], ["trust", "show"], ["trust", "export"], ["session", "list"],
        ["session", "open", "--pledge", "pilkada-2024", "--title", "A", "--location", "B"],
        ["attest", "--session", "1", "--nip", "198609262015051001", "--yes"], ["ledger", "verify"],
        ["ledger", "export", "--out", str(tmp_path / "e.jsonl")], ["ledger", "merge", str(f)],
        ["ledger", "checkpoint"], ["report", "compliance", "--pledge", "pilkada-2024"],
        ["report", "officer", "198609262015051001"], ["recite", "--session", "1"],
    ]  # fmt: skip
    for args in commands:
        r = ikrar("--lang", lang, "--home", str(home), *args, env=PASS)
        one_line_error(r, lang)
        assert r.exit_code == 4, (args, r.stderr)
        assert not home.exists()


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, IKRAR_HOME=str(home), PYTHONPATH=str(ROOT), **PASS)
    env.pop("IKRAR_LANG", None)
    return env


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a folder read-only for real, also for root (a read-only bind mount)."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p, m in modes.items():
                p.chmod(m)
        return
    ok = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True).returncode == 0
    ok = ok and subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], capture_output=True).returncode == 0
    if not ok:
        subprocess.run(["umount", str(path)], capture_output=True)
        pytest.skip("cannot make a read-only mount here")
    try:
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def run(home: Path, *args: str, lang: str = "en", **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "ikrar_cli", "--lang", lang, *args], env=_env(home), capture_output=True, text=True,
        timeout=120, **kw,
    )  # fmt: skip


@pytest.mark.parametrize("log_left", [True, False])
def test_read_only_workspace(ikrar, ready: Path, tmp_path: Path, log_left: bool) -> None:  # type: ignore[no-untyped-def]
    """Writes refused with one line (exit 7); reports still work, with or without a pending WAL."""
    if not log_left:
        c = sqlite3.connect(ready / "ikrar.db")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        for suffix in ("-wal", "-shm"):
            (ready / f"ikrar.db{suffix}").unlink(missing_ok=True)
    f = tmp_path / "more.csv"
    f.write_text("NIP,Nama,Unit Kerja\n199001012015032002,Nur Aisyah,Dinas Kesehatan\n")
    assert ikrar("ledger", "checkpoint", env=PASS).exit_code == 0  # reports count what checkpoints cover
    if not log_left:
        c = sqlite3.connect(ready / "ikrar.db")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        for suffix in ("-wal", "-shm"):
            (ready / f"ikrar.db{suffix}").unlink(missing_ok=True)
    snapshot = sqlite3.connect(ready / "ikrar.db").execute("SELECT COUNT(*) FROM officers").fetchone()
    with read_only(ready):
        for lang in ("en", "id"):
            for args in (
                ["roster", "import", str(f)],
                ["attest", "--session", "1", "--nip", "200012312024211001", "--yes"],
                ["ledger", "checkpoint"],
            ):
                r = run(ready, *args, lang=lang)
                assert r.returncode == 7, (args, r.stdout, r.stderr)
                assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
                expected = "is read-only: nothing can be recorded" if lang == "en" else "hanya-baca: tidak ada"
                assert r.stderr.startswith("ikrar: ") and expected in r.stderr, r.stderr
        # reading still works: an auditor may keep a workspace on read-only media
        r = run(ready, "report", "compliance", "--pledge", "pilkada-2024", "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["totals"]["attested"] == 1
    assert sqlite3.connect(ready / "ikrar.db").execute("SELECT COUNT(*) FROM officers").fetchone() == snapshot
    r = run(ready, "ledger", "verify")
    assert r.returncode == 0, r.stderr


def test_full_disk_during_import_keeps_the_roster(ikrar, workspace: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ikrar_cli.demo.office import write_sample_roster

    big = tmp_path / "big.csv"
    write_sample_roster(big, 20000, seed=3)
    db = workspace / "ikrar.db"
    limit = db.stat().st_size + (workspace / "ikrar.db-wal").stat().st_size + 64 * 1024

    def small_disk() -> None:  # in the child: writing past `limit` bytes fails as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    for lang in ("en", "id"):
        r = run(workspace, "roster", "import", str(big), lang=lang, preexec_fn=small_disk)
        assert r.returncode == 7, (r.returncode, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM officers").fetchone() == (0,)
    r = run(workspace, "roster", "import", str(big))
    assert r.returncode == 0, r.stderr
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM officers").fetchone() == (20000,)


@pytest.mark.slow
def test_kill_during_merge_leaves_nothing_partial(ikrar, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """kill -9 during a 3,000-receipt merge (with the entries staged, before the swap, and again inside the
    swap just before its commit): the workspace is exactly as before, verify passes, a rerun completes."""
    from pausepoints import assert_write_transaction_open, dump, kill_hard, start_paused
    from test_recitation import setup_terminal

    from ikrar_cli.demo.office import write_sample_roster

    big = tmp_path / "big.csv"
    ids = write_sample_roster(big, 3000, seed=11)
    term = setup_terminal(ikrar, tmp_path, roster=big.read_text(encoding="utf-8-sig"), attest=False)
    att = tmp_path / "att.csv"
    att.write_text("NIP\n" + "\n".join(ids) + "\n")
    assert run(term, "attest", "--session", "1", "--attendance", str(att)).returncode == 0
    assert run(term, "ledger", "checkpoint").returncode == 0
    export = tmp_path / "t.jsonl"
    assert run(term, "ledger", "export", "--out", str(export)).returncode == 0
    central = tmp_path / "central"
    shutil.copytree(term, central)  # the authority's workspace knows the terminal; empty its ledger
    db = sqlite3.connect(central / "ikrar.db")
    for table in ("attestations", "ledger_entries", "checkpoints", "sessions", "logs"):
        db.execute(f"DELETE FROM {table}")
    db.commit()
    db.close()
    before = dump(central / "ikrar.db")
    for point in ("merge.flush", "merge.commit"):
        proc = start_paused(
            [sys.executable, "-m", "ikrar_cli", "ledger", "merge", str(export)], _env(central), point,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        if point == "merge.commit":  # staging holds no lock (tests/test_merge_staging.py); the swap does
            assert_write_transaction_open(central / "ikrar.db")
        kill_hard(proc)
        assert dump(central / "ikrar.db") == before, point
    assert run(central, "ledger", "verify").returncode == 0
    r = run(central, "ledger", "merge", str(export), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["files"][0]["added"] == 3000
    assert sqlite3.connect(central / "ikrar.db").execute(
        "SELECT COUNT(*), COUNT(DISTINCT officer_id) FROM attestations"
    ).fetchone() == (3000, 3000)
    assert run(central, "ledger", "verify").returncode == 0


# ------------------------------------------------------------------------------ fuzzing
@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.binary(max_size=3000) | st.text(max_size=2000).map(str.encode))
def test_fuzz_trust_bundle_parser(data: bytes) -> None:
    from ikrar_cli.keys.trust import parse_bundle_bytes

    try:
        parse_bundle_bytes(data, "fuzz.json", ["SHA256:" + "A" * 43])
    except IkrarError:
        pass


_BUNDLE: bytes | None = None


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.data())
def test_fuzz_trust_bundle_mutations(data: st.DataObject) -> None:
    """Real bundles with bytes flipped, cut or inserted: refused with a TrustError/InputError, never accepted."""
    from receipt_helpers import authority, bundle

    from ikrar_cli.keys.keyfiles import fingerprint, raw_public
    from ikrar_cli.keys.trust import parse_bundle_bytes

    global _BUNDLE
    if _BUNDLE is None:
        from ikrar_cli.keys.trust import key_id, signed_bundle_file

        _BUNDLE = signed_bundle_file(bundle(), authority().sign, key_id(raw_public(authority())))
        parse_bundle_bytes(_BUNDLE, "genuine.json", [fingerprint(raw_public(authority()))])  # the genuine one passes
    raw = bytearray(_BUNDLE)
    pos = data.draw(st.integers(0, len(raw) - 1))
    op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if op == "flip":
        raw[pos] ^= data.draw(st.integers(1, 255))
    elif op == "cut":
        del raw[pos:]
    else:
        raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
    pin = fingerprint(raw_public(authority()))
    try:
        parse_bundle_bytes(bytes(raw), "mutated.json", [pin])
    except IkrarError:
        return
    # the only mutations that may pass are ones JSON parsing undoes (e.g. white space)
    assert json.loads(bytes(raw)) == json.loads(_BUNDLE)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.text(max_size=1500))
def test_fuzz_pledge_yaml(text: str) -> None:
    from ikrar_cli.pledges.templates import parse_template

    try:
        parse_template(text, Path("fuzz.yaml"))
    except IkrarError:
        pass


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(
    st.lists(
        st.lists(
            st.one_of(st.text(max_size=30), st.from_regex(r"\A[0-9 .'E+-]{0,20}\Z"), st.sampled_from(["", "=1+1"])),
            min_size=0,
            max_size=6,
        ),
        max_size=8,
    ),
    st.sampled_from([",", ";", "\t"]),
)
def test_fuzz_roster_rows(tmp_path_factory, rows: list[list[str]], delimiter: str) -> None:  # type: ignore[no-untyped-def]
    """Any CSV with the usual headers: imported, or one InputError naming a row — never a crash."""
    import csv
    import io

    from ikrar_cli.roster.importer import import_roster
    from ikrar_cli.store.core import Store

    tmp = tmp_path_factory.mktemp("fz")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(["NIP", "Nama", "Jabatan", "Unit Kerja"])
    w.writerows(rows)
    f = tmp / "r.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    store = Store(tmp / "db.sqlite")
    try:
        import_roster(store, f)
    except IkrarError:
        assert store.conn.execute("SELECT COUNT(*) FROM officers").fetchone() == (0,)
    finally:
        store.close()


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.data())
def test_fuzz_ledger_export_lines(data: st.DataObject) -> None:
    """Exports with lines dropped, duplicated, or bytes changed: merged whole or refused whole."""
    env = _merge_env()
    lines = list(env["lines"])
    op = data.draw(st.sampled_from(["drop", "dup", "flip", "garbage"]))
    i = data.draw(st.integers(0, len(lines) - 1))
    if op == "drop":
        del lines[i]
    elif op == "dup":
        lines.insert(i, lines[i])
    elif op == "flip":
        raw = bytearray(lines[i])
        j = data.draw(st.integers(0, len(raw) - 1))
        raw[j] ^= data.draw(st.integers(1, 255))
        lines[i] = bytes(raw)
    else:
        lines[i] = data.draw(st.binary(max_size=200)) + b"\n"
    f = env["dir"] / "mutated.jsonl"
    f.write_bytes(b"".join(lines))
    from ikrar_cli.ledger.export import Merger

    ws = env["ws"]
    with ws.store.transaction() as conn:
        for table in ("attestations", "ledger_entries", "checkpoints", "logs", "merge_runs"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM sessions")
    (result,) = Merger(ws, env["verifier"]).merge_files([f])
    n = ws.store.conn.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
    if result.accepted:
        assert n == env["size"]
    else:
        assert n == 0 and isinstance(result.error, IkrarError)


_MERGE: dict[str, object] = {}


def _merge_env() -> dict:  # type: ignore[type-arg]
    """A real export of 5 receipts, built once per process through the library."""
    if _MERGE:
        return _MERGE
    import tempfile

    from click.testing import CliRunner

    from ikrar_cli.cli.app import cli

    d = Path(tempfile.mkdtemp(prefix="ikrar-fuzz-"))
    home = d / "home"
    runner = CliRunner()

    def ok(*args: str) -> None:
        r = runner.invoke(cli, ["--home", str(home), *args], env=PASS)
        assert r.exit_code == 0, (args, r.output)

    ok("init", "--code", "FZ")
    ok("key", "init-authority")
    ok("key", "new-terminal", "t")
    ok("key", "certify", "t", "--valid-from", "2024-01-01")
    roster = d / "r.csv"
    roster.write_text("NIP,Nama,Unit Kerja\n" + "".join(f"19860926201505100{i},Nama {i},Dinas\n" for i in range(1, 6)))
    ok("roster", "import", str(roster))
    ok("session", "open", "--pledge", "pilkada-2024", "--title", "A", "--location", "B", "--force", "--reason", "x")
    for i in range(1, 6):
        ok("attest", "--session", "1", "--nip", f"19860926201505100{i}", "--yes")
    ok("ledger", "checkpoint")
    out = d / "e.jsonl"
    ok("ledger", "export", "--out", str(out))
    from ikrar_cli.keys.trust import trusted_bundle
    from ikrar_cli.receipts.verify import Verifier
    from ikrar_cli.workspace import Workspace

    central = d / "central"
    shutil.copytree(home, central)
    ws = Workspace.open(central)
    _MERGE.update(
        dir=d, ws=ws, verifier=Verifier(trusted_bundle(ws)), size=5, lines=out.read_bytes().splitlines(keepends=True)
    )
    return _MERGE


def test_every_test_named_in_security_doc_exists() -> None:
    """docs/security.md backs each claim with a test: the names must stay real."""
    import re

    text = (ROOT / "docs" / "security.md").read_text()
    current = None
    named = []
    for m in re.finditer(r"`(?:(test_\w+\.py))?::(test_\w+)`|`(test_\w+\.py)`", text):
        if m.group(3):
            current = m.group(3)
            continue
        current = m.group(1) or current
        named.append((current, m.group(2)))
    assert len(named) > 30
    for file, test in named:
        source = (ROOT / "tests" / file).read_text()
        assert re.search(rf"^def {test}\(", source, re.M), f"{file}::{test} named in docs/security.md does not exist"
