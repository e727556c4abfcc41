"""The fast paths a merge takes per receipt decide exactly what the exact readers decide.

A merge reads millions of receipts, so three readers got a fast path (issue 20): the receipt's
CBOR (``cbor_strict.decode``: cbor2's C decoder, taken only when it writes the item back byte for
byte), Base45 (big-integer lanes), and an export's receipt lines (a pattern instead of the JSON
parser). Each is held here against the exact reader, on arbitrary and on damaged input: same
value, same flag, same error. A receipt with a damaged signature, an edited line and an entry of
another key are refused by a merge with the same message and location as before.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from receipt_helpers import claims, terminal

from ikrar_cli.errors import InputError
from ikrar_cli.keys.keyfiles import key_id, raw_public
from ikrar_cli.ledger import export as ledger_export
from ikrar_cli.receipts import cbor_strict
from ikrar_cli.receipts.base45 import ALPHABET, Base45Error, b45decode, b45encode
from ikrar_cli.receipts.receipt import Receipt, sign_receipt


def make_receipt() -> Receipt:
    key = terminal()
    return sign_receipt(claims(), key.sign, key_id(raw_public(key.public_key())))


# ------------------------------------------------------------------------------ CBOR
def _exact(data: bytes) -> tuple[str, Any]:
    try:
        return "ok", cbor_strict.decode_exact(data)
    except cbor_strict.Malformed:
        return "malformed", None


def _fast(data: bytes) -> tuple[str, Any]:
    try:
        return "ok", cbor_strict.decode(data)
    except cbor_strict.Malformed:
        return "malformed", None


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> None:
    assert a[0] == b[0]
    if a[0] == "ok":  # value and the non-canonical flag, with types (True is not 1, b"" is not "")
        assert repr(a[1]) == repr(b[1])


scalars = st.one_of(st.integers(min_value=-(2**65), max_value=2**65), st.binary(max_size=20), st.text(max_size=10),
                    st.booleans(), st.none(), st.floats(allow_nan=False))  # fmt: skip
items = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.integers(-40, 40), st.text(max_size=2)), inner, max_size=4)),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items, st.booleans())
def test_cbor_fast_path_equals_the_exact_reader_on_values(value: Any, canonical: bool) -> None:
    data = cbor2.dumps(value, canonical=canonical)
    _same(_exact(data), _fast(data))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_cbor_fast_path_equals_the_exact_reader_on_bytes(data: bytes) -> None:
    _same(_exact(data), _fast(data))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_cbor_fast_path_equals_the_exact_reader_on_damaged_receipts(data: st.DataObject) -> None:
    r = make_receipt()
    blob = bytearray(data.draw(st.sampled_from([r.cose, r.payload, r.protected])))
    for _n in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["flip", "insert", "delete", "append"]))
        pos = data.draw(st.integers(0, max(0, len(blob) - 1)))
        if kind == "flip" and blob:
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "insert":
            blob.insert(pos, data.draw(st.integers(0, 255)))
        elif kind == "delete" and blob:
            del blob[pos]
        else:
            blob.append(data.draw(st.integers(0, 255)))
    _same(_exact(bytes(blob)), _fast(bytes(blob)))


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("a2201818" + "01" + "02"),  # {-1: .., 24: ..}: cbor2's canonical order, not §4's
        bytes.fromhex("a2181801" + "2002"),  # {24: 1, -1: 2} in §4's byte order
        bytes.fromhex("a201010102"),  # a repeated key
        bytes.fromhex("1817"),  # a longer head than needed
        bytes.fromhex("c24101"),  # a bignum tag
        bytes.fromhex("0102"),  # bytes after the item
        bytes.fromhex("81" * 9 + "01"),  # nested too deep
        bytes.fromhex("81" * 8 + "01"),  # as deep as allowed
        bytes.fromhex("1bffffffffffffffff"),  # the largest integer of the subset
        bytes.fromhex("3bffffffffffffffff"),  # the smallest
        bytes.fromhex("a3010102020303"),  # canonical map
        bytes.fromhex("a2020201 01"),  # keys out of order
        bytes.fromhex("5f4101ff"),  # an indefinite byte string
    ],
)
def test_cbor_fast_path_edge_cases(data: bytes) -> None:
    _same(_exact(data), _fast(data))


# ------------------------------------------------------------------------------ Base45
def _b45_reference(text: str) -> bytes:
    """RFC 9285 §4.2 written out plainly (what base45.py did before its fast path)."""
    if len(text) % 3 == 1:
        raise Base45Error("length")
    index = {c: i for i, c in enumerate(ALPHABET)}
    if any(c not in index for c in text):
        raise Base45Error("character")
    out = bytearray()
    for i in range(0, len(text) - len(text) % 3, 3):
        n = index[text[i]] + 45 * index[text[i + 1]] + 2025 * index[text[i + 2]]
        if n > 0xFFFF:
            raise Base45Error("overflow")
        out += n.to_bytes(2, "big")
    if len(text) % 3 == 2:
        n = index[text[-2]] + 45 * index[text[-1]]
        if n > 0xFF:
            raise Base45Error("overflow")
        out.append(n)
    return bytes(out)


def _b45(fn: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", fn(text)
    except Base45Error as exc:
        return "error", str(exc)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet=ALPHABET, max_size=40), st.text(alphabet=ALPHABET + "a·é\x00", max_size=12),
                 st.binary(max_size=40).map(b45encode)))  # fmt: skip
def test_base45_fast_decode_equals_the_plain_one(text: str) -> None:
    assert _b45(b45decode, text) == _b45(_b45_reference, text)


def test_base45_overflow_in_any_lane_is_refused() -> None:
    for k in range(5):  # the overflowing triple ("GGW" = 65,536) at each place
        text = "000" * k + "GGW" + "000" * (4 - k)
        assert _b45(b45decode, text) == ("error", "overflow")
    assert b45decode("FGW" * 5) == b"\xff\xff" * 5  # 65,535 everywhere: no carry between lanes


# ------------------------------------------------------------------------------ export lines
def _read(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(ledger_export, "_RECEIPT_LINE", re.compile(rb"(?!)"))
        reader = ledger_export._Reader(path)
        try:
            return reader.next(), reader.digest.hexdigest()
        except InputError as exc:
            return ("error", exc.message), reader.digest.hexdigest()
        finally:
            reader.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.builds(lambda i, t: f'{{"i":{i},"receipt":"IKR1:{t}"}}\n'.encode(), st.integers(-5, 10**20),
              st.text(alphabet=ALPHABET + '"\\é', max_size=8)),
    st.builds(lambda raw: raw, st.binary(max_size=40)),
    st.builds(lambda o: json.dumps(o).encode() + b"\n",
              st.dictionaries(st.sampled_from(["i", "receipt", "x"]), st.one_of(st.integers(), st.text(max_size=4)))),
))  # fmt: skip
def test_receipt_line_fast_path_equals_the_json_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       raw: bytes) -> None:  # fmt: skip
    path = tmp_path / "line.jsonl"
    path.write_bytes(raw)
    assert _read(path, True, monkeypatch) == _read(path, False, monkeypatch)


def test_an_edited_receipt_line_is_refused_as_before(tmp_path: Path) -> None:
    r = make_receipt()
    for raw in (f'{{"i":1, "receipt":"{r.text}"}}\n', f'{{"i":01,"receipt":"{r.text}"}}\n',
                f'{{"receipt":"{r.text}","i":1}}\n'):  # fmt: skip
        path = tmp_path / "x.jsonl"
        path.write_bytes(raw.encode())
        reader = ledger_export._Reader(path)
        with pytest.raises(InputError) as exc:
            reader.next()
        reader.close()
        assert exc.value.message.startswith(f"{path}:1: ")
    good = f'{{"i":1,"receipt":"{r.text}"}}\n'.encode()
    path.write_bytes(good)
    reader = ledger_export._Reader(path)
    assert reader.next() == {"i": 1, "receipt": r.text}
    assert reader.digest.hexdigest() == hashlib.sha256(good).hexdigest()
    reader.close()
