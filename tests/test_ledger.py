"""The transparency log: RFC 6962 vectors, proofs, checkpoints, and every kind of tampering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from engines import connect_db, connect_store, open_test_store
from hypothesis import given
from hypothesis import strategies as st

from ikrar_cli.errors import VerificationError
from ikrar_cli.keys.keyfiles import raw_public
from ikrar_cli.ledger.checkpoint import (
    format_proof,
    note_key_hash,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
    verify_inclusion_proof,
)
from ikrar_cli.ledger.log import Ledger
from ikrar_cli.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_of,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)
from ikrar_cli.store.core import Store

# Certificate Transparency reference test data (RFC 6962 trees over these eight leaves)
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUB = raw_public(KEY)
ORIGIN = "ikrar/UJI/0011223344556677"


def test_ct_reference_roots() -> None:
    hashes = [leaf_hash(x) for x in CT_LEAVES]
    assert root_of([]) == EMPTY_ROOT
    assert [root_of(hashes[:n]).hex() for n in range(1, 9)] == CT_ROOTS
    assert all(subtree_root(hashes, 0, n).hex() == CT_ROOTS[n - 1] for n in range(1, 9))


def test_ct_reference_inclusion_path() -> None:
    # RFC 6962 example tree of 7 leaves (§2.1.3): the path for d0 is [b, h, l] = [H(d1), H(c,d), H(i,j) ...]
    hashes = [leaf_hash(x) for x in CT_LEAVES]
    path = inclusion_proof(hashes, 0, 8)
    assert [p.hex() for p in path] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert verify_inclusion(hashes[0], 0, 8, path, bytes.fromhex(CT_ROOTS[7]))


@given(st.integers(1, 70), st.data())
def test_proofs_verify_and_altered_proofs_fail(n: int, data: st.DataObject) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    root = root_of(hashes)
    i = data.draw(st.integers(0, n - 1))
    proof = inclusion_proof(hashes, i, n)
    assert verify_inclusion(hashes[i], i, n, proof, root)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = proof[:k] + [bytes(32)] + proof[k + 1 :]
        assert not verify_inclusion(hashes[i], i, n, bad, root)
    assert not verify_inclusion(hashes[i], (i + 1) % n if n > 1 else 1, n, proof, root)
    m = data.draw(st.integers(1, n))
    cproof = consistency_proof(hashes, m, n)
    assert verify_consistency(m, n, root_of(hashes[:m]), root, cproof)
    if m < n:
        assert not verify_consistency(m, n, leaf_hash(b"x"), root, cproof)


def test_checkpoint_note_format_and_key_hash() -> None:
    cp = sign_checkpoint(ORIGIN, 3, bytes(32), ORIGIN, KEY.sign, PUB)
    body, sig = cp.note.split("\n\n")
    assert body == f"{ORIGIN}\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" and sig.startswith(f"— {ORIGIN} ")
    import base64
    import hashlib

    blob = base64.b64decode(sig.split(" ")[2])
    assert blob[:4] == hashlib.sha256(ORIGIN.encode() + b"\n\x01" + PUB).digest()[:4] == note_key_hash(ORIGIN, PUB)
    assert verify_checkpoint(cp.note, ORIGIN, PUB).size == 3
    other = raw_public(Ed25519PrivateKey.generate())
    with pytest.raises(VerificationError) as info:
        verify_checkpoint(cp.note, ORIGIN, other)
    assert info.value.code == "bad_checkpoint_signature"
    with pytest.raises(VerificationError):
        verify_checkpoint(cp.note.replace("\n3\n", "\n4\n"), ORIGIN, PUB)
    assert parse_checkpoint(cp.note)[0].root == bytes(32)


def _ledger(tmp_path: Path, n: int) -> tuple[Store, Ledger]:
    store = open_test_store(tmp_path / "l.db")
    lg = Ledger(store)
    with store.transaction() as conn:
        lg.ensure_log(conn, log_id="L", origin=ORIGIN, public_key=PUB, key_name=ORIGIN)
    for i in range(n):
        with store.transaction() as conn:
            idx, _d = lg.append(conn, "L", lambda idx: b"receipt-%d" % idx)
            assert idx == i
    return store, lg


def test_inclusion_proof_text_round_trip(tmp_path: Path) -> None:
    store, lg = _ledger(tmp_path, 11)
    cp = lg.checkpoint("L", KEY.sign)
    with store.read() as conn:
        proof = format_proof(6, lg.inclusion_proof(conn, "L", 6, cp.size), cp.note)
    assert verify_inclusion_proof(b"receipt-6", proof, ORIGIN, PUB).size == 11
    with pytest.raises(VerificationError) as info:
        verify_inclusion_proof(b"receipt-5", proof, ORIGIN, PUB)
    assert info.value.code == "not_included"


def _tamper(store: Store, sql: str, *args: object) -> None:
    conn = connect_store(store)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("attack", "code", "where"),
    [
        ("delete", "gap", "Entry 4"),
        ("edit", "leaf_hash_mismatch", "Entry 4"),
        ("edit_consistently", "root_mismatch", "size 8"),
        ("swap", "root_mismatch", "size 8"),
        ("truncate", "truncated", "covers 8"),
        ("fork", "fork", "size 8"),
        ("resign", "bad_checkpoint_signature", "not signed"),
    ],
)
def test_every_tampering_is_named(tmp_path: Path, attack: str, code: str, where: str) -> None:
    from ikrar_cli.i18n import set_language

    set_language("en")
    store, lg = _ledger(tmp_path, 8)
    lg.checkpoint("L", KEY.sign)
    assert lg.verify_log("L").ok
    if attack == "delete":
        _tamper(store, "DELETE FROM ledger_entries WHERE idx = 4")
    elif attack == "edit":
        _tamper(store, "UPDATE ledger_entries SET leaf = ? WHERE idx = 4", b"forged")
    elif attack == "edit_consistently":
        _tamper(
            store, "UPDATE ledger_entries SET leaf = ?, leaf_hash = ? WHERE idx = 4", b"forged", leaf_hash(b"forged")
        )
    elif attack == "swap":
        _tamper(
            store,
            "UPDATE ledger_entries SET leaf = CASE idx WHEN 2 THEN ? ELSE ? END, leaf_hash = CASE idx "
            "WHEN 2 THEN ? ELSE ? END WHERE idx IN (2, 3)",
            b"receipt-3",
            b"receipt-2",
            leaf_hash(b"receipt-3"),
            leaf_hash(b"receipt-2"),
        )
    elif attack == "truncate":
        _tamper(store, "DELETE FROM ledger_entries WHERE idx >= 6")
    elif attack == "fork":
        forked = sign_checkpoint(ORIGIN, 8, leaf_hash(b"other"), ORIGIN, KEY.sign, PUB)
        _tamper(store, "INSERT INTO checkpoints VALUES ('L', 8, ?, ?, 0)", forked.root, forked.note)
    elif attack == "resign":
        intruder = Ed25519PrivateKey.generate()
        with store.read() as conn:
            root = lg.root(conn, "L")
        bad = sign_checkpoint(ORIGIN, 8, root, ORIGIN, intruder.sign, raw_public(intruder))
        _tamper(store, "UPDATE checkpoints SET note = ?", bad.note)
    report = lg.verify_log("L")
    assert not report.ok
    assert report.problems[0].code == code
    assert where in report.problems[0].message


def test_inconsistent_checkpoints(tmp_path: Path) -> None:
    store, lg = _ledger(tmp_path, 4)
    lg.checkpoint("L", KEY.sign)
    # a signed checkpoint at size 6 whose tree does not extend the size-4 tree
    fake = sign_checkpoint(ORIGIN, 6, root_of([leaf_hash(b"x%d" % i) for i in range(6)]), ORIGIN, KEY.sign, PUB)
    for _i in range(4, 6):
        with store.transaction() as conn:
            lg.append(conn, "L", lambda idx: b"receipt-%d" % idx)
    _tamper(store, "INSERT INTO checkpoints VALUES ('L', 6, ?, ?, 0)", fake.root, fake.note)
    report = lg.verify_log("L")
    assert report.problems[0].code == "root_mismatch"  # the streamed tree already disagrees at size 6


def test_four_processes_append_without_gaps_or_duplicates(tmp_path: Path) -> None:
    store, lg = _ledger(tmp_path, 0)
    store.close()
    code = (
        "import os, sys\nfrom pathlib import Path\nfrom ikrar_cli.store.postgres import open_store\n"
        "from ikrar_cli.ledger.log import Ledger\n"
        "s = open_store(os.environ.get('IKRAR_DATABASE_URL'), Path(sys.argv[1])); lg = Ledger(s)\n"
        "for i in range(150):\n"
        "    with s.transaction() as c:\n"
        "        lg.append(c, 'L', lambda idx: b'p%s-%d' % (sys.argv[2].encode(), i))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "l.db"), str(p)], cwd=Path(__file__).resolve().parents[1]
        )
        for p in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    store = open_test_store(tmp_path / "l.db")
    idx = [r[0] for r in store.conn.execute("SELECT idx FROM ledger_entries WHERE log_id = 'L' ORDER BY idx")]
    assert idx == list(range(600))
    assert Ledger(store).verify_log("L").ok


def test_ledger_verify_cli_reports_tampering(ikrar, tmp_path: Path) -> None:
    """End to end: attest through the CLI, then edit the database: `ikrar ledger verify` names it."""
    from test_recitation import setup_terminal

    home = setup_terminal(ikrar, tmp_path)
    assert (
        ikrar(
            "attest", "--session", "1", "--nip", "200012312024211001", "--yes", env={"IKRAR_PASSPHRASE": "rahasia-uji"}
        ).exit_code
        == 0
    )
    assert ikrar("ledger", "checkpoint", env={"IKRAR_PASSPHRASE": "rahasia-uji"}).exit_code == 0
    r = ikrar("ledger", "verify", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["valid"] is True
    conn = connect_db(home)
    leaves = conn.execute("SELECT idx, leaf FROM ledger_entries ORDER BY idx").fetchall()
    conn.execute(
        "UPDATE ledger_entries SET leaf = ?, leaf_hash = ? WHERE idx = 0", (leaves[1][1], leaf_hash(leaves[1][1]))
    )
    conn.commit()
    r = ikrar("--lang", "en", "ledger", "verify")
    assert r.exit_code == 1
    assert "Entry 0 of log" in r.stdout and "reordered" in r.stdout


def test_ledger_verify_names_a_record_resigned_with_another_key(ikrar, tmp_path: Path) -> None:
    """An entry replaced by the same claims signed with another key: caught as wrong_key at its index."""
    from test_recitation import setup_terminal

    from ikrar_cli.keys.keyfiles import key_id
    from ikrar_cli.receipts.receipt import receipt_from_cose, sign_receipt

    home = setup_terminal(ikrar, tmp_path)
    conn = connect_db(home)
    (leaf,) = conn.execute("SELECT leaf FROM ledger_entries WHERE idx = 1").fetchone()  # 0: the session record
    original = receipt_from_cose(bytes(leaf))
    intruder = Ed25519PrivateKey.generate()
    forged = sign_receipt(original.claims, intruder.sign, key_id(raw_public(intruder)))
    conn.execute(
        "UPDATE ledger_entries SET leaf = ?, leaf_hash = ? WHERE idx = 1", (forged.cose, leaf_hash(forged.cose))
    )
    conn.commit()
    r = ikrar("--lang", "en", "ledger", "verify", "--json")
    assert r.exit_code == 1
    (log,) = json.loads(r.stdout)["logs"]
    assert log["problems"][0]["code"] == "wrong_key"
    assert (
        "Entry 1 of log" in log["problems"][0]["message"]
        and "not by this log's terminal key" in log["problems"][0]["message"]
    )


@pytest.mark.parametrize(
    ("edit", "code", "text"),
    [
        (
            "UPDATE attestations SET officer_id = '199001012015032002'",
            "attestation_mismatch",
            "differs from its signed",
        ),
        ("UPDATE attestations SET receipt = receipt || 'A'", "attestation_mismatch", "does not hold the receipt"),
        ("UPDATE attestations SET ledger_idx = 7", "attestation_mismatch", "which does not exist"),
        ("DELETE FROM attestations", "attestation_missing", "have no attestation row"),
    ],
)
def test_ledger_verify_catches_edited_attestation_rows(ikrar, tmp_path: Path, edit: str, code: str, text: str) -> None:
    """Reports count attestation rows: a row edited, invented or deleted behind the ledger's back is caught."""
    from test_recitation import setup_terminal

    home = setup_terminal(ikrar, tmp_path)
    assert ikrar("ledger", "verify").exit_code == 0
    conn = connect_db(home)
    conn.execute(edit)
    conn.commit()
    r = ikrar("--lang", "en", "ledger", "verify", "--json")
    assert r.exit_code == 1
    (problem,) = json.loads(r.stdout)["attestations"]
    assert problem["code"] == code and text in problem["message"]
