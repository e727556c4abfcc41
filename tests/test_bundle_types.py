"""Typed bundle contents (BundlePledge, KeyRevocation) keep the wire format byte for byte."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ikrar_cli.keys.keyfiles import canonical_json, key_id, raw_public
from ikrar_cli.keys.trust import BundlePledge, KeyRevocation, parse_bundle_bytes, signed_bundle_file
from ikrar_cli.pledges.templates import PledgeLibrary

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402


def _signed(**kw: object) -> bytes:
    auth = h.authority()
    return signed_bundle_file(h.bundle(**kw), auth.sign, key_id(raw_public(auth)))  # type: ignore[arg-type]


def test_wire_objects_are_the_documented_ones() -> None:
    """docs/trust-bundle.md: pledges carry canonical/digest/id/version; revocations kid/revoked_at/reason."""
    kid = bytes.fromhex("24f6ed6acbfe1009")
    body = json.loads(_signed(revocations={kid: (h.T0, "terminal hilang")}))["bundle"]
    lib = PledgeLibrary.load()
    expected = [
        {"canonical": p.canonical_object(), "digest": p.digest.hex(), "id": p.id, "version": p.version}
        for p in sorted(lib.all(), key=lambda p: p.digest)
    ]
    assert body["pledges"] == expected
    assert body["key_revocations"] == [{"kid": kid.hex(), "revoked_at": h.T0, "reason": "terminal hilang"}]


def test_parse_gives_typed_contents_and_re_signs_to_the_same_bytes() -> None:
    kid = bytes.fromhex("24f6ed6acbfe1009")
    data = _signed(revocations={kid: (h.T0, "terminal hilang")})
    bundle = parse_bundle_bytes(data, "b.json")
    assert bundle.key_revocations == {kid: KeyRevocation(h.T0, "terminal hilang")}
    assert bundle.key_revocations[kid].reason == "terminal hilang"
    pledge = next(p for p in bundle.pledges.values() if p.id == "pilkada-2024")
    assert isinstance(pledge, BundlePledge) and pledge.ref == "pilkada-2024@1"
    assert pledge.title == PledgeLibrary.load().get("pilkada-2024").title
    assert bundle.pledge_for_prefix(pledge.digest[:12]) == pledge
    doc = json.loads(data)
    assert canonical_json({"bundle": bundle.to_object(), "signature": doc["signature"]}) + b"\n" == data


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.pop("canonical"),
        lambda p: p.update(version="one"),
        lambda p: p.update(digest="zz"),
    ],
)
def test_a_malformed_pledge_entry_raises_what_the_parser_maps(damage) -> None:  # type: ignore[no-untyped-def]
    obj = BundlePledge.from_pledge(PledgeLibrary.load().get("pilkada-2024")).to_object()
    damage(obj)
    with pytest.raises((KeyError, TypeError, ValueError)):
        BundlePledge.from_object(obj)
