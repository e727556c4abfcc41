"""The roster snapshot verified and read as a stream (roster/snapshot_stream.py) agrees with the
whole-file reader on the vectors of both signature forms (``Ed25519-statement`` over the statement
naming the digest, and the older ``Ed25519`` over the body), whatever the chunk sizes (a chunk may
split a UTF-8 character), and refuses what it refuses: every edited byte, white space, a missing
signer. The statement form is verified over the short statement only (the body is not held); the
signature check is one library call, no curve arithmetic in ikrar."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import IkrarError, InputError, TrustError
from ikrar_cli.keys.keyfiles import key_id
from ikrar_cli.roster import snapshot_stream
from ikrar_cli.roster.snapshot import parse_snapshot
from ikrar_cli.roster.snapshot_stream import stream_snapshot

VEC = Path(__file__).parent / "vectors" / "roster-snapshot"
FORMS = {name: (VEC / name).read_bytes() for name in ("snapshot.json", "snapshot-statement.json")}
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
@given(st.sampled_from(sorted(FORMS)), st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=5))
def test_streamed_read_equals_the_whole_file_read(form: str, sizes: list[int]) -> None:
    data = FORMS[form]
    whole = parse_snapshot(data, "vector", AUTH)
    head, officers = _stream(data, sizes)
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


@pytest.mark.parametrize("form", sorted(FORMS))
def test_an_edited_byte_is_refused_exactly_when_the_whole_reader_refuses_it(form: str) -> None:
    data = FORMS[form]
    step = max(1, len(data) // 400)
    refused = 0
    for pos in range(0, len(data), step):
        for flip in (0x01, 0x20):
            changed = bytearray(data)
            changed[pos] ^= flip
            edited = bytes(changed)
            whole = _refused(lambda e=edited: parse_snapshot(e, "vector", AUTH))
            assert _refused(lambda e=edited: _stream(e, [97])) == whole, (pos, flip)
            refused += whole
    assert refused >= 2 * len(range(0, len(data), step)) - 4  # only the kid's hex case is not signed


@pytest.mark.parametrize("form", sorted(FORMS))
def test_what_the_whole_reader_refuses_the_stream_refuses_too(form: str) -> None:
    data = FORMS[form]
    spaced = data.replace(b'"as_of":', b'"as_of": ')
    with pytest.raises(TrustError):
        _stream(spaced, [64])
    renamed = data.replace(b'"Putri Baru"', b'"Putri Baro"')
    with pytest.raises(TrustError, match="tanda tangan"):
        _stream(renamed, [64])
    with pytest.raises(TrustError):
        stream_snapshot(_chunks(data, [64]), "vector", {}, lambda o: None)
    with pytest.raises(InputError):
        _stream(data[:-30], [64])
    with pytest.raises(InputError):
        _stream(b"", [64])
    # an alg neither form has (here RFC 8032's prehash variant): no valid signature, in both readers
    alg = json.loads(data)["signature"]["alg"].encode()
    other = data.replace(b'"alg":"' + alg + b'"', b'"alg":"Ed25519ph"', 1)
    assert other != data
    with pytest.raises(TrustError, match="tanda tangan"):
        parse_snapshot(other, "vector", AUTH)
    with pytest.raises(TrustError, match="tanda tangan"):
        _stream(other, [64])


def test_the_statement_form_is_verified_over_the_statement_and_the_older_over_the_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed: list[bytes] = []
    real = snapshot_stream.verify_signature

    def spy(pub: bytes, sig: bytes, message: bytes) -> bool:
        signed.append(message)
        return real(pub, sig, message)

    monkeypatch.setattr(snapshot_stream, "verify_signature", spy)
    _stream(FORMS["snapshot-statement.json"], [50])
    _stream(FORMS["snapshot.json"], [50])
    body = json.loads(FORMS["snapshot.json"])["snapshot"]
    assert signed == [EXP["statement_utf8"].encode(), json.dumps(
        body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()]


def test_no_curve_arithmetic_in_ikrar() -> None:
    """Signatures are checked by one library call; no group or field operations of our own."""
    root = Path(__file__).parent.parent / "ikrar_cli"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in ("crypto_core_ed25519", "crypto_scalarmult", "scalar_reduce", "ed25519_stream"):
            assert name not in text, (path, name)
