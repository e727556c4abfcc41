"""What a verifier does with pasted, copied and wrapped receipts (docs/receipt-format.md §1),
bundle checks (pledge digests, the institution's zone), and --json warning codes."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import receipt_helpers as h
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import TrustError
from ikrar_cli.keys.keyfiles import fingerprint, raw_public
from ikrar_cli.keys.trust import key_id, parse_bundle_bytes, signed_bundle_file
from ikrar_cli.receipts.base45 import ALPHABET
from ikrar_cli.receipts.receipt import normalise_input, sign_receipt, wrap_receipt


def receipt(**kw: object) -> str:
    term = h.terminal()
    return sign_receipt(h.claims(**kw), term.sign, h.certificate(term, h.authority()).kid).text


def spaced_receipt() -> str:
    return next(t for t in (receipt(ledger_index=n) for n in range(400)) if " " in t[5:-1])


@pytest.fixture
def bundle_args(tmp_path: Path) -> list[str]:
    return bundle_file(tmp_path, h.bundle())


def bundle_file(tmp_path: Path, bundle, name: str = "bundle.json") -> list[str]:  # type: ignore[no-untyped-def]
    auth = h.authority()
    f = tmp_path / name
    f.write_bytes(signed_bundle_file(bundle, auth.sign, key_id(raw_public(auth))))
    return ["--bundle", str(f), "--fingerprint", fingerprint(raw_public(auth))]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=400), st.integers(min_value=8, max_value=80))
def test_wrapped_receipt_joins_back(body: str, width: int) -> None:
    text = "IKR1:" + body.rstrip(" ")
    lines = wrap_receipt(text, width)
    assert "".join(lines) == text
    assert all(len(x) <= width for x in lines)
    for x in lines[1:]:
        assert not x.upper().startswith(("IKR", "HTTP"))
    for x in lines[:-1]:
        assert not x.startswith(" ") and not x.endswith(" ")
    assert normalise_input("\r\n".join(lines)) == text


def test_pasted_receipts_with_spaces_lines_and_case(ikrar, bundle_args: list[str]) -> None:
    good = spaced_receipt()
    r = ikrar("--lang", "en", "verify", *bundle_args, "  " + good + " \t")
    assert r.exit_code == 0, r.stdout + r.stderr
    wrapped = "\n".join(wrap_receipt(good, 50))
    assert ikrar("verify", *bundle_args, wrapped).exit_code == 0
    r = ikrar("--lang", "en", "verify", *bundle_args, good.lower())
    assert r.exit_code == 1 and "lower case" in r.stdout and "File not found" not in r.stdout
    r = ikrar("--lang", "en", "verify", *bundle_args, good.replace(" ", "\u00b7"))
    assert r.exit_code == 1 and "'·'" in r.stdout
    r = ikrar("--lang", "en", "verify", *bundle_args, good[:20] + "é" + good[21:])
    assert r.exit_code == 1 and "not part of a receipt ('é')" in r.stdout


def test_stdin_joins_wrapped_receipts_and_keeps_one_per_line(ikrar, bundle_args: list[str]) -> None:
    a, b = spaced_receipt(), receipt(officer_id="200012312024211001")
    text = "\n".join(wrap_receipt(a, 40)) + "\n" + b + "\n\n" + "  ".join(["", "\n".join(wrap_receipt(b, 33))])
    r = ikrar("--lang", "en", "verify", *bundle_args, "-", "--json", input=text + "\n")
    results = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["reason"] for x in results] == ["valid", "valid", "valid"], r.stdout
    assert r.exit_code == 0


def test_copied_text_of_a_pdf_slip_verifies(ikrar, bundle_args: list[str], tmp_path: Path) -> None:
    from pypdf import PdfReader

    from ikrar_cli.receipts.slips import Slip, write_slips_pdf

    good = spaced_receipt()
    slip = Slip(
        good,
        "BKPSDM Kabupaten Uji",
        "Ikrar",
        ("Satu.",),
        "Andi Baso",
        "198609262015051001",
        "DINKES",
        "2024-10-01 08:30:12 WITA",
        "apel-1",
        "individu",
        "ikrar verify",
        {k: k for k in ("officer", "id", "unit", "time", "terminal", "method")},
    )
    pdf = tmp_path / "slip.pdf"
    write_slips_pdf(pdf, [slip])
    text = PdfReader(pdf).pages[0].extract_text()
    assert "\u00b7" not in text
    start = text.index("IKR1:")
    lines = text[start:].splitlines()
    r = ikrar("verify", *bundle_args, "-", "--json", input="\n".join(lines) + "\n")
    assert json.loads(r.stdout.splitlines()[0])["reason"] == "valid", (lines, r.stdout)


def test_json_warnings_are_codes_and_times_in_the_institution_zone(ikrar, tmp_path: Path) -> None:
    stale = replace(h.bundle(valid_until=h.T0), institution_zone="Asia/Makassar")
    args = bundle_file(tmp_path, stale)
    r = ikrar("--lang", "en", "verify", *args, receipt(), "--json")
    data = json.loads(r.stdout)
    assert data["valid"] and data["warnings"] == ["stale_bundle"]
    assert re.search(r"\d\d:\d\d:\d\d WITA", data["warning_messages"][0]), data
    r = ikrar("--lang", "en", "verify", *args, receipt())
    assert "WITA" in r.stdout and "WIB" not in r.stdout.split("warning")[1]


def test_old_bundle_without_a_zone_reads_as_wib_and_a_bad_zone_is_refused(tmp_path: Path) -> None:
    auth = h.authority()
    obj = json.loads(signed_bundle_file(h.bundle(), auth.sign, key_id(raw_public(auth))))["bundle"]
    from ikrar_cli.keys.trust import parse_bundle_object

    assert obj["institution"]["timezone"] == "Asia/Jakarta"
    del obj["institution"]["timezone"]
    assert parse_bundle_object(obj, "x").institution_zone == "Asia/Jakarta"
    obj["institution"]["timezone"] = "Europe/Paris"
    with pytest.raises(TrustError):
        parse_bundle_object(obj, "x")


def test_bundle_whose_pledge_text_does_not_match_its_digest_is_refused(tmp_path: Path) -> None:
    b = h.bundle()
    digest, info = next(iter(b.pledges.items()))
    altered = replace(info, canonical=dict(info.canonical, title="Judul yang diubah"))
    bad = replace(b, pledges={**b.pledges, digest: altered})
    auth = h.authority()
    data = signed_bundle_file(bad, auth.sign, key_id(raw_public(auth)))
    with pytest.raises(TrustError, match="digest"):
        parse_bundle_bytes(data, "b.json", [fingerprint(raw_public(auth))])
    relabelled = replace(b, pledges={**b.pledges, digest: replace(info, version=info.version + 1)})
    with pytest.raises(TrustError, match="digest"):
        parse_bundle_bytes(signed_bundle_file(relabelled, auth.sign, key_id(raw_public(auth))), "b.json", None)
