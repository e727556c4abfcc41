"""Parsers of the witness (property tests) and the tlog-policy rules (docs/witness.md)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ikrar_cli.errors import InputError
from ikrar_cli.keys.keyfiles import raw_public
from ikrar_cli.witness.cosignature import format_vkey, parse_vkey
from ikrar_cli.witness.policy import check_note, parse_policy
from ikrar_cli.witness.protocol import MAX_PROOF_LINES, format_request, parse_request

KEYS = [raw_public(Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32)) for i in range(1, 5)]
VKEYS = [format_vkey(f"saksi{i}.example/w", k) for i, k in enumerate(KEYS)]
NOTE = "ikrar/UJI/00\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\n— ikrar/UJI/00 AAAA\n"


@given(st.binary(max_size=400))
def test_request_parser_raises_only_input_errors(data: bytes) -> None:
    try:
        req = parse_request(data)
    except InputError as exc:
        assert exc.code == "bad_request"
        return
    assert req.old_size >= 0 and len(req.proof) <= MAX_PROOF_LINES and all(len(h) == 32 for h in req.proof)


@given(
    st.integers(min_value=0, max_value=2**64),
    st.lists(st.binary(min_size=32, max_size=32), max_size=MAX_PROOF_LINES),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF), max_size=200),
)
def test_request_round_trip(old: int, proof: list[bytes], note: str) -> None:
    req = parse_request(format_request(old, proof, note))
    assert (req.old_size, req.proof, req.note) == (old, proof, note)


@given(st.text(max_size=300))
def test_policy_parser_raises_only_input_errors(text: str) -> None:
    try:
        policy = parse_policy(text)
    except InputError:
        return
    assert policy.quorum == "none" or policy.quorum in policy.witnesses or policy.quorum in policy.groups


@given(st.text(max_size=120))
def test_vkey_parser_raises_only_input_errors(text: str) -> None:
    try:
        cosigner = parse_vkey(text)
    except InputError:
        return
    assert format_vkey(cosigner.name, cosigner.public_key) == text.strip()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (f"witness a {VKEYS[0]}\nwitness a {VKEYS[1]}\nquorum a\n", "defined twice"),
        (f"witness a {VKEYS[0]}\nwitness b {VKEYS[0]}\nquorum a\n", "listed twice"),
        (f"witness a {VKEYS[0]}\ngroup g 2 a b\nquorum g\n", "b is not defined above"),
        (f"witness a {VKEYS[0]}\ngroup g 2 a\nquorum g\n", "from 1 to 1"),
        (f"witness a {VKEYS[0]}\ngroup g 0 a\nquorum g\n", "from 1 to 1"),
        (f"witness a {VKEYS[0]}\ngroup g any a a\nquorum g\n", "member twice"),
        (f"witness a {VKEYS[0]}\n", "no quorum line"),
        (f"witness a {VKEYS[0]}\nquorum a\nquorum a\n", "more than one quorum"),
        ("quorum x\n", "x is not defined above"),
        (f"witness a {VKEYS[0][:-2]}xx\nquorum a\n", "not a valid witness key"),
        (f"witness a {VKEYS[0].replace('saksi0', 'saksi9')}\nquorum a\n", "not a valid witness key"),
        ("witnes a b\nquorum none\n", "not a policy line"),
    ],
)
def test_policy_mistakes_are_named_with_their_line(text: str, why: str) -> None:
    from ikrar_cli.i18n import set_language

    set_language("en")
    with pytest.raises(InputError) as exc:
        parse_policy(text, "p.txt")
    assert why in exc.value.message and exc.value.message.startswith("p.txt: line ")


def test_nested_groups_and_quorum_none() -> None:
    text = (
        "# two bodies: both of X, any of Y\n"
        + "".join(f"witness w{i} {v}\n" for i, v in enumerate(VKEYS))
        + "group x all w0 w1\n\tgroup y any w2 w3\ngroup xy all x y\nquorum xy\n"
        + f"log {format_vkey('ikrar/UJI/00', KEYS[0], 0x01)} https://pusat.example\n"
    )
    policy = parse_policy(text)
    assert policy.satisfied("xy", {"w0", "w1", "w3"})
    assert not policy.satisfied("xy", {"w0", "w2", "w3"})
    assert not policy.satisfied("xy", {"w0", "w1"})
    assert parse_policy("quorum none\n").satisfied("none", set())
    check = check_note(policy, NOTE)
    assert (check.ok, check.valid, check.missing) == (False, [], ["w0", "w1", "w2", "w3"])
    assert check_note(parse_policy("quorum none\n"), NOTE).ok
