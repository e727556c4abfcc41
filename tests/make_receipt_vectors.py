"""Regenerate tests/vectors/receipts.json (run from the repo root; the suite checks it byte for byte)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import receipt_helpers as h  # noqa: E402

from ikrar_cli.keys.keyfiles import b64, key_id, raw_public  # noqa: E402
from ikrar_cli.keys.trust import receipt_revocation_id  # noqa: E402
from ikrar_cli.receipts.base45 import b45decode, b45encode  # noqa: E402
from ikrar_cli.receipts.receipt import sign_receipt  # noqa: E402


def build() -> dict[str, object]:
    auth, term, other = h.authority(), h.terminal(), h.terminal(h.OTHER_SEED)
    cert = h.certificate(term, auth)
    valid = sign_receipt(h.claims(), term.sign, cert.kid)
    collective = sign_receipt(
        h.claims(
            officer_id="3273014509860001",
            id_type="nik",
            officer_name=None,
            method="collective",
            ledger_index=41,
            zone="Asia/Jakarta",
        ),
        term.sign,
        cert.kid,
    )
    foreign = sign_receipt(h.claims(), other.sign, key_id(raw_public(other)))
    tampered = valid.text[:-6] + ("A" if valid.text[-6] != "A" else "B") + valid.text[-5:]
    late = sign_receipt(h.claims(issued_at=h.T0 + 500 * 86400), term.sign, cert.kid)
    unknown_pledge = sign_receipt(h.claims(pledge_digest=bytes(32)), term.sign, cert.kid)
    from ikrar_cli.receipts.receipt import _enc

    noncanon = b45encode(_enc([valid.protected, {4: valid.kid}, valid.payload, valid.signature]))
    return {
        "description": "Receipt test vectors (docs/receipt-format.md). Keys are Ed25519 from the given 32-byte seeds.",
        "now": h.T0 + 86400,
        "authority": {
            "seed_hex": h.AUTHORITY_SEED.hex(),
            "public_key_b64": b64(raw_public(auth)),
            "kid_hex": key_id(raw_public(auth)).hex(),
        },
        "terminal": {
            "seed_hex": h.TERMINAL_SEED.hex(),
            "public_key_b64": b64(raw_public(term)),
            "kid_hex": cert.kid.hex(),
            "certificate": cert.to_dict(),
        },
        "revoked_receipt_ids_used": {"receipt_revoked": receipt_revocation_id(collective.signature).hex()},
        "key_revocation_used": {"key_revoked": {"kid": cert.kid.hex(), "revoked_at": h.T0}},
        "cases": [
            {
                "name": "valid individual",
                "expect": "valid",
                "receipt": valid.text,
                "claims": {**h.claims().__dict__, "pledge_digest": valid.claims.pledge_digest.hex()},
            },
            {"name": "valid collective, NIK, no name", "expect": "valid", "receipt": collective.text},
            {"name": "one character changed", "expect": "bad_signature_or_malformed", "receipt": tampered},
            {"name": "signed by an uncertified key", "expect": "unknown_key", "receipt": foreign.text},
            {"name": "signed after the certificate expired", "expect": "certificate_not_valid", "receipt": late.text},
            {"name": "pledge digest not in the bundle", "expect": "unknown_pledge", "receipt": unknown_pledge.text},
            {
                "name": "kid copied into the unprotected header",
                "expect": "non_canonical",
                "receipt": "IKR1:" + noncanon,
            },
            {
                "name": "unsupported version prefix",
                "expect": "unsupported_version",
                "receipt": "IKR2:" + valid.text[5:],
            },
            {
                "name": "same receipt, listed as revoked",
                "expect": "receipt_revoked",
                "receipt": collective.text,
                "with": "receipt_revoked",
            },
            {
                "name": "terminal key revoked before signing",
                "expect": "key_revoked",
                "receipt": valid.text,
                "with": "key_revoked",
            },
            *settled_choices(valid.text),
        ],
    }


def settled_choices(valid: str) -> list[dict[str, str]]:
    """One vector for each choice docs/receipt-format.md settles (§1 input, §4 CBOR, §5 step 1)."""
    from js_fixtures import bstr, claim_items, crafted_receipt, payload_of, tstr, uint

    std = claim_items()
    kid = key_id(raw_public(h.terminal()))

    def claim(**kw: bytes | None) -> str:
        return crafted_receipt(payload_of(claim_items(**kw)))

    spaced = next(t for t in (claim(k13=uint(n)) for n in range(0, 400)) if " " in t[5:-1])
    noncanon = crafted_receipt(payload_of(std), unprotected=b"\xa1\x04\x48" + kid)
    link = "https://bkpsdm.example.go.id/ikrar/verify.html#"
    encoded = next(
        crafted_receipt(payload_of(claim_items(k13=uint(n))), unprotected=b"\xa1\x04\x48" + kid)
        for n in range(0, 400)
        if " " in crafted_receipt(payload_of(claim_items(k13=uint(n))), unprotected=b"\xa1\x04\x48" + kid)
    )
    wrapped = "\r\n  ".join(spaced[i : i + 60] for i in range(0, len(spaced), 60))
    cases = [
        ("§4: ledger index 2^64 as a tag-2 bignum", "malformed", claim(k13=b"\xc2" + bstr((2**64).to_bytes(9, "big")))),
        ("§4: ledger index 5 as a tag-2 bignum", "malformed", claim(k13=b"\xc2" + bstr(b"\x05"))),
        ("§4: a float claim (session 1.0)", "malformed", claim(k9=b"\xf9\x3c\x00")),
        ("§4: a tagged claim (time with tag 1)", "malformed", claim(k10=b"\xc1" + uint(h.T0))),
        ("§4: a simple value as a claim (time false)", "malformed", claim(k10=b"\xf4")),
        ("§4: payload key true beside key 1", "malformed", crafted_receipt(payload_of(std + [(b"\xf5", uint(1))]))),
        (
            "§4: payload key simple(1) beside key 1",
            "malformed",
            crafted_receipt(payload_of(std + [(b"\xe1", uint(1))])),
        ),
        (
            "§4: payload key 1.0 beside key 1",
            "malformed",
            crafted_receipt(payload_of(std + [(b"\xf9\x3c\x00", uint(1))])),
        ),
        ("§4: payload key as text", "malformed", crafted_receipt(payload_of(std + [(tstr("x"), uint(1))]))),
        ("§4: indefinite-length text", "malformed", claim(k8=b"\x7f\x63DIN\x63KES\xff")),
        ("§4: payload keys out of order", "non_canonical", crafted_receipt(payload_of([std[1], std[0], *std[2:]]))),
        ("§4: payload key repeated", "non_canonical", crafted_receipt(payload_of(std + [(uint(13), uint(0))]))),
        ("§4: session with a longer head than needed", "non_canonical", claim(k9=b"\x18\x01")),
        ("§3: officer id empty text", "malformed", claim(k5=tstr(""))),
        ("§3: officer id numeric text", "non_canonical", claim(k5=tstr("198609262015051001"))),
        (
            "§3: officer id in Arabic-Indic digits is an internal id",
            "valid",
            claim(k5=tstr("\u0661\u0669\u0668\u0666")),
        ),
        ("§3: claim 1 is 2", "unsupported_version", claim(k1=uint(2))),
        ("§3: claim 1 is text", "malformed", claim(k1=tstr("1"))),
        ("§2: alg as text", "malformed", crafted_receipt(payload_of(std), b"\xa2\x01\x65EdDSA\x04\x48" + kid)),
        ("§2: alg -7", "unsupported_version", crafted_receipt(payload_of(std), b"\xa2\x01\x26\x04\x48" + kid)),
        (
            "§5 step 1 order: malformed (63-byte signature) before non_canonical (unprotected kid)",
            "malformed",
            _shorten_signature(noncanon),
        ),
        (
            "§5 step 1 order: malformed (empty unit) before non_canonical (numeric officer text)",
            "malformed",
            claim(k5=tstr("198609262015051001"), k8=tstr("")),
        ),
        (
            "§5 step 1 order: unsupported_version (claim 1 is 2) before non_canonical (long head)",
            "unsupported_version",
            claim(k1=uint(2), k9=b"\x18\x01"),
        ),
        ("§5 step 1 order: claim 1 before claim 2", "unsupported_version", claim(k1=uint(2), k2=tstr(""))),
        (
            "§5 step 1 order: protected header before payload",
            "unsupported_version",
            crafted_receipt(payload_of(claim_items(k2=tstr(""))), b"\xa2\x01\x26\x04\x48" + kid),
        ),
        ("§1: IKR + an ASCII digit other than 1", "unsupported_version", "IKR7:" + valid[5:]),
        ("§1: IKR + an Arabic-Indic digit", "malformed", "IKR\u0661:" + valid[5:]),
        ("§1: IKR + a fullwidth digit", "malformed", "IKR\uff11:" + valid[5:]),
        ("§1: spaces and tabs around the receipt", "valid", " \t " + spaced + " \t"),
        ("§1: receipt wrapped over lines", "valid", wrapped),
        ("§1: receipt in lower case", "malformed", spaced.lower()),
        ("§1: spaces printed as middle dots", "malformed", spaced.replace(" ", "\u00b7")),
        ("§1: link, percent-encoded fragment", "valid", link + spaced.replace("%", "%25").replace(" ", "%20")),
        (
            "§1: link whose fragment fails both readings: the reason of the fragment as it is",
            "malformed",
            link + encoded.replace("%", "%25").replace(" ", "%20"),
        ),
    ]
    return [{"name": n, "expect": e, "receipt": r} for n, e, r in cases]


def _shorten_signature(text: str) -> str:
    cose = b45decode(text[5:])
    return "IKR1:" + b45encode(cose[:-66] + b"\x58\x3f" + cose[-64:-1])


if __name__ == "__main__":
    out = Path(__file__).parent / "vectors" / "receipts.json"
    out.write_text(json.dumps(build(), ensure_ascii=False, indent=2, default=str) + "\n")
    print(out)
