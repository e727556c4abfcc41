"""The checks ``ledger verify`` and ``ledger merge`` share (issue 19 moved them out of export.py):
:class:`EntryChecker`, the check every ledger entry must pass in index order, and
:func:`check_attestations`, which holds the attestation rows to the signed entries they claim."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import InputError, VerificationError
from ..i18n import _
from ..receipts.receipt import PREFIX, Receipt
from ..recitation.sessions import RECORD_PREFIX

if TYPE_CHECKING:
    from ..receipts.verify import Verifier
    from ..store.core import Store
    from .log import LogInfo

CHUNK = 5000


class EntryChecker:
    """The check every ledger entry must pass, in index order. A receipt verifies, is signed by the
    log's own terminal key and names its own index; a session record is well formed, names its own
    index and terminal, and opens or closes a session once; time never goes back (docs/ledger.md).
    A revoked receipt stays in the log (it was signed): the call returns True for it so that
    reports leave it out."""

    def __init__(self, verifier: Verifier, info: LogInfo):
        from ..recitation.sessions import LogChecker

        self.verifier = verifier
        self.kid = bytes.fromhex(info.log_id)
        cert = verifier.bundle.terminals.get(self.kid)
        pledges = {p.ref: d for d, p in verifier.bundle.pledges.items()}
        self.state = LogChecker(cert.name if cert else "", pledges if cert else None)
        self.terminal_known = cert is not None

    def __call__(self, idx: int, entry: bytes | Receipt) -> bool:
        if isinstance(entry, bytes) and _is_record(entry):
            if not self.terminal_known:
                raise VerificationError(_("the log's terminal key is not in the trust bundle"), None,
                                        code="unknown_key")  # fmt: skip
            self.state.record(idx, entry)
            return False
        try:
            r = entry if isinstance(entry, Receipt) else _receipt_from_cose(entry)
        except InputError as exc:
            raise VerificationError(exc.message, None, code="bad_entry") from None
        if r.kid != self.kid:
            raise VerificationError(
                _("the receipt is signed by key {kid}, not by this log's terminal key", kid=r.kid.hex()),
                None,
                code="wrong_key",
            )
        if r.claims.ledger_index != idx:
            raise VerificationError(
                _("the receipt names index {named}: entries were reordered", named=r.claims.ledger_index),
                None,
                code="reordered",
            )
        code = self.verifier.receipt_code(r)  # every check; the message is made only for a failure
        if code != "valid" and code != "receipt_revoked":
            result = self.verifier.verify_receipt(r, with_details=False)
            raise VerificationError(result.message, None, code=result.code)
        c = r.claims
        self.state.receipt(idx, c.session, f"{c.pledge_id}@{c.pledge_version}", c.issued_at)
        return code != "valid"


def _is_record(entry: bytes) -> bool:
    from ..recitation.sessions import is_record

    return is_record(entry)


def _receipt_from_cose(entry: bytes) -> Receipt:
    from ..receipts.receipt import receipt_from_cose

    return receipt_from_cose(entry)


def entry_checker(verifier: Verifier, info: LogInfo) -> EntryChecker:
    return EntryChecker(verifier, info)


def checked_ahead(check: object, entries: Iterator[tuple[int, bytes, bytes]]) -> Iterator[tuple[int, bytes, bytes]]:
    """A log's stored entries (idx, leaf, leaf hash) in order; when ``check`` is an
    :class:`EntryChecker` whose verifier has helper processes (``receipts/verify_pool.py``), the
    receipts' signatures are checked by them ahead of it (``ledger verify``)."""
    if not isinstance(check, EntryChecker):
        return entries
    from ..receipts.verify_pool import ahead_entries

    return ahead_entries(check.verifier, entries, lambda e: None if _is_record(e[1]) else e[1])


def check_attestations(store: Store) -> list[VerificationError]:
    """Every attestation row must be exactly the receipt stored in the ledger at its index,
    and every ledger entry must have its row: an edited or invented row is caught here, since
    reports count rows. Streams in chunks; returns the first problem (or none)."""
    from ..receipts.base45 import b45encode
    from ..receipts.receipt import receipt_from_cose

    last = 0
    while True:
        with store.read() as conn:
            rows = conn.execute(
                "SELECT a.id, a.log_id, a.ledger_idx, a.receipt, a.officer_id, a.pledge_id, a.pledge_version, "
                "a.method, a.attested_at, a.unit_code, e.leaf FROM attestations a LEFT JOIN ledger_entries e "
                "ON e.log_id = a.log_id AND e.idx = a.ledger_idx WHERE a.id > ? ORDER BY a.id LIMIT ?",
                (last, CHUNK),
            ).fetchall()
        if not rows:
            break
        for aid, log_id, idx, text, oid, pid, ver, method, at, unit, leaf in rows:
            problem = None
            if leaf is None:
                problem = _("attestation {id} names entry {index} of log {log}, which does not exist", id=aid,
                            index=idx, log=log_id)  # fmt: skip
            elif PREFIX + b45encode(bytes(leaf)) != text:
                problem = _("attestation {id} does not hold the receipt stored at entry {index} of log {log}", id=aid,
                            index=idx, log=log_id)  # fmt: skip
            else:
                c = receipt_from_cose(bytes(leaf)).claims
                if (c.officer_id, c.pledge_id, c.pledge_version, c.method, c.issued_at, c.unit) != (
                    oid, pid, ver, method, at, unit
                ):  # fmt: skip
                    problem = _("attestation {id} differs from its signed receipt (entry {index} of log {log})",
                                id=aid, index=idx, log=log_id)  # fmt: skip
            if problem:
                return [
                    VerificationError(
                        problem, _("the database was edited; restore it or merge the terminal exports again"),
                        code="attestation_mismatch",
                    )
                ]  # fmt: skip
        last = rows[-1][0]
    with store.read() as conn:
        n_entries = conn.execute(
            "SELECT COUNT(*) FROM ledger_entries WHERE substr(leaf, 1, ?) != ?", (len(RECORD_PREFIX), RECORD_PREFIX)
        ).fetchone()[0]
        n_rows = conn.execute(
            "SELECT COUNT(*) FROM attestations a JOIN ledger_entries e ON e.log_id = a.log_id AND e.idx = a.ledger_idx"
        ).fetchone()[0]
    if n_rows != n_entries:
        return [
            VerificationError(
                _("{n} ledger entries have no attestation row: rows were deleted", n=n_entries - n_rows),
                _("the database was edited; restore it or merge the terminal exports again"),
                code="attestation_missing",
            )
        ]
    return []
