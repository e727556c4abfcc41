"""The batched-merge lock (docs/ledger-export.md, "One large file: batches, published at once").

A merge that applies a large file in several write transactions (``ledger/batched_swap.py``) holds
this lock from before its first batch until its publishing transaction committed. It is not the
write lock: roster imports, the kiosk and small merges write between the batches. It says two
things: at most one batched merge runs at a time, and a batched merge listed in ``merges_pending``
whose lock nobody holds is dead (killed, crashed), so its invisible rows may be deleted.

SQLite: an exclusive ``flock`` on ``ikrar.db-batchmerge`` (0600), released by the kernel when the
process ends however it ends. PostgreSQL: a session-level advisory lock on the store's connection,
released by the server when the session ends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, cast

from ..errors import StorageError
from ..i18n import _
from ..platform_guard import lock_exclusive, try_lock_exclusive, unlock

if TYPE_CHECKING:
    from .core import Store

BATCH_LOCK = 0x696B726172 + 19  # PostgreSQL advisory key, beside the write lock's


@contextlib.contextmanager
def held(store: Store, *, wait: bool = True) -> Iterator[bool]:
    """Hold the batched-merge lock: wait for it (however long the batched merge before takes), or
    with ``wait=False`` take it only if it is free; yields whether it is held."""
    if store.engine == "sqlite":
        path = store.path.with_name(store.path.name + "-batchmerge")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(_("The workspace database {path} is read-only", path=store.path),
                               _("check the permissions of the workspace folder")) from exc  # fmt: skip
        fh = cast("IO[str]", os.fdopen(fd, "r+"))
        try:
            if wait:
                lock_exclusive(fh)
            elif not try_lock_exclusive(fh):
                yield False
                return
            try:
                yield True
            finally:
                with contextlib.suppress(OSError):
                    unlock(fh)
        finally:
            fh.close()
        return
    raw: Any = cast(Any, store.conn).raw
    if wait:
        raw.execute("SELECT pg_advisory_lock(%s)", (BATCH_LOCK,))
    elif not raw.execute("SELECT pg_try_advisory_lock(%s)", (BATCH_LOCK,)).fetchone()[0]:
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(Exception):  # a dropped connection released it already
            raw.execute("SELECT pg_advisory_unlock(%s)", (BATCH_LOCK,))
