"""``Verifier.receipt_code`` remembers which bundle pledge a digest prefix names (a merge asks for
every receipt) and answers exactly what ``bundle.pledge_for_prefix`` answers, also when the bundle
changes under it: a pledge taken out is unknown again, one put back is found again."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import receipt_helpers as h  # noqa: E402

from ikrar_cli.keys.keyfiles import key_id, raw_public  # noqa: E402
from ikrar_cli.receipts.receipt import decode_receipt, sign_receipt  # noqa: E402
from ikrar_cli.receipts.verify import Verifier  # noqa: E402


def test_the_remembered_pledge_follows_the_bundle() -> None:
    term = h.terminal()
    b = h.bundle()
    v = Verifier(b)
    r = decode_receipt(sign_receipt(h.claims(), term.sign, key_id(raw_public(term))).text)
    assert v.receipt_code(r) == "valid" == v.verify_receipt(r).code
    assert v.receipt_code(r) == "valid"  # from what it remembered
    digest = next(d for d in b.pledges if d.startswith(r.claims.pledge_digest))
    pledge = b.pledges.pop(digest)
    assert v.receipt_code(r) == "unknown_pledge" == v.verify_receipt(r).code
    b.pledges[digest] = replace(pledge, version=pledge.version + 1)  # another pledge under that digest
    assert v.receipt_code(r) == "unknown_pledge" == v.verify_receipt(r).code
    b.pledges[digest] = pledge
    assert v.receipt_code(r) == "valid"
