"""Incremental ledger exports: one terminal log's records after a size the centre already holds.

The file (docs/ledger-export.md, "Incremental exports") is JSON Lines in the canonical form of a
full export: a header naming the log, the size ``since`` it continues from, the new signed
checkpoint and an RFC 6962 consistency proof from ``since`` to the checkpoint's size; then the
entries ``since`` .. ``size - 1``; then an end line with the SHA-256 of everything before it.

Merging one runs the checks of ``ledger merge`` (every receipt and session record through the same
:class:`~ikrar_cli.ledger.checks.EntryChecker`, the checkpoint's signature, the root) and checks
continuity with what the centre holds: the centre recomputes its own root at ``since`` and the
proof must lead from it to the new checkpoint; entries the centre already has must be the same.
A file that starts past the centre's size is refused with :class:`BehindError`, which carries the
centre's size (the HTTP push answers 409 and the terminal resends from there). Merging a file again
changes nothing. Entries go through the same loop, staging and apply step as a full merge
(``staging.py``), so the server's ingest never holds the write lock while it verifies.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InputError, NotFoundError, UsageError, VerificationError
from ..i18n import _, ngettext
from ..recitation.sessions import RECORD_PREFIX
from ..store.core import now
from ..testpoints import pause_point
from .checkpoint import Checkpoint, parse_checkpoint, sign_checkpoint, verify_checkpoint
from .export import (
    MAX_ATTEMPTS,
    FileMerge,
    LogMerge,
    Merger,
    _bad_log,
    _field,
    _fork,
    _keys,
    _line,
    _Reader,
    entry_checker,
    entry_objects,
)
from .log import Ledger, LogInfo
from .merkle import StreamingRoot, verify_consistency

if TYPE_CHECKING:
    from ..receipts.verify import Verifier
    from ..workspace import Workspace
    from .staging import StagedLog

FORMAT = "ikrar-ledger-increment"
VERSION = 1
HEADER_KEYS = {
    "format", "version", "institution_code", "log", "origin", "key_name", "public_key", "since", "size",
    "checkpoint", "consistency",
}  # fmt: skip
END_KEYS = {"end", "entries", "sha256"}


class BehindError(ConflictError):
    """The file continues from a size the centre does not have yet: resend from ``centre_size``."""

    def __init__(self, log_id: str, since: int, centre_size: int):
        super().__init__(
            _("The centre holds {size} entries of log {log}; this file starts at {since}", size=centre_size,
              log=log_id, since=since),
            _("export again with --since {size}", size=centre_size),
            code="behind",
        )  # fmt: skip
        self.log_id = log_id
        self.centre_size = centre_size


# ------------------------------------------------------------------------------ export
@dataclass
class Increment:
    log_id: str
    since: int
    size: int
    sha256: str
    data: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log_id, "since": self.since, "size": self.size, "entries": self.size - self.since,
                "sha256": self.sha256}  # fmt: skip


def resolve_since(ws: Workspace, value: str, log_id: str | None = None) -> int:
    """``--since``: a size (digits) or a file holding a checkpoint of this log, which must match ours."""
    from ..fsutil import read_input_bytes

    if value.isdigit():
        return int(value)
    note = read_input_bytes(Path(value)).decode("utf-8", "replace")
    lg = Ledger(ws.store)
    with ws.store.read() as conn:
        info = _only_log(lg, conn, log_id)
        cp = verify_checkpoint(note, info.key_name, info.public_key)
        if cp.origin != info.origin:
            raise VerificationError(_("{path}: the checkpoint names another log", path=value), None, code="wrong_log")
        size = lg.size(conn, info.log_id)
        if cp.size > size or lg.root(conn, info.log_id, cp.size) != cp.root:
            raise _fork(info.log_id, cp.size, _("this terminal's log differs from the checkpoint in {path}",
                                                path=value))  # fmt: skip
    return cp.size


def _only_log(lg: Ledger, conn: sqlite3.Connection, log_id: str | None) -> LogInfo:
    logs = lg.logs(conn)
    if log_id is not None:
        return lg.log(conn, log_id)
    if not logs:
        raise NotFoundError(_("The ledger is empty: nothing to export"), _("record attestations first"))
    if len(logs) > 1:
        raise UsageError(ngettext("This workspace has {n} log", "This workspace has {n} logs", len(logs)),
                         _("name one with --log LOG"))  # fmt: skip
    return logs[0]


def export_increment(ws: Workspace, since: int, *, log_id: str | None = None, upto: int | None = None) -> Increment:
    """The records of one log after ``since``, up to its latest signed checkpoint (or its signed checkpoint
    of size ``upto``), from one read snapshot. Held in memory: pushes are cut into bounded pieces."""
    import hashlib

    lg = Ledger(ws.store)
    out = io.BytesIO()
    digest = hashlib.sha256()

    def write(obj: dict[str, Any]) -> None:
        data = _line(obj)
        digest.update(data)
        out.write(data)

    with ws.store.read() as conn:
        info = _only_log(lg, conn, log_id)
        cp = lg.latest_checkpoint(conn, info.log_id)
        if upto is not None:
            row = conn.execute("SELECT note FROM checkpoints WHERE log_id = ? AND size = ? LIMIT 1",
                               (info.log_id, upto)).fetchone()  # fmt: skip
            cp = parse_checkpoint(row[0])[0] if row else None
        if cp is None:
            raise ConflictError(_("Log {log} has no signed checkpoint yet", log=info.log_id),
                                _("sign one first with 'ikrar ledger checkpoint' (or close the session)"))  # fmt: skip
        if since > cp.size:
            raise UsageError(
                _("--since {since} is past the latest signed checkpoint ({size} entries)", since=since, size=cp.size),
                _("sign one first with 'ikrar ledger checkpoint' (or close the session)"),
            )
        proof = lg.consistency_proof(conn, info.log_id, since, cp.size) if 0 < since < cp.size else []
        write({
            "format": FORMAT, "version": VERSION, "institution_code": ws.config.institution_code,
            "log": info.log_id, "origin": info.origin, "key_name": info.key_name,
            "public_key": base64.b64encode(info.public_key).decode(), "since": since, "size": cp.size,
            "checkpoint": cp.note, "consistency": [base64.b64encode(h).decode() for h in proof],
        })  # fmt: skip
        for obj in entry_objects(conn, info.log_id, since, cp.size):
            write(obj)
    sha = digest.hexdigest()
    out.write(_line({"end": True, "entries": cp.size - since, "sha256": sha}))
    return Increment(info.log_id, since, cp.size, sha, out.getvalue())


def checkpoint_at(ws: Workspace, log_id: str, size: int, sign: Callable[[bytes], bytes]) -> Checkpoint:
    """A signed checkpoint of the log's first ``size`` entries (an existing one, or signed now and
    stored): a long backlog is pushed in pieces, each ending at a signed checkpoint."""
    lg = Ledger(ws.store)
    with ws.store.transaction() as conn:
        row = conn.execute("SELECT note FROM checkpoints WHERE log_id = ? AND size = ? LIMIT 1",
                           (log_id, size)).fetchone()  # fmt: skip
        if row:
            return parse_checkpoint(row[0])[0]
        info = lg.log(conn, log_id)
        cp = sign_checkpoint(info.origin, size, lg.root(conn, log_id, size), info.key_name, sign, info.public_key)
        verify_checkpoint(cp.note, info.key_name, info.public_key)  # the key must be the log's own
        conn.execute(
            "INSERT INTO checkpoints (log_id, size, root, note, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (log_id, size, root) DO NOTHING",
            (log_id, cp.size, cp.root, cp.note, now()),
        )
    return cp


def write_increment(ws: Workspace, out: Path, since: int, *, log_id: str | None = None) -> Increment:
    from ..fsutil import atomic_writer

    inc = export_increment(ws, since, log_id=log_id)
    with atomic_writer(out, binary=True) as fh:
        fh.write(inc.data)
    return inc


# ------------------------------------------------------------------------------ merge
class _BytesReader(_Reader):
    """The export reader over bytes received (an HTTP body), named by a label in messages."""

    def __init__(self, data: bytes, label: str):  # noqa: D107 - same fields as _Reader
        import hashlib

        self.path = Path(label)
        self.line_no = 0
        self.digest = hashlib.sha256()
        self.fh = io.BytesIO(data)  # type: ignore[assignment]


@dataclass
class IncrementMerge:
    log_id: str
    terminal: str
    since: int
    size: int
    known: int
    added: int
    centre_size: int

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log_id, "terminal": self.terminal, "since": self.since, "size": self.size,
                "already_merged": self.known, "added": self.added, "centre_size": self.centre_size}  # fmt: skip


def _b64list(reader: _Reader, values: Any) -> list[bytes]:
    out = []
    if not isinstance(values, list):
        raise reader.bad(_("field {field} is missing or has the wrong type", field="consistency"))
    for v in values:
        try:
            h = base64.b64decode(v, validate=True) if isinstance(v, str) else b""
        except (ValueError, binascii.Error):
            h = b""
        if len(h) != 32 or base64.b64encode(h).decode() != v:
            raise reader.bad(_("field {field} is missing or has the wrong type", field="consistency"))
        out.append(h)
    return out


class IncrementMerger(Merger):
    """Merges incremental exports: verified and staged without the write lock, swapped in whole in one
    short transaction, with the same apply step as :class:`Merger` (``ledger/staging.py``)."""

    def merge_path(self, path: Path) -> IncrementMerge:
        return self._merge(lambda: _Reader(path), path)

    def merge_bytes(self, data: bytes, label: str = "push") -> IncrementMerge:
        return self._merge(lambda: _BytesReader(data, label), Path(label))

    def _merge(self, open_reader: Callable[[], _Reader], where: Path) -> IncrementMerge:
        from .staging import Stale

        for _attempt in range(MAX_ATTEMPTS):
            try:
                return self._merge_once_from(open_reader())
            except Stale:
                continue  # another merge of this log committed first: verify against that
        raise ConflictError(_("{path}: its logs kept changing while it was merged", path=where),
                            _("run the merge again"))  # fmt: skip

    def _merge_once_from(self, reader: _Reader) -> IncrementMerge:
        from .batched_swap import swap
        from .staging import open_staging, refuse_read_only

        try:
            refuse_read_only(self.store)
            info, terminal, since, cp, proof = self._increment_header(reader)
            with self.store.read() as conn:  # verification and staging: one snapshot, no write lock
                open_staging(conn)
                staged, centre = self._stage_increment(conn, reader, info, terminal, since, cp, proof)
            end = reader.next()
            if end.get("end") is not True:
                raise reader.bad(_("expected the end line"))
            _keys(reader, end, END_KEYS)
            if end.get("entries") != cp.size - since:
                raise reader.bad(_("the end line's counts do not match the file"))
            if end.get("sha256") != reader.digest.hexdigest():
                raise reader.bad(_("the file's checksum does not match its contents (edited or truncated)"))
            if reader.fh.read(1):
                raise reader.bad(_("data after the end line"))
            # the swap: one write transaction, or bounded batches shown at once (batched_swap.py)
            swap(self.store, self.ledger, [staged], self.digests, lambda conn: pause_point("sync.commit"))
        finally:
            reader.close()
            self.drop_staging()
        return IncrementMerge(info.log_id, terminal, since, cp.size, staged.known, staged.added, max(cp.size, centre))

    def _increment_header(self, reader: _Reader) -> tuple[LogInfo, str, int, Checkpoint, list[bytes]]:
        from ..keys.keyfiles import key_id

        h = reader.next()
        if h.get("format") != FORMAT:
            raise reader.bad(_("not an ikrar incremental ledger export (no format header)"))
        if h.get("version") != VERSION:
            raise reader.bad(_("export format version {v} is not supported", v=h.get("version")))
        _keys(reader, h, HEADER_KEYS)
        log_id = _field(reader, h, "log", str)
        origin = _field(reader, h, "origin", str)
        key_name = _field(reader, h, "key_name", str)
        code = _field(reader, h, "institution_code", str)
        since = _field(reader, h, "since", int)
        size = _field(reader, h, "size", int)
        note = _field(reader, h, "checkpoint", str)
        proof = _b64list(reader, h.get("consistency"))
        try:
            public_key = base64.b64decode(_field(reader, h, "public_key", str), validate=True)
        except (ValueError, binascii.Error):
            raise reader.bad(_("public_key is not base64")) from None
        if base64.b64encode(public_key).decode() != h["public_key"]:
            raise reader.bad(_("public_key is not in its canonical base64 form"))
        if not 0 <= since <= size:
            raise reader.bad(_("field {field} is missing or has the wrong type", field="since"))
        if code != self.verifier.bundle.institution_code:
            raise reader.bad(_("the export is of institution {code}, the trust bundle of {own}", code=code,
                               own=self.verifier.bundle.institution_code))  # fmt: skip
        if len(public_key) != 32 or key_id(public_key).hex() != log_id:
            raise _bad_log(reader, "wrong_key", _("log {log} does not belong to the key it names", log=log_id))
        cert = self.verifier.bundle.terminals.get(bytes.fromhex(log_id))
        if cert is None:
            raise _bad_log(reader, "unknown_key", _("terminal key {kid} is not in the trust bundle", kid=log_id))
        try:
            cp = verify_checkpoint(note, key_name, public_key)
        except VerificationError as exc:
            raise _bad_log(reader, "bad_checkpoint_signature", exc.message) from None
        if cp.origin != origin or cp.size != size:
            raise _bad_log(reader, "bad_checkpoint_signature", _("the checkpoint does not name this log and size"))
        return LogInfo(log_id, origin, public_key, key_name), cert.name, since, cp, proof

    def _stage_increment(
        self, conn: sqlite3.Connection, reader: _Reader, info: LogInfo, terminal: str, since: int,
        cp: Checkpoint, proof: list[bytes],
    ) -> tuple[StagedLog, int]:  # fmt: skip
        """Continuity with what the centre holds, then the new entries through the shared loop."""
        from .merge_sessions import SessionPlan
        from .staging import StagedLog, stage_entries

        local = self._local_state(conn, info, {cp.size: cp})
        centre, size = local.size, cp.size
        if since > centre:
            raise BehindError(info.log_id, since, centre)
        stream = self._centre_tree(conn, reader, info.log_id, since, cp, proof)
        check = entry_checker(self.verifier, info)
        self._replay(conn, check, info.log_id, since)
        staged = StagedLog(info, terminal, local, SessionPlan(info.log_id, terminal), [cp], size,
                           max(0, min(size, centre) - since))  # fmt: skip
        stage_entries(conn, reader, check, staged, since, size, {size: cp}, stream, renew=self.store.renew_read)
        if stream.root() != cp.root:
            raise _bad_log(reader, "root_mismatch",
                           _("the entries do not match the signed checkpoint at size {size}", size=size))  # fmt: skip
        return staged, centre

    def _centre_tree(
        self, conn: sqlite3.Connection, reader: _Reader, log_id: str, since: int, cp: Checkpoint, proof: list[bytes]
    ) -> StreamingRoot:
        """The centre's own tree up to ``since``, which the file's consistency proof must extend."""
        stream = StreamingRoot()
        for lh in self.ledger.leaf_hashes(conn, log_id, since):
            stream.add(lh)
        old_root, size = stream.root(), cp.size
        if since and since < size and not verify_consistency(since, size, old_root, cp.root, proof):
            raise _fork(log_id, since, _("the new checkpoint is not an extension of the log the centre holds"))
        if (since in (0, size)) and proof:
            raise _bad_log(reader, "bad_proof", _("a consistency proof was given where none is needed"))
        if since == size and since and old_root != cp.root:
            raise _fork(log_id, since, _("the new checkpoint is not an extension of the log the centre holds"))
        return stream

    @staticmethod
    def _replay(conn: sqlite3.Connection, check: Any, log_id: str, since: int) -> None:
        """The entry checker's state after the centre's first ``since`` entries (verified when they were
        merged): the session records in order, then the latest time seen."""
        if not since:
            return
        for idx, leaf in conn.execute(
            "SELECT idx, leaf FROM ledger_entries WHERE log_id = ? AND idx < ? AND substr(leaf, 1, ?) = ? "
            "ORDER BY idx",
            (log_id, since, len(RECORD_PREFIX), RECORD_PREFIX),
        ).fetchall():
            check.state.record(int(idx), bytes(leaf))
        row = conn.execute(
            "SELECT MAX(attested_at) FROM attestations WHERE log_id = ? AND ledger_idx < ?", (log_id, since)
        ).fetchone()
        if row and row[0] is not None:
            last = check.state.last_time
            check.state.last_time = int(row[0]) if last is None else max(last, int(row[0]))
        # receipts of a session: the state only needs which sessions are open, which the records give


def centre_size(ws: Workspace, log_id: str) -> int:
    """How many entries of a log the centre holds (0 for a log it has never seen)."""
    with ws.store.read() as conn:
        return Ledger(ws.store).size(conn, log_id)


def iter_logs(ws: Workspace) -> Iterator[tuple[LogInfo, int, Checkpoint | None]]:
    lg = Ledger(ws.store)
    with ws.store.read() as conn:
        for info in lg.logs(conn):
            yield info, lg.size(conn, info.log_id), lg.latest_checkpoint(conn, info.log_id)


__all__ = [
    "BehindError", "Increment", "IncrementMerge", "IncrementMerger", "centre_size", "export_increment",
    "iter_logs", "resolve_since", "write_increment",
]  # fmt: skip


def is_increment(path: Path) -> bool:
    """Whether a file starts like an incremental export (``ledger merge`` takes both kinds)."""
    try:
        with path.open("rb") as fh:
            head = fh.readline(1 << 16)
    except OSError:
        return False  # the full merge reports the file's problem in its own words
    return f'"format":"{FORMAT}"'.encode() in head


def merge_files_any(
    ws: Workspace, verifier: Verifier, paths: list[Path], *,
    progress_for: Callable[[Path], AbstractContextManager[Any]] | None = None,
) -> list[Any]:  # fmt: skip
    """``ledger merge``: full exports through :class:`Merger`, incremental ones through
    :class:`IncrementMerger`; each file whole or not at all, reported the same way, in file order.
    ``progress_for(path)``, when given, is entered around each file and yields its progress callback.
    On PostgreSQL several full exports overlap each file's swap with the next file's verification
    (``swap_ahead.py``)."""
    from .swap_ahead import start

    kinds = [is_increment(p) for p in paths]
    ahead = start(ws, verifier, kinds.count(False))
    out: list[FileMerge] = []
    with ahead if ahead is not None else contextlib.nullcontext():
        for path, increment in zip(paths, kinds, strict=True):
            with progress_for(path) if progress_for is not None else contextlib.nullcontext() as tick:
                if not increment:
                    out.extend(ahead.merge(path, tick) if ahead is not None
                               else Merger(ws, verifier, progress=tick).merge_files([path]))  # fmt: skip
                    continue
                if ahead is not None:
                    out.extend(ahead.finish())  # an increment is checked against the store as it is
                out.append(_merge_increment(ws, verifier, path))
        if ahead is not None:
            out.extend(ahead.finish())
    return out


def _merge_increment(ws: Workspace, verifier: Verifier, path: Path) -> FileMerge:
    try:
        m = IncrementMerger(ws, verifier).merge_path(path)
    except BehindError as exc:
        return FileMerge(path, False, error=VerificationError(exc.message, exc.hint, code="behind"))
    except (VerificationError, InputError, NotFoundError) as exc:
        return FileMerge(path, False, error=exc)
    return FileMerge(path, True, [LogMerge(m.log_id, m.terminal, m.size, m.known, m.added, 1)])
