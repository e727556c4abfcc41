"""The streamed snapshot reader takes a buffered run of officers at once (``_Text.objects``: one
``json.loads`` and one canonical encoding per run) only when that run is exactly what reading
value by value gives. These tests hold it to an independent reading of the whole file
(``json.loads`` and the whole-file reader ``parse_snapshot``), with hostile strings that contain
the very text between two officers (``},{"id":"``), quotes, backslashes and non-ASCII, for any
chunk sizes; and they check that an edited officer anywhere in a run is refused with the error
the whole-file reader gives."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import IkrarError
from ikrar_cli.keys.keyfiles import canonical_json, key_id
from ikrar_cli.keys.signeddoc import statement
from ikrar_cli.roster import snapshot_stream
from ikrar_cli.roster.snapshot import STATEMENT_TYPE, parse_snapshot
from ikrar_cli.roster.snapshot_stream import stream_snapshot

_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
_PUB = _KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
AUTH = {key_id(_PUB): _PUB}
UNITS = {"A1": "Dinas Pendidikan", "B2": 'Badan "Keuangan" },{"id":"'}
HOSTILE = ['},{"id":"', '"},{"id":"x', "\\", '\\"', "},{", "Ñurhaliza, S.Pd.", "中文", "\u2028", "\x00", "/", "A1"]


def _signed(officers: list[dict[str, Any]]) -> bytes:
    body = {"format": "ikrar-roster-snapshot/1", "institution": {"name": "BKN", "code": "BKN"},
            "timezone": "Asia/Jakarta", "as_of": "2024-11-20", "serial": 1, "previous": None, "scope": None,
            "units": UNITS, "officers": officers}  # fmt: skip
    digest = "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()
    value = base64.b64encode(_KEY.sign(statement(STATEMENT_TYPE, digest))).decode()
    sig = {"alg": "Ed25519-statement", "kid": key_id(_PUB).hex(), "value": value}
    return canonical_json({"signature": sig, "snapshot": body}) + b"\n"


def _officer(oid: str, name: str, unit: str = "A1", left: str | None = None) -> dict[str, Any]:
    return {"id": oid, "id_type": "internal", "joined": "2020-01-02", "joined_from": "hr", "left": left,
            "name": name, "status": "left" if left else "active", "unit": unit}  # fmt: skip


def _chunks(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    pos, i = 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        yield data[pos : pos + n]
        pos, i = pos + n, i + 1


def _read(data: bytes, sizes: list[int]) -> tuple[Any, list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []
    return stream_snapshot(_chunks(data, sizes), "t", AUTH, got.append), got


def _runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every run the reader took at once."""
    taken: list[int] = []
    real = snapshot_stream._Text.objects

    def spy(self: Any) -> list[Any] | None:
        run = real(self)
        if run:
            taken.append(len(run))
        return run

    monkeypatch.setattr(snapshot_stream._Text, "objects", spy)
    return taken


_text = st.lists(st.sampled_from(list('},{"id:\\ aÑ中\n/') + HOSTILE), max_size=6).map("".join)


@settings(max_examples=80, deadline=None)
@given(
    ids=st.lists(st.text(st.sampled_from(list('0123456789"\\},{id')), min_size=1, max_size=8), min_size=1,
                 max_size=60, unique=True),
    names=st.lists(_text, min_size=1, max_size=60),
    units=st.lists(st.sampled_from(sorted(UNITS)), min_size=1, max_size=60),
    lefts=st.lists(st.sampled_from([None, "2023-05-06"]), min_size=1, max_size=60),
    sizes=st.lists(st.integers(min_value=1, max_value=4000), min_size=1, max_size=4),
)  # fmt: skip
@example(ids=[str(i) for i in range(40)], names=HOSTILE, units=["A1"], lefts=[None], sizes=[1 << 20])
def test_runs_hand_on_exactly_the_officers_of_the_file(
    ids: list[str], names: list[str], units: list[str], lefts: list[str | None], sizes: list[int]
) -> None:
    officers = [_officer(oid, names[i % len(names)], units[i % len(units)], lefts[i % len(lefts)])
                for i, oid in enumerate(sorted(ids))]  # fmt: skip
    data = _signed(officers)
    whole = parse_snapshot(data, "t", AUTH)
    head, got = _read(data, sizes)
    assert got == json.loads(data)["snapshot"]["officers"] == officers == whole.body["officers"]
    assert head.digest == whole.digest
    assert (head.officers, head.active) == (len(officers), sum(o["left"] is None for o in officers))


def test_a_whole_buffer_is_taken_as_runs_and_nothing_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    officers = [_officer(f"{i:05d}", HOSTILE[i % len(HOSTILE)] + str(i)) for i in range(3000)]
    data = _signed(officers)
    taken = _runs(monkeypatch)
    head, got = _read(data, [1 << 16])
    assert got == officers and head.officers == 3000
    assert sum(taken) > 2900  # the fast path did the work (all but about one officer a chunk)
    assert head.digest == parse_snapshot(data, "t", AUTH).digest


def _error(read: Any) -> str | None:
    try:
        read()
    except IkrarError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


EDITS = [
    (b'"name":"n1500"', b'"name": "n1500"'),  # white space inside a run
    (b'"name":"n1500"', b'"name":"n\\u0031500"'),  # an escape canonical JSON does not write
    (b'"name":"n1500"', b'"name":"n1500","name":"n1500"'),  # a duplicated key
    (b'{"id":"01500"', b'{"id":"01499"'),  # not strictly increasing
    (b'"name":"n1500"', b'"name":"n1501"'),  # canonical but not what was signed
    (b'"left":null,"name":"n1500"', b'"left":1.0,"name":"n1500"'),  # a number canonical JSON writes otherwise
    (b'{"id":"01500"', b'{"id":"01500","id_type":"x"},{"id":"01500x"'),  # an extra officer
    (b',{"id":"01500"', b',{"id":"01500"'.replace(b"{", b"[")),  # broken JSON
]


@pytest.mark.parametrize(("old", "new"), EDITS)
def test_an_edited_officer_inside_a_run_is_refused_as_the_whole_reader_refuses_it(old: bytes, new: bytes) -> None:
    officers = [_officer(f"{i:05d}", f"n{i}") for i in range(3000)]
    data = _signed(officers)
    assert data.count(old) == 1
    edited = data.replace(old, new)
    whole = _error(lambda: parse_snapshot(edited, "t", AUTH))
    assert whole is not None
    for sizes in ([1 << 16], [1 << 20], [777, 5000]):
        assert _error(lambda s=sizes: _read(edited, s)) == whole, sizes
