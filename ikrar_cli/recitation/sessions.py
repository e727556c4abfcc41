"""Sessions as records in the terminal's transparency log (docs/ledger.md, "Session records").

Opening and closing a session appends a record to the terminal's log, next to the receipts, so
the signed checkpoints cover the session's metadata: an edited or invented session no longer
matches the terminal's signature. A record leaf is ``ikrar-session/1`` + LF + the canonical
JSON of the record. Within one log, time only moves forward: each entry's time is not earlier
than the latest time before it minus ``TOLERANCE`` seconds (a clock corrected by NTP).

A session is named across terminals as ``TERMINAL/NUMBER`` (terminal name from its certificate,
number from the terminal's own count), e.g. ``apel-halaman-1/3``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError, VerificationError
from ..i18n import _
from ..keys.keyfiles import canonical_json

RECORD_PREFIX = b"ikrar-session/1\n"
TOLERANCE = 300  # seconds a terminal clock may step back (documented in docs/ledger.md)
OPEN, CLOSE = "session-open", "session-close"
_OPEN_FIELDS = {
    "type": str, "session": int, "terminal": str, "pledge": str, "pledge_digest": str, "title": str,
    "location": str, "unit": (str, type(None)), "timezone": str, "roster": (str, type(None)),
    "forced_reason": (str, type(None)), "at": int, "index": int,
}  # fmt: skip
_CLOSE_FIELDS = {"type": str, "session": int, "at": int, "index": int}


def session_label(terminal: str, number: int) -> str:
    return f"{terminal}/{number}"


def parse_session_ref(text: str) -> tuple[str | None, int]:
    """``apel-1/3`` -> ("apel-1", 3); a bare ``3`` -> (None, 3)."""
    m = re.fullmatch(r"\s*(?:(.+)/)?(\d{1,12})\s*", text)
    if not m:
        raise UsageError(
            _("{ref!r} is not a session id", ref=text), _("write TERMINAL/NUMBER, e.g. apel-halaman-1/3")
        )
    return m.group(1), int(m.group(2))


def is_record(leaf: bytes) -> bool:
    return leaf.startswith(RECORD_PREFIX)


def encode_record(obj: dict[str, Any]) -> bytes:
    return RECORD_PREFIX + canonical_json(obj)


def _bad(why: str) -> VerificationError:
    return VerificationError(why, None, code="bad_session_record")


def decode_record(leaf: bytes) -> dict[str, Any]:
    """A record exactly as specified: canonical JSON, known type, every field of its type."""
    try:
        obj = json.loads(leaf[len(RECORD_PREFIX) :].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _bad(_("the session record is not JSON")) from None
    if not isinstance(obj, dict) or encode_record(obj) != leaf:
        raise _bad(_("the session record is not in its canonical form"))
    spec = _OPEN_FIELDS if obj.get("type") == OPEN else _CLOSE_FIELDS if obj.get("type") == CLOSE else None
    if spec is None or set(obj) != set(spec):
        raise _bad(_("the session record has unknown or missing fields"))
    for name, kind in spec.items():
        value = obj[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):  # type: ignore[arg-type]
            raise _bad(_("field {field} of the session record has the wrong type", field=name))
    return obj


def entry_time(leaf: bytes) -> int:
    if is_record(leaf):
        return int(decode_record(leaf)["at"])
    from ..receipts.receipt import receipt_from_cose

    return receipt_from_cose(leaf).claims.issued_at


@dataclass
class SessionInfo:
    number: int
    record: dict[str, Any]
    closed_at: int | None = None
    index: int = 0


@dataclass
class LogChecker:
    """Checks, entry by entry in index order, what the records of one log must satisfy."""

    terminal: str
    pledges: dict[str, bytes] | None = None  # "id@version" -> digest, from the trust bundle
    last_time: int | None = None
    sessions: dict[int, SessionInfo] = field(default_factory=dict)

    def _time(self, at: int, idx: int) -> None:
        if self.last_time is not None and at < self.last_time - TOLERANCE:
            raise VerificationError(
                _("entry {index} is dated {at}, before an earlier entry ({last}): time went back", index=idx, at=at,
                  last=self.last_time),
                None,
                code="time_backwards",
            )  # fmt: skip
        self.last_time = at if self.last_time is None else max(self.last_time, at)

    def record(self, idx: int, leaf: bytes) -> dict[str, Any]:
        rec = decode_record(leaf)
        if rec["index"] != idx:
            raise VerificationError(
                _("the session record names index {named}: entries were reordered", named=rec["index"]),
                None, code="reordered",
            )  # fmt: skip
        self._time(rec["at"], idx)
        number = rec["session"]
        if rec["type"] == OPEN:
            if number in self.sessions:
                raise _bad(_("session {session} is opened twice", session=number))
            if rec["terminal"] != self.terminal:
                raise _bad(_("the session names terminal {name}, not this log's {own}", name=rec["terminal"],
                             own=self.terminal))  # fmt: skip
            if self.pledges is not None:
                digest = self.pledges.get(rec["pledge"])
                if digest is None or "sha256:" + digest.hex() != rec["pledge_digest"]:
                    raise VerificationError(
                        _("session {session} names pledge {ref}, which the trust bundle does not hold with that "
                          "digest", session=number, ref=rec["pledge"]),
                        None, code="unknown_pledge",
                    )  # fmt: skip
            self.sessions[number] = SessionInfo(number, rec, index=idx)
        else:
            s = self.sessions.get(number)
            if s is None or s.closed_at is not None:
                raise _bad(_("session {session} is closed but was not open", session=number))
            s.closed_at = rec["at"]
        return rec

    def receipt(self, idx: int, session: int, pledge: str, at: int) -> None:
        self._time(at, idx)
        s = self.sessions.get(session)
        if s is None:
            return  # a session from before sessions were recorded in the log: shown as unsigned
        if s.closed_at is not None:
            raise _bad(_("entry {index} was recorded in session {session} after it closed", index=idx,
                         session=session))  # fmt: skip
        if s.record["pledge"] != pledge:
            raise _bad(_("entry {index} names pledge {ref}, not its session's {own}", index=idx, ref=pledge,
                         own=s.record["pledge"]))  # fmt: skip


def last_entry_time(conn: Any, log_id: str) -> int | None:
    row = conn.execute(
        "SELECT leaf FROM ledger_entries WHERE log_id = ? ORDER BY idx DESC LIMIT 1", (log_id,)
    ).fetchone()
    return None if row is None else entry_time(bytes(row[0]))


def check_clock(conn: Any, log_id: str, at: int) -> None:
    """Before appending: refuse to write an entry dated before the log's last one (beyond the tolerance)."""
    from ..errors import ConflictError

    last = last_entry_time(conn, log_id)
    if last is not None and at < last - TOLERANCE:
        raise ConflictError(
            _("This terminal's clock is behind its log: the last entry is dated {last}, now is {now}", last=last,
              now=at),
            _("set the system clock right (time only moves forward in a log), then try again"),
        )  # fmt: skip


def _roster_in_force(conn: Any) -> str | None:
    row = conn.execute("SELECT digest FROM roster_snapshots ORDER BY as_of DESC, serial DESC, stored_at DESC LIMIT 1")
    found = row.fetchone()
    return None if found is None else str(found[0])


def open_record(
    conn: Any, ledger: Any, log_id: str, number: int, terminal: str, pledge: Any, title: str, location: str,
    unit: str | None, zone: str, forced_reason: str | None, at: int,
) -> None:  # fmt: skip
    """Inside the open transaction: append the session-open record to the terminal's log."""
    check_clock(conn, log_id, at)
    roster = _roster_in_force(conn)

    def build(idx: int) -> bytes:
        return encode_record(
            {"type": OPEN, "session": number, "terminal": terminal, "pledge": pledge.ref,
             "pledge_digest": "sha256:" + pledge.digest.hex(), "title": title, "location": location, "unit": unit,
             "timezone": zone, "roster": roster, "forced_reason": forced_reason, "at": at, "index": idx}
        )  # fmt: skip

    ledger.append(conn, log_id, build)
    conn.execute("UPDATE session_rows SET signed = 1, roster_digest = ? WHERE id = ?", (roster, number))


def close_record(conn: Any, ledger: Any, log_id: str, number: int, at: int) -> None:
    check_clock(conn, log_id, at)
    ledger.append(conn, log_id, lambda idx: encode_record({"type": CLOSE, "session": number, "at": at, "index": idx}))


def overview(conn: Any, *, open_only: bool = False) -> list[dict[str, Any]]:
    """Every session with its count of officers recorded in it (``session list``)."""
    from .attest import list_sessions

    counts = dict(conn.execute("SELECT session_id, COUNT(DISTINCT officer_id) FROM attestations GROUP BY 1"))
    return [dict(s.to_dict(), attested=int(counts.get(s.id, 0))) for s in list_sessions(conn, open_only=open_only)]


def describe(conn: Any, ref: str) -> dict[str, Any]:
    """One session (by TERMINAL/NUMBER) with pledged / expected and the split by method (``session show``)."""
    from .attest import find_session, session_counts

    s = find_session(conn, ref)
    attested, expected = session_counts(conn, s)
    by_method = dict(
        conn.execute("SELECT method, COUNT(*) FROM attestations WHERE session_id = ? GROUP BY method", (s.id,))
    )
    return dict(s.to_dict(), attested=attested, expected=expected, by_method=by_method)
