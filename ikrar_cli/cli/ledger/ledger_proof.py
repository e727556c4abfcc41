"""`ikrar verify --proof`: check a receipt's inclusion proof against a signed checkpoint, offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...keys.trust import TrustBundle
    from ...receipts.verify import VerificationResult
    from ...witness.policy import WitnessPolicy


def check_proof(
    result: VerificationResult, proof_path: Path, bundle: TrustBundle, policy: WitnessPolicy | None = None
) -> VerificationResult:
    from ...errors import VerificationError
    from ...fsutil import read_input_bytes
    from ...ledger.checkpoint import verify_inclusion_proof
    from ...recitation.attest import log_origin

    receipt = result.receipt
    assert receipt is not None
    cert = bundle.terminals[receipt.kid]
    name = log_origin(bundle.institution_code, receipt.kid)
    text = read_input_bytes(proof_path, limit=1_000_000).decode("utf-8", "replace")
    try:
        cp = verify_inclusion_proof(receipt.cose, text, name, cert.public_key)
    except VerificationError as exc:
        result.valid, result.code, result.message = False, exc.code or "bad_proof", exc.message
        return result
    result.details["proof"] = {"checkpoint_size": cp.size, "root": cp.root.hex(), "origin": cp.origin}
    if policy is not None:
        from ...i18n import _
        from ...ledger.checkpoint import parse_proof
        from ...witness.policy import check_note

        check = check_note(policy, parse_proof(text)[2])
        result.details["witnesses"] = check.to_dict()
        if not check.ok:
            failure = check.error(_("The proof's checkpoint (size {size})", size=cp.size))
            result.valid, result.code, result.message = False, failure.code or "witness_quorum", failure.message
    return result


def check_proof_from(result: VerificationResult, url: str, bundle: TrustBundle) -> VerificationResult:
    """`ikrar verify --proof-from URL`: fetch the receipt's inclusion proof (and the checkpoint in it)
    from the centre, then check both against the trust bundle exactly as a proof file is checked:
    the centre is never trusted, only the terminal's signature on the checkpoint."""
    from ...errors import IkrarError, VerificationError
    from ...ledger.checkpoint import verify_inclusion_proof
    from ...recitation.attest import log_origin
    from ...sync.client import fetch_proof

    receipt = result.receipt
    assert receipt is not None
    cert = bundle.terminals[receipt.kid]
    try:
        text = fetch_proof(url, receipt.kid.hex(), receipt.claims.ledger_index)
        cp = verify_inclusion_proof(receipt.cose, text, log_origin(bundle.institution_code, receipt.kid),
                                    cert.public_key)  # fmt: skip
    except VerificationError as exc:
        result.valid, result.code, result.message = False, exc.code or "bad_proof", exc.message
        return result
    except IkrarError as exc:
        result.valid, result.code, result.message = False, "proof_unavailable", exc.diagnostics()
        return result
    result.details["proof"] = {"checkpoint_size": cp.size, "root": cp.root.hex(), "origin": cp.origin, "from": url}
    return result
