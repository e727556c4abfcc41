"""Roster snapshots written and stored as a stream, in bounded memory (issue 17, issue 20).

The file format is docs/roster-snapshot.md and does not change: the canonical JSON of
``{"signature": SIG, "snapshot": BODY}`` and a newline. With the ``Ed25519-statement`` form the
signature signs only a short statement naming the body's digest, so ``publish`` writes the body's
canonical bytes as it reads the officers (ordered by id, one pass inside the write transaction),
hashing them as they go, into ``roster_snapshot_parts`` (migration m0016) as parts 1, 2, …; then it
signs the statement and writes the signature header as part 0 and the closing ``}`` and newline as
the last part. ``accept_file`` verifies a file with the streamed reader without the write lock,
then copies it into the parts in one short write transaction, hashing the copy again (it must be
the bytes verified). Each writes in one transaction: a publish or accept that fails or is killed
leaves no snapshot and no parts. Memory holds one part (``PART`` bytes) and the unit registry,
never the officers.

The body's bytes are exactly ``canonical_json(body)``: the keys in sorted order, each value
through ``canonical_json``, the officers one by one (tests/test_snapshot_write.py checks them
against the whole-document path, ``snapshot.build_body`` and ``sign_document``).
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import IkrarError, InputError, NotFoundError, TrustError
from ..i18n import _
from ..keys.keyfiles import b64, canonical_json
from ..keys.signeddoc import ALG_STATEMENT, statement, trusted_authorities
from ..store.core import now
from ..store.dialects import first_listed_insert
from ..store.overlap import overlapped
from ..testpoints import pause_point
from .snapshot import STATEMENT_TYPE, body_head

if TYPE_CHECKING:
    from .snapshot_stream import SnapshotHead

PART = 1 << 20  # bytes of one stored part (about; a part ends after the piece that fills it)
READ = 1 << 20  # bytes per read of a file being accepted
#: the largest snapshot file ``roster accept`` takes: about 23 million officers (4.8 M are ~814 MB)
MAX_FILE = 4_000_000_000
#: a refused file up to this size is read again whole to name the error as ``parse_snapshot`` does
DIAGNOSE = 16_000_000


class PartWriter:
    """Bytes appended to ``roster_snapshot_parts`` under ``file_id``, ``PART`` bytes a row."""

    def __init__(self, conn: Any, file_id: str, first_part: int = 0):
        self.conn, self.file_id, self.part = conn, file_id, first_part
        self.buf = bytearray()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.buf += data
        self.size += len(data)
        if len(self.buf) >= PART:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            put_part(self.conn, self.file_id, self.part, bytes(self.buf))
            self.part += 1
            self.buf.clear()


def put_part(conn: Any, file_id: str, part: int, data: bytes) -> None:
    conn.execute("INSERT INTO roster_snapshot_parts (file_id, part, data) VALUES (?, ?, ?)", (file_id, part, data))


def new_file_id() -> str:
    return uuid.uuid4().hex


def record(conn: Any, *, digest: str, authority: bytes, serial: int, as_of: str, scope: list[str] | None,
           file_id: str, size: int) -> bool:  # fmt: skip
    """The row naming the stored parts; False (and the parts dropped) when the snapshot was already here."""
    cur = conn.execute(
        "INSERT INTO roster_snapshots (digest, authority, serial, as_of, scope, file, stored_at, parts, size) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
        (digest, authority.hex(), serial, as_of, None if scope is None else ",".join(scope), b"", now(), file_id,
         size),
    )  # fmt: skip
    if cur.rowcount == 0:
        conn.execute("DELETE FROM roster_snapshot_parts WHERE file_id = ?", (file_id,))
        return False
    return True


def store_bytes(conn: Any, *, digest: str, authority: bytes, serial: int, as_of: str, scope: list[str] | None,
                data: bytes) -> None:  # fmt: skip
    """A snapshot file held in memory (a terminal package's) stored in parts."""
    file_id = new_file_id()
    for n, start in enumerate(range(0, len(data), PART)):
        put_part(conn, file_id, n, data[start : start + PART])
    record(conn, digest=digest, authority=authority, serial=serial, as_of=as_of, scope=scope, file_id=file_id,
           size=len(data))  # fmt: skip


def canonical_pieces(head: dict[str, Any], officers: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """``canonical_json(dict(head, officers=list(officers)))`` as a stream of pieces."""
    keys = sorted(set(head) | {"officers"})
    for i, key in enumerate(keys):
        yield ("{" if i == 0 else ",").encode("utf-8") + canonical_json(key) + b":"
        if key != "officers":
            yield canonical_json(head[key])
            continue
        yield b"["
        first = True
        for o in officers:
            yield canonical_json(o) if first else b"," + canonical_json(o)
            first = False
        yield b"]"
    yield b"}"


def officer_rows(conn: Any, as_of: str, scope: list[str] | None) -> Iterator[dict[str, Any]]:
    """The officers of a snapshot as of ``as_of``, by id, as ``build_body`` makes them (one
    streamed query; the first-listed and HR joining dates joined in SQL, not held in Python)."""
    for oid, id_type, front, name, back, unit, active, retired, listed, hr_id, hr in conn.execute(
        "SELECT o.officer_id, o.id_type, o.gelar_depan, o.name, o.gelar_belakang, o.unit_code, o.active, "
        "o.retired_at, f.as_of, j.officer_id, j.joined FROM officers o "
        "LEFT JOIN roster_first_listed f ON f.officer_id = o.officer_id "
        "LEFT JOIN roster_joined j ON j.officer_id = o.officer_id ORDER BY o.officer_id"
    ):
        if scope is not None and unit not in scope:
            continue
        if not active and listed is None:
            continue  # never on a published roster: nobody ever expected a pledge from them
        full = f"{front} {name}" if front else name
        full = f"{full}, {back}" if back else full
        joined = hr or listed or as_of
        left = None if active else min(max(retired or as_of, joined), as_of)
        yield {"id": oid, "id_type": id_type, "name": full, "unit": unit, "status": "active" if active else "left",
               "joined": joined, "joined_from": "hr" if hr_id is not None else "snapshot", "left": left}  # fmt: skip


def publish(ws: Any, passphrase: bytes, as_of: str, *, scope: list[str] | None = None) -> SnapshotHead:
    """Sign and store a snapshot of this authority's roster as of ``as_of``, in bounded memory."""
    from ..keys.keyfiles import load_authority_signer
    from .snapshot import _check_day
    from .snapshot_stream import SnapshotHead

    day = _check_day(as_of)
    key, info = load_authority_signer(ws, passphrase)
    inst = {"name": ws.config.institution_name, "code": ws.config.institution_code}
    with ws.store.transaction() as conn:
        head = body_head(conn, institution=inst, zone=ws.config.timezone, as_of=day, scope=scope)
        file_id = new_file_id()
        sha = hashlib.sha256()
        counts = [0, 0]

        def counted(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for o in rows:
                counts[0] += 1
                counts[1] += o["status"] == "active"
                yield o

        listed = first_listed_insert(ws.store.engine)
        with overlapped(ws.store, conn) as ov:  # PostgreSQL: the server writes while Python reads
            if scope is None and ov.concurrent:  # the rows read are the snapshot's from before it
                ov.execute(listed, (day,))
            out = PartWriter(ov, file_id, first_part=1)
            for piece in canonical_pieces(head, counted(officer_rows(ov.reader, day, scope))):
                sha.update(piece)
                out.write(piece)
            out.flush()
        digest = "sha256:" + sha.hexdigest()
        sig = {"alg": ALG_STATEMENT, "kid": info.kid.hex(), "value": b64(key.sign(statement(STATEMENT_TYPE, digest)))}
        top = b'{"signature":' + canonical_json(sig) + b',"snapshot":'
        put_part(conn, file_id, 0, top)
        put_part(conn, file_id, out.part, b"}\n")
        pause_point("snapshot.publish")  # test-only (IKRAR_TEST_PAUSE_AT): every part written, not committed
        record(conn, digest=digest, authority=info.kid, serial=int(head["serial"]), as_of=day, scope=scope,
               file_id=file_id, size=len(top) + out.size + 2)  # fmt: skip
        if scope is None and not ov.concurrent:  # who is listed from now on: every active officer
            conn.execute(listed, (day,))  # (the others were listed before)
    return SnapshotHead(digest, head, info.kid, counts[0], counts[1])


def _file_chunks(path: Path) -> Iterator[bytes]:
    """``path`` read ``READ`` bytes at a time, with ``fsutil.read_input_bytes``'s errors and a size limit."""
    try:
        if path.is_dir():
            raise InputError(_("{path} is a directory, not a file", path=path), _("give a file name"))
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the last chunk
    except FileNotFoundError as exc:
        raise InputError(_("File not found: {path}", path=path), _("check the path")) from exc
    except PermissionError as exc:
        raise InputError(_("Cannot read {path}: permission denied", path=path),
                         _("check the file's permissions")) from exc  # fmt: skip
    except IsADirectoryError as exc:
        raise InputError(_("{path} is a directory, not a file", path=path), _("give a file name")) from exc
    except OSError as exc:
        raise InputError(_("Cannot read {path}: {reason}", path=path, reason=exc.strerror),
                         _("check the path")) from exc  # fmt: skip
    with fh:
        total = 0
        while True:
            try:
                chunk = fh.read(READ)
            except OSError as exc:
                raise InputError(_("Cannot read {path}: {reason}", path=path, reason=exc.strerror),
                                 _("check the path")) from exc  # fmt: skip
            if not chunk:
                return
            total += len(chunk)
            if total > MAX_FILE:
                raise InputError(
                    _("{path} is too large (more than {limit} bytes)", path=path, limit=MAX_FILE),
                    _("check that this is the right file"),
                )
            yield chunk


def accept_file(ws: Any, path: Path) -> SnapshotHead:
    """``roster accept FILE``: the file verified as it streams (``stream_snapshot``, the checks and
    errors of ``parse_snapshot``) without the write lock, then copied into the parts in one short
    write transaction; the copy is hashed again and must be the bytes that were verified."""
    from .snapshot_stream import stream_snapshot

    path = Path(path)
    chunks = _file_chunks(path)
    first = next(chunks, b"")  # the file opens (or fails to) first, as when it was read whole
    with ws.store.read() as conn:
        auths = trusted_authorities(conn)
    if not auths:
        raise NotFoundError(
            _("No authority is trusted in this workspace yet"),
            _("first: ikrar trust add BUNDLE --fingerprint SHA256:…"),
        )
    verified = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        for chunk in _chain(first, chunks):
            verified.update(chunk)
            yield chunk

    try:
        head = stream_snapshot(hashed(), path, auths, _ignore)
    except (InputError, TrustError) as exc:
        _as_the_whole_reader_says(path, auths, exc)
        raise
    with ws.store.transaction() as conn:
        if conn.execute("SELECT 1 FROM roster_snapshots WHERE digest = ?", (head.digest,)).fetchone():
            return head  # already here: nothing to copy
        file_id = new_file_id()
        out = PartWriter(conn, file_id)
        copied = hashlib.sha256()
        for chunk in _file_chunks(path):
            copied.update(chunk)
            out.write(chunk)
        out.flush()
        if copied.digest() != verified.digest():  # rolled back with the transaction
            raise InputError(
                _("{path} changed while it was being accepted", path=path),
                _("run 'ikrar roster accept FILE' again once the file is complete"),
            )
        pause_point("snapshot.accept")  # test-only (IKRAR_TEST_PAUSE_AT): every part written, not committed
        record(conn, digest=head.digest, authority=head.authority_kid, serial=head.serial, as_of=head.as_of,
               scope=head.scope, file_id=file_id, size=out.size)  # fmt: skip
    return head


def _as_the_whole_reader_says(path: Path, auths: dict[bytes, bytes], exc: IkrarError) -> None:
    """A refused file up to ``DIAGNOSE`` bytes is read again whole so that the error is the one
    ``parse_snapshot`` gives, in its order (the streamed reader stops at the first byte out of its
    canonical form: for a file that is not JSON at all, or not laid out as a snapshot, it says
    "altered" where the whole reader says "not valid (JSON)" or "(layout)"). Larger files keep the
    streamed reader's error: refused all the same, in bounded memory."""
    from ..fsutil import read_input_bytes
    from .snapshot import parse_snapshot

    try:
        if path.stat().st_size > DIAGNOSE:
            return
        data = read_input_bytes(path, limit=DIAGNOSE)
    except (OSError, InputError):
        return
    parse_snapshot(data, path, auths)  # raises its own error for what the stream refused
    raise exc  # pragma: no cover - the file changed between the two reads


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _ignore(officer: dict[str, Any]) -> None:
    """Accepting keeps the file; the officers are read again from it by whoever uses them."""


def stored_chunks(conn: Any, digest: str, read: int) -> Iterator[bytes]:
    """The stored file of ``digest`` in chunks of at most ``read`` bytes (on PostgreSQL a stored part
    of at most ``WHOLE_PIECE`` reads comes as one chunk), never whole: its parts in
    order up to a missing one (the reader then finds the file altered), or the single ``file`` blob
    of a snapshot stored before m0016. Incremental blob I/O on SQLite, ``substr`` on PostgreSQL
    (both values stored uncompressed there: m0015, m0016)."""
    from ..store.dialects import SQLITE, engine_of_connection

    if engine_of_connection(conn) != SQLITE:
        yield from _pg_slices(_pg_pieces(conn, digest), read, lambda: contextlib.nullcontext(conn))
        return
    row = conn.execute("SELECT parts FROM roster_snapshots WHERE digest = ?", (digest,)).fetchone()
    if row is None or row[0] is None:
        rowid = conn.execute("SELECT rowid FROM roster_snapshots WHERE digest = ?", (digest,)).fetchone()[0]
        yield from _blob(conn, "roster_snapshots", "file", rowid, read)
        return
    file_id = str(row[0])
    last = conn.execute("SELECT max(part) FROM roster_snapshot_parts WHERE file_id = ?", (file_id,)).fetchone()[0]
    for part in range(int(last if last is not None else -1) + 1):
        key = conn.execute("SELECT rowid FROM roster_snapshot_parts WHERE file_id = ? AND part = ?",
                           (file_id, part)).fetchone()  # fmt: skip
        if key is None:  # a gap: the reader then finds the file altered
            return
        yield from _blob(conn, "roster_snapshot_parts", "data", key[0], read)


def _blob(conn: Any, table: str, column: str, rowid: int, read: int) -> Iterator[bytes]:
    with conn.blobopen(table, column, rowid, readonly=True) as blob:
        while chunk := blob.read(read):
            yield chunk


Piece = tuple[str, str, tuple[Any, ...], int]  # PostgreSQL: column, row's WHERE, its key, length in bytes


def _pg_pieces(conn: Any, digest: str) -> list[Piece]:
    """The stored values that make up the file, in order, with their lengths (one query): its parts
    up to a missing one, or the one ``file`` value of a snapshot stored before m0016."""
    row = conn.execute("SELECT parts FROM roster_snapshots WHERE digest = ?", (digest,)).fetchone()
    if row is None or row[0] is None:
        where = "roster_snapshots WHERE digest = ?"
        got = conn.execute(f"SELECT length(file) FROM {where}", (digest,)).fetchone()
        return [] if got is None else [("file", where, (digest,), int(got[0]))]
    file_id, where = str(row[0]), "roster_snapshot_parts WHERE file_id = ? AND part = ?"
    pieces: list[Piece] = []
    for n, (part, length) in enumerate(conn.execute(
            "SELECT part, length(data) FROM roster_snapshot_parts WHERE file_id = ? ORDER BY part",
            (file_id,)).fetchall()):  # fmt: skip
        if int(part) != n:  # a gap ends the file: the reader then finds it altered
            break
        pieces.append(("data", where, (file_id, int(part)), int(length)))
    return pieces


WHOLE_PIECE = 2  # a stored value of at most this many reads is fetched whole, not in ``substr`` slices


def _pg_slices(pieces: list[Piece], read: int, open_read: Any) -> Iterator[bytes]:
    """Each piece, read inside ``with open_read() as conn``: whole when it is at most
    :data:`WHOLE_PIECE` reads long (a part is about one read: ``PART`` plus the end of the piece that
    filled it), else in ``substr`` slices of ``read`` bytes. A whole value costs the server about
    half of what ``substr`` of the same bytes does (0.70 s against 1.31 s for the 737 parts of a
    4.8 M-officer snapshot, bench/README.md), and a part a little over ``read`` bytes took two
    queries. The bound is checked by the query itself, so a value grown meanwhile is sliced."""
    whole = WHOLE_PIECE * read
    for column, where, key, length in pieces:
        if length <= whole:
            with open_read() as conn:
                got = conn.execute(f"SELECT {column} FROM {where} AND length({column}) <= ?", (*key, whole)).fetchone()
            if got is not None:
                yield bytes(got[0])
                continue
        for start in range(1, length + 1, read):
            with open_read() as conn:
                got = conn.execute(f"SELECT substr({column}, ?, ?) FROM {where}", (start, read, *key)).fetchone()
            if got is None:  # gone meanwhile: the reader then finds the file altered
                return
            yield bytes(got[0])


def stored_chunks_ahead(store: Any, digest: str, read: int) -> Iterator[bytes]:
    """:func:`stored_chunks` for a reader outside any transaction. On PostgreSQL each ``substr`` is a
    read of its own over a second connection, one slice ahead of the caller (``store/overlap.py``
    ``chunks_ahead``): the server copies the next megabyte out of its TOAST while the caller parses
    this one, where before each waited for the other (2.2 s of server time for the 737 parts of a
    4.8 M-officer snapshot, on the report's critical path). A stored snapshot never changes (its
    parts are named by its digest), and the reader checks the digest and signature of what it got.
    On SQLite: :func:`stored_chunks` in one read transaction, as before."""
    from ..store.dialects import POSTGRESQL
    from ..store.overlap import chunks_ahead

    if store.engine != POSTGRESQL:
        with store.read() as conn:
            yield from stored_chunks(conn, digest, read)
        return

    def slices(open_read: Any) -> Iterator[list[bytes]]:
        with open_read() as conn:
            pieces = _pg_pieces(conn, digest)
        for data in _pg_slices(pieces, read, open_read):
            yield [data]

    for part in chunks_ahead(store, slices):
        yield from part


def stored_file(conn: Any, digest: str) -> bytes:
    """The whole stored file (small snapshots: a terminal package's)."""
    return b"".join(stored_chunks(conn, digest, READ))


def export_stored(ws: Any, digest: str, out: Path) -> None:
    """Write the stored file of ``digest`` to ``out`` atomically (0600), piece by piece."""
    from ..fsutil import atomic_writer

    with ws.store.read() as conn, atomic_writer(out, mode=0o600) as fh:
        for chunk in stored_chunks(conn, digest, READ):
            fh.write(chunk)


__all__ = ["MAX_FILE", "PART", "accept_file", "canonical_pieces", "export_stored", "publish", "stored_chunks",
           "stored_chunks_ahead",
           "stored_file"]  # fmt: skip
