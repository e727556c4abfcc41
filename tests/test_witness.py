"""Witnesses (docs/witness.md): a witness cosigns only checkpoints consistent with what it cosigned
before; a log rewritten and re-signed with its own key is refused and kept as evidence."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.errors import ConflictError, InputError, NotFoundError, TrustError, VerificationError
from ikrar_cli.keys.keyfiles import raw_public
from ikrar_cli.ledger.checkpoint import Checkpoint
from ikrar_cli.ledger.log import Ledger
from ikrar_cli.store.core import Store
from ikrar_cli.witness.cosignature import find_cosignature, format_vkey, note_body, verify_cosignature
from ikrar_cli.witness.protocol import AddCheckpoint, http_status
from ikrar_cli.witness.workspace import WitnessWorkspace

PASS = b"rahasia-uji"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
ORIGIN = "ikrar/UJI/a1b2c3d4e5f60718"


def make_log(path: Path, leaves: list[bytes]) -> tuple[Store, Ledger]:
    store = Store(path)
    lg = Ledger(store)
    with store.transaction() as conn:
        lg.ensure_log(conn, log_id="L", origin=ORIGIN, public_key=raw_public(LOG_KEY), key_name=ORIGIN)
    for leaf in leaves:
        with store.transaction() as conn:
            lg.append(conn, "L", lambda _i, leaf=leaf: leaf)
    return store, lg


def grow(store: Store, lg: Ledger, leaves: list[bytes]) -> Checkpoint:
    for leaf in leaves:
        with store.transaction() as conn:
            lg.append(conn, "L", lambda _i, leaf=leaf: leaf)
    return lg.checkpoint("L", LOG_KEY.sign)


def request(lg: Ledger, store: Store, old: int, cp: Checkpoint) -> AddCheckpoint:
    with store.read() as conn:
        proof = lg.consistency_proof(conn, "L", old, cp.size) if 0 < old < cp.size else []
    return AddCheckpoint(old, proof, cp.note)


@pytest.fixture
def witness(tmp_path: Path) -> tuple[WitnessWorkspace, Ed25519PrivateKey]:
    ws = WitnessWorkspace.init(tmp_path / "saksi", "bawaslu.example/saksi", PASS)
    ws.follow_vkey(format_vkey(ORIGIN, raw_public(LOG_KEY), 0x01))
    return ws, ws.load_signer(PASS)


def test_key_file_is_private_encrypted_and_never_overwritten(tmp_path: Path, witness) -> None:
    ws, _signer = witness
    assert stat.S_IMODE(os.stat(ws.key_path).st_mode) == 0o600
    doc = json.loads(ws.key_path.read_text())
    assert doc["role"] == "witness" and doc["kdf"]["name"] == "scrypt" and "ciphertext" in doc
    before = ws.key_path.read_bytes()
    with pytest.raises(ConflictError):
        WitnessWorkspace.init(ws.root, "bawaslu.example/lain", PASS)
    assert ws.key_path.read_bytes() == before
    from ikrar_cli.errors import KeyAccessError

    with pytest.raises(KeyAccessError):
        ws.load_signer(b"salah-sandi-sekali")


def test_cosigns_growth_and_refuses_a_rewritten_history(tmp_path: Path, witness) -> None:
    """The authority keeps the terminal's key, rewrites entry 2 and re-signs: the witness says no."""
    ws, signer = witness
    store, lg = make_log(tmp_path / "real.db", [b"r0", b"r1", b"r2"])
    cp3 = lg.checkpoint("L", LOG_KEY.sign)
    line = ws.add_checkpoint(request(lg, store, 0, cp3), signer, timestamp=1764028800)
    found = find_cosignature(cp3.note + line, ws.cosigner)
    assert (
        found is not None
        and found.timestamp == 1764028800
        and verify_cosignature(note_body(cp3.note), ws.cosigner, found)
    )
    cp7 = grow(store, lg, [b"r3", b"r4", b"r5", b"r6"])
    ws.add_checkpoint(request(lg, store, 3, cp7), signer)
    assert ws.recorded(ORIGIN).size == 7  # type: ignore[union-attr]

    # the forged log: same key, same origin, entry 2 replaced, grown to 9 and re-signed
    fstore, flg = make_log(tmp_path / "forged.db", [b"r0", b"r1", b"FORGED", b"r3", b"r4", b"r5", b"r6"])
    forged7 = flg.checkpoint("L", LOG_KEY.sign)
    with pytest.raises(ConflictError) as same_size:
        ws.add_checkpoint(request(flg, fstore, 7, forged7), signer)
    assert same_size.value.code == "fork" and http_status(same_size.value) == 409
    assert "different tree" in same_size.value.message or "pohon lain" in same_size.value.message
    forged9 = grow(fstore, flg, [b"r7", b"r8"])
    with pytest.raises(VerificationError) as rewritten:
        ws.add_checkpoint(request(flg, fstore, 7, forged9), signer)
    assert rewritten.value.code == "inconsistent" and http_status(rewritten.value) == 422
    assert ws.recorded(ORIGIN) is not None and ws.recorded(ORIGIN).root == cp7.root  # type: ignore[union-attr]
    evidence = sorted((ws.root / "evidence").iterdir())
    assert len(evidence) == 2 and all(forged7.note in p.read_text() or forged9.note in p.read_text() for p in evidence)
    # the real log still grows under the witness
    cp8 = grow(store, lg, [b"r7"])
    assert ws.add_checkpoint(request(lg, store, 7, cp8), signer).startswith("— bawaslu.example/saksi ")


def test_replayed_old_checkpoint_gets_the_current_size(tmp_path: Path, witness) -> None:
    ws, signer = witness
    store, lg = make_log(tmp_path / "real.db", [b"a", b"b"])
    cp2 = lg.checkpoint("L", LOG_KEY.sign)
    ws.add_checkpoint(request(lg, store, 0, cp2), signer)
    cp5 = grow(store, lg, [b"c", b"d", b"e"])
    ws.add_checkpoint(request(lg, store, 2, cp5), signer)
    for old in (0, 2):  # the old checkpoint again, claiming either size
        with pytest.raises(ConflictError) as replay:
            ws.add_checkpoint(AddCheckpoint(old, [], cp2.note), signer)
        assert replay.value.code == "old_size_mismatch" and replay.value.details == {"origin": ORIGIN, "size": 5}
    # the same latest checkpoint again is cosigned again (a retry), without a proof
    assert ws.add_checkpoint(AddCheckpoint(5, [], cp5.note), signer)
    assert ws.recorded(ORIGIN).size == 5  # type: ignore[union-attr]


def test_unknown_log_and_wrong_key(tmp_path: Path, witness) -> None:
    ws, signer = witness
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    from ikrar_cli.ledger.checkpoint import sign_checkpoint
    from ikrar_cli.ledger.merkle import leaf_hash

    forged = sign_checkpoint(ORIGIN, 1, leaf_hash(b"a"), ORIGIN, other.sign, raw_public(other))
    with pytest.raises(TrustError) as wrong:
        ws.add_checkpoint(AddCheckpoint(0, [], forged.note), signer)
    assert http_status(wrong.value) == 403
    with pytest.raises(NotFoundError) as unknown:
        ws.add_checkpoint(AddCheckpoint(0, [], forged.note.replace(ORIGIN, "ikrar/LAIN/1234")), signer)
    assert http_status(unknown.value) == 404
    assert ws.recorded(ORIGIN) is None


@pytest.mark.parametrize(
    "body",
    [
        b"old 01\n\nx\n",
        b"old -1\n\nx\n",
        b"new 0\n\nx\n",
        b"old 3\nnot base64!\n\nx\n",
        b"old 3\n" + b"AAAA\n" + b"\nx\n",
        b"old 0\n" + b"".join(base64.b64encode(bytes(32)) + b"\n" for _ in range(64)) + b"\nx\n",
        b"\xff\xfe",
    ],
)
def test_malformed_requests_are_400(body: bytes) -> None:
    from ikrar_cli.witness.protocol import parse_request

    with pytest.raises(InputError) as bad:
        parse_request(body)
    assert http_status(bad.value) == 400


def test_concurrent_requests_never_roll_back(tmp_path: Path, witness) -> None:
    """Two submissions from the same old size: exactly one wins, the other gets 409 (atomic check-and-record)."""
    import threading

    ws, signer = witness
    store, lg = make_log(tmp_path / "real.db", [b"a", b"b", b"c"])
    cp3 = lg.checkpoint("L", LOG_KEY.sign)
    ws.add_checkpoint(request(lg, store, 0, cp3), signer)
    reqs = []
    for extra in ([b"d"], [b"e", b"f"]):
        cp = grow(store, lg, extra)
        reqs.append(request(lg, store, 3, cp))
    results: list[object] = []
    start = threading.Barrier(2)

    def submit(req: AddCheckpoint) -> None:
        start.wait()
        try:
            results.append(ws.add_checkpoint(req, signer))
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=submit, args=(r,)) for r in reqs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # both were from size 3: whichever came second sees the other's size and gets 409
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "str"]
    assert ws.recorded(ORIGIN).size in (4, 6)  # type: ignore[union-attr]


def test_a_clock_that_went_back_never_makes_a_cosignature_older(tmp_path: Path, witness) -> None:
    """The last cosignature of a log was stamped in the future (a clock set wrong, then fixed): the
    next one carries that stamp, not the earlier time the clock now shows."""
    ws, signer = witness
    store, lg = make_log(tmp_path / "real.db", [b"r0", b"r1", b"r2"])
    cp3 = lg.checkpoint("L", LOG_KEY.sign)
    future = int(time.time()) + 10 * 365 * 86400
    ws.add_checkpoint(request(lg, store, 0, cp3), signer, timestamp=future)
    cp5 = grow(store, lg, [b"r3", b"r4"])
    line = ws.add_checkpoint(request(lg, store, 3, cp5), signer)
    found = find_cosignature(cp5.note + line, ws.cosigner)
    assert found is not None and found.timestamp == future
    assert verify_cosignature(note_body(cp5.note), ws.cosigner, found)
