"""A helper process of ``receipts/verify_pool``: the reason codes of receipts, for its parent.

Reads from stdin (pickles written by the parent that started it, over its own pipe) first the
trust bundle (public data: certificates, revocations, pledge digests; no key, no secret), then
chunks (a number and a list of receipts, each a receipt string (``str``) or a receipt's COSE bytes
(``bytes``)); writes for each chunk its number and the list of their reason codes
(``Verifier.receipt_code``), ``None`` for one that does not decode (the parent decodes it itself
and words that failure); ends when stdin closes. It opens no file and no database.
"""

from __future__ import annotations

import pickle
import sys
from typing import TYPE_CHECKING

from ..errors import IkrarError

if TYPE_CHECKING:
    from .verify import Verifier


def code_of(verifier: Verifier, item: str | bytes) -> str | None:
    """The reason code of one receipt (string or COSE bytes), ``None`` when it does not decode."""
    from .receipt import decode_receipt, receipt_from_cose

    try:
        receipt = decode_receipt(item) if isinstance(item, str) else receipt_from_cose(item)
    except IkrarError:
        return None
    return verifier.receipt_code(receipt)


def main() -> None:
    from .verify import Verifier

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        bundle = pickle.load(stdin)  # noqa: S301 - from the parent, over its own pipe
    except EOFError:
        return
    verifier = Verifier(bundle)
    while True:
        try:
            seq, part = pickle.load(stdin)  # noqa: S301
        except EOFError:
            return
        pickle.dump((seq, [code_of(verifier, item) for item in part]), stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


if __name__ == "__main__":
    main()
