"""The kiosk's decisions, now in the core (kiosk.py): who is at the desk, their receipt,
unlisted officers only when allowed, inactive ones refused, closed sessions refused."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from ikrar_cli import api
from ikrar_cli.recitation.attest import Recorder
from ikrar_cli.recitation.kiosk import identify, open_session_for_kiosk, session_progress

SECRET = b"rahasia-uji-kiosk"
ROSTER = (
    "NIP;Nama;Jabatan;Unit Kerja\n"
    "198609262015051001;Andi Pratama;Pranata Komputer;Badan Kepegawaian Daerah\n"
    "199001152019032002;Siti Rahmawati;Analis SDM;Badan Kepegawaian Daerah\n"
)


@pytest.fixture
def desk(tmp_path: Path) -> Any:
    ws = api.init_workspace(tmp_path / "ws", institution="BKPSDM Uji", code="UJI", timezone="WITA")
    roster = tmp_path / "pegawai.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    api.import_roster(ws, roster)
    api.init_authority(ws, SECRET)
    _key, request = api.new_terminal(ws, "apel-1", None, SECRET)
    api.certify(ws, request, SECRET)
    signer = api.load_terminal_signer(ws, SECRET)
    template = api.pledge(ws, "pilkada-2024")
    reason = None if template.is_valid_on(datetime.date.today()) else "uji"
    session = api.open_session(ws, signer, template, title="Apel", location="Halaman", force_reason=reason)
    from ikrar_cli.ledger.log import Ledger

    yield ws, signer, session, Recorder(ws, Ledger(ws.store), signer)
    ws.close()


def test_a_listed_officer_comes_with_position_and_no_receipt_yet(desk: Any) -> None:
    ws, _signer, session, rec = desk
    who = identify(rec, session, " 19860926 201505 1 001 ", allow_unlisted=False)
    assert (who.officer_id, who.name, who.position, who.unlisted) == (
        "198609262015051001", "Andi Pratama", "Pranata Komputer", False
    )
    assert who.existing is None and who.not_listed is None
    assert session_progress(rec, session) == (0, 2)


def test_after_the_pledge_the_same_receipt_is_found(desk: Any) -> None:
    ws, signer, session, rec = desk
    receipt = api.attest(ws, signer, session.id, "198609262015051001").receipt
    who = identify(rec, session, "198609262015051001", allow_unlisted=False)
    assert who.existing is not None and who.existing.receipt == receipt
    assert session_progress(rec, session) == (1, 2)


def test_unlisted_officers_only_when_the_kiosk_allows_them(desk: Any) -> None:
    _ws, _signer, session, rec = desk
    with pytest.raises(api.NotFoundError):
        identify(rec, session, "197912312005011003", allow_unlisted=False)
    who = identify(rec, session, "197912312005011003", allow_unlisted=True)
    assert who.unlisted and who.name is None and who.existing is None
    assert who.not_listed is not None and "197912312005011003" in who.not_listed.message


def test_a_typo_is_an_input_error_even_when_unlisted_are_allowed(desk: Any) -> None:
    _ws, _signer, session, rec = desk
    with pytest.raises(api.InputError):
        identify(rec, session, "19860926201505100", allow_unlisted=True)


def test_a_closed_session_is_refused(desk: Any) -> None:
    ws, signer, session, _rec = desk
    assert open_session_for_kiosk(ws, session.id).id == session.id
    api.close_session(ws, signer, session.id)
    with pytest.raises(api.ConflictError):
        open_session_for_kiosk(ws, session.id)
