"""Signed requests (unit level) and the published vectors: canonical bytes, signatures, the
consistency proofs of incremental exports; the exposure rule of `ikrar serve`."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.errors import UsageError
from ikrar_cli.keys.keyfiles import verify_signature
from ikrar_cli.ledger.merkle import leaf_hash, root_of, verify_consistency
from ikrar_cli.sync.auth import WINDOW, AuthError, canonical, sign_request, verify_request

VECTORS = Path(__file__).parent / "vectors" / "sync"


def test_request_vectors_verify_and_are_reproduced() -> None:
    import make_sync_vectors

    data = json.loads((VECTORS / "requests.json").read_text())
    assert data == make_sync_vectors.request_vectors()
    for v in data:
        body = v["body"].encode()
        assert canonical(v["method"], v["path"], body, v["timestamp"], v["nonce"]).decode() == v["canonical"]
        pub = base64.b64decode(v["public_key"])
        sig = base64.b64decode(v["headers"]["ikrar-signature"])
        assert verify_signature(pub, sig, v["canonical"].encode())
        assert not verify_signature(pub, sig, v["canonical"].replace(v["method"], "PUT").encode())


def test_consistency_vectors() -> None:
    for v in json.loads((VECTORS / "consistency.json").read_text()):
        hashes = [leaf_hash(x.encode()) for x in v["leaves"]]
        assert base64.b64encode(root_of(hashes)).decode() == v["new_root"]
        assert base64.b64encode(root_of(hashes[: v["since"]])).decode() == v["old_root"]
        proof = [base64.b64decode(h) for h in v["consistency"]]
        if 0 < v["since"] < v["size"]:
            old, new = base64.b64decode(v["old_root"]), base64.b64decode(v["new_root"])
            assert verify_consistency(v["since"], v["size"], old, new, proof)
            assert not verify_consistency(v["since"], v["size"], new, new, proof)
        else:
            assert proof == []


class _Bundle:
    """The parts of a trust bundle request checks read: one authority, one certified terminal."""

    def __init__(self, authority: bytes, terminal_kid: bytes, terminal_pub: bytes, revoked_at: int | None = None):
        from ikrar_cli.keys.keyfiles import TerminalCertificate
        from ikrar_cli.keys.trust import KeyRevocation

        self.authority_keys = {b"A" * 8: authority}
        self.terminals = {terminal_kid: TerminalCertificate(terminal_kid, terminal_pub, "apel-1", None, 0, 2**40,
                                                            b"A" * 8, b"")}  # fmt: skip
        self.key_revocations = {terminal_kid: KeyRevocation(revoked_at, "hilang")} if revoked_at else {}


@pytest.fixture
def setup():  # type: ignore[no-untyped-def]
    from ikrar_cli.keys.keyfiles import key_id, raw_public

    key = Ed25519PrivateKey.generate()
    pub = raw_public(key)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE sync_nonces (nonce TEXT PRIMARY KEY, kid TEXT NOT NULL, seen_at INTEGER NOT NULL)")
    return key, key_id(pub), pub, conn


def test_replay_window_and_nonce_pruning(setup) -> None:  # type: ignore[no-untyped-def]
    key, kid, pub, conn = setup
    bundle = _Bundle(b"\0" * 32, kid, pub)
    h = sign_request(kid, key.sign, "POST", "/v1/push", b"x", at=1000)
    assert verify_request(bundle, h, "POST", "/v1/push", b"x", conn, at=1000).role == "terminal"  # type: ignore[arg-type]
    with pytest.raises(AuthError) as e:
        verify_request(bundle, h, "POST", "/v1/push", b"x", conn, at=1001)  # type: ignore[arg-type]
    assert e.value.code == "replayed"
    for at, code in ((1000 + WINDOW + 1, "stale_timestamp"), (1000 - WINDOW - 1, "stale_timestamp")):
        h2 = sign_request(kid, key.sign, "POST", "/v1/push", b"x", at=1000)
        with pytest.raises(AuthError) as e:
            verify_request(bundle, h2, "POST", "/v1/push", b"x", conn, at=at)  # type: ignore[arg-type]
        assert e.value.code == code
    # at the edge of the window it is accepted; old nonces are pruned after twice the window
    h3 = sign_request(kid, key.sign, "POST", "/v1/push", b"x", at=1000 + 3 * WINDOW)
    verify_request(bundle, h3, "POST", "/v1/push", b"x", conn, at=1000 + 3 * WINDOW)  # type: ignore[arg-type]
    assert conn.execute("SELECT COUNT(*) FROM sync_nonces").fetchone()[0] == 1
    # a signature over another path is refused
    h4 = sign_request(kid, key.sign, "POST", "/v1/other", b"x", at=1000)
    with pytest.raises(AuthError) as e:
        verify_request(bundle, h4, "POST", "/v1/push", b"x", conn, at=1000)  # type: ignore[arg-type]
    assert e.value.code == "bad_signature"


def test_revoked_and_expired_keys(setup) -> None:  # type: ignore[no-untyped-def]
    key, kid, pub, conn = setup
    h = sign_request(kid, key.sign, "GET", "/v1/hr/compliance", b"", at=5000)
    with pytest.raises(AuthError) as e:
        verify_request(_Bundle(b"\0" * 32, kid, pub, revoked_at=4000), h, "GET", "/v1/hr/compliance", b"", conn,  # type: ignore[arg-type]
                       at=5000)  # fmt: skip
    assert (e.value.code, e.value.status) == ("key_revoked", 403)


@pytest.mark.parametrize("host,ok", [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
                                     ("192.0.2.7", False)])  # fmt: skip
def test_public_addresses_need_tls(host: str, ok: bool) -> None:
    from ikrar_cli.i18n import set_language
    from ikrar_cli.server.run import check_exposure

    set_language("en")
    if ok:
        check_exposure(host, None, None, False)
    else:
        with pytest.raises(UsageError, match="without TLS"):
            check_exposure(host, None, None, False)
        check_exposure(host, None, None, True)
        check_exposure(host, Path("c.pem"), Path("k.pem"), False)
    with pytest.raises(UsageError, match="go together"):
        check_exposure(host, Path("c.pem"), None, False)


def test_serve_refuses_a_public_address_without_tls(ikrar, workspace) -> None:  # type: ignore[no-untyped-def]
    r = ikrar("--lang", "en", "serve", "--host", "0.0.0.0")
    assert r.exit_code == 2
    assert "Refusing to serve 0.0.0.0 without TLS" in r.stderr
    r = ikrar("serve", "--host", "0.0.0.0")
    assert "Menolak melayani 0.0.0.0 tanpa TLS" in r.stderr
