"""Issue 15, keys and time: zones of user times, revoked keys, passphrases, KDF cost, secrets in
children, core dumps, key files never overwritten, trust bundle rollback."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ikrar_cli.keys.keyfiles import SCRYPT_N, load_private_key, read_key_header

ROOT = Path(__file__).resolve().parents[1]
SECRET = "rahasia-uji-12345"
ENV = {"IKRAR_PASSPHRASE": SECRET}


def _utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def _authority_and_terminal(ikrar, name: str = "apel-1") -> str:
    assert ikrar("key", "init-authority", env=ENV).exit_code == 0
    r = ikrar("key", "new-terminal", name, "--json", env=ENV)
    assert r.exit_code == 0, r.stderr
    kid = json.loads(r.stdout)["key"]["kid"]
    r = ikrar("key", "certify", name, "--valid-from", "2024-01-01", env=ENV)
    assert r.exit_code == 0, r.stderr
    return str(kid)


# -- (a) every user time in the workspace's zone ------------------------------------------


def test_revoke_at_and_valid_from_are_read_in_the_workspace_zone(ikrar, workspace: Path) -> None:
    """The workspace fixture is WITA (UTC+8): a bare 10:00 is 02:00 UTC, not 03:00 (WIB)."""
    kid = _authority_and_terminal(ikrar)
    r = ikrar("key", "revoke", kid, "--reason", "hilang", "--at", "2024-10-02T10:00", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["revoked_at"] == _utc("2024-10-02T02:00")
    # an explicit zone, by offset or by name, wins over the workspace's
    r = ikrar("key", "revoke", kid, "--reason", "hilang", "--at", "2024-10-02 10:00 WIT", "--json")
    assert json.loads(r.stdout)["revoked_at"] == _utc("2024-10-02T01:00")
    r = ikrar("key", "revoke", kid, "--reason", "hilang", "--at", "2024-10-02T10:00+07:00", "--json")
    assert json.loads(r.stdout)["revoked_at"] == _utc("2024-10-02T03:00")
    assert ikrar("key", "new-terminal", "apel-2", env=ENV).exit_code == 0
    r = ikrar(
        "key", "certify", "apel-2", "--valid-from", "2024-10-01", "--valid-until", "2024-10-31T17:00", "--json", env=ENV
    )
    assert r.exit_code == 0, r.stderr
    cert = json.loads(r.stdout)
    assert cert["not_before"] == _utc("2024-09-30T16:00")
    assert cert["not_after"] == _utc("2024-10-31T09:00")


def test_bad_user_times_are_one_line_exit_2(ikrar, workspace: Path) -> None:
    kid = _authority_and_terminal(ikrar)
    for value, line in (
        ("kemarin", "ikrar: 'kemarin' is not a date or time — write e.g. 2024-10-01 or 2024-10-01T08:00+08:00\n"),
        (
            "2024-10-02T10:00+07:00 WITA",
            "ikrar: '2024-10-02T10:00+07:00 WITA' gives two time zones — "
            "write e.g. 2024-10-01T08:00+08:00 or 2024-10-01 08:00 WITA\n",
        ),
    ):
        r = ikrar("--lang", "en", "key", "revoke", kid, "--reason", "x", "--at", value)
        assert (r.exit_code, r.stderr) == (2, line)


def test_the_cli_parses_no_time_itself() -> None:
    """One parser for user times (ikrar_cli/zones.py): no date/time parsing in ikrar_cli/cli/."""
    offenders = []
    for path in sorted((ROOT / "ikrar_cli" / "cli").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in ("fromisoformat", "strptime", "ZoneInfo("):
            if needle in text:
                offenders.append(f"{path.name}: {needle}")
    assert offenders == []


# -- (b) a revoked key signs nothing more ---------------------------------------------------


def test_revoked_terminal_key_refuses_to_sign(ikrar, tmp_path: Path) -> None:
    from test_recitation import PASS, setup_terminal

    home = setup_terminal(ikrar, tmp_path)  # authority and terminal in one workspace, one receipt
    kid = json.loads(ikrar("key", "list", "--json").stdout)
    term = next(k for k in kid if k["role"] == "terminal")["kid"]
    before = sqlite3.connect(home / "ikrar.db").execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
    assert ikrar("key", "revoke", term, "--reason", "terminal hilang").exit_code == 0
    r = ikrar("--lang", "en", "attest", "--session", "1", "--nip", "200012312024211001", "--yes", env=PASS)
    assert r.exit_code == 6
    assert r.stderr.startswith(f"ikrar: Terminal key apel-1 ({term}) was revoked from ")
    assert "(terminal hilang); it signs nothing more — create a new terminal key" in r.stderr
    r = ikrar("--json", "attest", "--session", "1", "--nip", "200012312024211001", "--yes", env=PASS)
    assert json.loads(r.stdout)["error"]["code"] == "key_revoked"
    after = sqlite3.connect(home / "ikrar.db").execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
    assert after == before


def test_revocation_from_a_later_instant_still_lets_the_key_sign(ikrar, tmp_path: Path) -> None:
    from test_recitation import PASS, setup_terminal

    setup_terminal(ikrar, tmp_path, attest=False)
    term = next(k for k in json.loads(ikrar("key", "list", "--json").stdout) if k["role"] == "terminal")["kid"]
    assert ikrar("key", "revoke", term, "--reason", "pensiun", "--at", "2099-01-01").exit_code == 0
    r = ikrar("attest", "--session", "1", "--nip", "200012312024211001", "--yes", env=PASS)
    assert r.exit_code == 0, r.stderr


# -- (c) passphrase strength and KDF cost ---------------------------------------------------


@pytest.mark.parametrize(
    ("passphrase", "reason"),
    [
        ("7391", "The passphrase is too short (4 characters; at least 10)"),
        ("12345678901234", "A passphrase of digits only is too easy to guess"),
        ("aaaaaaaaaaaa", "The passphrase is too easy to guess (a common word, name, date, pattern or repetition)"),
        ("password1234", "The passphrase is too easy to guess (a common word, name, date, pattern or repetition)"),
        ("Pilkada2024!", "The passphrase is too easy to guess (a common word, name, date, pattern or repetition)"),
        ("kabupatenuji", "The passphrase is too easy to guess (a common word, name, date, pattern or repetition)"),
    ],
)
def test_weak_passphrases_are_refused(ikrar, workspace: Path, passphrase: str, reason: str) -> None:
    r = ikrar("--lang", "en", "key", "init-authority", env={"IKRAR_PASSPHRASE": passphrase})
    assert r.exit_code == 6
    assert r.stderr == f"ikrar: {reason} — use 10 or more characters, e.g. three or four unrelated words\n"
    assert not (workspace / "keys" / "authority.key").exists()
    r = ikrar("key", "init-authority", env={"IKRAR_PASSPHRASE": passphrase})
    assert r.exit_code == 6 and "gunakan 10 karakter atau lebih" in r.stderr


@pytest.mark.real_kdf
def test_strong_passphrase_is_accepted_and_kdf_is_costly(ikrar, workspace: Path) -> None:
    assert ikrar("key", "init-authority", env={"IKRAR_PASSPHRASE": "kopi tubruk di halaman"}).exit_code == 0
    doc = read_key_header(workspace / "keys" / "authority.key")
    assert SCRYPT_N == 2**17
    assert doc["kdf"] == {"name": "scrypt", "n": 2**17, "r": 8, "p": 1, "salt": doc["kdf"]["salt"]}


def _old_key_file(path: Path, passphrase: bytes) -> bytes:
    """A key file as ikrar wrote it before this change (scrypt n=2^15), built from docs/keys.md."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    from ikrar_cli.keys.keyfiles import canonical_json, key_id

    key = Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    header = {
        "format": "ikrar-key/1",
        "role": "terminal",
        "name": "lama",
        "unit": None,
        "kid": key_id(pub).hex(),
        "public_key": base64.b64encode(pub).decode(),
    }
    salt, nonce = os.urandom(16), os.urandom(12)
    derived = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase)
    secret = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ct = ChaCha20Poly1305(derived).encrypt(nonce, secret, canonical_json(header))
    b = base64.b64encode
    doc = dict(
        header,
        kdf={"name": "scrypt", "n": 2**15, "r": 8, "p": 1, "salt": b(salt).decode()},
        cipher="chacha20poly1305",
        nonce=b(nonce).decode(),
        ciphertext=b(ct).decode(),
    )
    path.write_text(json.dumps(doc, indent=2) + "\n")
    path.chmod(0o600)
    return secret


def test_key_file_with_the_old_kdf_parameters_still_loads(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    f = tmp_path / "terminal-lama.key"
    secret = _old_key_file(f, b"kata-sandi-lama")  # old files predate the strength rule too
    key = load_private_key(f, b"kata-sandi-lama")
    assert key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()) == secret


def test_kdf_parameters_that_ask_for_too_much_memory_are_refused(tmp_path: Path) -> None:
    from ikrar_cli.errors import KeyAccessError

    f = tmp_path / "k.key"
    _old_key_file(f, b"kata-sandi-lama")
    doc = json.loads(f.read_text())
    doc["kdf"].update(n=2**19)  # 512 MiB per guess: a planted file must not exhaust memory
    f.write_text(json.dumps(doc))
    with pytest.raises(KeyAccessError, match="bukan berkas kunci ikrar"):  # not "wrong passphrase"
        load_private_key(f, b"kata-sandi-lama")


# -- (f) a key file is never overwritten ----------------------------------------------------


def test_terminal_names_that_sanitise_alike_get_distinct_key_files(ikrar, workspace: Path) -> None:
    assert ikrar("key", "init-authority", env=ENV).exit_code == 0
    r1 = ikrar("key", "new-terminal", "apel 1", "--json", env=ENV)
    r2 = ikrar("key", "new-terminal", "apel_1", "--json", env=ENV)
    assert r1.exit_code == r2.exit_code == 0, r2.stderr
    files = sorted(p.name for p in (workspace / "keys").iterdir())
    assert files == ["authority.key", "terminal-apel_1-2.key", "terminal-apel_1.key"]
    first = read_key_header(workspace / "keys" / "terminal-apel_1.key")
    second = read_key_header(workspace / "keys" / "terminal-apel_1-2.key")
    assert first["kid"] == json.loads(r1.stdout)["key"]["kid"] and first["name"] == "apel 1"
    assert second["kid"] == json.loads(r2.stdout)["key"]["kid"] and second["name"] == "apel_1"
    # both keys still open with their own files
    from ikrar_cli.keys.keyfiles import load_terminal_signer
    from ikrar_cli.workspace import Workspace

    ws = Workspace.open(workspace)
    for name, r in (("apel 1", r1), ("apel_1", r2)):
        assert ikrar("key", "certify", name, env=ENV).exit_code == 0
        assert load_terminal_signer(ws, SECRET.encode(), name).kid.hex() == json.loads(r.stdout)["key"]["kid"]
    ws.close()


def test_an_existing_authority_key_file_is_never_replaced(ikrar, workspace: Path) -> None:
    keys = workspace / "keys"
    keys.mkdir(mode=0o700, exist_ok=True)
    (keys / "authority.key").write_bytes(b"kunci lama dari cadangan\n")
    r = ikrar("--lang", "en", "key", "init-authority", env=ENV)
    assert r.exit_code == 5
    assert r.stderr.startswith(f"ikrar: Key file {keys / 'authority.key'} already exists and is never overwritten")
    assert (keys / "authority.key").read_bytes() == b"kunci lama dari cadangan\n"
    assert sorted(p.name for p in keys.iterdir()) == ["authority.key"]  # no temporary file left


def test_create_new_file_refuses_an_existing_file(tmp_path: Path) -> None:
    from ikrar_cli.platform_guard import create_new_file

    f = tmp_path / "x.key"
    create_new_file(f, b"satu")
    with pytest.raises(FileExistsError):
        create_new_file(f, b"dua")
    assert f.read_bytes() == b"satu"
    assert f.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["x.key"]


# -- (d) no secret reaches a child; (e) no core dump while a key is unlocked ----------------

CHILD = """
import json, os, sys
limits = open("/proc/self/limits").read() if os.path.exists("/proc/self/limits") else ""
core = [l for l in limits.splitlines() if l.startswith("Max core file size")]
with open(os.environ["IKRAR_TEST_CHILD_OUT"], "w") as fh:
    json.dump({"env": dict(os.environ), "core": core[0].split()[4] if core else None, "argv": sys.argv}, fh)
"""


def test_print_cmd_child_gets_no_secret_and_no_core_dumps(ikrar, tmp_path: Path) -> None:
    import resource

    import pexpect
    from test_recitation import PASS, setup_terminal

    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if hard == 0:
        pytest.skip("core dumps are forbidden on this machine (hard RLIMIT_CORE 0)")
    home = setup_terminal(ikrar, tmp_path)
    script = tmp_path / "printer.py"
    script.write_text(CHILD)
    out = tmp_path / "child.json"
    env = dict(
        os.environ,
        IKRAR_HOME=str(home),
        IKRAR_LANG="en",
        PYTHONPATH=str(ROOT),
        TERM="xterm",
        IKRAR_TEST_CHILD_OUT=str(out),
        MY_SMTP_PASSWORD="surat-rahasia",
        **PASS,
    )

    def core_allowed() -> None:  # the kiosk starts with core dumps allowed, as a shell may have set
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))

    k = pexpect.spawn(
        sys.executable,
        ["-m", "ikrar_cli", "recite", "--session", "1", "--slip-dir", str(tmp_path / "slips"), "--print-cmd",
         f"{sys.executable} {script}"],
        env=env,
        encoding="utf-8",
        timeout=120,  # a bound for a hung kiosk only (a busy CI machine runs two tests at once)
        dimensions=(24, 80),
        preexec_fn=core_allowed,
    )
    k.expect("Type or scan the NIP")
    k.sendline("200012312024211001")
    k.expect(r"right officer\? \[Y/n\]")
    k.sendline("")
    k.expect("SAYA BERIKRAR")
    k.sendline("SAYA BERIKRAR")
    k.expect("Sent to the printer.")
    k.expect("Press Enter for the next officer")
    k.sendline("")
    k.expect(r"pledged")
    k.expect("Type or scan the NIP")
    k.sendline("SELESAI")  # a deliberate quit (an empty line no longer closes the kiosk)
    k.expect(r"\(y/N\)")
    k.sendline("y")
    k.expect(pexpect.EOF)
    seen = json.loads(out.read_text())
    assert seen["argv"][1].endswith(".pdf")
    assert "IKRAR_PASSPHRASE" not in seen["env"] and "MY_SMTP_PASSWORD" not in seen["env"]
    assert SECRET.encode() not in json.dumps(seen).encode() and "rahasia-uji" not in json.dumps(seen)
    assert seen["env"]["IKRAR_TEST_CHILD_OUT"] == str(out)  # the rest of the environment is passed on
    assert seen["core"] == "0"  # inherited from the kiosk, which turned core dumps off


UNLOCK = """
import ctypes, json, resource, sys
from pathlib import Path
soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
libc = ctypes.CDLL(None)
before = (resource.getrlimit(resource.RLIMIT_CORE)[0], libc.prctl(3, 0, 0, 0, 0))
from ikrar_cli.keys.keyfiles import load_private_key
load_private_key(Path(sys.argv[1]), sys.argv[2].encode())
after = (resource.getrlimit(resource.RLIMIT_CORE)[0], libc.prctl(3, 0, 0, 0, 0))
print(json.dumps({"before": before, "after": after}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_CORE and prctl are Linux facts")
def test_a_process_that_unlocks_a_key_cannot_dump_core(tmp_path: Path) -> None:
    import resource

    if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
        pytest.skip("core dumps are forbidden on this machine (hard RLIMIT_CORE 0)")
    f = tmp_path / "k.key"
    _old_key_file(f, b"kata-sandi-lama")
    r = subprocess.run(
        [sys.executable, "-c", UNLOCK, str(f), "kata-sandi-lama"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        check=True,
    )
    seen = json.loads(r.stdout)
    assert seen["before"][0] != 0 and seen["before"][1] == 1  # could dump before
    assert seen["after"] == [0, 0]  # RLIMIT_CORE soft 0, and not dumpable


def test_child_env_drops_every_secret() -> None:
    from ikrar_cli.childproc import child_env

    env = {"IKRAR_PASSPHRASE": "x", "PATH": "/bin", "DB_PASSWORD": "y", "GH_TOKEN": "z", "IKRAR_HOME": "/h"}
    assert child_env(env) == {"PATH": "/bin", "IKRAR_HOME": "/h"}


# -- (g) trust bundle rollback --------------------------------------------------------------


def _two_bundles(ikrar, tmp_path: Path) -> tuple[Path, Path, str, str]:
    """An authority signs a receipt, exports serial 1, revokes the terminal, exports serial 2."""
    from test_keys_trust_cli import _receipt
    from tests_paths import home_of

    kid = _authority_and_terminal(ikrar)
    receipt = _receipt(home_of(ikrar))
    fp = next(k for k in json.loads(ikrar("key", "list", "--json").stdout) if k["role"] == "authority")["fingerprint"]
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert ikrar("trust", "export", "--out", str(old), env=ENV).exit_code == 0
    assert ikrar("key", "revoke", kid, "--reason", "dicuri", "--at", "2024-01-02").exit_code == 0
    assert ikrar("trust", "export", "--out", str(new), env=ENV).exit_code == 0
    return old, new, receipt, fp


def test_an_older_bundle_is_refused_by_verify_and_merge(ikrar, workspace: Path, tmp_path: Path) -> None:
    old, new, receipt, fp = _two_bundles(ikrar, tmp_path)
    aud = ["--home", str(tmp_path / "auditor")]
    assert ikrar(*aud, "init", "--code", "AUD", "--timezone", "WITA").exit_code == 0
    assert ikrar(*aud, "trust", "add", str(new), "--fingerprint", fp).exit_code == 0
    assert json.loads(ikrar(*aud, "--json", "verify", receipt).stdout)["reason"] == "key_revoked"
    line = (
        f"ikrar: {old}: trust bundle serial 1 is older than serial 2, which this workspace already trusts; "
        "it may lack later revocations — use the latest bundle from the authority, or leave out --bundle "
        "to use the trusted one\n"
    )
    r = ikrar(*aud, "--lang", "en", "verify", "--bundle", str(old), receipt)
    assert (r.exit_code, r.stdout, r.stderr) == (8, "", line)
    r = ikrar(*aud, "--json", "verify", "--bundle", str(old), receipt)
    assert json.loads(r.stdout)["error"]["code"] == "older_bundle"
    export = tmp_path / "terminal.jsonl"
    export.write_text("")
    r = ikrar(*aud, "--lang", "en", "ledger", "merge", "--bundle", str(old), str(export))
    assert (r.exit_code, r.stderr) == (8, line)
    # the same or a newer bundle is fine
    assert json.loads(ikrar(*aud, "--json", "verify", "--bundle", str(new), receipt).stdout)["reason"] == "key_revoked"
    # and on the authority's own workspace, which exported serial 2
    r = ikrar("--lang", "en", "verify", "--bundle", str(old), receipt)
    assert r.exit_code == 8 and "serial 1 is older than serial 2" in r.stderr


def test_pinned_bundle_is_the_highest_serial_not_the_latest_accepted(ikrar, workspace: Path, tmp_path: Path) -> None:
    old, new, receipt, fp = _two_bundles(ikrar, tmp_path)
    aud = tmp_path / "auditor"
    assert ikrar("--home", str(aud), "init", "--code", "AUD").exit_code == 0
    assert ikrar("--home", str(aud), "trust", "add", str(old), "--fingerprint", fp).exit_code == 0
    assert ikrar("--home", str(aud), "trust", "add", str(new)).exit_code == 0
    with sqlite3.connect(aud / "ikrar.db") as db:  # serial 2 was accepted under a clock a year slow
        db.execute("UPDATE trust_bundles SET accepted_at = accepted_at - 366 * 86400 WHERE serial = 2")
    r = ikrar("--home", str(aud), "--json", "verify", receipt)
    assert r.exit_code == 1 and json.loads(r.stdout)["reason"] == "key_revoked"


# -- narrow excepts: a tampered bundle is an error, not "no bundle" --------------------------


def test_report_refuses_a_tampered_trust_bundle_instead_of_ignoring_its_revocations(ikrar, tmp_path: Path) -> None:
    """`report` used to swallow every error of the trusted bundle as "no bundle yet", so a
    tampered bundle silently dropped its receipt revocations from the counts."""
    from test_report import site as make_site

    home, receipts, _tmp = make_site.__wrapped__(ikrar, tmp_path)  # type: ignore[attr-defined]
    assert ikrar("trust", "revoke-receipt", receipts["197803122005011002"], "--reason", "salah catat").exit_code == 0
    bundle = tmp_path / "b.json"
    assert ikrar("trust", "export", "--out", str(bundle), env={"IKRAR_PASSPHRASE": "rahasia-uji"}).exit_code == 0
    fp = next(k for k in json.loads(ikrar("key", "list", "--json").stdout) if k["role"] == "authority")["fingerprint"]
    with sqlite3.connect(home / "ikrar.db") as db:  # now a workspace that knows revocations only from the bundle
        db.execute("UPDATE keys SET file = NULL WHERE role = 'authority'")
        db.execute("DELETE FROM receipt_revocations")
    assert ikrar("trust", "add", str(bundle), "--fingerprint", fp).exit_code == 0
    args = ("--lang", "en", "report", "compliance", "--pledge", "pilkada-2024", "--json")
    assert json.loads(ikrar(*args).stdout)["revoked_receipts_left_out"] == 1
    with sqlite3.connect(home / "ikrar.db") as db:
        (data,) = db.execute("SELECT bundle FROM trust_bundles").fetchone()
        db.execute("UPDATE trust_bundles SET bundle = ?", (bytes(data).replace(b"BKPSDM Uji", b"BKPSDM Ujj"),))
    r = ikrar(*args)
    assert r.exit_code == 8 and json.loads(r.stdout)["error"]["kind"] == "trust"
