"""Files holding personal data are private whatever the umask; names made from data stay in their folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_recitation import PASS, setup_terminal

from ikrar_cli.errors import StorageError
from ikrar_cli.fsutil import atomic_write_text, confined_path, public_mode, safe_file_name

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_atomic_writer_is_private_by_default_and_public_honours_umask(tmp_path: Path, umask022: None) -> None:
    atomic_write_text(tmp_path / "a.csv", "x")
    assert mode(tmp_path / "a.csv") == 0o600
    atomic_write_text(tmp_path / "b.json", "x", mode=public_mode())
    assert mode(tmp_path / "b.json") == 0o644
    os.umask(0o077)
    atomic_write_text(tmp_path / "c.json", "x", mode=public_mode())
    assert mode(tmp_path / "c.json") == 0o600


def test_personal_data_files_and_database_are_0600(ikrar, tmp_path: Path, umask022: None) -> None:
    home = setup_terminal(ikrar, tmp_path)
    for p in (home / "ikrar.db", home / "ikrar.db-wal", home / "ikrar.db-shm"):
        if p.exists():
            assert mode(p) == 0o600, p
    out = tmp_path / "roster-export.csv"
    assert ikrar("roster", "export", "--out", str(out)).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("NIP,Nama,Unit Kerja\n198609262015051001,Ahmad Yani,Dinas Kesehatan\n12,X,Dinas\n")
    r = ikrar("roster", "import", str(bad), "--skip-invalid")
    assert r.exit_code == 0, r.stderr
    rejects = tmp_path / "bad.rejects.csv"
    report = tmp_path / "report.csv"
    r = ikrar("report", "compliance", "--pledge", "pilkada-2024", "--out", str(report))
    assert r.exit_code == 0, r.stderr
    png = tmp_path / "png"
    att = tmp_path / "hadir.csv"
    att.write_text("NIP\n200012312024211001\n")
    r = ikrar("attest", "--session", "1", "--attendance", str(att), "--png-dir", str(png), env=PASS)
    assert r.exit_code == 0, r.stderr
    for p in (out, rejects, report, *png.iterdir()):
        assert mode(p) == 0o600, p


def test_database_widened_by_hand_is_tightened(ikrar, workspace: Path, umask022: None) -> None:
    db = workspace / "ikrar.db"
    os.chmod(db, 0o644)
    assert ikrar("roster", "stats").exit_code == 0
    assert mode(db) == 0o600


def test_trust_bundle_and_page_are_public(ikrar, tmp_path: Path, umask022: None) -> None:
    setup_terminal(ikrar, tmp_path, attest=False)
    bundle = tmp_path / "bundle.json"
    assert ikrar("trust", "export", "--out", str(bundle), env=PASS).exit_code == 0
    assert mode(bundle) == 0o644


@pytest.mark.parametrize(
    "value", ["slips/../../../x", "../x", "..", ".", "", "a\x1b[2Kb", "/etc/passwd", "C:\\x", "ناصر", "a" * 500]
)
def test_safe_file_name_stays_in_its_folder(tmp_path: Path, value: str) -> None:
    name = safe_file_name(value, ".png")
    assert "/" not in name and "\\" not in name and not name.startswith(".") and len(name) < 120
    assert confined_path(tmp_path, value, ".png").parent == tmp_path


def test_names_that_clean_up_alike_stay_apart() -> None:
    assert safe_file_name("a/b") != safe_file_name("a_b") == "a_b"


def test_link_in_the_folder_pointing_out_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "elsewhere.png", tmp_path / "out" / "x.png")
    with pytest.raises(StorageError):
        confined_path(tmp_path / "out", "x", ".png")


def test_png_dir_with_a_hostile_internal_id_writes_inside_the_folder(ikrar, tmp_path: Path) -> None:
    roster = "NIP,Nama,Unit Kerja\nslips/../../../x,Joko,Dinas Kesehatan\n"
    setup_terminal(ikrar, tmp_path, roster="NIP,Nama,Unit Kerja\n198609262015051001,A,Dinas Kesehatan\n", attest=False)
    f = tmp_path / "internal.csv"
    f.write_text(roster)
    r = ikrar("roster", "import", str(f), "--id-type", "internal")
    assert r.exit_code == 0, r.stderr
    att = tmp_path / "deep" / "a" / "b" / "hadir.csv"
    att.parent.mkdir(parents=True)
    att.write_text("NIP\nslips/../../../x\n")
    png = att.parent / "png"
    r = ikrar("attest", "--session", "1", "--attendance", str(att), "--png-dir", str(png), env=PASS)
    assert r.exit_code == 0, r.stderr
    written = [p for p in tmp_path.rglob("*.png")]
    assert len(written) == 1 and written[0].parent == png, written


def test_kiosk_slip_for_a_hostile_internal_id_stays_in_the_slip_folder(ikrar, tmp_path: Path) -> None:
    import pexpect
    from test_kiosk_pty import spawn

    home = setup_terminal(
        ikrar, tmp_path, roster="NIP,Nama,Unit Kerja\n198609262015051001,A,Dinas Kesehatan\n", attest=False
    )
    f = tmp_path / "internal.csv"
    f.write_text("NIP,Nama,Unit Kerja\nslips/../../x,Joko,Dinas Kesehatan\n")
    r = ikrar("roster", "import", str(f), "--id-type", "internal")
    assert r.exit_code == 0, r.stderr
    slips = tmp_path / "a" / "b" / "slips"
    k = spawn(home, "--slip-dir", str(slips))
    k.expect("Type or scan the NIP")
    k.sendline("slips/../../x")
    k.expect("Joko")
    k.expect(r"right officer\? \[Y/n\]")
    k.sendline("")
    k.expect("type «SAYA BERIKRAR»")
    k.sendline("SAYA BERIKRAR")
    k.expect("Slip: ")
    k.expect("Press Enter for the next officer")
    k.sendline("")
    k.expect("Type or scan the NIP")
    k.sendline("SELESAI")  # a deliberate quit (an empty line no longer closes the kiosk)
    k.expect(r"\(y/N\)")
    k.sendline("y")
    k.expect(pexpect.EOF)
    written = list(tmp_path.rglob("*.pdf"))
    assert len(written) == 1 and written[0].parent == slips, written
