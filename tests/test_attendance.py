"""Attendance lists (now in the core, ikrar_cli.recitation.attendance): which column, which rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikrar_cli.errors import InputError
from ikrar_cli.i18n import set_language
from ikrar_cli.recitation.attendance import attendance_rows


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hadir.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_nip_column_is_found_by_its_roster_name(tmp_path: Path) -> None:
    path = _csv(tmp_path, "No;Nama;NIP\n1;Andi;198609262015051001\n2;Siti;199001152019032002\n")
    assert list(attendance_rows(path)) == [(2, "198609262015051001"), (3, "199001152019032002")]


def test_a_one_column_list_needs_no_header_name(tmp_path: Path) -> None:
    path = _csv(tmp_path, "hadir\n198609262015051001\n")
    assert list(attendance_rows(path)) == [(2, "198609262015051001")]


def test_column_chooses_and_a_short_row_gives_an_empty_value(tmp_path: Path) -> None:
    path = _csv(tmp_path, "Nama;Nomor Pegawai\nAndi;198609262015051001\nSiti\n")
    assert list(attendance_rows(path, column="nomor pegawai")) == [(2, "198609262015051001"), (3, "")]


def test_an_unknown_or_missing_column_says_which_columns_exist(tmp_path: Path) -> None:
    set_language("en")
    path = _csv(tmp_path, "Nama;Jabatan\nAndi;Staf\n")
    with pytest.raises(InputError) as info:
        list(attendance_rows(path))
    assert info.value.message == f"{path}: no NIP or NIK column found"
    assert info.value.hint == "columns found: Nama, Jabatan; choose one with --column"
    with pytest.raises(InputError) as info:
        list(attendance_rows(path, column="NIP"))
    assert info.value.message == "--column NIP: no such column"
