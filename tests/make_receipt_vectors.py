"""Regenerate tests/vectors/receipts.json (run from the repo root; the suite checks it byte for byte)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import receipt_helpers as h  # noqa: E402

from ikrar_cli.base45 import b45encode  # noqa: E402
from ikrar_cli.keys import b64, key_id, raw_public  # noqa: E402
from ikrar_cli.receipt import sign_receipt  # noqa: E402
from ikrar_cli.trust import receipt_revocation_id  # noqa: E402


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
    from ikrar_cli.receipt import _enc

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
        ],
    }


if __name__ == "__main__":
    out = Path(__file__).parent / "vectors" / "receipts.json"
    out.write_text(json.dumps(build(), ensure_ascii=False, indent=2, default=str) + "\n")
    print(out)
