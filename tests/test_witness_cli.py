"""End to end: `ikrar witness serve` as a real process, the centre asking it for cosignatures,
`ledger verify` / `verify --proof` requiring k of n witnesses, and a rewritten log refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engines import connect_db
from test_recitation import PASS, setup_terminal

WITNESS_NAME = "bawaslu.example/saksi"
OTHER_NAME = "inspektorat.example/saksi"


def _fingerprint(ikrar) -> str:  # type: ignore[no-untyped-def]
    keys = json.loads(ikrar("key", "list", "--json").stdout)
    return next(k["fingerprint"] for k in keys if k["role"] == "authority")


@pytest.fixture
def centre(ikrar, tmp_path: Path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A workspace with a terminal, one signed checkpoint, and two witnesses following its bundle."""
    home = setup_terminal(ikrar, tmp_path)
    r = ikrar("attest", "--session", "1", "--nip", "200012312024211001", "--yes", "--json", env=PASS)
    receipt = json.loads(r.stdout)["receipt"]
    assert ikrar("ledger", "checkpoint", env=PASS).exit_code == 0
    bundle = tmp_path / "bundle.json"
    assert ikrar("trust", "export", "--out", str(bundle), env=PASS).exit_code == 0
    vkeys = {}
    for name, folder in ((WITNESS_NAME, "w1"), (OTHER_NAME, "w2")):
        r = ikrar(
            "witness", "init", "--name", name, "--dir", str(tmp_path / folder),
            "--bundle", str(bundle), "--fingerprint", _fingerprint(ikrar), env=PASS,
        )  # fmt: skip
        assert r.exit_code == 0, r.stderr
        vkeys[name] = r.stdout.strip()
    return {"home": home, "receipt": receipt, "vkeys": vkeys, "tmp": tmp_path}


@pytest.fixture
def served(centre: dict[str, object]) -> Iterator[str]:
    """`ikrar witness serve` for the first witness on a free port; its URL from its announcement."""
    tmp = Path(str(centre["tmp"]))
    passfile = tmp / "pass.txt"
    passfile.write_text("rahasia-uji\n")
    env = {k: v for k, v in os.environ.items() if k != "IKRAR_PASSPHRASE"}
    cmd = [sys.executable, "-m", "ikrar_cli", "--lang", "en", "witness", "serve", "--dir", str(tmp / "w1")]
    proc = subprocess.Popen(
        [*cmd, "--port", "0", "--passphrase-file", str(passfile)], env=env, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # wait for the announcement, not for a duration
        seen.append(line)
        if "listening on" in line:
            break
    else:
        proc.wait()
        pytest.fail("the witness did not start: " + "".join(seen))
    url = line.rsplit(" ", 1)[1].strip()
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait()


def _policy(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_centre_gets_cosignatures_and_verifiers_require_k_of_n(ikrar, centre, served: str) -> None:
    tmp = Path(str(centre["tmp"]))
    vkeys: dict[str, str] = centre["vkeys"]  # type: ignore[assignment]
    one = _policy(tmp / "one.txt", f"# Bawaslu\nwitness bawaslu {vkeys[WITNESS_NAME]} {served}\nquorum bawaslu\n")
    two = _policy(
        tmp / "two.txt",
        f"witness bawaslu {vkeys[WITNESS_NAME]} {served}\nwitness inspektorat {vkeys[OTHER_NAME]}\n"
        "group keduanya all bawaslu inspektorat\nquorum keduanya\n",
    )
    any_of = _policy(tmp / "any.txt", two.read_text().replace("group keduanya all", "group keduanya any"))

    # before any cosignature, even one witness is missing
    r = ikrar("--lang", "en", "ledger", "verify", "--witness-policy", str(one))
    assert r.exit_code == 1 and "no cosignature from bawaslu" in r.stdout

    r = ikrar("ledger", "witness", "--witness-policy", str(one), "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    outcome = json.loads(r.stdout)["outcomes"]
    assert [(o["witness"], o["status"]) for o in outcome] == [("bawaslu", "cosigned")]

    r = ikrar("--lang", "en", "ledger", "verify", "--witness-policy", str(one))
    assert r.exit_code == 0 and "cosigned by bawaslu" in r.stdout
    r = ikrar("--lang", "en", "ledger", "verify", "--witness-policy", str(any_of))
    assert r.exit_code == 0
    r = ikrar("--lang", "en", "ledger", "verify", "--witness-policy", str(two), "--json")
    assert r.exit_code == 1
    check = json.loads(r.stdout)["witnesses"]
    (log_check,) = check.values()
    assert (log_check["valid"], log_check["missing"], log_check["ok"]) == (["bawaslu"], ["inspektorat"], False)

    # the centre's server (ikrar serve) publishes the cosigned checkpoint, and proofs that carry it
    from starlette.testclient import TestClient

    from ikrar_cli.receipts.receipt import decode_receipt
    from ikrar_cli.server.app import create_app

    index = decode_receipt(str(centre["receipt"])).claims.ledger_index
    client = TestClient(create_app(Path(str(centre["home"]))))
    (log,) = client.get("/v1/logs").json()["logs"]
    served_note = client.get(f"/v1/logs/{log['log']}/checkpoint").text
    served_proof = client.get(f"/v1/logs/{log['log']}/proof/{index}").text
    assert f"\n— {WITNESS_NAME} " in served_note and f"\n— {WITNESS_NAME} " in served_proof
    fetched = tmp / "served-proof.txt"
    fetched.write_text(served_proof)
    r = ikrar("--lang", "en", "verify", str(centre["receipt"]), "--proof", str(fetched), "--witness-policy", str(one))
    assert r.exit_code == 0, r.stdout + r.stderr + served_proof

    # the inclusion proof carries the cosignature: checked offline against the policy
    proof = tmp / "proof.txt"
    receipt = str(centre["receipt"])
    assert ikrar("ledger", "prove", receipt, "--out", str(proof)).exit_code == 0
    assert f"\n— {WITNESS_NAME} " in proof.read_text()
    assert ikrar("verify", receipt, "--proof", str(proof), "--witness-policy", str(one)).exit_code == 0
    r = ikrar("--lang", "en", "verify", receipt, "--proof", str(proof), "--witness-policy", str(two), "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["reason"] == "witness_quorum" and "no cosignature from inspektorat" in doc["message"]
    # a cosignature line altered by one character no longer counts, and says so
    text = proof.read_text()
    line = next(x for x in text.splitlines() if x.startswith(f"— {WITNESS_NAME} "))
    blob = line.split(" ")[2]
    bad = blob[:30] + ("A" if blob[30] != "A" else "B") + blob[31:]
    proof.write_text(text.replace(blob, bad))
    r = ikrar("--lang", "en", "verify", receipt, "--proof", str(proof), "--witness-policy", str(one))
    assert r.exit_code == 1 and "invalid cosignature from bawaslu" in r.stdout

    # the log grows: the witness checks consistency from what it cosigned
    assert ikrar("attest", "--session", "1", "--nip", "197803122005011002", "--yes", env=PASS).exit_code == 0
    assert ikrar("ledger", "checkpoint", env=PASS).exit_code == 0
    r = ikrar("ledger", "witness", "--witness-policy", str(one), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["outcomes"][0]["status"] == "cosigned"
    r = ikrar("ledger", "witness", "--witness-policy", str(one), "--json")
    assert json.loads(r.stdout)["outcomes"][0]["status"] == "up_to_date"
    size = json.loads(r.stdout)["outcomes"][0]["size"]

    # the centre forgets what the witness has: the witness's 409 names its size and the centre resends
    home = Path(str(centre["home"]))
    conn = connect_db(home)
    conn.execute("DELETE FROM cosignatures")
    conn.commit()
    r = ikrar("ledger", "witness", "--witness-policy", str(one), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["outcomes"][0]["status"] == "cosigned", r.stdout
    r = ikrar("witness", "show", "--dir", str(tmp / "w1"), "--json")
    (state,) = [x for x in json.loads(r.stdout)["logs"] if x["size"] is not None]
    assert state["size"] == size

    # the centre rewrites entry 0 and re-signs a bigger checkpoint with the terminal's own key
    conn.execute("UPDATE ledger_entries SET leaf_hash = ? WHERE idx = 0", (bytes(32),))
    conn.commit()
    assert ikrar("session", "close", "1", env=PASS).exit_code == 0  # appends a record, signs a checkpoint
    r = ikrar("--lang", "en", "ledger", "witness", "--witness-policy", str(one))
    assert r.exit_code == 1, r.stdout
    assert "bawaslu" in r.stdout and "HTTP 422" in r.stdout and "not consistent" in r.stdout
    assert any((tmp / "w1" / "evidence").iterdir())


def test_offline_cosign_and_show(ikrar, centre) -> None:  # type: ignore[no-untyped-def]
    tmp = Path(str(centre["tmp"]))
    note = ikrar("ledger", "checkpoint", env=PASS).stdout
    cp = tmp / "cp.txt"
    cp.write_text(note)
    r = ikrar("witness", "cosign", "--dir", str(tmp / "w2"), "--checkpoint", str(cp), env=PASS)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith(f"— {OTHER_NAME} ") and r.stdout.endswith("\n")
    from ikrar_cli.witness.policy import check_note, parse_policy

    vkey = centre["vkeys"][OTHER_NAME]  # type: ignore[index]
    policy = parse_policy(f"witness inspektorat {vkey}\nquorum inspektorat\n")
    assert check_note(policy, note + r.stdout).ok
    # the same again is a retry; an older size claimed is a conflict naming the witness's size
    assert ikrar("witness", "cosign", "--dir", str(tmp / "w2"), "--checkpoint", str(cp), env=PASS).exit_code == 0
    r = ikrar("--lang", "en", "witness", "cosign", "--dir", str(tmp / "w2"), "--checkpoint", str(cp), "--old", "1",
              env=PASS)  # fmt: skip
    assert r.exit_code == 5 and "last cosigned" in r.stderr
    r = ikrar("--lang", "en", "witness", "show", "--dir", str(tmp / "w2"))
    assert r.exit_code == 0 and "vkey    inspektorat.example/saksi+" in r.stdout and "size " in r.stdout


def test_serve_refuses_a_public_address_without_tls(ikrar, tmp_path: Path) -> None:
    assert ikrar("witness", "init", "--name", WITNESS_NAME, "--dir", str(tmp_path / "w"), env=PASS).exit_code == 0
    r = ikrar("--lang", "en", "witness", "serve", "--dir", str(tmp_path / "w"), "--host", "0.0.0.0", env=PASS)
    assert r.exit_code == 2 and "without TLS" in r.stderr
    r = ikrar("--lang", "en", "witness", "init", "--name", "bad name", "--dir", str(tmp_path / "x"), env=PASS)
    assert r.exit_code == 3 and "not a valid witness name" in r.stderr
    r = ikrar("--lang", "en", "witness", "init", "--name", WITNESS_NAME, "--dir", str(tmp_path / "w"), env=PASS)
    assert r.exit_code == 5 and "already exists" in r.stderr


def _post(url: str, body: bytes, lang: str | None = None) -> tuple[int, str, str]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url + "/add-checkpoint", data=body, method="POST")
    if lang:
        req.add_header("Accept-Language", lang)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


def test_http_statuses_of_add_checkpoint(ikrar, centre, served: str) -> None:  # type: ignore[no-untyped-def]
    """The witness process answers as c2sp.org/tlog-witness prescribes."""
    from ikrar_cli.witness.protocol import format_request

    note = ikrar("ledger", "checkpoint", env=PASS).stdout
    status, ctype, body = _post(served, format_request(0, [], note))
    assert status == 200 and body.startswith(f"— {WITNESS_NAME} ") and body.endswith("\n")
    size = int(note.split("\n")[1])
    status, ctype, body = _post(served, format_request(0, [], note))  # old size no longer 0
    assert (status, ctype.split(";")[0], body) == (409, "text/x.tlog.size", f"{size}\n")
    status, _ctype, body = _post(served, format_request(size, [], note))  # a retry of the same
    assert status == 200
    assert _post(served, format_request(size + 1, [], note))[0] == 400
    assert _post(served, b"old 01\n\n" + note.encode())[0] == 400
    assert _post(served, format_request(0, [], note.replace("ikrar/UJI/", "ikrar/LAIN/")))[0] == 404
    forged = note.rsplit(" ", 1)[0] + " " + base64_of_other_signature(note)
    assert _post(served, format_request(size, [], forged))[0] == 403


def test_witness_answers_in_the_askers_language(ikrar, centre, served: str) -> None:  # type: ignore[no-untyped-def]
    """The witness runs with --lang en; a request without Accept-Language is answered in Bahasa
    Indonesia, one asking for English in English (docs/server.md, "Errors and languages")."""
    from ikrar_cli.i18n import _, speaking
    from ikrar_cli.witness.protocol import format_request

    note = ikrar("ledger", "checkpoint", env=PASS).stdout
    unknown = format_request(0, [], note.replace("ikrar/UJI/", "ikrar/LAIN/"))
    origin = note.replace("ikrar/UJI/", "ikrar/LAIN/").split("\n")[0]
    answers = {lang: _post(served, unknown, lang) for lang in (None, "en", "id;q=0.5, en")}
    assert {a[0] for a in answers.values()} == {404}
    assert answers[None][2] != answers["en"][2] == answers["id;q=0.5, en"][2]
    for lang, (_s, _c, body) in answers.items():
        with speaking("en" if lang else "id"):
            assert body == _("This witness does not follow the log {origin}", origin=origin) + "\n", lang


def base64_of_other_signature(note: str) -> str:
    import base64

    blob = base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])
    return base64.b64encode(blob[:4] + bytes(64)).decode() + "\n"


def test_follow_refuses_an_older_bundle_and_another_authority(ikrar, centre) -> None:  # type: ignore[no-untyped-def]
    tmp = Path(str(centre["tmp"]))
    newer = tmp / "newer.json"
    assert ikrar("trust", "export", "--out", str(newer), env=PASS).exit_code == 0
    r = ikrar("--lang", "en", "witness", "follow", "--dir", str(tmp / "w1"), "--bundle", str(newer), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["logs"] == 1
    r = ikrar("--lang", "en", "witness", "follow", "--dir", str(tmp / "w1"), "--bundle", str(tmp / "bundle.json"))
    assert r.exit_code == 8 and "older than serial" in r.stderr
    other = "SHA256:" + "ab" * 32
    r = ikrar(
        "--lang", "en", "witness", "follow", "--dir", str(tmp / "w1"), "--bundle", str(newer), "--fingerprint", other
    )
    assert r.exit_code == 8 and "names another" in r.stderr
    r = ikrar("--lang", "en", "verify", str(centre["receipt"]), "--witness-policy", str(tmp / "none.txt"))
    assert r.exit_code == 2 and "--proof" in r.stderr


def test_offline_round_trip_through_files(ikrar, centre) -> None:  # type: ignore[no-untyped-def]
    """No network between centre and witness: request files out, cosignature files back."""
    tmp = Path(str(centre["tmp"]))
    vkey = centre["vkeys"][OTHER_NAME]  # type: ignore[index]
    policy = _policy(tmp / "p.txt", f"witness inspektorat {vkey}\nquorum inspektorat\n")
    out = tmp / "requests"
    r = ikrar("ledger", "witness", "--witness-policy", str(policy), "--request-out", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    (req,) = json.loads(r.stdout)["requests"]
    body = Path(req["file"]).read_text()
    assert body.startswith("old 0\n\nikrar/UJI/")
    r = ikrar("witness", "cosign", "--dir", str(tmp / "w2"), "--request", req["file"], env=PASS)
    assert r.exit_code == 0, r.stderr
    back = tmp / "back.txt"
    back.write_text(body + r.stdout)
    assert ikrar("ledger", "verify", "--witness-policy", str(policy)).exit_code == 1
    r = ikrar("ledger", "witness", "--witness-policy", str(policy), "--add", str(back), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["added"][0]["witnesses"] == ["inspektorat"]
    assert ikrar("ledger", "verify", "--witness-policy", str(policy)).exit_code == 0
    # nothing left to ask; a line altered on the way is not stored
    r = ikrar("ledger", "witness", "--witness-policy", str(policy), "--request-out", str(out), "--json")
    assert json.loads(r.stdout)["requests"] == []
    line = r.stdout
    tampered = tmp / "tampered.txt"
    text = back.read_text()
    sig = text.rstrip("\n").rsplit(" ", 1)[1]
    tampered.write_text(text.replace(sig, sig[:20] + ("A" if sig[20] != "A" else "B") + sig[21:]))
    r = ikrar("ledger", "witness", "--witness-policy", str(policy), "--add", str(tampered), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["added"][0]["witnesses"] == [], line
