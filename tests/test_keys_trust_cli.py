"""Keys, trust bundles and `ikrar verify` through the CLI, as the three kinds of users run them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from ikrar_cli.keys.keyfiles import SCRYPT_N, load_private_key, read_key_header

SECRET = "rahasia-uji-12345"
ENV = {"IKRAR_PASSPHRASE": SECRET}


def _setup_authority(ikrar, workspace: Path) -> str:
    r = ikrar("key", "init-authority", env=ENV)
    assert r.exit_code == 0, r.stderr
    fp = r.stdout.strip()
    assert fp.startswith("SHA256:") and len(fp) == 71
    assert ikrar("key", "new-terminal", "apel-1", "--unit", "DINKES", env=ENV).exit_code == 0
    r = ikrar("key", "certify", "apel-1", "--valid-from", "2024-01-01", env=ENV)
    assert r.exit_code == 0, r.stderr
    return fp


def _receipt(workspace: Path, **kw: object) -> str:
    from ikrar_cli.keys.keyfiles import load_terminal_signer
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.receipt import Claims, sign_receipt
    from ikrar_cli.workspace import Workspace

    ws = Workspace.open(workspace)
    signer = load_terminal_signer(ws, SECRET.encode())
    p = PledgeLibrary.load().get("pilkada-2024")
    fields = dict(
        pledge_id=p.id,
        pledge_version=p.version,
        pledge_digest=p.digest,
        officer_id="198609262015051001",
        id_type="nip",
        officer_name="Andi Baso",
        unit="DINKES",
        session=1,
        issued_at=int(time.time()) - 5,
        zone="Asia/Makassar",
        method="individual",
        ledger_index=0,
    )
    fields.update(kw)
    text = sign_receipt(Claims(**fields), signer.sign, signer.kid).text  # type: ignore[arg-type]
    ws.close()
    return text


@pytest.mark.real_kdf
def test_key_files_are_encrypted_0600_and_slow_to_guess(ikrar, workspace: Path) -> None:
    _setup_authority(ikrar, workspace)
    files = sorted((workspace / "keys").iterdir())
    assert [f.name for f in files] == ["authority.key", "terminal-apel-1.key"]
    for f in files:
        assert f.stat().st_mode & 0o777 == 0o600
        raw = f.read_bytes()
        assert SECRET.encode() not in raw and b"PRIVATE" not in raw
        doc = read_key_header(f)
        assert doc["kdf"]["name"] == "scrypt" and doc["kdf"]["n"] == SCRYPT_N >= 2**15


def test_key_file_readable_by_others_is_refused(ikrar, workspace: Path) -> None:
    _setup_authority(ikrar, workspace)
    key = workspace / "keys" / "authority.key"
    os.chmod(key, 0o644)
    r = ikrar("--lang", "en", "trust", "export", env=ENV)
    assert r.exit_code == 6
    assert r.stderr == (f"ikrar: Key file {key} can be read by other users (mode 0o644) — run: chmod 600 {key}\n")


def test_wrong_passphrase_says_so_and_reveals_nothing(ikrar, workspace: Path) -> None:
    _setup_authority(ikrar, workspace)
    r = ikrar("--json", "trust", "export", env={"IKRAR_PASSPHRASE": "salah"})
    assert r.exit_code == 6
    key = workspace / "keys" / "authority.key"
    assert r.stderr == (
        f"ikrar: Frasa sandi salah untuk {key} — coba lagi; frasa sandi membedakan huruf besar dan kecil\n"
    )
    assert "salah" not in json.loads(r.stdout)["error"]["message"].replace("Frasa sandi salah", "")


def test_no_secret_in_any_output(ikrar, workspace: Path, tmp_path: Path) -> None:
    outputs = []
    for args in (
        ["key", "init-authority"],
        ["key", "new-terminal", "t1"],
        ["key", "certify", "t1"],
        ["key", "list", "--json"],
        ["trust", "export", "--json", "--out", str(tmp_path / "b.json")],
        ["trust", "show", "--json"],
    ):
        r = ikrar(*args, env=ENV)
        assert r.exit_code == 0, (args, r.stderr)
        outputs += [r.stdout, r.stderr]
    secret_key = load_private_key(workspace / "keys" / "authority.key", SECRET.encode())
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    raw = secret_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    for text in outputs + [(tmp_path / "b.json").read_text()]:
        assert SECRET not in text
        assert raw.hex() not in text
        import base64

        assert base64.b64encode(raw).decode() not in text


def test_passphrase_never_from_argv_and_no_tty_is_explained(ikrar, workspace: Path) -> None:
    r = ikrar("--lang", "en", "key", "init-authority")
    assert r.exit_code == 6
    assert r.stderr == (
        "ikrar: A key passphrase is needed but there is no terminal to ask on — set "
        "IKRAR_PASSPHRASE or use --passphrase-file FILE\n"
    )
    assert ikrar("key", "init-authority", "--passphrase", "x").exit_code == 2


def test_passphrase_file(ikrar, workspace: Path, tmp_path: Path) -> None:
    pf = tmp_path / "pass.txt"
    pf.write_text(SECRET + "\n")
    assert ikrar("key", "init-authority", "--passphrase-file", str(pf)).exit_code == 0
    assert load_private_key(workspace / "keys" / "authority.key", SECRET.encode())


def test_key_list_and_revoke(ikrar, workspace: Path) -> None:
    _setup_authority(ikrar, workspace)
    keys = json.loads(ikrar("key", "list", "--json").stdout)
    term = next(k for k in keys if k["role"] == "terminal")
    assert term["certified"] and term["unit"] == "DINKES" and term["revoked_at"] is None
    r = ikrar(
        "key", "revoke", term["kid"], "--reason", "terminal dicuri", "--at", "2024-10-01T08:00:00+08:00", "--json"
    )
    assert r.exit_code == 0
    assert json.loads(r.stdout)["revoked_at"] == 1727740800
    keys = json.loads(ikrar("key", "list", "--json").stdout)
    assert next(k for k in keys if k["role"] == "terminal")["revoked_reason"] == "terminal dicuri"
    assert ikrar("key", "revoke", "00" * 8, "--reason", "x").exit_code == 4
    assert ikrar("key", "revoke", "zz", "--reason", "x").exit_code == 3


def test_separate_terminal_request_certificate_flow(ikrar, tmp_path: Path) -> None:
    auth, term = tmp_path / "auth", tmp_path / "term"
    assert ikrar("--home", str(auth), "init").exit_code == 0
    assert ikrar("--home", str(term), "init").exit_code == 0
    assert ikrar("--home", str(auth), "key", "init-authority", env=ENV).exit_code == 0
    req = tmp_path / "req.json"
    assert ikrar("--home", str(term), "key", "new-terminal", "apel-2", "--out", str(req), env=ENV).exit_code == 0
    cert = tmp_path / "cert.json"
    r = ikrar("--home", str(auth), "key", "certify", str(req), "--out", str(cert), env=ENV)
    assert r.exit_code == 0, r.stderr
    assert ikrar("--home", str(term), "key", "import-cert", str(cert)).exit_code == 0
    keys = json.loads(ikrar("--home", str(term), "key", "list", "--json").stdout)
    assert keys[0]["certified"] is True
    # the authority workspace cannot import a certificate for a key it does not hold
    assert ikrar("--home", str(auth), "key", "import-cert", str(cert)).exit_code == 4


def _export(ikrar, workspace: Path, out: Path) -> dict:
    r = ikrar("trust", "export", "--out", str(out), "--json", env=ENV)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_trust_bundle_pinning_serials_and_tamper(ikrar, workspace: Path, tmp_path: Path) -> None:
    fp = _setup_authority(ikrar, workspace)
    b1, b2 = tmp_path / "b1.json", tmp_path / "b2.json"
    assert _export(ikrar, workspace, b1)["serial"] == 1
    assert _export(ikrar, workspace, b2)["serial"] == 2
    auditor = tmp_path / "auditor"
    assert ikrar("--home", str(auditor), "init").exit_code == 0
    a = ("--home", str(auditor), "--lang", "en")
    r = ikrar(*a, "trust", "add", str(b1))
    assert r.exit_code == 8 and "No authority is trusted" in r.stderr
    wrong = "SHA256:" + "0" * 64
    r = ikrar(*a, "trust", "add", str(b1), "--fingerprint", wrong)
    assert r.exit_code == 8 and "which this workspace does not trust" in r.stderr
    assert ikrar(*a, "trust", "add", str(b1), "--fingerprint", fp).exit_code == 0
    r = ikrar(*a, "trust", "add", str(b1))
    assert r.exit_code == 0 and "already trusted; nothing changed" in r.stderr
    assert ikrar(*a, "trust", "add", str(b2)).exit_code == 0
    r = ikrar(*a, "trust", "add", str(b1))
    assert r.exit_code == 8 and "serial 1 is not newer than the trusted serial 2" in r.stderr
    data = b2.read_bytes()
    for pos in (0, len(data) // 3, len(data) // 2, len(data) - 2):
        edited = bytearray(data)
        edited[pos] = ord("x") if edited[pos] != ord("x") else ord("y")
        bad = tmp_path / f"edit{pos}.json"
        bad.write_bytes(bytes(edited))
        r = ikrar(*a, "trust", "add", str(bad))
        assert r.exit_code == 8, (pos, r.stderr)
    other = tmp_path / "other"
    assert ikrar("--home", str(other), "init").exit_code == 0
    assert ikrar("--home", str(other), "key", "init-authority", env=ENV).exit_code == 0
    ob = tmp_path / "ob.json"
    assert ikrar("--home", str(other), "trust", "export", "--out", str(ob), env=ENV).exit_code == 0
    r = ikrar(*a, "trust", "add", str(ob))
    assert r.exit_code == 8 and "which this workspace does not trust" in r.stderr
    show = json.loads(ikrar(*a, "trust", "show", "--json").stdout)
    assert show["serial"] == 2 and show["authorities"] == [fp] and show["terminals"] == 1


def test_verify_cli_valid_invalid_json_stdin_and_image(ikrar, workspace: Path, tmp_path: Path) -> None:
    _setup_authority(ikrar, workspace)
    good = _receipt(workspace)
    r = ikrar("verify", good)
    assert r.exit_code == 0
    assert r.stdout.startswith("SAH     Andi Baso 198609262015051001 — pilkada-2024@1\n")
    bad = good[:-3] + ("0" if good[-3] != "0" else "1") + good[-2:]
    r = ikrar("--lang", "en", "verify", bad)
    assert r.exit_code == 1 and r.stdout.startswith("INVALID ")
    r = ikrar("verify", "-", "--json", input=f"{good}\n{bad}\n\ngarbage\n")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.exit_code == 1
    assert [x["valid"] for x in lines] == [True, False, False]
    assert lines[2]["reason"] == "malformed" and lines[2]["input"] == "stdin:4"
    from ikrar_cli.receipts.qr import write_png

    png = tmp_path / "slip.png"
    write_png(png, good, ["Andi Baso", "198609262015051001"])
    r = ikrar("verify", str(png), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["receipt"]["officer_id"] == "198609262015051001"
    noqr = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (200, 200), 255).save(noqr)
    r = ikrar("--lang", "en", "verify", str(noqr), "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["message"].startswith("No QR code found in")


def test_verify_with_bundle_file_after_revocation(ikrar, workspace: Path, tmp_path: Path) -> None:
    fp = _setup_authority(ikrar, workspace)
    kid = next(k for k in json.loads(ikrar("key", "list", "--json").stdout) if k["role"] == "terminal")["kid"]
    before = _receipt(workspace, issued_at=int(time.time()) - 100)
    after = _receipt(workspace, issued_at=int(time.time()) + 100)
    assert ikrar("key", "revoke", kid, "--reason", "hilang").exit_code == 0
    b = tmp_path / "b.json"
    _export(ikrar, workspace, b)
    empty = tmp_path / "empty-home"
    r = ikrar("--home", str(empty), "--lang", "en", "verify", before, "--bundle", str(b))
    assert r.exit_code == 8 and "add --fingerprint" in r.stderr
    r = ikrar("--home", str(empty), "verify", before, after, "--bundle", str(b), "--fingerprint", fp, "--json")
    verdicts = [json.loads(x) for x in r.stdout.splitlines()]
    assert [v["reason"] for v in verdicts] == ["valid", "key_revoked"]
    assert r.exit_code == 1


def test_revoke_receipt_then_verify(ikrar, workspace: Path) -> None:
    _setup_authority(ikrar, workspace)
    good = _receipt(workspace)
    assert ikrar("trust", "revoke-receipt", good, "--reason", "keliru").exit_code == 0
    r = ikrar("verify", good, "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["reason"] == "receipt_revoked"


@pytest.mark.parametrize("arg", ["", "IKR1:", "IKR1:" + "Z" * 5000, "\x00\xff", "https://x/#"])
def test_verify_never_tracebacks(ikrar, workspace: Path, arg: str) -> None:
    _setup_authority(ikrar, workspace)
    r = ikrar("verify", arg, "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["valid"] is False
