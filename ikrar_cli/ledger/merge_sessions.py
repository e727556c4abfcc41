"""The local session rows of a merged log, planned while the file is verified and written when it is
swapped in (docs/ledger-export.md, "Staging and locks").

A merge verifies a file without holding the write lock, so it cannot create session rows as it
reads (their ids are the store's). It notes what the old single-transaction merge did, in file
order: a row for each unsigned session line, the signed open and close records, and a placeholder
row for a receipt whose session it has not seen. :meth:`SessionPlan.apply` replays those steps inside
the short swap transaction and returns the local row of every session number, which the staged
attestations are joined with. A log holds a few sessions per thousand receipts, so the plan is small.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..receipts.receipt import Receipt

Row = tuple[int, str, int, str, str, "str | None", str, int, "int | None"]


class SessionPlan:
    """What the merge of one log does to the ``sessions`` table, replayed at the swap."""

    def __init__(self, log_id: str, terminal: str):
        self.log_id = log_id
        self.terminal = terminal
        self.steps: list[tuple[str, Any]] = []
        self.numbers: set[int] = set()

    def line(self, number: int, pid: str, ver: int, title: str, location: str, unit: str | None, tz: str,
             opened: int, closed: int | None) -> None:  # fmt: skip
        """An unsigned session line (exports of logs from before sessions were signed)."""
        self.steps.append(("row", (number, pid, ver, title, location, unit, tz, opened, closed)))
        self.numbers.add(number)

    def record(self, leaf: bytes) -> None:
        """A verified session record (open or close) of the log."""
        from ..recitation.sessions import OPEN, decode_record

        rec = decode_record(leaf)
        if rec["type"] == OPEN:
            self.numbers.add(int(rec["session"]))
        self.steps.append(("record", leaf))

    def receipt(self, r: Receipt) -> None:
        """A receipt: its session gets a placeholder row if nothing named the session before it."""
        c = r.claims
        if c.session not in self.numbers:
            self.steps.append(("row", (c.session, c.pledge_id, c.pledge_version, "", "", None, c.zone, c.issued_at,
                                       None)))  # fmt: skip
            self.numbers.add(c.session)

    def apply(
        self, conn: sqlite3.Connection, digests: dict[tuple[str, int], bytes], pending: int | None = None
    ) -> dict[int, int]:
        """Make or update the rows, in file order; returns session number -> local row id.

        ``pending``: a batched merge's first transaction (``batched_swap.py``): new rows are made
        unpublished (``pending_merge``) and only those are updated; the rows every reader sees are
        left as they are until the publishing transaction replays the plan without ``pending``
        (the same steps again: each finds its row and sets what it set)."""
        out: dict[int, int] = {}
        for kind, step in self.steps:
            if kind == "row":
                out[step[0]] = session_row(conn, self.log_id, self.terminal, digests, *step, pending=pending)
            else:
                out.update(self._record(conn, digests, step, pending))
        return out

    def _record(
        self, conn: sqlite3.Connection, digests: dict[tuple[str, int], bytes], leaf: bytes, pending: int | None
    ) -> dict[int, int]:
        from ..recitation.sessions import OPEN, decode_record

        rec = decode_record(leaf)
        number = int(rec["session"])
        if rec["type"] == OPEN:
            pid, _sep, ver = str(rec["pledge"]).rpartition("@")
            sid = session_row(conn, self.log_id, self.terminal, digests, number, pid, int(ver), rec["title"],
                              rec["location"], rec["unit"], rec["timezone"], rec["at"], None,
                              pending=pending)  # fmt: skip
            conn.execute(
                "UPDATE session_rows SET signed = 1, roster_digest = ?, forced_reason = ?, pledge_digest = ? "
                "WHERE id = ? AND merged = 1" + _ONLY_PENDING * (pending is not None),
                (rec["roster"], rec["forced_reason"], bytes.fromhex(rec["pledge_digest"][7:]), sid)
                + ((pending,) if pending is not None else ()),
            )
            return {number: sid}
        conn.execute(
            "UPDATE session_rows SET closed_at = ? WHERE log_id = ? AND origin_session = ? AND merged = 1"
            + _ONLY_PENDING * (pending is not None),
            (rec["at"], self.log_id, number) + ((pending,) if pending is not None else ()),
        )
        return {}


_ONLY_PENDING = " AND pending_merge = ?"


def session_row(
    conn: sqlite3.Connection, log_id: str, terminal: str, digests: dict[tuple[str, int], bytes], number: int,
    pid: str, ver: int, title: str, location: str, unit: str | None, tz: str, opened: int, closed: int | None,
    *, pending: int | None = None,
) -> int:  # fmt: skip
    """The local row of the log's session ``number``: the existing one (its close time filled in
    if it had none) or a new merged row."""
    row = conn.execute(
        "SELECT id FROM session_rows WHERE log_id = ? AND (origin_session = ? OR (origin_session IS NULL AND id = ?))",
        (log_id, number, number),
    ).fetchone()
    if row:
        if closed is not None:
            conn.execute(
                "UPDATE session_rows SET closed_at = COALESCE(closed_at, ?) WHERE id = ? AND merged = 1"
                + _ONLY_PENDING * (pending is not None),
                (closed, row[0]) + ((pending,) if pending is not None else ()),
            )
        return int(row[0])
    cur = conn.execute(
        "INSERT INTO session_rows (log_id, terminal_kid, terminal_name, pledge_id, pledge_version, pledge_digest, "
        "title, location, unit_code, timezone, opened_at, closed_at, origin_session, merged, pending_merge) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
        (log_id, bytes.fromhex(log_id), terminal, pid, ver, digests.get((pid, ver), b""), title, location, unit, tz,
         opened, closed, number, pending),
    )  # fmt: skip
    return int(cur.lastrowid or 0)
