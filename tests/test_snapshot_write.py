"""Roster snapshots published, accepted and stored as a stream (roster/snapshot_write.py, m0016).

The streamed publish writes exactly the bytes the whole-document path signs (``build_body`` then
``sign_document``): on rosters with non-ASCII names, titles, HR joining dates, officers who left,
a second snapshot and a unit-scoped one; the pieces are ``canonical_json`` of the whole body for
any body (hypothesis). What is stored reads back whole (``load``), streamed (``read_stored``), as a
file (``export_stored``) and in ``list_snapshots``; a file published elsewhere is accepted; a
tampered or non-canonical file is refused with the whole reader's error and nothing is stored; a
publish or accept that fails or is killed inside its transaction leaves no snapshot and no part.
The Python heap's peak (tracemalloc, no timing) hardly grows with four times the officers.
Both engines: each check runs on SQLite and, marked ``postgresql_only``, on PostgreSQL.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikrar_cli.errors import IkrarError, InputError
from ikrar_cli.keys.keyfiles import canonical_json
from ikrar_cli.roster import snapshot_stream, snapshot_write

PASS = b"correct horse battery staple 42"
NAMES = ["Ñoman Ayu", "Siti Aisyah", "Dewi Ṣari", "I Gusti Ngurah Rai", "Ömer", "Budi 'Bud\"i' \\ Santoso", "张伟"]


@pytest.fixture(autouse=True)
def _small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts and reads of 4 KiB (1 MiB in use), so test-sized snapshots span many parts."""
    from ikrar_cli.store import postgres

    monkeypatch.setattr(snapshot_write, "PART", 4 << 10)
    monkeypatch.setattr(snapshot_write, "READ", 4 << 10)
    monkeypatch.setattr(snapshot_stream, "READ", 4 << 10)
    monkeypatch.setattr(postgres, "STREAM_BATCH", 25)


def _fresh_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A second workspace's own database on the PostgreSQL run (a no-op on SQLite)."""
    if not os.environ.get("IKRAR_DATABASE_URL"):
        yield
        return
    from engines import create_database, drop_database

    first, url = os.environ["IKRAR_DATABASE_URL"], create_database()
    monkeypatch.setenv("IKRAR_DATABASE_URL", url)
    try:
        yield
    finally:
        monkeypatch.setenv("IKRAR_DATABASE_URL", first)
        drop_database(url)


def _world(home: Path, n: int, *, per_unit: int = 50) -> Any:
    """An authority workspace with ``n`` officers (non-ASCII names, titles, a unit registry)."""
    from ikrar_cli.keys.keyfiles import init_authority
    from ikrar_cli.workspace import Workspace

    ws = Workspace.init(home, institution="Pemkab Uji Ñ", code="PU", unit=None, timezone="WITA", language="id")
    init_authority(ws, PASS)
    units = max(1, n // per_unit)
    with ws.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO units (code, name) VALUES (?, ?)", [(f"U{u}", f"Unit {u} Ö") for u in range(units)]
        )
        conn.executemany("INSERT INTO unit_registry (code, name) VALUES (?, ?)", [("R1", "Dinas Lama É"), ("U0", "x")])
        conn.executemany(
            "INSERT INTO officers (officer_id, id_type, name, gelar_depan, gelar_belakang, unit_code, first_seen_at, "
            "updated_at) VALUES (?, 'nip', ?, ?, ?, ?, 0, 0)",
            [(str(198609262015051001 + i), f"{NAMES[i % len(NAMES)]} {i}", "Dr." if i % 5 == 0 else None,
              "S.Kom." if i % 3 == 0 else None, f"U{i % units}") for i in range(n)],
        )  # fmt: skip
        conn.executemany("INSERT INTO roster_joined (officer_id, joined) VALUES (?, ?)",
                         [(str(198609262015051001 + i), "2019-03-01") for i in range(0, n, 7)])  # fmt: skip
    return ws


def _expected(ws: Any, day: str, scope: list[str] | None = None) -> tuple[bytes, dict[str, Any]]:
    """The file the whole-document path makes: build_body, then sign_document."""
    from ikrar_cli.keys.keyfiles import load_authority_signer
    from ikrar_cli.keys.signeddoc import sign_document
    from ikrar_cli.roster.snapshot import KIND, STATEMENT_TYPE, build_body

    key, info = load_authority_signer(ws, PASS)
    inst = {"name": ws.config.institution_name, "code": ws.config.institution_code}
    with ws.store.read() as conn:
        body = build_body(conn, institution=inst, zone=ws.config.timezone, as_of=day, scope=scope)
    return sign_document(KIND, body, key.sign, info.kid, statement_type=STATEMENT_TYPE), body


def _stored(ws: Any, digest: str) -> bytes:
    with ws.store.read() as conn:
        return snapshot_write.stored_file(conn, digest)


def _counts(ws: Any) -> tuple[int, int, int]:
    with ws.store.read() as conn:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("roster_snapshots", "roster_snapshot_parts", "roster_first_listed"))  # fmt: skip


# -- the pieces are canonical_json of the whole body ------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_officer = st.fixed_dictionaries({
    "id": _text, "id_type": st.sampled_from(["nip", "nik", "nippk"]), "name": _text, "unit": _text,
    "status": st.sampled_from(["active", "left"]), "joined": _text, "joined_from": st.sampled_from(["hr", "snapshot"]),
    "left": st.none() | _text,
})  # fmt: skip
_head = st.fixed_dictionaries({
    "format": st.just("ikrar-roster-snapshot/1"), "institution": st.dictionaries(_text, _text, max_size=3),
    "timezone": _text, "as_of": _text, "serial": st.integers(-(2**40), 2**40), "previous": st.none() | _text,
    "scope": st.none() | st.lists(_text, max_size=3), "units": st.dictionaries(_text, _text, max_size=5),
})  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(_head, st.lists(_officer, max_size=6))
def test_the_streamed_pieces_are_the_canonical_json_of_the_whole_body(
    head: dict[str, Any], officers: list[Any]
) -> None:
    streamed = b"".join(snapshot_write.canonical_pieces(head, iter(officers)))
    assert streamed == canonical_json(dict(head, officers=officers))


# -- publish: the same bytes as the whole-document path ---------------------------------------


def _publish_is_the_whole_document_path(tmp_path: Path) -> None:
    from ikrar_cli.roster.snapshot import list_snapshots, load, publish
    from ikrar_cli.roster.snapshot_stream import read_stored

    ws = _world(tmp_path / "a", 230)
    try:
        want, body = _expected(ws, "2026-11-20")
        head = publish(ws, PASS, "2026-11-20")
        assert _stored(ws, head.digest) == want
        assert head.summary() == load(ws).summary()
        assert (head.officers, head.active) == (230, 230)
        with ws.store.read() as conn:  # every officer of the first snapshot is listed from its day on
            assert conn.execute("SELECT COUNT(*) FROM roster_first_listed WHERE as_of = '2026-11-20'").fetchone() == (
                230,
            )
            assert conn.execute("SELECT COUNT(*) FROM roster_snapshot_parts").fetchone()[0] > 10  # many parts
        # some leave, some join: the second snapshot lists who left and keeps the first-listed dates
        with ws.store.transaction() as conn:
            conn.execute("UPDATE officers SET active = 0, retired_at = '2026-11-22' WHERE officer_id LIKE '%1'")
            conn.execute("UPDATE officers SET active = 0 WHERE officer_id LIKE '%2'")
            conn.execute("INSERT INTO officers (officer_id, id_type, name, unit_code, first_seen_at, updated_at) "
                         "VALUES ('199001012020011001', 'nip', 'Baru Ñ', 'U1', 0, 0)")  # fmt: skip
        want2, body2 = _expected(ws, "2026-11-25")
        assert {o["status"] for o in body2["officers"]} == {"active", "left"}
        head2 = publish(ws, PASS, "2026-11-25")
        assert _stored(ws, head2.digest) == want2 and head2.body["previous"] == head.digest
        assert _counts(ws)[2] == 231
        # a unit-scoped snapshot (not listing anyone)
        want3, _b = _expected(ws, "2026-11-25", ["U1", "U3"])
        head3 = snapshot_write.publish(ws, PASS, "2026-11-25", scope=["U1", "U3"])
        assert _stored(ws, head3.digest) == want3
        # read back: whole, streamed, as a file, listed
        assert load(ws, digest=head2.digest).file == want2
        got: list[dict[str, Any]] = []
        streamed = read_stored(ws, got.append, digest=head2.digest)
        assert got == body2["officers"] and streamed.summary() == head2.summary()
        out = tmp_path / "out" / "snap.json"
        out.parent.mkdir()
        snapshot_write.export_stored(ws, head2.digest, out)
        assert out.read_bytes() == want2 and out.stat().st_mode & 0o777 == 0o600
        sizes = {s["digest"]: s["bytes"] for s in list_snapshots(ws)}
        assert sizes == {head.digest: len(want), head2.digest: len(want2), head3.digest: len(want3)}
    finally:
        ws.close()


def test_publish_is_the_whole_document_path_on_sqlite(engine: str, tmp_path: Path) -> None:
    _publish_is_the_whole_document_path(tmp_path)


@pytest.mark.postgresql_only
def test_publish_is_the_whole_document_path_on_postgresql(engine: str, tmp_path: Path) -> None:
    _publish_is_the_whole_document_path(tmp_path)


def test_a_snapshot_stored_before_m0016_in_one_blob_is_still_read(tmp_path: Path) -> None:
    from ikrar_cli.roster.snapshot import list_snapshots, load
    from ikrar_cli.roster.snapshot_stream import read_stored

    ws = _world(tmp_path / "a", 120)
    try:
        want, body = _expected(ws, "2026-11-20")
        from ikrar_cli.keys.signeddoc import trusted_authorities
        from ikrar_cli.roster.snapshot import parse_snapshot

        with ws.store.transaction() as conn:
            snap = parse_snapshot(want, "test", trusted_authorities(conn))
            conn.execute(
                "INSERT INTO roster_snapshots (digest, authority, serial, as_of, scope, file, stored_at) "
                "VALUES (?, ?, 1, '2026-11-20', NULL, ?, 0)", (snap.digest, snap.authority_kid.hex(), want)
            )  # fmt: skip
        assert load(ws).file == want
        got: list[dict[str, Any]] = []
        assert read_stored(ws, got.append).digest == snap.digest and got == body["officers"]
        assert [s["bytes"] for s in list_snapshots(ws)] == [len(want)]
    finally:
        ws.close()


def _read_ahead_gives_the_stored_bytes_and_stops_at_a_gap(tmp_path: Path) -> None:
    """``stored_chunks_ahead`` (PostgreSQL: each slice over a second connection, one ahead; SQLite:
    ``stored_chunks``) yields the stored file byte for byte, in slices that do not line up with
    the parts; a missing part ends the file there, and the reader refuses it."""
    from ikrar_cli.errors import IkrarError
    from ikrar_cli.roster.snapshot_stream import read_stored

    ws = _world(tmp_path / "a", 230)
    try:
        head = snapshot_write.publish(ws, PASS, "2026-11-20")
        whole = _stored(ws, head.digest)
        with ws.store.read() as conn:
            parts = [n for (n,) in conn.execute("SELECT length(data) FROM roster_snapshot_parts ORDER BY part")]
        assert len(parts) > 4 and max(parts) > snapshot_write.PART  # a part ends after the piece that fills it
        whole_parts = ws.store.engine != "sqlite"  # PostgreSQL: a part of at most WHOLE_PIECE reads comes whole
        for read in (1000, snapshot_write.PART, 3 * snapshot_write.PART + 7):
            pieces = list(snapshot_write.stored_chunks_ahead(ws.store, head.digest, read))
            assert b"".join(pieces) == whole
            if whole_parts and read >= snapshot_write.PART:
                assert list(map(len, pieces)) == parts  # one query per part, not substr slices
            else:
                assert max(map(len, pieces)) <= read  # sliced: 1000 bytes is under half a part
        with ws.store.transaction() as conn:
            conn.execute("DELETE FROM roster_snapshot_parts WHERE part = 3")
        short = b"".join(snapshot_write.stored_chunks_ahead(ws.store, head.digest, 1000))
        assert whole.startswith(short) and 0 < len(short) < len(whole)  # the first three parts
        assert _stored(ws, head.digest) == short  # stored_chunks ends the file at the same gap
        with pytest.raises(IkrarError):
            read_stored(ws, lambda officer: None, digest=head.digest)
    finally:
        ws.close()


def test_the_read_ahead_gives_the_stored_bytes_and_stops_at_a_gap_on_sqlite(engine: str, tmp_path: Path) -> None:
    _read_ahead_gives_the_stored_bytes_and_stops_at_a_gap(tmp_path)


@pytest.mark.postgresql_only
def test_the_read_ahead_gives_the_stored_bytes_and_stops_at_a_gap_on_postgresql(engine: str, tmp_path: Path) -> None:
    _read_ahead_gives_the_stored_bytes_and_stops_at_a_gap(tmp_path)


@pytest.mark.postgresql_only
def test_a_part_fetched_whole_only_when_the_server_finds_it_within_the_bound_on_postgresql(
    engine: str, tmp_path: Path
) -> None:
    """The bound on a whole part is checked by the query itself: a part listed short but stored
    longer (changed after it was listed) is read in slices of ``read`` bytes, never whole."""
    ws = _world(tmp_path / "a", 230)
    try:
        head = snapshot_write.publish(ws, PASS, "2026-11-20")
        with ws.store.read() as conn:
            pieces = snapshot_write._pg_pieces(conn, head.digest)
        column, where, key, length = max(pieces, key=lambda piece: piece[3])
        assert length > 2000
        opener = ws.store.read
        honest = list(snapshot_write._pg_slices([(column, where, key, length)], 1000, opener))
        slices = [min(1000, length - start) for start in range(0, length, 1000)]
        assert list(map(len, honest)) == slices  # over the bound: sliced
        stale = list(snapshot_write._pg_slices([(column, where, key, 1500)], 1000, opener))
        assert list(map(len, stale)) == [1000, 1000]  # listed within the bound, stored over it: sliced
        listed = list(snapshot_write._pg_slices([(column, where, key, length)], length // 2 + 1, opener))
        assert list(map(len, listed)) == [length]  # within two reads: one query, the whole part
    finally:
        ws.close()


# -- accept: a file published elsewhere; what is refused, as before ----------------------------


def _acceptor(home: Path, authority: Any) -> Any:
    """A workspace that pins the authority's exported trust bundle."""
    from ikrar_cli.keys.keyfiles import fingerprint, load_authority_signer
    from ikrar_cli.keys.provisioning import latest_signed_bundle
    from ikrar_cli.keys.trust import add_bundle, export_bundle
    from ikrar_cli.workspace import Workspace

    export_bundle(authority, PASS)
    with authority.store.read() as conn:
        data = latest_signed_bundle(conn)
    bundle = home.parent / "bundle.json"
    bundle.write_bytes(data)
    fp = fingerprint(load_authority_signer(authority, PASS)[1].public_key)
    ws = Workspace.init(home, institution="Inspektorat", code="INSP", unit=None, timezone="WITA", language="id")
    add_bundle(ws, bundle, fp)
    return ws


def _mutations(data: bytes) -> dict[str, bytes]:
    doc = json.loads(data)
    name = data.index(b'"name":"') + 9
    return {
        "byte edited": data[:name] + bytes([data[name] ^ 0x01]) + data[name + 1 :],
        "white space": data.replace(b'","', b'", "', 1),
        "pretty printed": json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True).encode() + b"\n",
        "keys reordered": json.dumps(
            {"snapshot": doc["snapshot"], "signature": doc["signature"]}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        + b"\n",  # fmt: skip
        "no newline": data[:-1],
        "trailing data": data + b"{}",
        "truncated": data[: len(data) // 2],
        "empty": b"",
        "not UTF-8": data[:40] + b"\xff" + data[41:],
        "not an object": b"[]\n",
        "signature value": data.replace(b'"value":"', b'"value":"AAAA', 1),
        "officers unsorted": canonical_json(
            {
                "signature": doc["signature"],
                "snapshot": dict(doc["snapshot"], officers=list(reversed(doc["snapshot"]["officers"]))),
            }
        )
        + b"\n",  # fmt: skip
    }


def _error(call: Callable[[], Any]) -> tuple[type[BaseException], str, str | None]:
    with pytest.raises(IkrarError) as info:
        call()
    return type(info.value), info.value.message, info.value.hint


def _refused_as_before(ws: Any, data: bytes, path: Path) -> None:
    """Each mutation refused by the streamed accept with the whole-file reader's error; nothing stored."""
    from ikrar_cli.roster.snapshot import accept, accept_file

    for what, bad in _mutations(data).items():
        path.write_bytes(bad)
        old = _error(lambda b=bad: accept(ws, b, path))  # type: ignore[misc]  # the whole-file reader, as before
        assert _error(lambda: accept_file(ws, path)) == old, what
        assert _counts(ws)[:2] == (0, 0), what


def _accept_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ikrar_cli.roster.snapshot import accept_file, publish

    authority = _world(tmp_path / "a", 150)
    try:
        head = publish(authority, PASS, "2026-11-20")
        data = _stored(authority, head.digest)
        for _x in _fresh_database(monkeypatch):
            ws = _acceptor(tmp_path / "b", authority)
            try:
                path = tmp_path / "snap.json"
                _refused_as_before(ws, data, path)
                with pytest.raises(InputError, match="missing.json"):  # as fsutil.read_input_bytes says it
                    accept_file(ws, tmp_path / "missing.json")
                path.write_bytes(data)
                got = accept_file(ws, path)
                assert got.summary() == head.summary()
                assert _stored(ws, head.digest) == data
                assert accept_file(ws, path).digest == head.digest  # again: nothing added
                assert _counts(ws)[0] == 1
                with ws.store.read() as conn:
                    (parts,) = conn.execute("SELECT COUNT(DISTINCT file_id) FROM roster_snapshot_parts").fetchone()
                assert parts == 1
            finally:
                ws.close()
    finally:
        authority.close()


def test_accept_streams_with_the_same_checks_on_sqlite(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _accept_checks(tmp_path, monkeypatch)


@pytest.mark.postgresql_only
def test_accept_streams_with_the_same_checks_on_postgresql(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _accept_checks(tmp_path, monkeypatch)


# -- all or nothing -----------------------------------------------------------------------------


class _Injected(Exception):
    pass


def _failing_at(point: str) -> Callable[[str], None]:
    def pause(name: str) -> None:
        if name == point:
            raise _Injected(name)

    return pause


def _all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ikrar_cli.roster.snapshot import accept_file, publish

    authority = _world(tmp_path / "a", 120)
    try:
        before = _counts(authority)
        with monkeypatch.context() as m:
            m.setattr(snapshot_write, "pause_point", _failing_at("snapshot.publish"))
            with pytest.raises(_Injected):
                publish(authority, PASS, "2026-11-20")
        assert _counts(authority) == before == (0, 0, 0)
        head = publish(authority, PASS, "2026-11-20")
        path = tmp_path / "snap.json"
        snapshot_write.export_stored(authority, head.digest, path)
        for _x in _fresh_database(monkeypatch):
            ws = _acceptor(tmp_path / "b", authority)
            try:
                with monkeypatch.context() as m:
                    m.setattr(snapshot_write, "pause_point", _failing_at("snapshot.accept"))
                    with pytest.raises(_Injected):
                        accept_file(ws, path)
                assert _counts(ws) == (0, 0, 0)
            finally:
                ws.close()
    finally:
        authority.close()


def test_a_failed_publish_or_accept_leaves_nothing_on_sqlite(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _all_or_nothing(tmp_path, monkeypatch)


@pytest.mark.postgresql_only
def test_a_failed_publish_or_accept_leaves_nothing_on_postgresql(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _all_or_nothing(tmp_path, monkeypatch)


def _killed(tmp_path: Path) -> None:
    from pausepoints import assert_write_transaction_open, kill_hard, start_paused

    home = tmp_path / "a"
    _world(home, 300).close()
    env = dict(os.environ, IKRAR_PASSPHRASE=PASS.decode(), PYTHONPATH=str(Path(__file__).parent.parent))
    cmd = [sys.executable, "-m", "ikrar_cli", "--home", str(home), "roster", "publish", "--as-of", "2026-11-20"]
    proc = start_paused(cmd, env, "snapshot.publish", stdout=__import__("subprocess").DEVNULL)
    assert_write_transaction_open(home / "ikrar.db")
    kill_hard(proc)
    from ikrar_cli.workspace import Workspace

    ws = Workspace.open(home)
    try:
        assert _counts(ws) == (0, 0, 0)
        assert publish_ok(ws)
    finally:
        ws.close()


def publish_ok(ws: Any) -> bool:
    from ikrar_cli.roster.snapshot import publish

    head = publish(ws, PASS, "2026-11-20")
    return _counts(ws)[0] == 1 and head.officers == 300


def test_a_publish_killed_in_its_transaction_leaves_no_snapshot_on_sqlite(engine: str, tmp_path: Path) -> None:
    _killed(tmp_path)


@pytest.mark.postgresql_only
def test_a_publish_killed_in_its_transaction_leaves_no_snapshot_on_postgresql(engine: str, tmp_path: Path) -> None:
    _killed(tmp_path)


# -- bounded memory -------------------------------------------------------------------------------


def _peaks(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Peak Python heap of (publish, accept_file) of a roster of ``n`` officers."""
    for _x in _fresh_database(monkeypatch):  # each size its own database on PostgreSQL
        return _measure(tmp_path, n, monkeypatch)
    raise AssertionError("unreachable")


def _measure(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    from ikrar_cli.roster.snapshot import accept_file, publish

    authority = _world(tmp_path / f"a{n}", n, per_unit=n // 30)  # 30 units: what grows is the officers
    try:
        peaks = []
        for day in ("2026-11-19", "2026-11-20"):  # the first warms the imports up
            gc.collect()
            tracemalloc.start()
            head = publish(authority, PASS, day)
            peaks = [tracemalloc.get_traced_memory()[1]]
            tracemalloc.stop()
        path = tmp_path / f"snap{n}.json"
        snapshot_write.export_stored(authority, head.digest, path)
        for _x in _fresh_database(monkeypatch):
            ws = _acceptor(tmp_path / f"b{n}", authority)
            try:
                gc.collect()
                tracemalloc.start()
                got = accept_file(ws, path)
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
                assert got.officers == n
            finally:
                ws.close()
        return peaks[0], peaks[1]
    finally:
        authority.close()


def _bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = _peaks(tmp_path, 1_500, monkeypatch)
    large = _peaks(tmp_path, 6_000, monkeypatch)  # ~1.1 MB of snapshot; the whole body was ~4x the small one's
    assert large[0] < 1.6 * small[0], (small, large)
    assert large[1] < 1.6 * small[1], (small, large)


def test_publish_and_accept_memory_is_bounded_on_sqlite(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bounded(tmp_path, monkeypatch)


@pytest.mark.postgresql_only
def test_publish_and_accept_memory_is_bounded_on_postgresql(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bounded(tmp_path, monkeypatch)


def test_the_unit_copy_in_a_terminal_package_is_the_one_the_whole_snapshot_gives(tmp_path: Path) -> None:
    """``terminal package`` for a unit's terminal reads the stored snapshot as a stream (the unit's
    officers only); the copy it signs is the one cut from the whole snapshot, as before."""
    from ikrar_cli.keys.keyfiles import certify, load_authority_signer, new_terminal
    from ikrar_cli.keys.provisioning import package, scoped_snapshot_body
    from ikrar_cli.keys.signeddoc import sign_document
    from ikrar_cli.keys.trust import export_bundle
    from ikrar_cli.roster.snapshot import KIND, STATEMENT_TYPE, load, publish

    ws = _world(tmp_path / "a", 400)
    try:
        publish(ws, PASS, "2026-11-20")
        _i, req = new_terminal(ws, "kiosk-u3", "U3", PASS)
        certify(ws, req, PASS, not_before=0)
        export_bundle(ws, PASS)
        key, info = load_authority_signer(ws, PASS)
        body = scoped_snapshot_body(load(ws).body, ["U3"])
        want = sign_document(KIND, body, key.sign, info.kid, statement_type=STATEMENT_TYPE)
        data, summary = package(ws, PASS, "kiosk-u3")
        inner = json.loads(data)["package"]["roster_snapshot"].encode("utf-8")
        assert inner == want and summary["officers"] == len(body["officers"]) == 400 // 8
    finally:
        ws.close()


def test_a_file_changed_after_it_was_verified_is_not_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Accept verifies without the write lock, then copies: the copy must be the bytes verified."""
    from ikrar_cli.roster.snapshot import accept_file, publish

    authority = _world(tmp_path / "a", 120)
    try:
        head = publish(authority, PASS, "2026-11-20")
        data = _stored(authority, head.digest)
        ws = _acceptor(tmp_path / "b", authority)
    finally:
        authority.close()
    try:
        path = tmp_path / "snap.json"
        path.write_bytes(data)
        real = snapshot_stream.stream_snapshot

        def then_changed(*args: Any, **kwargs: Any) -> Any:
            got = real(*args, **kwargs)
            path.write_bytes(data.replace(b'"Unit 1 ', b'"Unit 9 ', 1))
            return got

        monkeypatch.setattr(snapshot_stream, "stream_snapshot", then_changed)
        with pytest.raises(InputError, match="snap.json"):
            accept_file(ws, path)
        assert _counts(ws)[:2] == (0, 0)
        monkeypatch.setattr(snapshot_stream, "stream_snapshot", real)
        path.write_bytes(data)
        assert accept_file(ws, path).digest == head.digest and _stored(ws, head.digest) == data
    finally:
        ws.close()


# -- read back: a stored part changed, broken or missing is refused whole ----------------------


def _read_back_refuses_damage(tmp_path: Path) -> None:
    """``read_stored`` gives the officers the whole-document path signed; a stored part that no
    longer parses, that parses but changed, or that is gone, is refused (never a shorter roster)."""
    from ikrar_cli.roster.snapshot import publish
    from ikrar_cli.roster.snapshot_stream import read_stored

    ws = _world(tmp_path / "a", 230)
    try:
        _want, body = _expected(ws, "2026-11-20")
        head = publish(ws, PASS, "2026-11-20")
        got: list[dict[str, Any]] = []
        assert read_stored(ws, got.append).digest == head.digest and got == body["officers"]
        with ws.store.read() as conn:
            part = bytes(conn.execute("SELECT data FROM roster_snapshot_parts WHERE part = 3").fetchone()[0])
        assert b"U" in part and b'"' in part
        for damaged in (part.replace(b'"', b"'", 1), part.replace(b"U", b"V", 1)):  # no longer JSON; changed
            with ws.store.transaction() as conn:
                conn.execute("UPDATE roster_snapshot_parts SET data = ? WHERE part = 3", (damaged,))
            with pytest.raises(IkrarError):
                read_stored(ws, lambda o: None)
        with ws.store.transaction() as conn:  # one part gone: the stream ends early
            conn.execute("DELETE FROM roster_snapshot_parts WHERE part = 3")
        with pytest.raises(IkrarError):
            read_stored(ws, lambda o: None)
    finally:
        ws.close()


def test_read_back_refuses_a_damaged_part_on_sqlite(engine: str, tmp_path: Path) -> None:
    _read_back_refuses_damage(tmp_path)


@pytest.mark.postgresql_only
def test_read_back_refuses_a_damaged_part_on_postgresql(engine: str, tmp_path: Path) -> None:
    _read_back_refuses_damage(tmp_path)
