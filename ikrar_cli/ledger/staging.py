"""A merge's staging area and its one apply step (docs/ledger-export.md, "Staging and locks").

``ledger merge``, the incremental merge and the server's ingest all work in two phases:

1. **Verify and stage**, without the write lock: inside one read snapshot of the store the file is
   read once, every signature, certificate, entry, tree root and consistency proof is checked, and
   the new entries and attestation rows are written ``CHUNK`` at a time into *temporary* tables
   (``merge_stage_entries``, ``merge_stage_attestations``). Temporary tables belong to the merge's
   own database connection: another process never sees them, writing them takes no lock on the
   workspace (SQLite keeps them in its temporary file, PostgreSQL in the session's temporary
   schema), and they vanish with the connection, so a merge that is killed or fails leaves nothing
   behind. A roster import, another merge or a kiosk write in the meantime proceeds.
2. **Apply** (:func:`apply_staged`), in one short write transaction: check that every log is still
   as the verification saw it (else the file is verified again: a concurrent merge got there
   first), make the session rows, and copy the staged rows into ``ledger_entries`` and
   ``attestations`` with two ``INSERT ... SELECT`` statements, with the checkpoints. The file is
   still merged whole or not at all; only this step holds the write lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..i18n import _
from ..keys.trust import receipt_revocation_id
from ..store.core import now
from ..testpoints import pause_point
from .duplicates import note_staged
from .log import Ledger, LogInfo, PackedHashes
from .merge_sessions import SessionPlan
from .merkle import StreamingRoot, leaf_hash

if TYPE_CHECKING:
    from ..store.core import Store
    from .checkpoint import Checkpoint
    from .checks import EntryChecker
    from .export import _Reader

CHUNK = 5000  # staged rows per batch written (bounded memory)
RENEW_EVERY = 20_000  # entries verified in one read snapshot at most, when the caller renews it (SQLite)
SWAP_WORK_MEM = "64MB"  # PostgreSQL, the swap's transaction only: per sort or hash of the server (default 4MB)
# The swap flags a receipt of an officer not on the roster with one key lookup per staged row (``a`` the staged
# attestation). Not ``EXISTS``: PostgreSQL turns that into a hash of the whole officers table once it fits
# SWAP_WORK_MEM, i.e. reads every officer under the write lock at every swap (200,000 officers: 0.6 s of a 1.4 s
# swap of 5,000). The batched swap's copies (batched_swap.py) use it too.
UNLISTED_PROBE = "COALESCE((SELECT 0 FROM officers o WHERE o.officer_id = a.officer_id), 1)"
# The copies of staged rows into the tables (every staged row here; the batched swap adds a WHERE on a log's
# index range): one column list for both swaps.
COPY_ENTRIES = ("INSERT INTO ledger_entry_rows (log_id, idx, leaf, leaf_hash, created_at) "
                "SELECT log_id, idx, leaf, leaf_hash, created_at FROM merge_stage_entries")  # fmt: skip
COPY_ATTESTATIONS = (
    "INSERT INTO attestation_rows (session_id, log_id, ledger_idx, officer_id, id_type, officer_name, unit_code, "
    "pledge_id, pledge_version, method, attested_at, unlisted, receipt, receipt_rid, merged) "
    "SELECT (SELECT m.sid FROM merge_stage_sessions m WHERE m.log_id = a.log_id AND m.number = a.session_no), "
    "a.log_id, a.ledger_idx, a.officer_id, a.id_type, a.officer_name, a.unit_code, a.pledge_id, "
    f"a.pledge_version, a.method, a.attested_at, {UNLISTED_PROBE}, a.receipt, a.receipt_rid, 1 "
    "FROM merge_stage_attestations a WHERE true"
)

TABLES = {
    "merge_stage_entries": "log_id TEXT NOT NULL, idx INTEGER NOT NULL, leaf BLOB NOT NULL, leaf_hash BLOB NOT NULL, "
    "created_at INTEGER NOT NULL",
    "merge_stage_attestations": "log_id TEXT NOT NULL, ledger_idx INTEGER NOT NULL, session_no INTEGER NOT NULL, "
    "officer_id TEXT NOT NULL, id_type TEXT NOT NULL, officer_name TEXT, unit_code TEXT NOT NULL, "
    "pledge_id TEXT NOT NULL, pledge_version INTEGER NOT NULL, method TEXT NOT NULL, attested_at INTEGER NOT NULL, "
    "receipt TEXT NOT NULL, receipt_rid BLOB",
    "merge_stage_sessions": "log_id TEXT NOT NULL, number INTEGER NOT NULL, sid INTEGER NOT NULL, "
    "PRIMARY KEY (log_id, number)",
}


class Stale(Exception):  # noqa: N818 - a signal between the two phases, never shown to a user
    """A log changed between verification and apply (another merge of it committed first)."""


@dataclass
class LocalState:
    """What the store held of a log when the file was verified against it."""

    existed: bool
    size: int
    checkpoints: dict[int, bytes]


@dataclass
class StagedLog:
    """One verified log of a file, its new rows staged, waiting for the apply step."""

    info: LogInfo
    terminal: str
    local: LocalState
    sessions: SessionPlan
    checkpoints: list[Checkpoint]
    size: int  # the log's size in the file
    known: int  # entries of the file the store held already
    added: int = 0  # receipts staged
    checkpoints_added: int = 0  # set by the apply step


def local_state(conn: sqlite3.Connection, ledger: Ledger, log_id: str) -> LocalState:
    existed = conn.execute("SELECT 1 FROM logs WHERE log_id = ?", (log_id,)).fetchone() is not None
    size = ledger.size(conn, log_id) if existed else 0
    cps = {int(r[0]): bytes(r[1]) for r in conn.execute("SELECT size, root FROM checkpoints WHERE log_id = ?",
                                                          (log_id,))}  # fmt: skip
    return LocalState(existed, size, cps)


def refuse_read_only(store: Store) -> None:
    """A read-only workspace (or a PostgreSQL standby) is refused before the file is read, not after
    it was verified: the store's own transaction raises its read-only error."""
    if store.read_only:
        with store.transaction():
            pass


def open_staging(conn: sqlite3.Connection) -> None:
    """Fresh, empty temporary staging tables on this connection (any left from an earlier merge that
    failed on the same connection, e.g. in the server, are dropped first)."""
    for name, columns in TABLES.items():
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        conn.execute(f"CREATE TEMP TABLE {name} ({columns})")


def close_staging(conn: sqlite3.Connection) -> None:
    for name in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")


class Stager:
    """Writes verified rows into the staging tables, ``CHUNK`` at a time."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.rows: list[tuple[Any, ...]] = []
        self.atts: list[tuple[Any, ...]] = []

    def entry(self, log_id: str, idx: int, leaf: bytes, lh: bytes) -> None:
        self.rows.append((log_id, idx, leaf, lh, now()))
        if len(self.rows) >= CHUNK:
            self.flush()

    def attestation(self, log_id: str, idx: int, receipt: Any, text: str) -> None:
        c = receipt.claims
        self.atts.append((log_id, idx, c.session, c.officer_id, c.id_type, c.officer_name, c.unit, c.pledge_id,
                          c.pledge_version, c.method, c.issued_at, text,
                          receipt_revocation_id(receipt.signature)))  # fmt: skip

    def flush(self) -> None:
        if self.rows:
            self.conn.executemany("INSERT INTO merge_stage_entries VALUES (?, ?, ?, ?, ?)", self.rows)
        if self.atts:
            self.conn.executemany(
                "INSERT INTO merge_stage_attestations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.atts
            )
        self.rows.clear()
        self.atts.clear()
        pause_point("merge.flush")  # test-only (IKRAR_TEST_PAUSE_AT): a batch staged, no write lock held


def stage_entries(
    conn: sqlite3.Connection, reader: _Reader, check: EntryChecker, staged: StagedLog, start: int, size: int,
    checkpoints: dict[int, Checkpoint], stream: StreamingRoot, hashes: PackedHashes | None = None,
    progress: Callable[[int, int | None], None] | None = None, renew: Callable[[], None] | None = None,
) -> None:  # fmt: skip
    """Read and check entries ``start`` .. ``size - 1`` (the one loop of full and incremental merges):
    each entry through ``check``; the tree root at every signed checkpoint; an entry the store holds
    already must be the same one (else a fork); a new one is staged with its attestation row.

    ``renew`` (``Store.renew_read``) is called every ``RENEW_EVERY`` entries: on SQLite a large file
    is then read in several snapshots, so the write-ahead log is not held back for the whole
    verification. Nothing here needs one snapshot: what the store held of the log was read once
    (``staged.local``), its entries below that size never change, and the swap checks that the log
    is still as it was then (else :class:`Stale`, verified again)."""
    from .export import _bad_log, _fork, read_entry

    log_id, have = staged.info.log_id, staged.local.size
    stager = Stager(conn)
    for idx in range(start, size):
        if renew is not None and idx > start and (idx - start) % RENEW_EVERY == 0:
            renew()
        record, receipt, text = read_entry(reader, idx, check)
        lh = leaf_hash(record if record is not None else receipt.cose)
        stream.add(lh)
        if hashes is not None:
            hashes.append(lh)
        if idx + 1 in checkpoints and stream.root() != checkpoints[idx + 1].root:
            why = _("the entries do not match the signed checkpoint at size {size}", size=idx + 1)
            raise _bad_log(reader, "root_mismatch", why)
        if idx < have:
            stored = conn.execute(
                "SELECT leaf_hash FROM ledger_entries WHERE log_id = ? AND idx = ?", (log_id, idx)
            ).fetchone()
            if stored is None or bytes(stored[0]) != lh:
                raise _fork(log_id, idx + 1, _("entry {index} differs from the one merged before", index=idx))
            continue
        if record is not None:
            stager.entry(log_id, idx, record, lh)
            staged.sessions.record(record)
            continue
        stager.entry(log_id, idx, receipt.cose, lh)
        staged.sessions.receipt(receipt)
        stager.attestation(log_id, idx, receipt, text)
        staged.added += 1
        if progress and (idx + 1) % CHUNK == 0:
            progress(idx + 1, size)
    stager.flush()


def apply_staged(
    conn: sqlite3.Connection, ledger: Ledger, logs: list[StagedLog], digests: dict[tuple[str, int], bytes]
) -> None:
    """Swap one verified file in, inside the caller's write transaction (the only step under the lock).
    Raises :class:`Stale` when a log is no longer as the verification saw it."""
    from ..store.pgmergelock import note_lock, swap_locks

    swap_locks(conn, [log.info.log_id for log in logs])  # PostgreSQL: beside swaps of other logs (pgmergelock.py)
    session_rows: list[tuple[str, int, int]] = []
    for log in logs:
        if local_state(conn, ledger, log.info.log_id) != log.local:
            raise Stale(log.info.log_id)
        if not log.local.existed:
            ledger.ensure_log(conn, log_id=log.info.log_id, origin=log.info.origin, public_key=log.info.public_key,
                              key_name=log.info.key_name)  # fmt: skip
        for number, sid in log.sessions.apply(conn, digests).items():
            session_rows.append((log.info.log_id, number, sid))
    conn.executemany("INSERT INTO merge_stage_sessions VALUES (?, ?, ?)", session_rows)
    if not isinstance(conn, sqlite3.Connection):  # PostgreSQL: a few fixed statements, whose compilation
        conn.execute("SET LOCAL jit = off")  # (JIT, once a file is large) costs more than it saves, and the
        conn.execute(f"SET LOCAL work_mem = '{SWAP_WORK_MEM}'")  # sort in file order kept in memory
    # staged in file order (a log's entries in index order): read back in that order, no sort
    conn.execute(COPY_ENTRIES)
    # in file order, so that of one officer's two receipts in a log the first is kept (ON CONFLICT);
    # receipts of officers who are not on this workspace's roster (as it is now) are flagged, as the kiosk does
    conn.execute(
        COPY_ATTESTATIONS + " ORDER BY a.rowid ON CONFLICT DO NOTHING"
    )
    note_lock(conn)  # PostgreSQL: counted after every concurrent swap before it committed
    note_staged(conn)  # the keys that now have more than one attestation (what `duplicates` reads)
    for log in logs:
        add_checkpoints(conn, log)


def add_checkpoints(conn: sqlite3.Connection, log: StagedLog) -> None:
    """Store the file's checkpoints of one log (those already stored are left as they are)."""
    for cp in log.checkpoints:
        cur = conn.execute(
            "INSERT INTO checkpoints (log_id, size, root, note, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (log_id, size, root) DO NOTHING",
            (log.info.log_id, cp.size, cp.root, cp.note, now()),
        )
        log.checkpoints_added += cur.rowcount
