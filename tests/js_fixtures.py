"""Fixtures for tests/js/verify.test.mjs: receipts and the Python Verifier's verdict on each.

Prints JSON on stdout: groups of cases, each group with the signed bundle (as the verifier page
embeds it), the reason sentences of both languages, the clock, and per case the input and the
Python result (``VerificationResult.to_dict()``) in Indonesian and English. The JavaScript
verifier must give exactly the same results. Run from the repository root:

    python tests/js_fixtures.py > /tmp/fixtures.json
"""

from __future__ import annotations

import base64
import json
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import receipt_helpers as h  # noqa: E402

from ikrar_cli.cli.receipts.verify import pick_receipt  # noqa: E402
from ikrar_cli.errors import TrustError  # noqa: E402
from ikrar_cli.i18n import set_language  # noqa: E402
from ikrar_cli.keys.keyfiles import key_id, raw_public  # noqa: E402
from ikrar_cli.keys.trust import TrustBundle, parse_bundle_bytes, receipt_revocation_id, signed_bundle_file  # noqa: E402
from ikrar_cli.receipts.base45 import ALPHABET, b45decode, b45encode  # noqa: E402
from ikrar_cli.receipts.receipt import sig_structure, sign_receipt  # noqa: E402
from ikrar_cli.receipts.verify import Verifier  # noqa: E402
from ikrar_cli.receipts.webverifier import _messages, signer_fingerprint  # noqa: E402

VECTORS = json.loads((HERE / "vectors" / "receipts.json").read_text())


def signed_bundle(bundle: TrustBundle) -> TrustBundle:
    """Sign a helper bundle with the test authority, as 'ikrar trust export' does."""
    auth = h.authority()
    data = signed_bundle_file(bundle, auth.sign, key_id(raw_public(auth)))
    return parse_bundle_bytes(data, "test", None)


def expected(bundle: TrustBundle, now: int, text: str) -> dict[str, Any]:
    out = {}
    for lang in ("id", "en"):
        set_language(lang)
        try:
            # as 'ikrar verify' does: a link's fragment is taken apart first
            out[lang] = Verifier(bundle, now=lambda: now).verify(pick_receipt(text)).to_dict()
        except Exception as exc:  # noqa: BLE001 - recorded: the JS side must not crash either
            out[lang] = {"python_raised": type(exc).__name__}
    set_language("id")
    return out


def group(name: str, bundle: TrustBundle, now: int, cases: list[tuple[str, str]]) -> dict[str, Any]:
    signed = bundle.to_json_bytes()
    return {
        "name": name,
        "bundle": base64.b64encode(signed).decode("ascii"),
        "pins": [signer_fingerprint(signed)],
        "messages": _messages(),
        "now": now,
        "cases": [{"name": n, "input": t, "expect": expected(bundle, now, t)} for n, t in cases],
    }


# --------------------------------------------------------------------------------------
# Hand-made CBOR: every kind of item the Python decoder treats specially, correctly signed
# --------------------------------------------------------------------------------------


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def bstr(b: bytes) -> bytes:
    return _head(2, len(b)) + b


def tstr(s: str) -> bytes:
    return _head(3, len(s.encode())) + s.encode()


def uint(n: int) -> bytes:
    return _head(0, n)


def crafted_receipt(payload: bytes, protected: bytes | None = None, *, unprotected: bytes = b"\xa0") -> str:
    term = h.terminal()
    kid = key_id(raw_public(term))
    protected = protected if protected is not None else b"\xa2\x01\x32\x04\x48" + kid
    sig = term.sign(sig_structure(protected, payload))
    return "IKR1:" + b45encode(b"\x84" + bstr(protected) + unprotected + bstr(payload) + bstr(sig))


def claim_items(**override: bytes | None) -> list[tuple[bytes, bytes]]:
    """The encoded (key, value) pairs of the standard claims, in canonical order."""
    c = h.claims()
    items: dict[int, bytes | None] = {
        1: uint(1),
        2: tstr(c.pledge_id),
        3: uint(c.pledge_version),
        4: bstr(c.pledge_digest[:12]),
        5: uint(int(c.officer_id)),
        6: uint(1),
        7: tstr(c.officer_name or ""),
        8: tstr(c.unit),
        9: uint(c.session),
        10: uint(c.issued_at),
        11: uint(2),
        12: uint(1),
        13: uint(0),
    }
    for k, v in override.items():
        items[int(k[1:])] = v
    return [(uint(k), v) for k, v in items.items() if v is not None]


def payload_of(pairs: list[tuple[bytes, bytes]], *, head: bytes | None = None) -> bytes:
    return (head if head is not None else _head(5, len(pairs))) + b"".join(k + v for k, v in pairs)


def crafted_cases() -> list[tuple[str, str]]:
    kid = key_id(raw_public(h.terminal()))
    std = claim_items()
    P = payload_of  # noqa: N806
    cases: list[tuple[str, str]] = [("crafted: canonical", crafted_receipt(P(std)))]

    def with_claim(name: str, **kw: bytes | None) -> None:
        cases.append((f"claim {name}", crafted_receipt(P(claim_items(**kw)))))

    with_claim("type true", k1=b"\xf5")
    with_claim("type 1.0 (half float)", k1=b"\xf9\x3c\x00")
    with_claim("type 2", k1=uint(2))
    with_claim("type text", k1=tstr("1"))
    with_claim("officer as numeric text", k5=tstr("198609262015051001"))
    with_claim("officer with a leading zero", k5=tstr("0198609262015051001"))
    with_claim("officer 2^64 as text", k5=tstr(str(2**64)))
    with_claim("officer 2^64 as bignum", k5=b"\xc2" + bstr((2**64).to_bytes(9, "big")))
    with_claim("officer small bignum", k5=b"\xc2" + bstr((12345).to_bytes(2, "big")))
    with_claim("officer Arabic-Indic digits", k5=tstr("\u0661\u0669\u0668\u0666"))
    with_claim("officer superscript digits", k5=tstr("\u00b2\u00b3"))
    with_claim("officer internal id", k5=tstr("PPNPN-001"))
    with_claim("officer zero", k5=uint(0))
    with_claim("officer negative", k5=b"\x20")
    with_claim("officer bytes", k5=bstr(b"\x01"))
    with_claim("officer empty text", k5=tstr(""))
    with_claim("name empty", k7=tstr(""))
    with_claim("name 200 code points, astral", k7=tstr("\U0001f600" * 200))
    with_claim("name 201 characters", k7=tstr("a" * 201))
    with_claim("no name", k7=None)
    with_claim("missing ledger index", k13=None)
    with_claim("digest 11 bytes", k4=bstr(bytes(11)))
    with_claim("digest as text", k4=tstr("x" * 12))
    with_claim("zone 4", k11=uint(4))
    with_claim("zone WIT", k11=uint(3))
    with_claim("id type 9", k6=uint(9))
    with_claim("method collective", k12=uint(2))
    with_claim("session as float", k9=b"\xf9\x3c\x00")
    with_claim("session non-shortest", k9=b"\x18\x01")
    with_claim("session huge", k9=uint(2**64 - 1))
    with_claim("time 2^64 - 1", k10=uint(2**64 - 1))
    with_claim("time with tag 1", k10=b"\xc1" + uint(h.T0))
    with_claim("time with unknown tag 7", k10=b"\xc7" + uint(h.T0))
    with_claim("time with self-describe tag", k10=b"\xd9\xd9\xf7" + uint(h.T0))
    with_claim("time as bool", k10=b"\xf4")
    with_claim("time as null", k10=b"\xf6")
    with_claim("time as undefined", k10=b"\xf7")
    with_claim("time as simple(16)", k10=b"\xf0")
    with_claim("time as simple two-byte 16", k10=b"\xf8\x10")
    with_claim("time as decimal", k10=b"\xc4\x82\x00" + uint(5))
    with_claim("time as rational", k10=b"\xd8\x1e\x82\x01\x02")
    with_claim("time as set", k10=b"\xd9\x01\x02\x82\x01\x02")
    with_claim("time as unsorted set", k10=b"\xd9\x01\x02\x82\x02\x01")
    with_claim("time as uuid", k10=b"\xd8\x25" + bstr(bytes(16)))
    with_claim("time as bad uuid", k10=b"\xd8\x25" + bstr(bytes(3)))
    with_claim("time as datetime text", k10=b"\xc0" + tstr("2024-10-01T00:00:00Z"))
    with_claim("time as datetime int", k10=b"\xc0\x01")
    with_claim("time as regex", k10=b"\xd8\x23" + tstr("a"))
    with_claim("time as mime", k10=b"\xd8\x24" + tstr("a"))
    with_claim("time as shared ref", k10=b"\xd8\x1d\x00")
    with_claim("time as shareable", k10=b"\xd8\x1c" + uint(h.T0))
    with_claim("time as bigfloat", k10=b"\xc5\x82\x01\x02")
    with_claim("time as big tag number", k10=b"\xdb" + (2**40).to_bytes(8, "big") + uint(1))
    with_claim("unit invalid UTF-8", k8=b"\x62\xc3\x28")
    with_claim("unit indefinite text", k8=b"\x7f\x63DIN\x63KES\xff")
    with_claim("pledge id indefinite bytes", k2=b"\x5f\x41a\xff")
    with_claim("reserved additional info", k9=b"\x1c")
    with_claim("break where an item is expected", k9=b"\xff")
    with_claim("float32 version", k3=b"\xfa\x3f\x80\x00\x00")
    with_claim("float64 time", k10=bytes.fromhex("fb3ff8000000000000"))
    with_claim("ledger index 2^64 bignum", k13=b"\xc2" + bstr((2**64).to_bytes(9, "big")))
    with_claim("ledger index 2^64 - 1", k13=uint(2**64 - 1))
    with_claim("officer numeric text and empty unit", k5=tstr("198609262015051001"), k8=tstr(""))
    with_claim("type 2 and non-shortest session", k1=uint(2), k9=b"\x18\x01")
    with_claim("type 2 and empty pledge id", k1=uint(2), k2=tstr(""))
    with_claim("officer fullwidth digits", k5=tstr("\uff11\uff12\uff13"))
    with_claim("officer with a control character", k5=tstr("PPNPN\x1b[2K"))
    with_claim("name with ESC sequences", k7=tstr("Andi\x1b[1A\x1b[2K"))
    with_claim("name with rich markup", k7=tstr("Dinas [/] Kacau [bold]x"))
    with_claim("NaN session", k9=b"\xf9\x7e\x00")
    with_claim("NaN with payload", k9=b"\xf9\x7e\x01")
    with_claim("version 1.5 as double", k3=bytes.fromhex("fb3ff8000000000000"))
    with_claim("version 65504.0 half", k3=bytes.fromhex("f97bff"))
    with_claim("version subnormal as float32", k3=bytes.fromhex("fa33800000"))
    with_claim("version -0.0", k3=bytes.fromhex("f98000"))

    # map-level variants
    swapped = std[:]
    swapped[0], swapped[1] = swapped[1], swapped[0]
    cases.append(("payload keys out of order", crafted_receipt(P(swapped))))
    cases.append(("payload duplicate key", crafted_receipt(P(std + [(uint(13), uint(0))]))))
    cases.append(("payload extra key 14", crafted_receipt(P(std + [(uint(14), uint(0))]))))
    cases.append(("payload key 1 as true (sorted last)", crafted_receipt(P(std[1:] + [(b"\xf5", uint(1))]))))
    cases.append(("payload key 1 as 1.0 (sorted last)", crafted_receipt(P(std[1:] + [(b"\xf9\x3c\x00", uint(1))]))))
    cases.append(("payload key 1 as text", crafted_receipt(P(std[1:] + [(tstr("1"), uint(1))]))))
    cases.append(("payload key simple(1) beside 1", crafted_receipt(P(std + [(b"\xe1", uint(1))]))))
    cases.append(("payload key true beside 1", crafted_receipt(P(std + [(b"\xf5", uint(1))]))))
    cases.append(("payload key 1.0 beside 1", crafted_receipt(P(std + [(b"\xf9\x3c\x00", uint(1))]))))
    cases.append(("payload key -1 at the end", crafted_receipt(P(std + [(b"\x20", uint(1))]))))
    cases.append(("payload key 24 (two-byte head)", crafted_receipt(P(std + [(b"\x18\x18", uint(1))]))))
    cases.append(("payload nested 10 deep", crafted_receipt(P(claim_items(k7=b"\x81" * 10 + b"\x00")))))
    cases.append(("payload indefinite map", crafted_receipt(P(std, head=b"\xbf") + b"\xff")))
    cases.append(("payload trailing byte", crafted_receipt(P(std) + b"\x00")))
    cases.append(("payload truncated", crafted_receipt(P(std)[:-1])))
    cases.append(("payload is an array", crafted_receipt(b"\x81\x01")))
    cases.append(("payload tagged", crafted_receipt(b"\xc7" + P(std))))
    cases.append(("payload empty", crafted_receipt(b"")))
    cases.append(("payload map length non-shortest", crafted_receipt(P(std, head=b"\xb8\x0d"))))

    # protected header variants
    ph = b"\xa2\x01\x32\x04\x48"
    cases.append(("alg -8 (EdDSA)", crafted_receipt(P(std), b"\xa2\x01\x27\x04\x48" + kid)))
    cases.append(("alg -7", crafted_receipt(P(std), b"\xa2\x01\x26\x04\x48" + kid)))
    cases.append(("alg -19.0 as float", crafted_receipt(P(std), b"\xa2\x01\xf9\xcc\xc0\x04\x48" + kid)))
    cases.append(("alg as text", crafted_receipt(P(std), b"\xa2\x01\x63EdD\x04\x48" + kid)))
    cases.append(("kid 7 bytes", crafted_receipt(P(std), b"\xa2\x01\x32\x04\x47" + kid[:7])))
    cases.append(("kid as text", crafted_receipt(P(std), b"\xa2\x01\x32\x04\x68" + kid.hex()[:8].encode())))
    cases.append(("protected extra key", crafted_receipt(P(std), b"\xa3\x01\x32\x04\x48" + kid + b"\x05\x00")))
    cases.append(("protected keys swapped", crafted_receipt(P(std), b"\xa2\x04\x48" + kid + b"\x01\x32")))
    cases.append(("protected kid indefinite", crafted_receipt(P(std), b"\xa2\x01\x32\x04\x5f\x48" + kid + b"\xff")))
    cases.append(("protected key 1 as true", crafted_receipt(P(std), b"\xa2\x04\x48" + kid + b"\xf5\x32")))
    cases.append(("protected empty map", crafted_receipt(P(std), b"\xa0")))
    cases.append(("protected trailing", crafted_receipt(P(std), ph + kid + b"\x00")))
    cases.append(("unprotected kid", crafted_receipt(P(std), unprotected=b"\xa1\x04\x48" + kid)))
    cases.append(("unprotected array", crafted_receipt(P(std), unprotected=b"\x80")))
    cases.append(("unprotected indefinite empty map", crafted_receipt(P(std), unprotected=b"\xbf\xff")))
    cases.append(
        (
            "unprotected kid and alg -7",
            crafted_receipt(P(std), b"\xa2\x01\x26\x04\x48" + kid, unprotected=b"\xa1\x04\x48" + kid),
        )
    )
    cases.append(("protected alg as a long text", crafted_receipt(P(std), b"\xa2\x01\x65EdDSA\x04\x48" + kid)))
    cases.append(("protected alg -19 non-shortest", crafted_receipt(P(std), b"\xa2\x01\x38\x12\x04\x48" + kid)))

    # outer array variants, from the canonical receipt
    good = b45decode(crafted_receipt(P(std))[5:])

    def outer(name: str, cose: bytes) -> None:
        cases.append((f"outer {name}", "IKR1:" + b45encode(cose)))

    outer("tag 18", b"\xd2" + good)
    outer("trailing byte", good + b"\x00")
    outer("5 items", b"\x85" + good[1:] + b"\x00")
    outer("3 items", b"\x83" + good[1:])
    outer("indefinite array", b"\x9f" + good[1:] + b"\xff")
    outer("signature 63 bytes", good[:-66] + b"\x58\x3f" + good[-64:-1])
    outer("empty", b"")
    outer("map", b"\xa0")
    outer("integer", b"\x00")

    # text level
    valid = VECTORS["cases"][0]["receipt"]
    link = "https://bkpsdm.example.go.id/ikrar/verify.html#"
    cases += [
        ("lowercase receipt", valid.lower()),
        ("lowercase prefix", "ikr1:" + valid[5:]),
        ("IKR with an Arabic-Indic digit", "IKR\u0663:" + valid[5:]),
        ("IKR9", "IKR9:" + valid[5:]),
        ("IKRX", "IKRX:" + valid[5:]),
        ("empty", ""),
        ("prefix only", "IKR1:"),
        ("length 1 mod 3", valid + "A"),
        ("triplet overflow", "IKR1:GGW"),
        ("pair overflow", "IKR1:GGWZZ"),
        ("trailing space", valid + " "),
        ("trailing newline", valid + "\n"),
        ("non-ASCII", valid[:-3] + "\u00c4" + valid[-2:]),
        ("too long", valid + "0" * (4096 - len(valid) + 1)),
        ("link, raw fragment", link + valid),
        ("link, encoded fragment", link + valid.replace("%", "%25").replace(" ", "%20")),
        ("link, spaces encoded only", link + valid.replace(" ", "%20")),
        ("link, two hashes", link + "x#" + valid),
        ("link, empty fragment", link),
        ("link, damaged", link + valid[:-1]),
        ("surrounding spaces", "  " + valid + "\t "),
        ("wrapped with line breaks", valid[:40] + "\n" + valid[40:90] + "\r\n  " + valid[90:]),
        ("wrapped link", link + valid[:50] + "\n" + valid[50:]),
        ("middle dots", valid.replace(" ", "\u00b7").replace("A", "\u00b7", 1)),
        ("lowercase body only", valid[:5] + valid[5:].lower()),
        ("a control character inside", valid[:30] + "\x1b" + valid[31:]),
        ("IKR with a fullwidth digit", "IKR\uff11:" + valid[5:]),
        ("IKR with a superscript digit", "IKR\u00b9:" + valid[5:]),
    ]
    return cases


def mutation_cases(seed: int = 20241001, n: int = 250) -> list[tuple[str, str]]:
    """Random one-character changes of the text and random byte changes of the COSE bytes."""
    rnd = random.Random(seed)
    valid = VECTORS["cases"][0]["receipt"]
    cose = b45decode(valid[5:])
    out = []
    for i in range(n):
        pos = rnd.randrange(5, len(valid))
        out.append((f"text mutation {i}", valid[:pos] + rnd.choice(ALPHABET) + valid[pos + 1 :]))
    for i in range(n):
        b = bytearray(cose)
        for _ in range(rnd.choice((1, 1, 2))):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        out.append((f"byte mutation {i}", "IKR1:" + b45encode(bytes(b))))
    for _ in range(n // 5):
        cut = rnd.randrange(1, len(cose))
        out.append((f"truncated at {cut}", "IKR1:" + b45encode(cose[:cut])))
    # changed, inserted or deleted payload and header bytes, signed again: the signature holds, so
    # the verdict is the decoder's own (malformed, non_canonical, unsupported_version or valid)
    payload = payload_of(claim_items())
    protected = b"\xa2\x01\x32\x04\x48" + key_id(raw_public(h.terminal()))
    for i in range(2 * n):
        target = bytearray(payload if i % 4 else protected)
        for _ in range(rnd.choice((1, 1, 2, 3))):
            at = rnd.randrange(len(target))
            op = rnd.randrange(3)
            if op == 0:
                target[at] = rnd.choice(
                    (rnd.randrange(256), 0xF5, 0xF4, 0xF6, 0xF9, 0xC2, 0x18, 0x5F, 0x7F, 0xBF, 0xFF)
                )
            elif op == 1:
                target.insert(at, rnd.randrange(256))
            else:
                del target[at]
        if i % 4:
            out.append((f"re-signed payload mutation {i}", crafted_receipt(bytes(target))))
        else:
            out.append((f"re-signed header mutation {i}", crafted_receipt(payload, bytes(target))))
    return out


def vector_groups() -> list[dict[str, Any]]:
    now = VECTORS["now"]
    groups = []
    plain = signed_bundle(h.bundle())
    by_with: dict[str | None, list[tuple[str, str]]] = {}
    for case in VECTORS["cases"]:
        by_with.setdefault(case.get("with"), []).append((case["name"], case["receipt"]))
    rr = VECTORS["revoked_receipt_ids_used"]["receipt_revoked"]
    kr = VECTORS["key_revocation_used"]["key_revoked"]
    bundles = {
        None: plain,
        "receipt_revoked": signed_bundle(h.bundle(revoked_receipts={bytes.fromhex(rr)})),
        "key_revoked": signed_bundle(h.bundle(revocations={bytes.fromhex(kr["kid"]): (kr["revoked_at"], "stolen")})),
    }
    for with_, cases in by_with.items():
        groups.append(group(f"vectors ({with_ or 'plain bundle'})", bundles[with_], now, cases))
    groups.append(group("crafted CBOR", plain, now, crafted_cases()))
    groups.append(group("random mutations", plain, now, mutation_cases()))
    stale = signed_bundle(h.bundle(valid_until=now - 1))
    groups.append(group("stale bundle", stale, now, [(n, t) for n, t in by_with[None][:2]]))
    wita = signed_bundle(replace(h.bundle(valid_until=now - 1), institution_zone="Asia/Makassar"))
    groups.append(group("stale bundle of a WITA institution", wita, now, [(n, t) for n, t in by_with[None][:2]]))
    # a pledge digest prefix the bundle does not know, as the signing terminal would make it
    term = h.terminal()
    odd = sign_receipt(h.claims(pledge_digest=bytes(range(32))), term.sign, key_id(raw_public(term)))
    revoked = sign_receipt(h.claims(ledger_index=7), term.sign, key_id(raw_public(term)))
    groups.append(
        group(
            "revocations",
            signed_bundle(
                h.bundle(
                    revoked_receipts={receipt_revocation_id(revoked.signature)},
                    revocations={key_id(raw_public(term)): (h.T0 + 7200, "terminal hilang")},
                )
            ),
            now,
            [
                ("signed before the key revocation", odd.text),
                ("revoked receipt, signed before the key revocation", revoked.text),
                (
                    "signed after the key revocation",
                    sign_receipt(h.claims(issued_at=h.T0 + 7200), term.sign, key_id(raw_public(term))).text,
                ),
            ],
        )
    )
    return groups


def bad_bundles() -> list[dict[str, Any]]:
    """Signed by the pinned authority but inconsistent: the page must refuse each, as Python does."""
    auth = h.authority()
    b = h.bundle()
    digest, info = next(iter(b.pledges.items()))
    out = []
    for name, pledge in (
        ("pledge title altered", replace(info, canonical=dict(info.canonical, title="Judul yang diubah"))),
        ("pledge version relabelled", replace(info, version=info.version + 1)),
    ):
        data = signed_bundle_file(
            replace(b, pledges={**b.pledges, digest: pledge}), auth.sign, key_id(raw_public(auth))
        )
        try:
            parse_bundle_bytes(data, "x", None)
        except TrustError:
            pass
        else:  # pragma: no cover - the Python side must refuse it first
            raise AssertionError(name)
        out.append({"name": name, "bundle": base64.b64encode(data).decode("ascii"), "pins": [signer_fingerprint(data)]})
    return out


def main() -> None:
    json.dump({"groups": vector_groups(), "bad_bundles": bad_bundles()}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
