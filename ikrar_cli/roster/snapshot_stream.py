"""A stored roster snapshot verified and read as a stream, in bounded memory.

The file format is docs/roster-snapshot.md: the canonical JSON of ``{"signature": SIG,
"snapshot": BODY}`` and a newline. Because the keys are sorted and the JSON has no white space,
the body's canonical bytes are one run of the file, right after the signature, and the officers
one run inside it. The reader walks the file piece by piece (the database blob read in chunks:
SQLite's incremental blob I/O, ``substr`` on PostgreSQL, over the parts of migration m0016 or the
single blob stored before it), checks that every piece is exactly its
canonical encoding, feeds the body's bytes to SHA-256 (the digest), and hands each officer to a
callback. At the end the signature is checked with one library call: for ``Ed25519-statement``
over the short statement naming that digest (memory stays bounded); for the older ``Ed25519``
over the body itself, whose bytes are then held until the end (memory grows with the snapshot;
publishing again gives the statement form). The callback may keep what it wants (a report spools
them to a temporary database); nothing a report shows may be used before ``read_stored``
returns, which is after the signature and every field were checked. Errors are those of
``parse_snapshot``, in its order: layout, canonical form, signer, signature, then the fields.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import InputError, TrustError
from ..i18n import _
from ..keys.keyfiles import canonical_json, verify_signature
from ..keys.signeddoc import ALG_BODY, ALG_STATEMENT, signer, statement, trusted_authorities
from .snapshot import FORMAT, KIND, STATEMENT_TYPE, SnapshotFields, check_read_back, chosen_digest

__all__ = ["SnapshotHead", "read_stored", "stream_snapshot"]

READ = 1 << 20  # bytes per read of the stored file
MAX_VALUE = 64 << 20  # characters of one value other than the officer list (the unit registry is ~1 MB)
MAX_UNITS_SEEN = 1_000_000
_DECODER = json.JSONDecoder()
# Between two officers of a canonical snapshot: an officer's keys are sorted, so each starts with
# "id". A string's every quote is escaped in JSON, so in valid JSON this text is never inside one.
_BETWEEN = '},{"id":"'


@dataclass
class SnapshotHead(SnapshotFields):
    """A verified snapshot without its officer list (``body`` has every other field)."""

    digest: str
    body: dict[str, Any]
    authority_kid: bytes
    officers: int
    active: int

    def summary(self) -> dict[str, Any]:
        """What ``Snapshot.summary`` gives, without the officer list."""
        return {
            "digest": self.digest,
            "as_of": self.as_of,
            "serial": self.serial,
            "scope": self.scope,
            "institution": self.body["institution"]["name"],
            "units": len(self.body["units"]),
            "officers": self.officers,
            "active": self.active,
        }


class _Bad(Exception):
    """The JSON is not a snapshot's (reported as ``bad(what)``)."""


class _Altered(Exception):
    """A piece is not in its canonical form."""


class _Text:
    """The file as text, with a cursor; consumed text of the body goes to ``sink``."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._dec = codecs.getincrementaldecoder("utf-8")("strict")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.sink: Callable[[str], None] | None = None

    def fill(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = next(self._chunks)
        except StopIteration:
            chunk = None
        try:
            text = self._dec.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError:
            raise _Bad("JSON") from None
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        self.eof = chunk is None
        return True

    def take(self, n: int) -> str:
        while len(self.buf) - self.pos < n and self.fill():
            pass
        piece = self.buf[self.pos : self.pos + n]
        self.pos += len(piece)
        if self.sink is not None:
            self.sink(piece)
        return piece

    def expect(self, literal: str) -> None:
        got = self.take(len(literal))
        if got != literal:
            raise _Bad("JSON") if not got else _Altered

    def peek(self) -> str:
        while self.pos >= len(self.buf) and self.fill():
            pass
        return self.buf[self.pos : self.pos + 1]

    def value(self, limit: int = MAX_VALUE) -> Any:
        """The next JSON value; refused unless its text is exactly its canonical encoding."""
        if self.peek() in (" ", "\t", "\r", "\n"):
            raise _Altered  # canonical JSON has no white space between tokens
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                obj, end = None, -1
            if end != -1 and (end < len(self.buf) or self.eof):
                break  # a number at the very end of the buffer may go on in the next chunk
            if len(self.buf) - self.pos > limit or not self.fill():
                if end != -1:
                    break
                raise _Bad("JSON")
        text = self.buf[self.pos : end]
        if canonical_json(obj).decode("utf-8") != text:
            raise _Altered
        self.pos = end
        if self.sink is not None:
            self.sink(text)
        return obj

    def objects(self) -> list[Any] | None:
        """The officers up to the last one the buffer holds entirely, followed by another: one
        ``json.loads`` and one canonical encoding for them all instead of one per officer. Given
        only when ``[`` + their text + ``]`` is exactly the canonical encoding of the list, i.e. of
        each value in turn joined by ``,``: then ``value`` would have read the very same values
        one by one, and the cursor ends on the ``,`` before the next officer. Else (and when no
        such run is buffered) nothing is consumed: ``[]`` when no run is buffered yet, ``None`` when
        the text is not exactly canonical (the caller then reads value by value to the end, which
        refuses the file with the error it always gave)."""
        end = self.buf.rfind(_BETWEEN, self.pos)
        if end == -1:
            return []
        text = "[" + self.buf[self.pos : end + 1] + "]"
        try:
            objs = json.loads(text)
            same = canonical_json(objs).decode("utf-8") == text
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeEncodeError (a lone surrogate)
            return None
        if not same or not isinstance(objs, list):
            return None
        if self.sink is not None:
            self.sink(text[1:-1])
        self.pos = end + 1
        return objs

    def at_end(self) -> bool:
        return self.peek() == "" and self.eof


class _Officers:
    """Field checks of docs/roster-snapshot.md for each officer, in one pass."""

    def __init__(self) -> None:
        self.last: str | None = None
        self.units: set[str] = set()
        self.ok = True
        self.count = self.active = 0
        self.days: set[str] = set()

    def _day(self, text: str) -> None:
        if len(self.days) < MAX_UNITS_SEEN:
            self.days.add(text)

    def check(self, o: Any) -> bool:
        """Whether this officer is well formed (and every one before it)."""
        self.count += 1
        try:
            oid = o["id"]
            ok = isinstance(oid, str) and (self.last is None or oid > self.last)
            ok = ok and o["status"] in ("active", "left") and o["joined_from"] in ("hr", "snapshot")
            joined, left = o["joined"], o["left"]
            if joined not in self.days:  # a text once read as a date is one (a few thousand distinct days)
                date.fromisoformat(joined)
                self._day(joined)
            if left is not None and left not in self.days:
                date.fromisoformat(left)
                self._day(left)
            ok = ok and isinstance(o["name"], str) and isinstance(o["unit"], str) and "id_type" in o
            if len(self.units) < MAX_UNITS_SEEN:
                self.units.add(o["unit"])
            else:
                ok = ok and o["unit"] in self.units
            self.last = oid
            self.active += o["status"] == "active"
        except (KeyError, TypeError, ValueError, AttributeError):
            ok = False
        self.ok = self.ok and ok
        return self.ok


def _head_ok(body: dict[str, Any], seen: _Officers) -> bool:
    try:
        ok = (
            body["format"] == FORMAT
            and isinstance(body["serial"], int)
            and isinstance(body["units"], dict)
            and (body["scope"] is None or isinstance(body["scope"], list))
            and seen.ok
            and all(u in body["units"] for u in seen.units)
        )
        date.fromisoformat(body["as_of"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return ok


def stream_snapshot(
    chunks: Iterator[bytes],
    where: object,
    authorities: Mapping[bytes, bytes],
    officer: Callable[[dict[str, Any]], None],
) -> SnapshotHead:
    """Verify a snapshot file given as byte chunks; each officer goes to ``officer`` as it is read."""

    def bad(what: str) -> InputError:
        return InputError(
            _("{path}: not a valid signed {kind} ({what})", path=where, kind=KIND, what=what),
            _("ask the authority for a fresh copy"),
        )

    def invalid() -> TrustError:
        return TrustError(
            _("{path}: the signature of the {kind} is not valid", path=where, kind=KIND),
            _("the file was altered or damaged; ask the authority for a fresh copy"),
        )

    text = _Text(chunks)
    digest = hashlib.sha256()
    body: dict[str, Any] = {}
    seen = _Officers()
    try:
        text.expect('{"signature":')
        sig = text.value()
        if not isinstance(sig, dict):
            raise _Bad("layout")
        kid, pub, value = signer(sig, where, authorities, bad)
        alg = sig.get("alg")
        if alg not in (ALG_BODY, ALG_STATEMENT):
            raise invalid()
        held = bytearray() if alg == ALG_BODY else None  # the older form signs the body itself

        def feed(piece: str) -> None:
            data = piece.encode("utf-8")
            digest.update(data)
            if held is not None:
                held.extend(data)

        text.expect(',"snapshot":')
        text.sink = feed
        text.expect("{")
        last_key = ""
        while True:
            key = text.value()
            if not isinstance(key, str) or key <= last_key:
                raise _Altered if isinstance(key, str) else _Bad("layout")
            last_key = key
            text.expect(":")
            if key == "officers":
                text.expect("[")
                if text.peek() == "]":
                    text.expect("]")
                else:
                    batched = True  # until a run is not exactly canonical: then value by value to the end
                    while True:
                        run = text.objects() if batched else None
                        if run is None:
                            batched = False
                        elif run:
                            for o in run:
                                if seen.check(o):
                                    officer(o)
                            text.expect(",")
                        o = text.value()
                        if seen.check(o):
                            officer(o)  # once one is malformed, nothing more is handed on
                        if text.peek() == "]":
                            text.expect("]")
                            break
                        text.expect(",")
                body["officers"] = []
            else:
                body[key] = text.value()
            if text.peek() == "}":
                text.expect("}")
                break
            text.expect(",")
        text.sink = None
        text.expect("}\n")
        if not text.at_end():
            raise _Altered
    except _Bad as exc:
        raise bad(str(exc)) from None
    except _Altered:
        raise TrustError(
            _("{path}: the {kind} was altered (not in its signed canonical form)", path=where, kind=KIND),
            _("ask the authority for a fresh copy"),
        ) from None
    name = "sha256:" + digest.hexdigest()
    message = statement(STATEMENT_TYPE, name) if held is None else bytes(held)
    held = None
    if not verify_signature(pub, value, message):
        raise invalid()
    if "officers" not in body or not _head_ok(body, seen):
        raise InputError(_("{path}: not a valid roster snapshot", path=where), _("ask the authority for a fresh copy"))
    del body["officers"]
    return SnapshotHead(name, body, kid, seen.count, seen.active)


def read_stored(
    ws: Any, officer: Callable[[dict[str, Any]], None], *, digest: str | None = None, as_of: str | None = None
) -> SnapshotHead:
    """``snapshot.load`` in bounded memory: the same choice of snapshot, the same checks on this
    read; the officers go to ``officer`` instead of a list."""
    from .snapshot_write import stored_chunks_ahead  # the stored file in chunks of READ bytes, never whole

    with ws.store.read() as conn:
        auths = trusted_authorities(conn)
        stored = chosen_digest(conn, digest=digest, as_of=as_of)
    head = stream_snapshot(stored_chunks_ahead(ws.store, stored, READ), "roster_snapshots", auths, officer)
    check_read_back(stored, head.digest)
    return head
