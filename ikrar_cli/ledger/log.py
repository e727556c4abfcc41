"""The workspace ledger: per-terminal append-only logs of the exact signed receipts.

Appends happen inside the caller's write transaction (``Store.transaction`` takes the
write lock first), so the index is never handed out twice, even with several terminal
processes on one workspace. ``verify_log`` streams entries in index order and keeps
O(log n) hashes for the running root. See docs/ledger.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFoundError, VerificationError
from ..i18n import _
from ..store.core import Store, now
from .checkpoint import Checkpoint, parse_checkpoint, sign_checkpoint, verify_checkpoint
from .merkle import StreamingRoot, consistency_proof, inclusion_proof, leaf_hash, verify_consistency

CHUNK = 5000


@dataclass
class LogInfo:
    log_id: str
    origin: str
    public_key: bytes
    key_name: str


@dataclass
class LedgerReport:
    log_id: str
    size: int
    root: bytes
    checkpoints: int
    problems: list[VerificationError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "log_id": self.log_id,
            "size": self.size,
            "root": self.root.hex(),
            "checkpoints": self.checkpoints,
            "valid": self.ok,
            "problems": [p.to_dict() for p in self.problems],
        }


def _problem(code: str, message: str) -> VerificationError:
    return VerificationError(
        message, _("the ledger was altered; compare with an exported copy or checkpoint"), code=code
    )


class PackedHashes:
    """A sequence of 32-byte hashes stored back to back (1,000,000 take 32 MB, not ~100 MB)."""

    def __init__(self, data: bytearray | None = None):
        self.data = data if data is not None else bytearray()

    def append(self, h: bytes) -> None:
        self.data += h

    def __len__(self) -> int:
        return len(self.data) // 32

    def __getitem__(self, i: int) -> bytes:
        return bytes(self.data[i * 32 : i * 32 + 32])


class Ledger:
    def __init__(self, store: Store):
        self.store = store

    def ensure_log(
        self, conn: sqlite3.Connection, *, log_id: str, origin: str, public_key: bytes, key_name: str
    ) -> None:
        conn.execute(
            "INSERT INTO log_rows (log_id, origin, public_key, key_name, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (log_id) DO NOTHING",
            (log_id, origin, public_key, key_name, now()),
        )

    def log(self, conn: sqlite3.Connection, log_id: str) -> LogInfo:
        row = conn.execute(
            "SELECT log_id, origin, public_key, key_name FROM logs WHERE log_id = ?", (log_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(
                _("Ledger log {log} not found", log=log_id), _("see 'ikrar ledger verify' for the logs")
            )
        return LogInfo(row[0], row[1], bytes(row[2]), row[3])

    def logs(self, conn: sqlite3.Connection) -> list[LogInfo]:
        return [
            LogInfo(r[0], r[1], bytes(r[2]), r[3])
            for r in conn.execute("SELECT log_id, origin, public_key, key_name FROM logs ORDER BY log_id")
        ]

    def size(self, conn: sqlite3.Connection, log_id: str) -> int:
        # the last shown entry (the view's filter keeps MAX from reading only the index's end)
        row = conn.execute("SELECT idx FROM ledger_entries WHERE log_id = ? ORDER BY idx DESC LIMIT 1",
                           (log_id,)).fetchone()  # fmt: skip
        return 0 if row is None else int(row[0]) + 1

    def append(self, conn: sqlite3.Connection, log_id: str, build: Callable[[int], bytes]) -> tuple[int, bytes]:
        """Inside the caller's write transaction: next index, build the leaf for it, store it."""
        idx = self.size(conn, log_id)
        data = build(idx)
        conn.execute(
            "INSERT INTO ledger_entry_rows (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            (log_id, idx, data, leaf_hash(data), now()),
        )
        return idx, data

    def leaf_hashes(self, conn: sqlite3.Connection, log_id: str, size: int | None = None) -> list[bytes]:
        limit = "" if size is None else f" AND idx < {int(size)}"
        return [
            bytes(r[0])
            for r in conn.execute(
                f"SELECT leaf_hash FROM ledger_entries WHERE log_id = ?{limit} ORDER BY idx", (log_id,)
            )
        ]

    def root(self, conn: sqlite3.Connection, log_id: str, size: int | None = None) -> bytes:
        s = StreamingRoot()
        for lh in self.leaf_hashes(conn, log_id, size):
            s.add(lh)
        return s.root()

    def checkpoint(self, log_id: str, sign: Callable[[bytes], bytes], key_name: str | None = None) -> Checkpoint:
        """Sign the log's current head and store the checkpoint."""
        with self.store.transaction() as conn:
            info = self.log(conn, log_id)
            hashes = self.leaf_hashes(conn, log_id)
            s = StreamingRoot()
            for lh in hashes:
                s.add(lh)
            cp = sign_checkpoint(info.origin, len(hashes), s.root(), key_name or info.key_name, sign, info.public_key)
            verify_checkpoint(cp.note, info.key_name, info.public_key)  # the key must be the log's own
            conn.execute(
                "INSERT INTO checkpoints (log_id, size, root, note, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (log_id, size, root) DO NOTHING",
                (log_id, cp.size, cp.root, cp.note, now()),
            )
        return cp

    def latest_checkpoint(self, conn: sqlite3.Connection, log_id: str) -> Checkpoint | None:
        row = conn.execute(
            "SELECT note FROM checkpoints WHERE log_id = ? ORDER BY size DESC, created_at DESC LIMIT 1", (log_id,)
        ).fetchone()
        return parse_checkpoint(row[0])[0] if row else None

    def inclusion_proof(self, conn: sqlite3.Connection, log_id: str, index: int, size: int) -> list[bytes]:
        return inclusion_proof(self.leaf_hashes(conn, log_id, size), index, size)

    def consistency_proof(self, conn: sqlite3.Connection, log_id: str, old: int, new: int) -> list[bytes]:
        return consistency_proof(self.leaf_hashes(conn, log_id, new), old, new)

    def find_by_leaf(self, conn: sqlite3.Connection, leaf: bytes) -> tuple[str, int] | None:
        row = conn.execute(
            "SELECT log_id, idx FROM ledger_entries WHERE leaf_hash = ? ORDER BY log_id LIMIT 1", (leaf_hash(leaf),)
        ).fetchone()
        return (row[0], int(row[1])) if row else None

    def _entries(self, log_id: str) -> Iterator[tuple[int, bytes, bytes]]:
        """Stream (idx, leaf, stored leaf hash) in index order, a chunk at a time."""
        last = -1
        while True:
            with self.store.read() as conn:
                rows = conn.execute(
                    "SELECT idx, leaf, leaf_hash FROM ledger_entries WHERE log_id = ? AND idx > ? ORDER BY idx LIMIT ?",
                    (log_id, last, CHUNK),
                ).fetchall()
            if not rows:
                return
            for idx, leaf, lh in rows:
                yield int(idx), bytes(leaf), bytes(lh)
            last = int(rows[-1][0])

    def verify_log(
        self,
        log_id: str,
        *,
        verify_entry: Callable[[int, bytes], object] | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> LedgerReport:
        """Recompute the tree; check entries, checkpoints and their consistency. First problem wins."""
        with self.store.read() as conn:
            info = self.log(conn, log_id)
            notes = [
                r[0] for r in conn.execute("SELECT note FROM checkpoints WHERE log_id = ? ORDER BY size", (log_id,))
            ]
            total = conn.execute("SELECT COUNT(*) FROM ledger_entries WHERE log_id = ?", (log_id,)).fetchone()[0]
        report = LedgerReport(log_id, 0, StreamingRoot().root(), len(notes))
        try:
            checkpoints = _signed_checkpoints(info, notes)
            by_size = _by_size(log_id, checkpoints)
            # leaf hashes packed 32 bytes each, only as far as the consistency proofs need them
            keep = max((size for size in by_size if size), default=0) if len(by_size) > 1 else 0
            s, packed = self._walk(log_id, by_size, keep, verify_entry, lambda n: progress and progress(n, total))
            report.size, report.root = s.size, s.root()
            _covered(log_id, checkpoints, s.size)
            _consistent(log_id, by_size, packed)
        except VerificationError as exc:
            report.problems.append(exc)
            return report
        if progress:
            progress(report.size, total)
        return report

    def _walk(
        self, log_id: str, by_size: dict[int, Checkpoint], keep: int,
        verify_entry: Callable[[int, bytes], object] | None, tick: Callable[[int], object],
    ) -> tuple[StreamingRoot, bytearray]:  # fmt: skip
        """Every entry in index order: no gap, its stored hash, ``verify_entry``, the root at each checkpoint."""
        s = StreamingRoot()
        expected = 0
        packed = bytearray()
        from .checks import checked_ahead  # receipts checked by helper processes, when there are

        for idx, leaf, stored in checked_ahead(verify_entry, self._entries(log_id)):
            if idx != expected:
                raise _problem("gap", _("Entry {index} of log {log} is missing (deleted or truncated)",
                                        index=expected, log=log_id))  # fmt: skip
            if leaf_hash(leaf) != stored:
                raise _problem("leaf_hash_mismatch", _(
                    "Entry {index} of log {log} was edited: its hash does not match its contents", index=idx,
                    log=log_id))  # fmt: skip
            if verify_entry is not None:
                try:
                    verify_entry(idx, leaf)
                except VerificationError as exc:
                    why = _("Entry {index} of log {log} is not valid: {why}", index=idx, log=log_id, why=exc.message)
                    raise _problem(exc.code or "bad_entry", why) from None
            s.add(stored)
            if expected < keep:
                packed += stored
            expected += 1
            if expected in by_size and s.root() != by_size[expected].root:
                raise _problem("root_mismatch", _(
                    "Log {log} does not match its signed checkpoint at size {size}: an entry before it was "
                    "changed, removed or reordered", log=log_id, size=expected))  # fmt: skip
            if expected % CHUNK == 0:
                tick(expected)
        return s, packed


def _signed_checkpoints(info: LogInfo, notes: list[str]) -> list[Checkpoint]:
    out = []
    for note in notes:
        try:
            out.append(verify_checkpoint(note, info.key_name, info.public_key))
        except VerificationError as exc:
            raise _problem("bad_checkpoint_signature", _(
                "A checkpoint of log {log} is not signed by the log's key ({why})", log=info.log_id,
                why=exc.message)) from None  # fmt: skip
    return out


def _by_size(log_id: str, checkpoints: list[Checkpoint]) -> dict[int, Checkpoint]:
    by_size: dict[int, Checkpoint] = {}
    for cp in checkpoints:
        other = by_size.get(cp.size)
        if other is not None and other.root != cp.root:
            raise _problem("fork", _("Two signed checkpoints of log {log} disagree at size {size}: the log was forked",
                                     log=log_id, size=cp.size))  # fmt: skip
        by_size[cp.size] = cp
    return by_size


def _covered(log_id: str, checkpoints: list[Checkpoint], size: int) -> None:
    for cp in checkpoints:
        if cp.size > size:
            raise _problem("truncated", _(
                "Log {log} has {n} entries but a signed checkpoint covers {size}: entries were removed", log=log_id,
                n=size, size=cp.size))  # fmt: skip


def _consistent(log_id: str, by_size: dict[int, Checkpoint], packed: bytearray) -> None:
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return
    hashes = PackedHashes(packed)
    for old, new in zip(sizes, sizes[1:], strict=False):
        if old == 0:
            continue
        proof = consistency_proof(hashes, old, new)
        if not verify_consistency(old, new, by_size[old].root, by_size[new].root, proof):
            raise _problem("inconsistent", _("Checkpoints {old} and {new} of log {log} are not consistent", old=old,
                                             new=new, log=log_id))  # fmt: skip
