"""A merge reads a canonical receipt line without building its dict (``_Reader.next_entry``) and
decides exactly what the dict path decides: the same entry, or the same error with the same code,
message and line; the same line count and running checksum. Held here on good, forged, bit-flipped,
reordered, out-of-place and edited lines, the dict path forced by a pattern that never matches."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402

from ikrar_cli.errors import IkrarError  # noqa: E402
from ikrar_cli.keys.keyfiles import key_id, raw_public  # noqa: E402
from ikrar_cli.ledger import export as ledger_export  # noqa: E402
from ikrar_cli.ledger.checks import entry_checker  # noqa: E402
from ikrar_cli.ledger.log import LogInfo  # noqa: E402
from ikrar_cli.receipts.base45 import b45decode, b45encode  # noqa: E402
from ikrar_cli.receipts.receipt import PREFIX, sign_receipt  # noqa: E402
from ikrar_cli.receipts.verify import Verifier  # noqa: E402

TERM, OTHER = h.terminal(), h.terminal(h.OTHER_SEED)
PUB = raw_public(TERM)
KID = key_id(PUB)
BUNDLE = h.bundle(h.certificate(TERM, h.authority()), h.certificate(OTHER, h.authority(), name="lain"))
RECEIPTS = [sign_receipt(h.claims(ledger_index=i, issued_at=h.T0 + 60 * i), TERM.sign, KID).text for i in range(4)]
FOREIGN = sign_receipt(h.claims(ledger_index=1), OTHER.sign, key_id(raw_public(OTHER))).text


def _flip(text: str, pos: int, bit: int) -> str:
    cose = bytearray(b45decode(text[len(PREFIX) :]))
    cose[pos % len(cose)] ^= 1 << bit
    return PREFIX + b45encode(bytes(cose))


def _read(lines: list[bytes], tmp: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    path = tmp / ("fast.jsonl" if fast else "dict.jsonl")
    path.write_bytes(b"".join(lines))
    check = entry_checker(Verifier(BUNDLE, now=lambda: h.T0), LogInfo(KID.hex(), "o", PUB, "k"))
    out: list[Any] = []
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(ledger_export, "_RECEIPT_LINE", re.compile(rb"(?!)"))
        reader = ledger_export._Reader(path)
        try:
            for idx in range(len(lines)):
                record, receipt, text = ledger_export.read_entry(reader, idx, check)
                out.append((record, receipt, text))
        except IkrarError as exc:
            out.append(("error", exc.code, exc.message.replace(str(path), "FILE"), exc.hint))
        finally:
            out.append((reader.line_no, reader.digest.hexdigest()))
            reader.close()
    return out


line = st.one_of(
    st.builds(lambda i, r: f'{{"i":{i},"receipt":"{r}"}}\n'.encode(), st.integers(0, 4), st.sampled_from(RECEIPTS)),
    st.builds(lambda i, r, p, b: f'{{"i":{i},"receipt":"{_flip(r, p, b)}"}}\n'.encode(), st.integers(0, 4),
              st.sampled_from(RECEIPTS), st.integers(0, 200), st.integers(0, 7)),
    st.builds(lambda i: f'{{"i":{i},"receipt":"{FOREIGN}"}}\n'.encode(), st.integers(0, 3)),
    st.builds(lambda i, r: f'{{"receipt":"{r}","i":{i}}}\n'.encode(), st.integers(0, 3), st.sampled_from(RECEIPTS)),
    st.builds(lambda i, r: f'{{"i":{i},"receipt":"{r.lower()}"}}\n'.encode(), st.integers(0, 3),
              st.sampled_from(RECEIPTS)),
    st.builds(lambda i, r: f'{{"i":{i},"receipt":"{r[:-3]}"}}\n'.encode(), st.integers(0, 3),
              st.sampled_from(RECEIPTS)),
    st.builds(lambda i: f'{{"i":{i},"record":"not a record"}}\n'.encode(), st.integers(0, 3)),
    st.just(b""),
    st.just(b'{"i":0}\n'),
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line, min_size=1, max_size=5))
def test_the_receipt_lane_reads_what_the_dict_path_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         lines: list[bytes]) -> None:  # fmt: skip
    assert _read(lines, tmp_path, True, monkeypatch) == _read(lines, tmp_path, False, monkeypatch)


def test_good_lines_in_order_are_read_by_the_lane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f'{{"i":{i},"receipt":"{r}"}}\n'.encode() for i, r in enumerate(RECEIPTS)]
    fast = _read(lines, tmp_path, True, monkeypatch)
    assert [t for _r, _x, t in fast[:-1]] == RECEIPTS and fast == _read(lines, tmp_path, False, monkeypatch)
    swapped = [f'{{"i":{i},"receipt":"{RECEIPTS[1 - i]}"}}\n'.encode() for i in range(2)]
    got = _read(swapped, tmp_path, True, monkeypatch)
    assert got[0][:2] == ("error", "reordered") and got == _read(swapped, tmp_path, False, monkeypatch)
