"""Apel sessions and the recording of attestations.

An attestation is recorded in ONE transaction: the next ledger index is taken under the
write lock, the receipt (which names that index) is signed, the signed bytes are appended
to the terminal's log and the attestation row is written. A crash therefore loses
nothing committed and leaves nothing partial; two terminal processes sharing a workspace
can never produce the same index. Collective recitation records officers in batches, one
transaction per batch, and reports each committed batch through a callback so a caller
only ever shows receipts that are durably stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..errors import ConflictError, InputError, NotFoundError
from ..i18n import _
from ..store.core import now as store_now
from ..testpoints import pause_point

if TYPE_CHECKING:
    from ..keys.keyfiles import TerminalSigner
    from ..ledger.log import Ledger
    from ..pledges.templates import Pledge
    from ..workspace import Workspace

METHODS = ("individual", "collective")


@dataclass(frozen=True)
class Session:
    """One apel event on one terminal, for one pledge template version."""

    id: int
    log_id: str
    terminal_kid: bytes
    terminal_name: str
    pledge_id: str
    pledge_version: int
    pledge_digest: bytes
    title: str
    location: str
    unit_code: str | None
    timezone: str
    opened_at: int
    closed_at: int | None
    forced_reason: str | None
    close_checkpoint: str | None
    signed: bool = True
    number: int = 0

    @property
    def label(self) -> str:
        """The session's id across terminals: TERMINAL/NUMBER."""
        return f"{self.terminal_name}/{self.number or self.id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def pledge_ref(self) -> str:
        return f"{self.pledge_id}@{self.pledge_version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "session_id": self.label,
            "signed": self.signed,
            "terminal": self.terminal_name,
            "terminal_kid": self.terminal_kid.hex(),
            "log_id": self.log_id,
            "pledge": self.pledge_ref,
            "pledge_digest": "sha256:" + self.pledge_digest.hex(),
            "title": self.title,
            "location": self.location,
            "unit": self.unit_code,
            "timezone": self.timezone,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "forced_reason": self.forced_reason,
            "close_checkpoint": self.close_checkpoint,
        }


_SESSION_COLUMNS = (
    "id, log_id, terminal_kid, terminal_name, pledge_id, pledge_version, pledge_digest, "
    "title, location, unit_code, timezone, opened_at, closed_at, forced_reason, "
    "close_checkpoint, signed, COALESCE(origin_session, id)"
)


def _session(row: tuple[Any, ...]) -> Session:
    return Session(row[0], row[1], bytes(row[2]), row[3], row[4], row[5], bytes(row[6]), row[7], row[8], row[9],
                   row[10], row[11], row[12], row[13], row[14], bool(row[15]), int(row[16]))  # fmt: skip


def log_id_for(kid: bytes) -> str:
    """A terminal's log is named by its key id (hex)."""
    return kid.hex()


def log_origin(institution_code: str, kid: bytes) -> str:
    """The checkpoint origin line of a terminal's log (see docs/ledger.md)."""
    return f"ikrar/{institution_code}/{kid.hex()}"


def get_session(conn: sqlite3.Connection, session_id: int) -> Session:
    row = conn.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFoundError(_("Session {id} not found", id=session_id), _("list sessions with 'ikrar session list'"))
    return _session(row)


def list_sessions(conn: sqlite3.Connection, *, open_only: bool = False) -> list[Session]:
    where = " WHERE closed_at IS NULL" if open_only else ""
    rows = conn.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions{where}").fetchall()
    return sorted((_session(r) for r in rows), key=lambda s: (s.terminal_name, s.number, s.id))


def find_session(conn: sqlite3.Connection, ref: str) -> Session:
    """A session by its id across terminals (TERMINAL/NUMBER); a bare number only where it is unambiguous."""
    from ..errors import UsageError
    from .sessions import parse_session_ref

    terminal, number = parse_session_ref(ref)
    if terminal is None:
        rows = conn.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (number,)).fetchall()
        merged = conn.execute("SELECT 1 FROM sessions WHERE merged = 1 LIMIT 1").fetchone()
        if rows and merged:
            raise UsageError(
                _("Session numbers repeat across terminals; name it as {label}", label=_session(rows[0]).label),
                _("write TERMINAL/NUMBER, as 'ikrar session list' shows"),
            )
        return get_session(conn, number)
    row = conn.execute(
        f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE terminal_name = ? AND COALESCE(origin_session, id) = ?",
        (terminal, number),
    ).fetchone()
    if row is None:
        raise NotFoundError(_("Session {id} not found", id=ref), _("list sessions with 'ikrar session list'"))
    return _session(row)


def local_day(ts: int, zone: str) -> date:
    return datetime.fromtimestamp(ts, tz=UTC).astimezone(ZoneInfo(zone)).date()


def open_session(
    workspace: Workspace,
    ledger: Ledger,
    *,
    kid: bytes,
    terminal_name: str,
    public_key: bytes,
    pledge: Pledge,
    title: str,
    location: str,
    unit_code: str | None = None,
    force_reason: str | None = None,
    at: int | None = None,
) -> Session:
    """Open an apel session; a pledge outside its validity window needs a recorded reason."""
    opened = store_now() if at is None else at
    tz = workspace.config.timezone
    today = local_day(opened, tz)
    if not pledge.is_valid_on(today) and not force_reason:
        raise ConflictError(
            _(
                "Pledge {ref} is valid from {start} to {end}, not on {today}",
                ref=pledge.ref,
                start=pledge.valid_from,
                end=pledge.valid_until,
                today=today,
            ),
            _("choose a current template, or pass --force --reason TEXT to record why"),
        )
    if not title.strip() or not location.strip():
        raise InputError(
            _("A session needs a title and a location"),
            _("e.g. --title 'Apel Ikrar Netralitas' --location 'Halaman Kantor Bupati'"),
        )
    log_id = log_id_for(kid)
    store = workspace.store
    with store.transaction() as conn:
        ledger.ensure_log(
            conn,
            log_id=log_id,
            origin=log_origin(workspace.config.institution_code, kid),
            public_key=public_key,
            key_name=log_origin(workspace.config.institution_code, kid),
        )
        cur = conn.execute(
            "INSERT INTO session_rows (log_id, terminal_kid, terminal_name, pledge_id, pledge_version, "
            "pledge_digest, title, location, unit_code, timezone, opened_at, forced_reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                log_id,
                kid,
                terminal_name,
                pledge.id,
                pledge.version,
                pledge.digest,
                title.strip(),
                location.strip(),
                unit_code,
                tz,
                opened,
                force_reason,
            ),
        )
        session_id = int(cur.lastrowid or 0)
        from .sessions import open_record

        open_record(conn, ledger, log_id, session_id, terminal_name, pledge, title.strip(), location.strip(),
                    unit_code, tz, force_reason, opened)  # fmt: skip
        return get_session(conn, session_id)


def close_session(workspace: Workspace, ledger: Ledger, session_id: int, signer: TerminalSigner) -> Session:
    """Close a session and store the signed checkpoint of its terminal's log."""
    store = workspace.store
    with store.read() as conn:
        session = get_session(conn, session_id)
    if not session.is_open:
        raise ConflictError(
            _("Session {id} is already closed", id=session_id), _("open a new session with 'ikrar session open'")
        )
    if signer.kid != session.terminal_kid:
        raise ConflictError(
            _("Session {id} belongs to terminal {name}", id=session_id, name=session.terminal_name),
            _("close it on that terminal"),
        )
    origin = log_origin(workspace.config.institution_code, signer.kid)
    closed = store_now()
    if session.signed:
        from .sessions import close_record

        with store.transaction() as conn:
            close_record(conn, ledger, session.log_id, session_id, closed)
    checkpoint = ledger.checkpoint(session.log_id, signer.sign, origin)
    with store.transaction() as conn:
        conn.execute(
            "UPDATE session_rows SET closed_at = ?, close_checkpoint = ? WHERE id = ? AND closed_at IS NULL",
            (closed, checkpoint.note, session_id),
        )
        return get_session(conn, session_id)


# --------------------------------------------------------------------------------------
# Attestations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attestation:
    """One recorded acknowledgement (or the existing one, when ``existing`` is true)."""

    session_id: int
    officer_id: str
    id_type: str
    officer_name: str | None
    unit_code: str
    method: str
    attested_at: int
    ledger_idx: int
    receipt: str
    unlisted: bool = False
    existing: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": self.session_id,
            "officer_id": self.officer_id,
            "id_type": self.id_type,
            "officer_name": self.officer_name,
            "unit": self.unit_code,
            "method": self.method,
            "attested_at": self.attested_at,
            "ledger_index": self.ledger_idx,
            "receipt": self.receipt,
            "unlisted": self.unlisted,
            "existing": self.existing,
        }


@dataclass
class RowProblem:
    row: int
    value: str
    reason: str
    code: str


@dataclass
class CollectiveReport:
    attested: int = 0
    already: int = 0
    duplicates: list[RowProblem] = field(default_factory=list)
    unknown: list[RowProblem] = field(default_factory=list)
    invalid: list[RowProblem] = field(default_factory=list)
    inactive: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def rows(items: list[RowProblem]) -> list[dict[str, Any]]:
            return [{"row": p.row, "value": p.value, "reason": p.reason} for p in items]

        return {
            "attested": self.attested,
            "already_attested": self.already,
            "duplicates": rows(self.duplicates),
            "unknown": rows(self.unknown),
            "invalid": rows(self.invalid),
            "inactive": rows(self.inactive),
        }


class Recorder:
    """Signs and records attestations for the sessions of one terminal."""

    def __init__(
        self, workspace: Workspace, ledger: Ledger, signer: TerminalSigner, now: Callable[[], int] = store_now
    ):
        self.workspace = workspace
        self.ledger = ledger
        self.signer = signer
        self.now = now

    # -- lookups ------------------------------------------------------------------------

    def resolve(
        self, conn: sqlite3.Connection, raw: str, *, allow_unlisted: bool = False, allow_inactive: bool = False
    ) -> tuple[str, str, str | None, str | None, bool]:
        """Typed/scanned text -> (officer_id, id_type, name, unit_code, unlisted)."""
        from ..roster.identifiers import extract_identifier, parse_identifier
        from ..roster.importer import find_officer

        text = raw.strip()
        if not text:
            raise InputError(_("No identifier given"), _("type or scan the NIP"))
        candidate = extract_identifier(text) or text
        officer = find_officer(conn, candidate) or find_officer(conn, text)
        parsed = None
        if officer is None:
            parsed = parse_identifier(candidate)  # raises InputError explaining a typo
            officer = find_officer(conn, parsed.value)
        if officer is None:
            if not allow_unlisted:
                raise NotFoundError(
                    _("{id} is not on the roster", id=candidate),
                    _("check the number with the officer, or ask HR to import the roster"),
                )
            assert parsed is not None
            return parsed.value, parsed.kind, None, None, True
        if not officer.active and not allow_inactive:
            raise ConflictError(
                _("{name} ({id}) is marked inactive on the roster", name=officer.display_name, id=officer.officer_id),
                _("ask HR to check the roster"),
            )
        return officer.officer_id, officer.id_type, officer.name, officer.unit_code, False

    def existing(self, conn: sqlite3.Connection, officer_id: str, session: Session) -> Attestation | None:
        row = conn.execute(
            "SELECT session_id, officer_id, id_type, officer_name, unit_code, method, attested_at, "
            "ledger_idx, receipt, unlisted FROM attestations WHERE officer_id = ? AND pledge_id = ? "
            "AND pledge_version = ? ORDER BY attested_at LIMIT 1",
            (officer_id, session.pledge_id, session.pledge_version),
        ).fetchone()
        if row is None:
            return None
        return Attestation(*row[:9], unlisted=bool(row[9]), existing=True)  # type: ignore[misc]  # 9 positional

    # -- recording ----------------------------------------------------------------------

    def _record(
        self,
        conn: sqlite3.Connection,
        session: Session,
        officer_id: str,
        id_type: str,
        name: str | None,
        unit: str | None,
        method: str,
        unlisted: bool,
    ) -> Attestation:
        from ..keys.trust import receipt_revocation_id
        from ..receipts.receipt import Claims, sign_receipt

        issued = self.now()
        unit_code = unit or session.unit_code or "-"
        include_name = self.workspace.config.include_name
        made: dict[str, Any] = {}

        def build(idx: int) -> bytes:
            claims = Claims(
                pledge_id=session.pledge_id,
                pledge_version=session.pledge_version,
                pledge_digest=session.pledge_digest,
                officer_id=officer_id,
                id_type=id_type,
                officer_name=name if include_name else None,
                unit=unit_code,
                session=session.id,
                issued_at=issued,
                zone=session.timezone,
                method=method,
                ledger_index=idx,
            )
            receipt = sign_receipt(claims, self.signer.sign, self.signer.kid)
            made["receipt"] = receipt
            return receipt.cose

        from .sessions import check_clock

        check_clock(conn, session.log_id, issued)  # time only moves forward in a log
        idx, _data = self.ledger.append(conn, session.log_id, build)
        text = made["receipt"].text
        conn.execute(
            "INSERT INTO attestation_rows (session_id, log_id, ledger_idx, officer_id, id_type, officer_name, "
            "unit_code, pledge_id, pledge_version, method, attested_at, unlisted, receipt, receipt_rid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session.id,
                session.log_id,
                idx,
                officer_id,
                id_type,
                name,
                unit_code,
                session.pledge_id,
                session.pledge_version,
                method,
                issued,
                int(unlisted),
                text,
                receipt_revocation_id(made["receipt"].signature),
            ),
        )
        from ..ledger.duplicates import note_key

        # a batched merge not yet published holds rows the lookup above cannot see (m0019)
        note_key(conn, officer_id, session.pledge_id, session.pledge_version)
        return Attestation(
            session.id, officer_id, id_type, name, unit_code, method, issued, idx, text, unlisted=unlisted
        )

    def _open_session(self, conn: sqlite3.Connection, session_id: int) -> Session:
        session = get_session(conn, session_id)
        if not session.is_open:
            raise ConflictError(
                _("Session {id} is closed", id=session_id), _("open a new session with 'ikrar session open'")
            )
        if session.terminal_kid != self.signer.kid:
            raise ConflictError(
                _("Session {id} belongs to terminal {name}", id=session_id, name=session.terminal_name),
                _("record it on that terminal"),
            )
        return session

    def attest(
        self,
        session_id: int,
        raw_identifier: str,
        *,
        method: str = "individual",
        allow_unlisted: bool = False,
        allow_inactive: bool = False,
    ) -> Attestation:
        """Record one officer, or return the receipt they already have for this pledge."""
        with self.workspace.store.transaction() as conn:
            session = self._open_session(conn, session_id)
            officer_id, id_type, name, unit, unlisted = self.resolve(
                conn, raw_identifier, allow_unlisted=allow_unlisted, allow_inactive=allow_inactive
            )
            found = self.existing(conn, officer_id, session)
            if found is not None:
                return found
            return self._record(conn, session, officer_id, id_type, name, unit, method, unlisted)

    def attest_many(
        self,
        session_id: int,
        rows: Iterable[tuple[int, str]],
        *,
        batch_size: int = 500,
        on_committed: Callable[[list[Attestation]], None] | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        total: int | None = None,
    ) -> CollectiveReport:
        """Collective recitation from an attendance list: (row number, identifier) pairs.

        Unknown, invalid, inactive and duplicate rows are reported, never recorded. Each
        batch commits on its own; ``on_committed`` sees a batch only after it is durable.
        A rerun after a crash records only who is still missing.
        """
        report = CollectiveReport()
        seen = SeenRows()
        done = 0
        for chunk in _chunks(rows, batch_size):
            recorded: list[Attestation] = []
            with self.workspace.store.transaction() as conn:
                session = self._open_session(conn, session_id)
                for row, raw in chunk:
                    done += 1
                    try:
                        officer_id, id_type, name, unit, unlisted = self.resolve(conn, raw)
                    except NotFoundError as exc:
                        report.unknown.append(RowProblem(row, raw, exc.message, "unknown"))
                        continue
                    except ConflictError as exc:
                        report.inactive.append(RowProblem(row, raw, exc.message, "inactive"))
                        continue
                    except InputError as exc:
                        report.invalid.append(RowProblem(row, raw, exc.message, "invalid"))
                        continue
                    first = seen.first_row(officer_id, row)
                    if first is not None:
                        report.duplicates.append(
                            RowProblem(row, raw, _("same officer as row {row}", row=first), "duplicate")
                        )
                        continue
                    if self.existing(conn, officer_id, session) is not None:
                        report.already += 1
                        continue
                    recorded.append(
                        self._record(conn, session, officer_id, id_type, name, unit, "collective", unlisted)
                    )
                pause_point("collective.batch")  # test-only (IKRAR_TEST_PAUSE_AT); no effect otherwise
            report.attested += len(recorded)
            if on_committed and recorded:
                on_committed(recorded)
            if progress:
                progress(done, total)
        return report


class SeenRows:
    """The attendance row of each officer already seen in one collective recitation.

    Identifiers of digits (NIP, NI PPPK, NIK: all of them in practice) are kept as one int with a
    leading 1 (so leading zeros stay distinct): about 100 bytes per officer instead of about 170
    for a dict of strings, which matters at a million rows.
    """

    __slots__ = ("_digits", "_other")

    def __init__(self) -> None:
        self._digits: dict[int, int] = {}
        self._other: dict[str, int] = {}

    def first_row(self, officer_id: str, row: int) -> int | None:
        """The row that named ``officer_id`` first, or None (and ``row`` is remembered)."""
        if officer_id.isascii() and officer_id.isdigit():
            key = int("1" + officer_id)
            first = self._digits.get(key)
            if first is None:
                self._digits[key] = row
            return first
        first = self._other.get(officer_id)
        if first is None:
            self._other[officer_id] = row
        return first


def _chunks(rows: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def session_counts(conn: sqlite3.Connection, session: Session) -> tuple[int, int]:
    """(officers who pledged in THIS session, active officers of its unit — or of all units)."""
    unit_filter = " AND o.unit_code = ?" if session.unit_code else ""
    args: tuple[Any, ...] = (session.unit_code,) if session.unit_code else ()
    expected = conn.execute(f"SELECT COUNT(*) FROM officers o WHERE o.active = 1{unit_filter}", args).fetchone()[0]
    attested = conn.execute(
        "SELECT COUNT(DISTINCT officer_id) FROM attestations WHERE session_id = ?", (session.id,)
    ).fetchone()[0]
    return int(attested), int(expected)
