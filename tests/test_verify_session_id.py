"""`ikrar verify` names the session a receipt was made in as TERMINAL/N (issue 13 gap c): the
number alone collides across terminals ("Sesi apel 1" on every terminal)."""

from __future__ import annotations

from pathlib import Path

from compliance_world import UNITS, World, attest, open_session


def test_verify_shows_the_session_as_terminal_and_number(ikrar, tmp_path: Path) -> None:
    w = World(ikrar, tmp_path)
    one, two = w.terminal("apel-halaman-1"), w.terminal("apel-aula-2")
    receipts = []
    for t, nip in ((one, w.nips[UNITS[0]][0]), (two, w.nips[UNITS[1]][0])):
        s = open_session(t)
        receipts += attest(t, s, nip)
    audit = w.auditor()  # only the public bundle: the terminal's name comes from its certificate
    first, second = (audit.json("verify", r) for r in receipts)
    assert (first["receipt"]["session"], second["receipt"]["session"]) == (1, 1)  # the same number on both
    assert first["receipt"]["session_id"] == "apel-halaman-1/1"
    assert second["receipt"]["session_id"] == "apel-aula-2/1"
    text = audit("verify", receipts[0]).stdout
    assert "session apel-halaman-1/1" in text and "VALID" in text
    bahasa = audit.ikrar("--lang", "id", "--home", str(audit.home), "verify", receipts[1]).stdout
    assert "sesi apel-aula-2/1" in bahasa
