"""Portable ledger exports and their merge into a central workspace (docs/ledger-export.md).

An export is JSON Lines: a file header, then per terminal log a header carrying its signed
checkpoints, its session metadata and its entries as receipt strings, then an end line with the
SHA-256 of everything before it. Merging verifies a whole file (every checkpoint, every receipt,
the tree at every checkpoint, consistency with what was merged before) in a read snapshot while
staging its new rows, then swaps them in with one short write transaction (``staging.py``): a file
is accepted whole or not at all, and nobody waits for the write lock while it is verified.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, IkrarError, InputError, NotFoundError, VerificationError
from ..i18n import _
from ..receipts.receipt import PREFIX, Receipt, decode_receipt
from ..recitation.sessions import RECORD_PREFIX
from ..store.core import now
from ..testpoints import pause_point
from .checkpoint import Checkpoint, verify_checkpoint
from .checks import EntryChecker, entry_checker
from .duplicates import Duplicate, duplicates  # noqa: F401 - where callers import them from
from .log import Ledger, LogInfo, PackedHashes
from .merge_known import consume_known_entries, is_known
from .merkle import StreamingRoot, consistency_proof, verify_consistency

if TYPE_CHECKING:
    from ..receipts.verify import Verifier
    from ..store.core import Store
    from ..workspace import Workspace
    from .merge_sessions import SessionPlan
    from .staging import LocalState, StagedLog

FORMAT = "ikrar-ledger-export"
VERSION = 2  # 2: session records in the log, no unverifiable header fields, canonical lines
CHUNK = 5000

Progress = Callable[[int, int | None], None]


# ------------------------------------------------------------------------------ export
@dataclass
class ExportSummary:
    path: Path
    logs: list[dict[str, Any]]
    entries: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "logs": self.logs, "entries": self.entries, "sha256": self.sha256}


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode() + b"\n"


def entry_objects(conn: sqlite3.Connection, log_id: str, start: int, end: int) -> Iterator[dict[str, Any]]:
    """The export lines of entries ``start`` .. ``end - 1`` of a log, in order, read CHUNK rows at a
    time (bounded memory): a session record as its text, a receipt as ``IKR1:`` + Base45."""
    from ..receipts.base45 import b45encode
    from ..recitation.sessions import is_record

    last = start - 1
    while last + 1 < end:
        rows = conn.execute(
            "SELECT idx, leaf FROM ledger_entries WHERE log_id = ? AND idx > ? AND idx < ? ORDER BY idx LIMIT ?",
            (log_id, last, end, CHUNK),
        ).fetchall()
        if not rows:
            return
        for idx, leaf in rows:
            leaf = bytes(leaf)
            if is_record(leaf):
                yield {"i": idx, "record": leaf.decode("utf-8")}
            else:
                yield {"i": idx, "receipt": PREFIX + b45encode(leaf)}
        last = rows[-1][0]


def export_ledger(ws: Workspace, out: Path, *, progress: Progress | None = None) -> ExportSummary:
    """Write every log up to its latest signed checkpoint, atomically, from one read snapshot."""
    from ..fsutil import atomic_writer

    lg = Ledger(ws.store)
    digest = hashlib.sha256()
    logs_out: list[dict[str, Any]] = []
    total = 0
    with ws.store.read() as conn, atomic_writer(out, binary=True) as fh:
        logs = lg.logs(conn)
        if not logs:
            raise NotFoundError(_("The ledger is empty: nothing to export"), _("record attestations first"))
        plan = []
        for info in logs:
            size = lg.size(conn, info.log_id)
            cp = lg.latest_checkpoint(conn, info.log_id)
            if cp is None or cp.size < size:
                raise ConflictError(
                    _(
                        "Log {log} has {n} entries after its last signed checkpoint",
                        log=info.log_id,
                        n=size - (cp.size if cp else 0),
                    ),
                    _("sign one first with 'ikrar ledger checkpoint' (or close the session)"),
                )
            plan.append((info, cp))
        grand = sum(cp.size for _i, cp in plan)

        def write(obj: dict[str, Any]) -> None:
            data = _line(obj)
            digest.update(data)
            fh.write(data)

        write(
            {
                "format": FORMAT,
                "version": VERSION,
                "institution_code": ws.config.institution_code,
                "logs": len(plan),
            }
        )
        for info, cp in plan:
            notes = [
                r[0]
                for r in conn.execute(
                    "SELECT note FROM checkpoints WHERE log_id = ? AND size <= ? ORDER BY size, created_at",
                    (info.log_id, cp.size),
                )
            ]
            # only sessions recorded before sessions were in the log travel as (unsigned) lines
            sessions = conn.execute(
                "SELECT COALESCE(origin_session, id), terminal_name, pledge_id, pledge_version, title, location, "
                "unit_code, timezone, opened_at, closed_at FROM sessions WHERE log_id = ? AND signed = 0 "
                "ORDER BY opened_at, id",
                (info.log_id,),
            ).fetchall()
            write(
                {
                    "log": info.log_id,
                    "origin": info.origin,
                    "key_name": info.key_name,
                    "public_key": base64.b64encode(info.public_key).decode(),
                    "size": cp.size,
                    "checkpoints": notes,
                    "sessions": len(sessions),
                }
            )
            for s in sessions:
                write(
                    {
                        "session": s[0],
                        "terminal": s[1],
                        "pledge": f"{s[2]}@{s[3]}",
                        "title": s[4],
                        "location": s[5],
                        "unit": s[6],
                        "timezone": s[7],
                        "opened_at": s[8],
                        "closed_at": s[9],
                    }
                )
            for n, obj in enumerate(entry_objects(conn, info.log_id, 0, cp.size), 1):
                write(obj)
                if progress and n % CHUNK == 0:
                    progress(total + n, grand)
            total += cp.size
            if progress:
                progress(total, grand)
            logs_out.append({"log": info.log_id, "origin": info.origin, "size": cp.size, "root": cp.root.hex()})
        end: dict[str, Any] = {"end": True, "logs": len(plan), "entries": total, "sha256": digest.hexdigest()}
        fh.write(_line(end))
    return ExportSummary(out, logs_out, total, end["sha256"])


# ------------------------------------------------------------------------------ reading
# An entry line exactly as _line() writes a receipt (Base45 needs no JSON escape): the common case, read
# without the JSON parser; any other line takes the full path (parse, then the canonical check).
_RECEIPT_LINE = re.compile(rb'\{"i":(0|[1-9][0-9]*),"receipt":"(IKR1:[0-9A-Z $%*+\-./:]*)"\}\n\Z')


class _Reader:
    """Line-by-line JSON reader that names file and line in every error."""

    def __init__(self, path: Path):
        self.path = path
        self.line_no = 0
        self.digest = hashlib.sha256()
        try:
            self.fh = path.open("rb")
        except IsADirectoryError:
            raise InputError(_("{path} is a directory, not a ledger export", path=path), None) from None
        except FileNotFoundError:
            raise NotFoundError(_("{path} does not exist", path=path), _("check the file name")) from None
        except PermissionError:
            raise InputError(_("Cannot read {path}: permission denied", path=path), None) from None
        except OSError as exc:
            raise InputError(_("cannot read {path}: {why}", path=path, why=exc.strerror), None) from None

    def close(self) -> None:
        self.fh.close()

    def where(self) -> str:
        return f"{self.path}:{self.line_no}"

    def bad(self, what: str) -> InputError:
        return InputError(
            _("{where}: {what}", where=self.where(), what=what),
            _("the file is not an intact ikrar ledger export; ask for a new export"),
        )

    def next(self) -> dict[str, Any]:
        return self.take(self.fh.readline())

    def next_entry(self) -> tuple[int, str] | dict[str, Any]:
        """The next line as :meth:`next` reads it, except that a receipt line in its canonical form
        comes as ``(index, receipt text)`` (what :meth:`take` would put in its dict), without a dict."""
        raw = self.fh.readline()
        m = _RECEIPT_LINE.match(raw)
        if m is None:
            return self.take(raw)
        self.line_no += 1
        self.digest.update(raw)
        return int(m[1]), m[2].decode("ascii")

    def take(self, raw: bytes) -> dict[str, Any]:
        """The object of the next line, ``raw``, already read from ``fh`` (what :meth:`next` returns)."""
        self.line_no += 1
        if not raw:
            raise self.bad(_("the file ends early (truncated)"))
        m = _RECEIPT_LINE.match(raw)
        if m is not None:  # a receipt line in its canonical form: what json.loads would give, and no edit
            self.digest.update(raw)
            return {"i": int(m[1]), "receipt": m[2].decode("ascii")}
        try:
            obj = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self.bad(_("not a JSON line")) from None
        if not isinstance(obj, dict):
            raise self.bad(_("not a JSON object"))
        if _line(obj) != raw:
            raise self.bad(_("the line is not in its canonical form (it was edited)"))
        if "end" not in obj:
            self.digest.update(raw)
        return obj


HEADER_KEYS = {"format", "version", "institution_code", "logs"}
LOG_KEYS = {"log", "origin", "key_name", "public_key", "size", "checkpoints", "sessions"}
SESSION_KEYS = {"session", "terminal", "pledge", "title", "location", "unit", "timezone", "opened_at", "closed_at"}
END_KEYS = {"end", "logs", "entries", "sha256"}


def _keys(reader: _Reader, obj: dict[str, Any], keys: set[str]) -> None:
    if set(obj) != keys:
        raise reader.bad(_("unexpected or missing fields: {fields}", fields=", ".join(sorted(set(obj) ^ keys))))


def _field(reader: _Reader, obj: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise reader.bad(_("field {field} is missing or has the wrong type", field=name))
    return value


# ------------------------------------------------------------------------------ merge
@dataclass
class LogMerge:
    log_id: str
    terminal: str
    size: int
    known: int
    added: int
    checkpoints_added: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "log": self.log_id,
            "terminal": self.terminal,
            "size": self.size,
            "already_merged": self.known,
            "added": self.added,
            "checkpoints_added": self.checkpoints_added,
        }


@dataclass
class FileMerge:
    path: Path
    accepted: bool
    logs: list[LogMerge] = field(default_factory=list)
    error: VerificationError | InputError | NotFoundError | None = None

    @property
    def added(self) -> int:
        return sum(log.added for log in self.logs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "accepted": self.accepted,
            "added": self.added,
            "logs": [log.to_dict() for log in self.logs],
            "error": self.error.to_dict() if self.error else None,
        }


def _fork(log: str, size: int, why: str) -> VerificationError:
    return VerificationError(
        _("FORK in log {log} at size {size}: {why}", log=log, size=size, why=why),
        _("the terminal's log was rewritten; keep both files and report it to the authority"),
        code="fork",
    )


def _bad_log(reader: _Reader, code: str, message: str) -> VerificationError:
    return VerificationError(
        _("{where}: {what}", where=reader.where(), what=message),
        _("the export does not match its signed checkpoints; nothing from this file was merged"),
        code=code,
    )


def read_entry(reader: _Reader, idx: int, check: EntryChecker) -> tuple[bytes | None, Any, str]:
    """The next entry line of a log, which must be entry ``idx``, checked by ``check`` (the merge's
    entry checker): ``(record, None, "")`` for a session record, ``(None, receipt, text)`` for a
    receipt. Full and incremental merges read their entries through here."""
    e = reader.next_entry()
    record: bytes | None = None
    receipt: Receipt | None = None
    text = ""
    if type(e) is tuple:  # a receipt line in its canonical form: fields and types are right by its pattern
        found, text = e
        if found != idx:
            raise _bad_log(reader, "gap", _("expected entry {index}, found {found}", index=idx, found=found))
        try:
            receipt = entry = decode_receipt(text)
        except InputError as exc:
            raise _bad_log(reader, "bad_entry", exc.message) from None
        return _checked(reader, idx, check, entry, record, receipt, text)
    assert isinstance(e, dict)
    if e.get("i") != idx:
        raise _bad_log(reader, "gap", _("expected entry {index}, found {found}", index=idx, found=e.get("i")))
    _keys(reader, e, {"i", "record"} if "record" in e else {"i", "receipt"})
    if "record" in e:
        record = entry = _field(reader, e, "record", str).encode("utf-8")
        if not record.startswith(RECORD_PREFIX):
            raise _bad_log(reader, "bad_entry", _("entry {index} is not a session record", index=idx))
    else:
        text = _field(reader, e, "receipt", str)
        try:
            receipt = entry = decode_receipt(text)
        except InputError as exc:
            raise _bad_log(reader, "bad_entry", exc.message) from None
    return _checked(reader, idx, check, entry, record, receipt, text)


def _checked(reader: _Reader, idx: int, check: EntryChecker, entry: bytes | Receipt, record: bytes | None,
             receipt: Receipt | None, text: str) -> tuple[bytes | None, Any, str]:  # fmt: skip
    try:
        check(idx, entry)
    except VerificationError as exc:
        why = _("entry {index} is not valid: {why}", index=idx, why=exc.message)
        raise _bad_log(reader, exc.code or "bad_entry", why) from None
    return record, receipt, text


MAX_ATTEMPTS = 5  # a file is verified again when a concurrent merge changed one of its logs first


@dataclass
class _LogHead:
    """A log header of an export, parsed and tied to a certified terminal key."""

    info: LogInfo
    terminal: str
    size: int
    notes: list[Any]
    n_sessions: int


def _unsigned_sessions(reader: _Reader, log_id: str, n: int) -> VerificationError:
    return _bad_log(
        reader,
        "unsigned_session",
        _("log {log} records its sessions in its signed entries; {n} unsigned session line(s) were added",
          log=log_id, n=n),
    )  # fmt: skip


def file_sha256(path: Path) -> str:
    whole = hashlib.sha256()
    with path.open("rb") as fh:  # streamed: exports of a million receipts are large
        while chunk := fh.read(1 << 20):
            whole.update(chunk)
    return whole.hexdigest()


@dataclass
class PreparedFile:
    """A file verified and staged on its merger's connection, waiting for its swap (``Merger.apply``)."""

    path: Path
    staged: list[StagedLog]
    sha256: str


class Merger:
    """Merges exports into a workspace. Each file is verified and its new rows staged without the
    write lock, then swapped in whole in one short write transaction (``ledger/staging.py``).

    ``store`` is the connection to work on (default the workspace's own): the staging tables are
    temporary tables of that connection, so a file's :meth:`prepare` and :meth:`apply` use the same
    one (``ledger/swap_ahead.py`` runs two mergers on two connections)."""

    def __init__(self, ws: Workspace, verifier: Verifier, progress: Progress | None = None,
                 store: Store | None = None):  # fmt: skip
        self.ws = ws
        self.store = store if store is not None else ws.store
        self.verifier = verifier
        self.ledger = Ledger(self.store)
        self.progress = progress
        self.digests = {(p.id, p.version): d for d, p in verifier.bundle.pledges.items()}

    def merge_files(self, paths: Iterable[Path]) -> list[FileMerge]:
        results = []
        for path in paths:
            try:
                results.append(self.merge_file(path))
            except (VerificationError, InputError, NotFoundError) as exc:
                results.append(FileMerge(path, False, error=exc))
        return results

    def merge_file(self, path: Path) -> FileMerge:
        from .staging import Stale

        for _attempt in range(MAX_ATTEMPTS):
            try:
                return self._merge_once(path)
            except Stale:
                continue  # another merge of one of its logs committed first: verify against that
        raise ConflictError(_("{path}: its logs kept changing while it was merged", path=path),
                            _("run the merge again"))  # fmt: skip

    def _merge_once(self, path: Path) -> FileMerge:
        return self.apply(self.prepare(path))

    def prepare(self, path: Path) -> PreparedFile:
        """Verify the whole file in one read snapshot and stage its new rows (no write lock). On an
        error the staging tables are dropped; else they wait for :meth:`apply` on this connection."""
        from ..receipts.verify_pool import ahead_lines
        from .staging import open_staging, refuse_read_only

        refuse_read_only(self.store)
        reader = _Reader(path)
        reader.fh = ahead_lines(self.verifier, reader.fh)  # receipts checked ahead by helpers (verify_pool)
        try:
            n_logs, code = self._file_header(reader)
            with self.store.read() as conn:  # verification and staging: one snapshot, no write lock
                open_staging(conn)
                staged = [self._stage_log(conn, reader) for _n in range(n_logs)]
            self._file_end(reader, n_logs, code, sum(s.size for s in staged))
            return PreparedFile(path, staged, file_sha256(path))
        except BaseException:
            self.drop_staging()
            raise
        finally:
            reader.close()

    def apply(self, prepared: PreparedFile) -> FileMerge:
        """Swap a prepared file in (raises :class:`~.staging.Stale` when it must be verified again);
        the staging tables are dropped in any case."""
        from .batched_swap import swap

        path, staged = prepared.path, prepared.staged
        done: list[FileMerge] = []

        def finish(conn: sqlite3.Connection) -> None:  # in the transaction that shows the file
            result = FileMerge(path, True, [LogMerge(s.info.log_id, s.terminal, s.size, s.known, s.added,
                                                     s.checkpoints_added) for s in staged])  # fmt: skip
            conn.execute(
                "INSERT INTO merge_runs (file, sha256, merged_at, logs, added, known) VALUES (?, ?, ?, ?, ?, ?)",
                (str(path), prepared.sha256, now(), len(staged), result.added, sum(x.known for x in result.logs)),
            )
            pause_point("merge.commit")  # test-only (IKRAR_TEST_PAUSE_AT); no effect otherwise
            done.append(result)

        try:
            # the swap: one write transaction, or bounded batches shown at once (batched_swap.py)
            swap(self.store, self.ledger, staged, self.digests, finish)
            return done[-1]
        finally:
            self.drop_staging()

    def drop_staging(self) -> None:
        from .staging import close_staging

        with contextlib.suppress(IkrarError, sqlite3.Error), self.store.read() as conn:
            close_staging(conn)

    # -- the file around the logs ---------------------------------------------------------
    def _file_header(self, reader: _Reader) -> tuple[int, str]:
        head = reader.next()
        if head.get("format") != FORMAT:
            raise reader.bad(_("not an ikrar ledger export (no format header)"))
        if head.get("version") != VERSION:
            raise reader.bad(_("export format version {v} is not supported", v=head.get("version")))
        _keys(reader, head, HEADER_KEYS)
        return _field(reader, head, "logs", int), _field(reader, head, "institution_code", str)

    def _file_end(self, reader: _Reader, n_logs: int, code: str, entries: int) -> None:
        end = reader.next()
        if end.get("end") is not True:
            raise reader.bad(_("expected the end line"))
        _keys(reader, end, END_KEYS)
        if end.get("logs") != n_logs or end.get("entries") != entries:
            raise reader.bad(_("the end line's counts do not match the file"))
        if code != self.verifier.bundle.institution_code:
            raise reader.bad(_("the export is of institution {code}, the trust bundle of {own}", code=code,
                               own=self.verifier.bundle.institution_code))  # fmt: skip
        if end.get("sha256") != reader.digest.hexdigest():
            raise reader.bad(_("the file's checksum does not match its contents (edited or truncated)"))
        if reader.fh.read(1):
            raise reader.bad(_("data after the end line"))

    # -- one log: verified against the store's snapshot, new rows staged ------------------
    def _stage_log(self, conn: sqlite3.Connection, reader: _Reader) -> StagedLog:
        from .merge_sessions import SessionPlan
        from .staging import StagedLog

        head = self._log_header(reader)
        log_id, size = head.info.log_id, head.size
        checkpoints = self._checkpoints(reader, head)
        local = self._local_state(conn, head.info, checkpoints)
        staged = StagedLog(head.info, head.terminal, local, SessionPlan(log_id, head.terminal),
                           list(checkpoints.values()), size, min(size, local.size))  # fmt: skip
        self._session_lines(reader, staged.sessions, head.n_sessions)
        if is_known(local.checkpoints, local.size, size, checkpoints):  # every entry merged before: root check only
            if consume_known_entries(reader, size, checkpoints, conn, log_id) and head.n_sessions:
                raise _unsigned_sessions(reader, log_id, head.n_sessions)
        else:
            self._stage_entries(conn, reader, staged, head, checkpoints)
        if self.progress:
            self.progress(size, size)
        return staged

    def _log_header(self, reader: _Reader) -> _LogHead:
        from ..keys.keyfiles import key_id

        h = reader.next()
        _keys(reader, h, LOG_KEYS)
        log_id = _field(reader, h, "log", str)
        origin = _field(reader, h, "origin", str)
        key_name = _field(reader, h, "key_name", str)
        try:
            public_key = base64.b64decode(_field(reader, h, "public_key", str), validate=True)
        except ValueError:
            raise reader.bad(_("public_key is not base64")) from None
        if base64.b64encode(public_key).decode() != h["public_key"]:
            raise reader.bad(_("public_key is not in its canonical base64 form"))
        size = _field(reader, h, "size", int)
        notes = _field(reader, h, "checkpoints", list)
        n_sessions = _field(reader, h, "sessions", int)
        if len(public_key) != 32 or key_id(public_key).hex() != log_id:
            raise _bad_log(reader, "wrong_key", _("log {log} does not belong to the key it names", log=log_id))
        cert = self.verifier.bundle.terminals.get(bytes.fromhex(log_id))
        if cert is None:
            raise _bad_log(reader, "unknown_key", _("terminal key {kid} is not in the trust bundle", kid=log_id))
        return _LogHead(LogInfo(log_id, origin, public_key, key_name), cert.name, size, notes, n_sessions)

    def _checkpoints(self, reader: _Reader, head: _LogHead) -> dict[int, Checkpoint]:
        """The export's checkpoints of the log, each signed by the log's key; one covers the whole log."""
        info = head.info
        checkpoints: dict[int, Checkpoint] = {}
        for note in head.notes:
            if not isinstance(note, str):
                raise reader.bad(_("field {field} is missing or has the wrong type", field="checkpoints"))
            try:
                cp = verify_checkpoint(note, info.key_name, info.public_key)
            except VerificationError as exc:
                raise _bad_log(reader, "bad_checkpoint_signature", exc.message) from None
            if cp.origin != info.origin:
                raise _bad_log(reader, "bad_checkpoint_signature", _("a checkpoint names another log"))
            if cp.size in checkpoints and checkpoints[cp.size].root != cp.root:
                raise _fork(info.log_id, cp.size, _("two signed checkpoints in the export disagree"))
            checkpoints[cp.size] = cp
        if head.size not in checkpoints:
            raise _bad_log(reader, "truncated", _("no signed checkpoint covers the {n} entries", n=head.size))
        return checkpoints

    def _local_state(self, conn: sqlite3.Connection, info: LogInfo, checkpoints: dict[int, Checkpoint]) -> LocalState:
        """What the store holds of the log, which must not contradict the export's key or checkpoints."""
        from .staging import local_state

        log_id = info.log_id
        existing = conn.execute("SELECT origin, public_key FROM logs WHERE log_id = ?", (log_id,)).fetchone()
        if existing and (existing[0] != info.origin or bytes(existing[1]) != info.public_key):
            raise _fork(log_id, 0, _("the log's origin or key differs from the merged one"))
        local = local_state(conn, self.ledger, log_id)
        for s, root in local.checkpoints.items():
            if s in checkpoints and checkpoints[s].root != root:
                raise _fork(log_id, s, _("the export's signed checkpoint differs from the one merged before"))
        return local

    def _stage_entries(
        self, conn: sqlite3.Connection, reader: _Reader, staged: StagedLog, head: _LogHead,
        checkpoints: dict[int, Checkpoint],
    ) -> None:  # fmt: skip
        from .staging import stage_entries

        check = entry_checker(self.verifier, head.info)
        # the leaf hashes are kept only for a consistency proof from a checkpoint merged before (none: a first merge)
        hashes = PackedHashes() if staged.local.checkpoints else None
        stage_entries(conn, reader, check, staged, 0, head.size, checkpoints, StreamingRoot(), hashes, self.progress,
                      self.store.renew_read)  # fmt: skip
        if head.n_sessions and check.state.sessions:
            raise _unsigned_sessions(reader, head.info.log_id, head.n_sessions)
        self._check_consistency(conn, staged, hashes, checkpoints)

    def _check_consistency(
        self, conn: sqlite3.Connection, staged: StagedLog, hashes: PackedHashes | None,
        checkpoints: dict[int, Checkpoint],
    ) -> None:
        """Consistency with what was merged before: an RFC 6962 proof from our latest checkpoint to theirs."""
        local_cps, local_size = staged.local.checkpoints, staged.local.size
        size, log_id = staged.size, staged.info.log_id
        if not local_cps:
            return
        old = max(s for s in local_cps if s <= max(size, local_size))
        if 0 < old <= size:
            assert hashes is not None  # kept whenever the store holds checkpoints of the log
            proof = consistency_proof(hashes, old, size)
            if not verify_consistency(old, size, local_cps[old], checkpoints[size].root, proof):
                raise _fork(log_id, old, _("the export is not an extension of the merged log"))
        elif old > size and self.ledger.root(conn, log_id, size) != checkpoints[size].root:
            raise _fork(log_id, size, _("the export is not a prefix of the merged log"))

    def _session_lines(self, reader: _Reader, plan: SessionPlan, n: int) -> None:
        """Session metadata (unsigned, informative), planned as local rows for the swap."""
        for _n in range(n):
            s = reader.next()
            _keys(reader, s, SESSION_KEYS)
            number = _field(reader, s, "session", int)
            pledge = _field(reader, s, "pledge", str)
            pid, _sep, ver = pledge.rpartition("@")
            if not pid or not ver.isdigit():
                raise reader.bad(_("field {field} is missing or has the wrong type", field="pledge"))
            plan.line(
                number,
                pid,
                int(ver),
                str(s.get("title") or ""),
                str(s.get("location") or ""),
                s.get("unit") if isinstance(s.get("unit"), str) else None,
                str(s.get("timezone") or "Asia/Jakarta"),
                _field(reader, s, "opened_at", int),
                s.get("closed_at") if isinstance(s.get("closed_at"), int) else None,
            )
