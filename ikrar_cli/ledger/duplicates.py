"""Officers who attested one pledge version more than once (in several logs): the merge reports them,
counted once, earliest first (docs/ledger-export.md).

The keys (officer, pledge, version) that have more than one attestation are kept in
``attestation_duplicate_keys`` (migration 0017) as they arise, in the transaction that adds the
second row: a merge's swap notes the keys of its staged rows (one probe of the ``attestations_officer``
index per row). The kiosk never adds a second row (it hands back the receipt the officer has, from
whichever log, recitation/attest.py), so merges are the only way in. :func:`duplicates` then reads
only those keys' rows, whatever the size of the table, and gives what grouping every attestation gave.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Duplicate", "count_duplicates", "duplicates", "iter_duplicates", "note_key", "note_staged"]


@dataclass
class Duplicate:
    """One officer attested the same pledge in several logs: counted once, earliest first."""

    officer_id: str
    pledge: str
    attestations: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"officer_id": self.officer_id, "pledge": self.pledge, "attestations": self.attestations}


_COUNT = (
    "(SELECT COUNT(*) FROM attestations a WHERE a.officer_id = {t}.officer_id AND a.pledge_id = {t}.pledge_id "
    "AND a.pledge_version = {t}.pledge_version) > 1"
)


# noting counts every stored row, those of a batched merge not yet published too (migration 0019):
# whichever of two rows of a key is written last notes the key, whenever the first one is published
_COUNT_ALL = _COUNT.replace("FROM attestations a", "FROM attestation_rows a")


def note_staged(conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> None:
    """In a merge's swap, after its rows were copied in: the keys of the staged rows (those matching
    ``where`` on ``s``, for one batch) that now have more than one attestation (rows the swap skipped
    as already there count as they are in the table)."""
    conn.execute(
        "INSERT INTO attestation_duplicate_keys (officer_id, pledge_id, pledge_version) "
        "SELECT DISTINCT s.officer_id, s.pledge_id, s.pledge_version FROM merge_stage_attestations s "
        "WHERE " + (f"{where} AND " if where else "") + _COUNT_ALL.format(t="s") + " ON CONFLICT DO NOTHING",
        params,
    )


def note_key(conn: sqlite3.Connection, officer_id: str, pledge_id: str, version: int) -> None:
    """The kiosk, after adding an attestation: its key, if it now has more than one row. The kiosk
    hands back a receipt the officer has, but cannot see a batched merge's rows before they are
    published; when both are there, the later writer notes the key."""
    conn.execute(
        "INSERT INTO attestation_duplicate_keys (officer_id, pledge_id, pledge_version) "
        "SELECT ?, ?, ? WHERE (SELECT COUNT(*) FROM attestation_rows a WHERE a.officer_id = ? AND a.pledge_id = ? "
        "AND a.pledge_version = ?) > 1 ON CONFLICT DO NOTHING",
        (officer_id, pledge_id, version, officer_id, pledge_id, version),
    )


_DUPLICATE_ROWS = (
    "SELECT a.officer_id, a.pledge_id, a.pledge_version, a.log_id, a.ledger_idx, a.attested_at, s.terminal_name "
    "FROM attestations a JOIN sessions s ON s.id = a.session_id "
    "WHERE (a.officer_id, a.pledge_id, a.pledge_version) IN (SELECT officer_id, pledge_id, pledge_version "
    "FROM attestation_duplicate_keys) "  # the keys drive (an index search each), not a scan in key order
    "ORDER BY a.officer_id, a.pledge_id, a.pledge_version, a.attested_at, a.log_id, a.ledger_idx"
)


def iter_duplicates(conn: sqlite3.Connection) -> Iterator[Duplicate]:
    """Officers with more than one attestation of one pledge version (across logs), earliest first,
    one at a time as the rows stream in (key order), so a national workspace with hundreds of
    thousands of them is listed in memory bounded by one officer's rows."""
    current: Duplicate | None = None
    for oid, pid, ver, log_id, idx, at, terminal in conn.execute(_DUPLICATE_ROWS):
        pledge = f"{pid}@{ver}"
        if current is None or current.officer_id != oid or current.pledge != pledge:
            if current is not None and len(current.attestations) > 1:
                yield current
            current = Duplicate(oid, pledge, [])
        current.attestations.append({"log": log_id, "index": idx, "attested_at": at, "terminal": terminal})
    if current is not None and len(current.attestations) > 1:  # a key whose rows went since: none
        yield current


def duplicates(conn: sqlite3.Connection) -> list[Duplicate]:
    """:func:`iter_duplicates` as a list."""
    return list(iter_duplicates(conn))


def count_duplicates(conn: sqlite3.Connection) -> int:
    """How many (officer, pledge version) have more than one attestation: :func:`iter_duplicates`'s
    length, counted by the database."""
    row = conn.execute("SELECT COUNT(*) FROM attestation_duplicate_keys k WHERE " + _COUNT.format(t="k")).fetchone()
    return int(row[0])
