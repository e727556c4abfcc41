"""Portable ledger exports and their merge into a central workspace (docs/ledger-export.md).

An export is JSON Lines: a file header, then per terminal log a header carrying its signed
checkpoints, its session metadata and its entries as receipt strings, then an end line with the
SHA-256 of everything before it. Merging verifies a whole file (every checkpoint, every receipt,
the tree at every checkpoint, consistency with what was merged before) inside one write
transaction: a file is accepted whole or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InputError, NotFoundError, VerificationError
from ..i18n import _
from ..keys.trust import receipt_revocation_id
from ..receipts.receipt import PREFIX, Receipt, decode_receipt
from ..recitation.sessions import RECORD_PREFIX
from ..store.core import now
from ..testpoints import pause_point
from .checkpoint import Checkpoint, verify_checkpoint
from .log import Ledger, LogInfo, PackedHashes
from .merge_known import consume_known_entries, is_known
from .merkle import StreamingRoot, consistency_proof, leaf_hash, verify_consistency

if TYPE_CHECKING:
    from ..receipts.verify import Verifier
    from ..store.core import Store
    from ..workspace import Workspace

FORMAT = "ikrar-ledger-export"
VERSION = 2  # 2: session records in the log, no unverifiable header fields, canonical lines
CHUNK = 5000

Progress = Callable[[int, int | None], None]


# ------------------------------------------------------------------------------ entry check
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
        from ..receipts.receipt import receipt_from_cose
        from ..recitation.sessions import is_record

        if isinstance(entry, bytes) and is_record(entry):
            if not self.terminal_known:
                raise VerificationError(_("the log's terminal key is not in the trust bundle"), None,
                                        code="unknown_key")  # fmt: skip
            self.state.record(idx, entry)
            return False
        try:
            r = entry if isinstance(entry, Receipt) else receipt_from_cose(entry)
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
        result = self.verifier.verify_receipt(r, with_details=False)
        if not result.valid and result.code != "receipt_revoked":
            raise VerificationError(result.message, None, code=result.code)
        c = r.claims
        self.state.receipt(idx, c.session, f"{c.pledge_id}@{c.pledge_version}", c.issued_at)
        return not result.valid


def entry_checker(verifier: Verifier, info: LogInfo) -> EntryChecker:
    return EntryChecker(verifier, info)


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
        raw = self.fh.readline()
        self.line_no += 1
        if not raw:
            raise self.bad(_("the file ends early (truncated)"))
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


@dataclass
class Duplicate:
    """One officer attested the same pledge in several logs: counted once, earliest first."""

    officer_id: str
    pledge: str
    attestations: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"officer_id": self.officer_id, "pledge": self.pledge, "attestations": self.attestations}


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
    e = reader.next()
    if e.get("i") != idx:
        raise _bad_log(reader, "gap", _("expected entry {index}, found {found}", index=idx, found=e.get("i")))
    _keys(reader, e, {"i", "record"} if "record" in e else {"i", "receipt"})
    record: bytes | None = None
    receipt: Receipt | None = None
    text = ""
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
    try:
        check(idx, entry)
    except VerificationError as exc:
        why = _("entry {index} is not valid: {why}", index=idx, why=exc.message)
        raise _bad_log(reader, exc.code or "bad_entry", why) from None
    return record, receipt, text


class Merger:
    """Merges exports into a workspace, one transaction per file."""

    def __init__(self, ws: Workspace, verifier: Verifier, progress: Progress | None = None):
        self.ws = ws
        self.verifier = verifier
        self.ledger = Ledger(ws.store)
        self.progress = progress

    def merge_files(self, paths: Iterable[Path]) -> list[FileMerge]:
        results = []
        for path in paths:
            try:
                results.append(self.merge_file(path))
            except (VerificationError, InputError, NotFoundError) as exc:
                results.append(FileMerge(path, False, error=exc))
        return results

    def merge_file(self, path: Path) -> FileMerge:
        reader = _Reader(path)
        try:
            head = reader.next()
            if head.get("format") != FORMAT:
                raise reader.bad(_("not an ikrar ledger export (no format header)"))
            if head.get("version") != VERSION:
                raise reader.bad(_("export format version {v} is not supported", v=head.get("version")))
            _keys(reader, head, HEADER_KEYS)
            n_logs = _field(reader, head, "logs", int)
            code = _field(reader, head, "institution_code", str)
            result = FileMerge(path, True)
            with self.ws.store.transaction() as conn:
                for _n in range(n_logs):
                    result.logs.append(self._merge_log(conn, reader))
                end = reader.next()
                if end.get("end") is not True:
                    raise reader.bad(_("expected the end line"))
                _keys(reader, end, END_KEYS)
                if end.get("logs") != n_logs or end.get("entries") != sum(x.size for x in result.logs):
                    raise reader.bad(_("the end line's counts do not match the file"))
                if code != self.verifier.bundle.institution_code:
                    raise reader.bad(_("the export is of institution {code}, the trust bundle of {own}", code=code,
                                       own=self.verifier.bundle.institution_code))  # fmt: skip
                if end.get("sha256") != reader.digest.hexdigest():
                    raise reader.bad(_("the file's checksum does not match its contents (edited or truncated)"))
                if reader.fh.read(1):
                    raise reader.bad(_("data after the end line"))
                whole = hashlib.sha256()
                with path.open("rb") as fh:  # streamed: exports of a million receipts are large
                    while chunk := fh.read(1 << 20):
                        whole.update(chunk)
                sha = whole.hexdigest()
                conn.execute(
                    "INSERT INTO merge_runs (file, sha256, merged_at, logs, added, known) VALUES (?, ?, ?, ?, ?, ?)",
                    (str(path), sha, now(), n_logs, result.added, sum(x.known for x in result.logs)),
                )
                pause_point("merge.commit")  # test-only (IKRAR_TEST_PAUSE_AT); no effect otherwise
            return result
        finally:
            reader.close()

    # -- one log ------------------------------------------------------------------------
    def _merge_log(self, conn: sqlite3.Connection, reader: _Reader) -> LogMerge:
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
        checkpoints: dict[int, Checkpoint] = {}
        for note in notes:
            if not isinstance(note, str):
                raise reader.bad(_("field {field} is missing or has the wrong type", field="checkpoints"))
            try:
                cp = verify_checkpoint(note, key_name, public_key)
            except VerificationError as exc:
                raise _bad_log(reader, "bad_checkpoint_signature", exc.message) from None
            if cp.origin != origin:
                raise _bad_log(reader, "bad_checkpoint_signature", _("a checkpoint names another log"))
            if cp.size in checkpoints and checkpoints[cp.size].root != cp.root:
                raise _fork(log_id, cp.size, _("two signed checkpoints in the export disagree"))
            checkpoints[cp.size] = cp
        if size not in checkpoints:
            raise _bad_log(reader, "truncated", _("no signed checkpoint covers the {n} entries", n=size))
        info = LogInfo(log_id, origin, public_key, key_name)
        existing = conn.execute("SELECT origin, public_key FROM logs WHERE log_id = ?", (log_id,)).fetchone()
        if existing and (existing[0] != origin or bytes(existing[1]) != public_key):
            raise _fork(log_id, 0, _("the log's origin or key differs from the merged one"))
        local_size = self.ledger.size(conn, log_id) if existing else 0
        local_cps = {
            int(r[0]): bytes(r[1])
            for r in conn.execute("SELECT size, root FROM checkpoints WHERE log_id = ?", (log_id,))
        }
        for s, root in local_cps.items():
            if s in checkpoints and checkpoints[s].root != root:
                raise _fork(log_id, s, _("the export's signed checkpoint differs from the one merged before"))
        if not existing:
            self.ledger.ensure_log(conn, log_id=log_id, origin=origin, public_key=public_key, key_name=key_name)
        if is_known(local_cps, local_size, size, checkpoints):  # every entry merged before: root check only
            return self._merge_known(conn, reader, log_id, cert.name, n_sessions, size, checkpoints)

        session_map = self._sessions(conn, reader, log_id, cert.name, n_sessions)
        check = entry_checker(self.verifier, info)
        hashes = PackedHashes()
        stream = StreamingRoot()
        rows: list[tuple[Any, ...]] = []
        atts: list[tuple[Any, ...]] = []
        added = 0
        for idx in range(size):
            record, receipt, text = read_entry(reader, idx, check)
            lh = leaf_hash(record if record is not None else receipt.cose)
            hashes.append(lh)
            stream.add(lh)
            if idx + 1 in checkpoints and stream.root() != checkpoints[idx + 1].root:
                raise _bad_log(
                    reader,
                    "root_mismatch",
                    _("the entries do not match the signed checkpoint at size {size}", size=idx + 1),
                )
            if idx < local_size:
                stored = conn.execute(
                    "SELECT leaf_hash FROM ledger_entries WHERE log_id = ? AND idx = ?", (log_id, idx)
                ).fetchone()
                if stored is None or bytes(stored[0]) != lh:
                    raise _fork(log_id, idx + 1, _("entry {index} differs from the one merged before", index=idx))
                continue
            if record is not None:
                rows.append((log_id, idx, record, lh, now()))
                session_map.update(self._record_session(conn, log_id, cert.name, record))
                continue
            c = receipt.claims
            rows.append((log_id, idx, receipt.cose, lh, now()))
            sid = session_map.get(c.session)
            if sid is None:
                sid = self._placeholder_session(conn, log_id, cert.name, receipt)
                session_map[c.session] = sid
            atts.append(
                (sid, log_id, idx, c.officer_id, c.id_type, c.officer_name, c.unit, c.pledge_id, c.pledge_version,
                 c.method, c.issued_at, 0, text,
                 receipt_revocation_id(receipt.signature))
            )  # fmt: skip
            added += 1
            if len(rows) >= CHUNK:
                self._flush(conn, rows, atts)
            if self.progress and (idx + 1) % CHUNK == 0:
                self.progress(idx + 1, size)
        self._flush(conn, rows, atts)
        if n_sessions and check.state.sessions:
            raise _bad_log(
                reader,
                "unsigned_session",
                _("log {log} records its sessions in its signed entries; {n} unsigned session line(s) were added",
                  log=log_id, n=n_sessions),
            )  # fmt: skip
        # receipts of officers who are not on this workspace's roster are flagged, as the kiosk does
        conn.execute(
            "UPDATE attestations SET unlisted = 1 WHERE log_id = ? AND ledger_idx >= ? AND merged = 1 "
            "AND NOT EXISTS (SELECT 1 FROM officers o WHERE o.officer_id = attestations.officer_id)",
            (log_id, local_size),
        )
        # consistency with what was merged before: RFC 6962 proof from our latest checkpoint to theirs
        if local_cps:
            old = max(s for s in local_cps if s <= max(size, local_size))
            if 0 < old <= size:
                proof = consistency_proof(hashes, old, size)
                if not verify_consistency(old, size, local_cps[old], checkpoints[size].root, proof):
                    raise _fork(log_id, old, _("the export is not an extension of the merged log"))
            elif old > size and self.ledger.root(conn, log_id, size) != checkpoints[size].root:
                raise _fork(log_id, size, _("the export is not a prefix of the merged log"))
        cps_added = 0
        for cp in checkpoints.values():
            cur = conn.execute(
                "INSERT INTO checkpoints (log_id, size, root, note, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (log_id, size, root) DO NOTHING",
                (log_id, cp.size, cp.root, cp.note, now()),
            )
            cps_added += cur.rowcount
        if self.progress:
            self.progress(size, size)
        return LogMerge(log_id, cert.name, size, min(size, local_size), added, cps_added)

    def _merge_known(
        self, conn: sqlite3.Connection, reader: _Reader, log_id: str, terminal: str, n_sessions: int, size: int,
        checkpoints: dict[int, Checkpoint],
    ) -> LogMerge:  # fmt: skip
        self._sessions(conn, reader, log_id, terminal, n_sessions)
        stored = conn.execute(
            "SELECT leaf FROM ledger_entries WHERE log_id = ? AND idx < ? ORDER BY idx", (log_id, size)
        )
        if consume_known_entries(reader, size, checkpoints, stored) and n_sessions:
            raise _bad_log(
                reader,
                "unsigned_session",
                _("log {log} records its sessions in its signed entries; {n} unsigned session line(s) were added",
                  log=log_id, n=n_sessions),
            )  # fmt: skip
        cps_added = 0
        for cp in checkpoints.values():
            cur = conn.execute(
                "INSERT INTO checkpoints (log_id, size, root, note, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (log_id, size, root) DO NOTHING",
                (log_id, cp.size, cp.root, cp.note, now()),
            )
            cps_added += cur.rowcount
        if self.progress:
            self.progress(size, size)
        return LogMerge(log_id, terminal, size, size, 0, cps_added)

    @staticmethod
    def _flush(conn: sqlite3.Connection, rows: list[tuple[Any, ...]], atts: list[tuple[Any, ...]]) -> None:
        conn.executemany(
            "INSERT INTO ledger_entries (log_id, idx, leaf, leaf_hash, created_at) VALUES (?, ?, ?, ?, ?)", rows
        )
        conn.executemany(
            "INSERT INTO attestations (session_id, log_id, ledger_idx, officer_id, id_type, officer_name, unit_code, "
            "pledge_id, pledge_version, method, attested_at, unlisted, receipt, receipt_rid, merged) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO NOTHING",
            atts,
        )
        rows.clear()
        atts.clear()
        pause_point("merge.flush")  # test-only (IKRAR_TEST_PAUSE_AT); no effect otherwise

    def _sessions(
        self, conn: sqlite3.Connection, reader: _Reader, log_id: str, terminal: str, n: int
    ) -> dict[int, int]:
        """Session metadata (unsigned, informative): map the terminal's numbers to local rows."""
        out: dict[int, int] = {}
        for _n in range(n):
            s = reader.next()
            _keys(reader, s, SESSION_KEYS)
            number = _field(reader, s, "session", int)
            pledge = _field(reader, s, "pledge", str)
            pid, _sep, ver = pledge.rpartition("@")
            if not pid or not ver.isdigit():
                raise reader.bad(_("field {field} is missing or has the wrong type", field="pledge"))
            out[number] = self._session_row(
                conn,
                log_id,
                number,
                terminal,
                pid,
                int(ver),
                str(s.get("title") or ""),
                str(s.get("location") or ""),
                s.get("unit") if isinstance(s.get("unit"), str) else None,
                str(s.get("timezone") or "Asia/Jakarta"),
                _field(reader, s, "opened_at", int),
                s.get("closed_at") if isinstance(s.get("closed_at"), int) else None,
            )
        return out

    def _session_row(
        self, conn: sqlite3.Connection, log_id: str, number: int, terminal: str, pid: str, ver: int, title: str,
        location: str, unit: str | None, tz: str, opened: int, closed: int | None,
    ) -> int:  # fmt: skip
        row = conn.execute(
            "SELECT id FROM sessions WHERE log_id = ? AND (origin_session = ? OR (origin_session IS NULL AND id = ?))",
            (log_id, number, number),
        ).fetchone()
        if row:
            if closed is not None:
                conn.execute(
                    "UPDATE sessions SET closed_at = COALESCE(closed_at, ?) WHERE id = ? AND merged = 1",
                    (closed, row[0]),
                )
            return int(row[0])
        pledge_digest = b""
        for digest, p in self.verifier.bundle.pledges.items():
            if p.id == pid and p.version == ver:
                pledge_digest = digest
        cur = conn.execute(
            "INSERT INTO sessions (log_id, terminal_kid, terminal_name, pledge_id, pledge_version, pledge_digest, "
            "title, location, unit_code, timezone, opened_at, closed_at, origin_session, merged) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (log_id, bytes.fromhex(log_id), terminal, pid, ver, pledge_digest, title, location, unit, tz, opened,
             closed, number),
        )  # fmt: skip
        return int(cur.lastrowid or 0)

    def _record_session(self, conn: sqlite3.Connection, log_id: str, terminal: str, leaf: bytes) -> dict[int, int]:
        """A verified session record: the local row of its session, made or updated from it (signed)."""
        from ..recitation.sessions import OPEN, decode_record

        rec = decode_record(leaf)
        number = int(rec["session"])
        if rec["type"] == OPEN:
            pid, _sep, ver = str(rec["pledge"]).rpartition("@")
            sid = self._session_row(conn, log_id, number, terminal, pid, int(ver), rec["title"], rec["location"],
                                    rec["unit"], rec["timezone"], rec["at"], None)  # fmt: skip
            conn.execute(
                "UPDATE sessions SET signed = 1, roster_digest = ?, forced_reason = ?, pledge_digest = ? "
                "WHERE id = ? AND merged = 1",
                (rec["roster"], rec["forced_reason"], bytes.fromhex(rec["pledge_digest"][7:]), sid),
            )
            return {number: sid}
        conn.execute(
            "UPDATE sessions SET closed_at = ? WHERE log_id = ? AND origin_session = ? AND merged = 1",
            (rec["at"], log_id, number),
        )
        return {}

    def _placeholder_session(self, conn: sqlite3.Connection, log_id: str, terminal: str, r: Receipt) -> int:
        c = r.claims
        return self._session_row(
            conn, log_id, c.session, terminal, c.pledge_id, c.pledge_version, "", "", None, c.zone, c.issued_at, None
        )


def duplicates(conn: sqlite3.Connection) -> list[Duplicate]:
    """Officers with more than one attestation of one pledge version (across logs), earliest first."""
    rows = conn.execute(
        "SELECT a.officer_id, a.pledge_id, a.pledge_version, a.log_id, a.ledger_idx, a.attested_at, s.terminal_name "
        "FROM attestations a JOIN sessions s ON s.id = a.session_id "
        "WHERE (a.officer_id, a.pledge_id, a.pledge_version) IN (SELECT officer_id, pledge_id, pledge_version "
        "FROM attestations GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) "
        "ORDER BY a.officer_id, a.pledge_id, a.pledge_version, a.attested_at, a.log_id, a.ledger_idx"
    ).fetchall()
    out: dict[tuple[str, str], Duplicate] = {}
    for oid, pid, ver, log_id, idx, at, terminal in rows:
        key = (oid, f"{pid}@{ver}")
        d = out.setdefault(key, Duplicate(oid, key[1], []))
        d.attestations.append({"log": log_id, "index": idx, "attested_at": at, "terminal": terminal})
    return list(out.values())


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
