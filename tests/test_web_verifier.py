"""The offline verifier page (issue 7): built by the CLI, self-contained, and in agreement with
``ikrar verify`` — checked in Node (every vector, crafted CBOR, random mutations, CLI receipts)
and end to end in headless Chromium; and verifier links in QR codes (``receipt.verify_url``)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from programs import needs_program, program

from ikrar_cli.i18n import set_language

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASS = {"IKRAR_PASSPHRASE": "rahasia-uji-12345"}
URL = "https://bkpsdm.jenepontokab.go.id/ikrar/verify.html"
ROSTER = (
    "NIP,Nama,Jabatan,Unit Kerja\n"
    "198609262015051001,Ahmad Yani,Kepala Dinas,Dinas Kesehatan\n"
    "200012312024211001,Siti Aminah,Perawat,Dinas Kesehatan\n"
    "197803122005011002,Andi Baso Mappanyukki,Guru,Dinas Pendidikan\n"
    "199001012015032004,Ni Luh Ayu Kadek Sri Wahyuni Permata Sari,Analis,Dinas Pendidikan\n"
)
NODE = program("node")
CHROMIUM = program("chromium")


def run(home: Path, *args: str, lang: str | None = None) -> Any:
    from ikrar_cli.cli.app import cli
    from ikrar_cli.cli.output import reset_consoles

    reset_consoles()
    pre = ["--home", str(home)] + (["--lang", lang] if lang else [])
    result = CliRunner().invoke(cli, pre + list(args), env=PASS, catch_exceptions=False)
    set_language("id")
    return result


def ok(home: Path, *args: str) -> str:
    r = run(home, *args)
    assert r.exit_code == 0, (args, r.stderr)
    return r.stdout


def cli_verdicts(home: Path, bundle: Path, inputs: list[str]) -> list[dict[str, Any]]:
    """``ikrar verify --bundle FILE --json`` for each input, in both languages."""
    out: list[dict[str, Any]] = [{} for _ in inputs]
    for lang in ("id", "en"):
        r = run(home, "verify", "--bundle", str(bundle), "--json", *inputs, lang=lang)
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        assert len(lines) == len(inputs)
        for slot, line in zip(out, lines, strict=True):
            line.pop("input")
            slot[lang] = line
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An authority with two terminals; receipts made by the CLI: valid, tampered, key revoked,
    receipt revoked, unknown pledge; the exported bundle and the page built from it."""
    tmp = tmp_path_factory.mktemp("web")
    home = tmp / "home"
    ok(home, "init", "--institution", "BKPSDM Kabupaten Jeneponto", "--code", "JNP", "--timezone", "WITA")
    ok(home, "key", "init-authority")
    for term in ("apel-1", "apel-2"):
        ok(home, "key", "new-terminal", term, "--unit", "BKPSDM")
        ok(home, "key", "certify", term, "--valid-from", "2024-01-01")
    roster = tmp / "roster.csv"
    roster.write_text(ROSTER)
    ok(home, "roster", "import", str(roster))
    force = ["--force", "--reason", "uji"]
    ok(
        home,
        "session",
        "open",
        "--pledge",
        "pilkada-2024",
        "--title",
        "Apel",
        "--location",
        "Halaman",
        "--terminal",
        "apel-1",
        *force,
    )
    ok(
        home,
        "session",
        "open",
        "--pledge",
        "pilkada-2024",
        "--title",
        "Apel 2",
        "--location",
        "Aula",
        "--terminal",
        "apel-2",
        *force,
    )

    def attest(session: int, nip: str, terminal: str) -> str:
        return ok(home, "attest", "--session", str(session), "--nip", nip, "--yes", "--terminal", terminal).strip()

    valid = attest(1, "198609262015051001", "apel-1")
    to_revoke = attest(1, "200012312024211001", "apel-1")
    on_revoked_key = attest(2, "197803122005011002", "apel-2")
    ok(home, "trust", "revoke-receipt", to_revoke, "--reason", "dicatat keliru")
    kid = json.loads(ok(home, "key", "list", "--json"))
    kid = next(k["kid"] for k in (kid if isinstance(kid, list) else kid["keys"]) if k["name"] == "apel-2")
    at = datetime.fromtimestamp(time.time() - 3600, tz=UTC).isoformat(timespec="seconds")
    ok(home, "key", "revoke", kid, "--reason", "terminal hilang", "--at", at)
    bundle = tmp / "trust-bundle.json"
    ok(home, "trust", "export", "--out", str(bundle))
    # a template the exported bundle does not know
    extra = tmp / "templates"
    extra.mkdir()
    shutil.copy(ROOT / "tests" / "vectors" / "pledges" / "minimal.yaml", extra / "contoh.yaml")
    cfg = home / "ikrar.yaml"
    cfg.write_text(cfg.read_text().replace("extra_dirs: []", f"extra_dirs: [{extra}]"))
    ok(
        home,
        "session",
        "open",
        "--pledge",
        "contoh-uji",
        "--title",
        "Apel 3",
        "--location",
        "Aula",
        "--terminal",
        "apel-1",
        *force,
    )
    unknown_pledge = attest(3, "199001012015032004", "apel-1")
    i = len(valid) - 10  # inside the signature; a smaller Base45 digit cannot overflow its group
    tampered = valid[:i] + ("0" if valid[i] != "0" else "1") + valid[i + 1 :]
    receipts = {
        "valid": valid,
        "tampered": tampered,
        "key_revoked": on_revoked_key,
        "receipt_revoked": to_revoke,
        "unknown_pledge": unknown_pledge,
        "lower_case": valid.lower(),  # a precise sentence for a cause a person can fix
    }
    out = tmp / "site"
    built = json.loads(ok(home, "verifier", "build", "--out", str(out), "--bundle", str(bundle), "--json"))
    return {
        "home": home,
        "bundle": bundle,
        "page": Path(built["file"]),
        "build": built,
        "receipts": receipts,
        "expect": dict(zip(receipts, cli_verdicts(home, bundle, list(receipts.values())), strict=True)),
    }


# --------------------------------------------------------------------------------------
# The page file
# --------------------------------------------------------------------------------------


def test_cli_receipts_cover_every_verdict_asked_for(site: dict[str, Any]) -> None:
    assert {k: v["en"]["reason"] for k, v in site["expect"].items()} == {
        "valid": "valid",
        "tampered": "bad_signature",
        "key_revoked": "key_revoked",
        "receipt_revoked": "receipt_revoked",
        "unknown_pledge": "unknown_pledge",
        "lower_case": "malformed",
    }
    assert "lower case" in site["expect"]["lower_case"]["en"]["message"]


def test_page_is_one_self_contained_file_that_requests_nothing(site: dict[str, Any]) -> None:
    page = site["page"]
    assert sorted(p.name for p in page.parent.iterdir()) == ["verify.html"]
    text = page.read_text(encoding="utf-8")
    # no resource from anywhere: no src/href, no link/img/iframe/object, no network API in the script
    assert not re.search(r"""\b(src|href|action|srcset|poster|data)\s*=\s*["']?\s*(https?:|//)""", text, re.I)
    assert not re.search(r"<(link|img|iframe|object|embed|base|audio|source|track)\b", text, re.I)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # an XML namespace name, never fetched
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    assert len(scripts) == 1
    for api in (
        "fetch(",
        "XMLHttpRequest",
        "WebSocket",
        "EventSource",
        "sendBeacon",
        "import(",
        "importScripts",
        "Worker(",
    ):
        assert api not in scripts[0], api
    styles = re.findall(r"<style>(.*?)</style>", text, re.S)
    assert len(styles) == 1 and "url(" not in styles[0] and "@import" not in styles[0]
    # the Content-Security-Policy allows only this inline script and style, nothing to connect to
    csp = html.unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', text).group(1))
    rules = dict(r.strip().split(" ", 1) for r in csp.split(";"))

    def digest(s: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"

    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == digest(scripts[0])
    assert rules["style-src"] == digest(styles[0])
    assert rules["connect-src"] == "'none'"
    assert rules["img-src"] == "data:" and rules["base-uri"] == "'none'" and rules["form-action"] == "'none'"
    assert text.index("Content-Security-Policy") < text.index("<style>") < text.index("<script")


def test_page_embeds_the_signed_bundle_byte_for_byte(site: dict[str, Any]) -> None:
    text = site["page"].read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="ikrar-data">(.*?)</script>', text, re.S).group(1))
    assert base64.b64decode(data["bundle"]) == site["bundle"].read_bytes()
    fp = run(site["home"], "key", "list", "--json")
    assert data["pins"] == [site["build"]["authority"]] and site["build"]["authority"] in fp.stdout
    assert set(data["messages"]) == {"id", "en"}
    assert data["messages"]["id"]["reasons"]["receipt_revoked"] == "Tanda terima ini telah dicabut oleh otoritas"
    assert data["messages"]["en"]["reasons"]["receipt_revoked"] == "This receipt was revoked by the authority"
    # built twice from the same bundle: the same bytes
    again = site["page"].parent.parent / "again"
    ok(site["home"], "verifier", "build", "--out", str(again), "--bundle", str(site["bundle"]))
    assert (again / "verify.html").read_bytes() == site["page"].read_bytes()


def test_build_json_and_refusals(site: dict[str, Any], tmp_path: Path) -> None:
    b = site["build"]
    assert b["serial"] == 1 and b["institution"] == "BKPSDM Kabupaten Jeneponto" and not b["stale"]
    assert b["sha256"] == hashlib.sha256(site["page"].read_bytes()).hexdigest()
    assert b["bytes"] == site["page"].stat().st_size < 200_000
    # the authority's live view is not signed: it says what to do instead
    r = run(site["home"], "verifier", "build", "--out", str(tmp_path / "x"), lang="en")
    assert r.exit_code == 8
    assert "needs a signed trust bundle" in r.stderr and "ikrar trust export" in r.stderr
    assert not (tmp_path / "x").exists()
    # an auditor without a workspace: --bundle with the authority's fingerprint
    r = run(
        tmp_path / "nowhere",
        "verifier",
        "build",
        "--out",
        str(tmp_path / "a"),
        "--bundle",
        str(site["bundle"]),
        "--fingerprint",
        b["authority"],
    )
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "a" / "verify.html").read_bytes() == site["page"].read_bytes()
    r = run(
        tmp_path / "nowhere",
        "verifier",
        "build",
        "--out",
        str(tmp_path / "b"),
        "--bundle",
        str(site["bundle"]),
        "--fingerprint",
        "SHA256:" + "ab" * 32,
        lang="en",
    )
    assert r.exit_code == 8 and "does not trust" in r.stderr
    altered = tmp_path / "altered.json"
    altered.write_bytes(site["bundle"].read_bytes().replace(b"Jeneponto", b"Jenepontu"))
    r = run(site["home"], "verifier", "build", "--out", str(tmp_path / "c"), "--bundle", str(altered), lang="en")
    assert r.exit_code == 8 and "signature is not valid" in r.stderr


# --------------------------------------------------------------------------------------
# The same verdicts as Python, in Node
# --------------------------------------------------------------------------------------


@needs_program("node")
def test_javascript_verifier_agrees_with_python(site: dict[str, Any], tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_bytes(
        subprocess.run(
            [sys.executable, str(ROOT / "tests" / "js_fixtures.py")], check=True, capture_output=True, cwd=ROOT
        ).stdout
    )
    now = int(time.time())
    inputs = dict(site["receipts"])
    inputs["valid as a link"] = URL + "#" + site["receipts"]["valid"].replace("%", "%25").replace(" ", "%20")
    inputs["valid as a raw link"] = URL + "#" + site["receipts"]["valid"]
    expect = cli_verdicts(site["home"], site["bundle"], list(inputs.values()))
    pages = tmp_path / "pages.json"
    pages.write_text(
        json.dumps(
            [
                {
                    "name": "CLI workspace",
                    "page": str(site["page"]),
                    "now": now,
                    "cases": [
                        {"name": n, "input": t, "expect": e} for (n, t), e in zip(inputs.items(), expect, strict=True)
                    ],
                }
            ]
        )
    )
    env = dict(os.environ, IKRAR_JS_FIXTURES=str(fixtures), IKRAR_JS_PAGES=str(pages))
    r = subprocess.run(
        [NODE, "--test", str(ROOT / "tests" / "js")], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    counts = dict(re.findall(r"^# (pass|fail) (\d+)$", r.stdout, re.M))
    assert counts["fail"] == "0" and int(counts["pass"]) >= 14, r.stdout[-2000:]
    assert "page built by the CLI: CLI workspace (8 receipts)" in r.stdout


# --------------------------------------------------------------------------------------
# End to end in headless Chromium
# --------------------------------------------------------------------------------------


def chromium(url: str, *extra: str) -> str:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--window-size=360,800",
        "--virtual-time-budget=8000",
        *extra,
        url,
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def page_state(dom: str) -> dict[str, str]:
    m = re.search(r'<section class="result" id="result" data-state="(\w*)" data-reason="(\w*)"', dom)
    assert m, dom[:2000]
    reason = re.search(r'<p class="reason" id="reason">(.*?)</p>', dom, re.S)
    word = re.search(r'<strong class="verdict-word" id="verdict-word">(.*?)</strong>', dom, re.S)
    return {
        "state": m.group(1),
        "reason": m.group(2),
        "message": html.unescape(reason.group(1)) if reason else "",
        "word": html.unescape(word.group(1)) if word else "",
    }


@needs_program("chromium")
def test_page_in_chromium_gives_the_cli_verdicts(site: dict[str, Any]) -> None:
    from ikrar_cli.receipts.qr import link_for

    page = site["page"].as_uri()
    for name, receipt in site["receipts"].items():
        for lang in ("id", "en"):
            exp = site["expect"][name][lang]
            got = page_state(chromium(link_for(f"{page}?lang={lang}", receipt), "--dump-dom"))
            assert got["state"] == ("valid" if exp["valid"] else "invalid"), (name, lang, got)
            assert got["reason"] == exp["reason"], (name, lang, got)
            assert got["message"] == exp["message"], (name, lang, got)
            words = {"id": ("SAH", "TIDAK SAH"), "en": ("VALID", "INVALID")}[lang]
            assert got["word"] == words[0 if exp["valid"] else 1]
    dom = chromium(link_for(page, site["receipts"]["valid"]), "--dump-dom")
    for value in (
        "Ahmad Yani",
        "198609262015051001",
        "Ikrar Netralitas ASN pada Pilkada 2024",
        "apel-1",
        "WITA",
        "Menolak politik uang dan segala bentuk pemberian yang tidak etis.",
    ):
        assert html.escape(value, quote=False) in dom, value
    ARTIFACTS.mkdir(exist_ok=True)
    for name, shot in (("valid", "verifier-valid-360x800.png"), ("tampered", "verifier-invalid-360x800.png")):
        target = ARTIFACTS / shot
        target.unlink(missing_ok=True)
        chromium(link_for(page, site["receipts"][name]), f"--screenshot={target}")
        assert target.stat().st_size > 10_000


@needs_program("chromium")
def test_an_edited_page_refuses_to_verify(site: dict[str, Any], tmp_path: Path) -> None:
    text = site["page"].read_text(encoding="utf-8")
    data_m = re.search(r'(<script type="application/json" id="ikrar-data">)(.*?)(</script>)', text, re.S)
    data = json.loads(data_m.group(2))
    bundle = base64.b64decode(data["bundle"]).replace(b'"revoked_receipts":["', b'"revoked_receipts":["0')
    data["bundle"] = base64.b64encode(bundle).decode()
    from ikrar_cli.receipts.webverifier import _json_for_html

    edited = tmp_path / "verify.html"
    edited.write_text(text[: data_m.start(2)] + _json_for_html(data) + text[data_m.end(2) :], encoding="utf-8")
    from ikrar_cli.receipts.qr import link_for

    got = page_state(chromium(link_for(edited.as_uri() + "?lang=en", site["receipts"]["valid"]), "--dump-dom"))
    assert got["state"] == "error" and got["reason"] == "page_altered", got
    assert "This page was altered" in got["message"]


# --------------------------------------------------------------------------------------
# receipt.verify_url: links in QR codes
# --------------------------------------------------------------------------------------


def test_verify_url_puts_a_compact_link_in_the_qr(site: dict[str, Any], tmp_path: Path) -> None:
    import qrcode
    import qrcode.util

    from ikrar_cli.receipts.qr import decode_file, qr_content, qr_matrix, qr_version

    home = site["home"]
    cfg = home / "ikrar.yaml"
    original = cfg.read_text()
    try:
        cfg.write_text(original.replace("verify_url: null", f"verify_url: {URL}"))
        valid = site["receipts"]["valid"]
        png = tmp_path / "r.png"
        shown = json.loads(ok(home, "receipt", "show", valid, "--png", str(png), "--json"))
        link = URL + "#" + valid.replace("%", "%25").replace(" ", "%20")
        assert decode_file(png) == [link]  # a real URL: no raw spaces
        assert " " not in link and set(link[len(URL) + 1 :]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        # two segments: the URL in byte mode, the receipt in alphanumeric mode
        single = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        single.add_data(qrcode.util.QRData(link.encode(), mode=qrcode.util.MODE_8BIT_BYTE))
        single.make(fit=True)
        v_link, v_bare = qr_version(URL + "#" + valid), qr_version(valid)
        assert shown["qr_version"] == v_link < single.version
        assert len(qr_matrix(URL + "#" + valid)) == 17 + 4 * v_link  # zxing-cpp's writer agrees
        assert v_link - v_bare <= 2, (v_bare, v_link, single.version)
        assert qr_content(valid) == valid
        # ikrar verify takes the photo of the link, the link itself, and the raw link
        for item in (str(png), link, URL + "#" + valid, valid):
            r = run(home, "verify", "--bundle", str(site["bundle"]), "--json", item)
            assert r.exit_code == 0 and json.loads(r.stdout)["reason"] == "valid", (item, r.stdout)
        # the slip prints the receipt (not the URL) under its QR, and the QR holds the link
        slip = tmp_path / "s.pdf"
        ok(home, "receipt", "show", valid, "--pdf", str(slip))
        assert decode_file(slip) == [link]
        from pypdf import PdfReader

        printed = "".join(PdfReader(slip).pages[0].extract_text().split())
        assert "IKR1:" in printed and "https:" not in printed
    finally:
        cfg.write_text(original)


def test_worst_case_receipt_sizes_with_and_without_a_link() -> None:
    """The docs' worst case (311 characters, version 10) and what a typical link adds."""
    sys.path.insert(0, str(ROOT / "tests"))
    import receipt_helpers as h

    from ikrar_cli.keys.keyfiles import key_id, raw_public
    from ikrar_cli.pledges.templates import PledgeLibrary
    from ikrar_cli.receipts.qr import qr_matrix, qr_version
    from ikrar_cli.receipts.receipt import sign_receipt

    p = PledgeLibrary.load().get("jakut-pemilu-2024")
    term = h.terminal()
    r = sign_receipt(
        h.claims(
            pledge_id=p.id,
            pledge_version=p.version,
            pledge_digest=p.digest,
            officer_name="N" * 40,
            unit="ABCDEFGH",
            session=255,
            ledger_index=65535,
        ),
        term.sign,
        key_id(raw_public(term)),
    )
    assert len(r.text) <= 311 and qr_version(r.text) == 10
    versions = {url: qr_version(f"{url}#{r.text}") for url in ("https://x.id/v", URL)}
    for url, v in versions.items():
        assert len(qr_matrix(f"{url}#{r.text}")) == 17 + 4 * v
    assert versions == {"https://x.id/v": 11, URL: 12}


def test_receipt_candidates_round_trip() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ikrar_cli.receipts.base45 import ALPHABET
    from ikrar_cli.receipts.qr import link_for, qr_content, receipt_candidates

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=ALPHABET, max_size=60))
    def check(body: str) -> None:
        receipt = "IKR1:" + body
        link = link_for(URL, receipt)
        assert receipt_candidates(link)[0] == receipt
        # spaces at the ends are trimmed (docs/receipt-format.md §1: no valid receipt ends in one)
        assert receipt_candidates(URL + "#" + receipt)[-1] == receipt.rstrip(" ")
        assert qr_content(URL + "#" + receipt) == link
        assert receipt_candidates(receipt) == [receipt.rstrip(" ")]

    check()
