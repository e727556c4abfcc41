"""The roster snapshot verified and read as a stream (roster/snapshot_stream.py) agrees with the
whole-file reader on the vector, whatever the chunk sizes (a chunk may split a UTF-8 character),
and refuses what it refuses: every edited byte, white space, a missing signer. And the streaming
Ed25519 check (keys/ed25519_stream.py) agrees with both libraries (RFC 8032 vectors, random
keys and messages, every single-bit change of a signature)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ed25519_backends import RFC8032

from ikrar_cli.errors import IkrarError, InputError, TrustError
from ikrar_cli.keys import ed25519
from ikrar_cli.keys.ed25519_stream import StreamVerifier
from ikrar_cli.keys.keyfiles import key_id, raw_public
from ikrar_cli.roster.snapshot import parse_snapshot
from ikrar_cli.roster.snapshot_stream import stream_snapshot

VEC = Path(__file__).parent / "vectors" / "roster-snapshot"
DATA = (VEC / "snapshot.json").read_bytes()
EXP = json.loads((VEC / "expected.json").read_text())
PUB = base64.b64decode(EXP["authority_public_key"])
AUTH = {key_id(PUB): PUB}


def _chunks(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    pos, i = 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)] if sizes else len(data)
        yield data[pos : pos + n]
        pos, i = pos + n, i + 1


def _stream(data: bytes, sizes: list[int]) -> tuple[Any, list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []
    head = stream_snapshot(_chunks(data, sizes), "vector", AUTH, got.append)
    return head, got


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=5))
def test_streamed_read_equals_the_whole_file_read(sizes: list[int]) -> None:
    whole = parse_snapshot(DATA, "vector", AUTH)
    head, officers = _stream(DATA, sizes)
    assert head.digest == whole.digest == EXP["snapshot_digest"]
    assert officers == whole.body["officers"]
    assert head.body == {k: v for k, v in whole.body.items() if k != "officers"}
    assert (head.officers, head.active) == (len(officers), sum(o["status"] == "active" for o in officers))


def _refused(read: Any) -> bool:
    try:
        read()
    except IkrarError:
        return True
    return False


def test_an_edited_byte_is_refused_exactly_when_the_whole_reader_refuses_it() -> None:
    step = max(1, len(DATA) // 400)
    refused = 0
    for pos in range(0, len(DATA), step):
        for flip in (0x01, 0x20):
            b = bytearray(DATA)
            b[pos] ^= flip
            edited = bytes(b)
            whole = _refused(lambda e=edited: parse_snapshot(e, "vector", AUTH))
            assert _refused(lambda e=edited: _stream(e, [97])) == whole, (pos, flip)
            refused += whole
    assert refused >= 2 * len(range(0, len(DATA), step)) - 4  # only the kid's hex case is not signed


def test_what_the_whole_reader_refuses_the_stream_refuses_too() -> None:
    spaced = DATA.replace(b'"as_of":', b'"as_of": ')
    with pytest.raises(TrustError):
        _stream(spaced, [64])
    renamed = DATA.replace(b'"Putri Baru"', b'"Putri Baro"')
    with pytest.raises(TrustError, match="tanda tangan"):
        _stream(renamed, [64])
    with pytest.raises(TrustError):
        stream_snapshot(_chunks(DATA, [64]), "vector", {}, lambda o: None)
    with pytest.raises(InputError):
        _stream(DATA[:-30], [64])
    with pytest.raises(InputError):
        _stream(b"", [64])


@pytest.mark.parametrize(("pub", "msg", "sig"), RFC8032)
def test_streaming_ed25519_on_the_rfc8032_vectors(pub: str, msg: str, sig: str) -> None:
    for backend in ("pynacl", "cryptography"):
        v = StreamVerifier(bytes.fromhex(pub), bytes.fromhex(sig), backend=backend)
        m = bytes.fromhex(msg)
        for i in range(len(m)):
            v.update(m[i : i + 1])
        assert v.verify()
        bad = StreamVerifier(bytes.fromhex(pub), bytes.fromhex(sig), backend=backend)
        bad.update(m + b"x")
        assert not bad.verify()


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=64))
def test_streaming_ed25519_agrees_with_both_libraries(msg: bytes, piece: int) -> None:
    key = Ed25519PrivateKey.from_private_bytes(os.urandom(32))
    pub, sig = raw_public(key.public_key()), key.sign(msg)

    def streamed(s: bytes, m: bytes) -> bool:
        v = StreamVerifier(pub, s, backend="pynacl")
        assert v.streaming
        for i in range(0, len(m), piece):
            v.update(m[i : i + piece])
        return v.verify()

    assert streamed(sig, msg) and ed25519.verify(pub, sig, msg, backend="cryptography")
    for bit in range(0, 512, 7):
        bad = bytearray(sig)
        bad[bit // 8] ^= 1 << (bit % 8)
        want = ed25519.verify(pub, bytes(bad), msg, backend="pynacl")
        assert streamed(bytes(bad), msg) == want == ed25519.verify(pub, bytes(bad), msg, backend="cryptography")
    if msg:
        assert not streamed(sig, msg[:-1])
    # S + L (a malleated signature, same point): refused like libsodium refuses it
    s_plus_l = int.from_bytes(sig[32:], "little") + 2**252 + 27742317777372353535851937790883648493
    if s_plus_l < 2**256:
        assert not streamed(sig[:32] + s_plus_l.to_bytes(32, "little"), msg)
