"""PostgreSQL: merge swaps of different logs at once (docs/operations.md, "How ikrar uses the server").

Every write transaction on PostgreSQL takes ikrar's advisory write lock (``store/postgres.py``),
exclusively, before its first statement: writers queue as on SQLite. A merge's swap
(``ledger/staging.py``, :func:`~ikrar_cli.ledger.staging.apply_staged`) is the exception. Its
first act, before any statement, is :func:`swap_locks`, which takes instead:

1. the write lock in **shared** mode: swaps run beside each other, while every other writer (a
   roster import, the kiosk, a checkpoint, a migration, the batched merge's publishing step) still
   waits for all of them and they for it, as before;
2. one exclusive lock per log of the file (a key derived from the log id, taken in key order so
   that two swaps never wait for each other in a cycle): two swaps of the same log still queue,
   and the second sees the first's rows when it checks that the log is as its verification saw it
   (else the file is verified again, as with the exclusive lock). A log's rows — entries, sessions,
   attestations, checkpoints — are only ever written under its own lock or the exclusive one, so
   swaps of different logs touch disjoint rows (their unique keys all start with the log);
3. just before it notes the officers who now have more than one attestation
   (:func:`~ikrar_cli.ledger.duplicates.note_staged`), :func:`note_lock`, one exclusive lock held to
   the end of the swap. The noting counts committed rows: of two swaps adding a receipt of the same
   officer in two logs at once, the one that takes this lock second counts after the first has
   committed, sees both rows, and notes the key. So no duplicate goes unnoted, as when the swaps
   ran one after another.

SQLite has one writer at a time whatever is asked: both functions do nothing there, and nothing
in a transaction that already holds the exclusive lock changes either.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from typing import cast

from .postgres import WRITE_LOCK, PgConnection

LOG_LOCK_SPACE = 0x696B7231  # first key of the two-key advisory locks of one log each ("ikr1")
NOTE_LOCK = WRITE_LOCK + 21  # taken by a shared-mode swap before it notes duplicate officers


def log_key(log_id: str) -> int:
    """The second key of a log's advisory lock: a signed 32-bit number derived from its id (two logs
    sharing one only queue one behind the other)."""
    return int.from_bytes(hashlib.sha256(log_id.encode()).digest()[:4], "big", signed=True)


def swap_locks(conn: sqlite3.Connection, log_ids: Iterable[str]) -> None:
    """A merge swap's locks on PostgreSQL (module docstring), when its transaction has taken none yet."""
    if isinstance(conn, sqlite3.Connection):
        return
    pg = cast(PgConnection, conn)
    if not pg.lock_pending:
        return  # the exclusive write lock is held already: nothing can run beside this swap
    keys = sorted({log_key(log_id) for log_id in log_ids})
    pg.take_write_lock(f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK})",
                       *(f"SELECT pg_advisory_xact_lock({LOG_LOCK_SPACE}, {k})" for k in keys))  # fmt: skip
    pg.shared_swap = True


def note_lock(conn: sqlite3.Connection) -> None:
    """Before a shared-mode swap counts attestations to note duplicate officers (module docstring)."""
    if isinstance(conn, sqlite3.Connection) or not cast(PgConnection, conn).shared_swap:
        return
    cast(PgConnection, conn).execute_raw(f"SELECT pg_advisory_xact_lock({NOTE_LOCK})")
