"""The CLI skeleton: global options, workspace, pledge commands, errors and exit codes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ikrar_cli.cli.errors import EXIT_CODES, EXIT_INPUT, EXIT_NOT_FOUND
from ikrar_cli.i18n import check as i18n_check

ROOT = Path(__file__).resolve().parents[1]


def test_version(ikrar) -> None:
    from ikrar_cli import __version__

    result = ikrar("--version")
    assert result.exit_code == 0
    assert result.stdout == f"ikrar {__version__}\n"


def test_init_creates_commented_config_and_wal_database(ikrar, isolated_home: Path) -> None:
    result = ikrar(
        "init", "--institution", "BKPSDM Kabupaten Jeneponto", "--code", "JNP", "--timezone", "wita", "--json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["home"] == str(isolated_home)
    assert data["timezone"] == "Asia/Makassar"
    text = (isolated_home / "ikrar.yaml").read_text()
    assert "# Time zone of this terminal" in text
    assert "name: BKPSDM Kabupaten Jeneponto" in text and "timezone: Asia/Makassar  # WITA" in text
    conn = sqlite3.connect(isolated_home / "ikrar.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert names[0] == "0001_core"
    assert (isolated_home / "keys").stat().st_mode & 0o777 == 0o700


def test_init_twice_is_a_conflict_with_exit_5(ikrar, workspace: Path) -> None:
    result = ikrar("init")
    assert result.exit_code == 5
    assert result.stderr == (
        f"ikrar: Ruang kerja sudah ada di {workspace} — gunakan apa adanya, "
        "atau berikan --force untuk menulis ulang ikrar.yaml\n"
    )


def test_bad_timezone_is_a_usage_error(ikrar) -> None:
    result = ikrar("--lang", "en", "init", "--timezone", "CET")
    assert result.exit_code == 2
    assert result.stderr == (
        "ikrar: Unknown time zone 'CET' — use WIB, WITA or WIT (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)\n"
    )


def test_home_option_beats_environment(ikrar, tmp_path: Path) -> None:
    other = tmp_path / "other"
    result = ikrar("--home", str(other), "init")
    assert result.exit_code == 0
    assert (other / "ikrar.yaml").is_file()


def test_pledge_list_json_without_workspace(ikrar) -> None:
    result = ikrar("pledge", "list", "--json")
    assert result.exit_code == 0
    refs = [p["ref"] for p in json.loads(result.stdout)]
    assert refs == ["pilkada-2020@1", "jakut-pemilu-2024@1", "pemilu-2024@1", "pilkada-2024@1"]


def test_pledge_list_table(ikrar) -> None:
    result = ikrar("pledge", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Templat", "Berlaku", "sampai", "Judul"]
    assert lines[1].startswith("pilkada-2020@1")


def test_pledge_show_renders_points_and_digest(ikrar) -> None:
    result = ikrar("pledge", "show", "pilkada-2020")
    assert result.exit_code == 0
    assert "4. Menolak politik uang dan segala jenis pemberian dalam bentuk apapun." in result.stdout
    assert "Digest: sha256:eb400023d2331058d27c914309dd2f2c90272b422fce6549df236b0b38b7c7eb" in result.stdout
    assert "Frasa konfirmasi: SAYA BERIKRAR" in result.stdout


def test_pledge_show_unknown_in_both_languages(ikrar) -> None:
    result = ikrar("pledge", "show", "pilpres-2029")
    assert result.exit_code == EXIT_NOT_FOUND
    assert result.stderr.startswith("ikrar: Templat ikrar pilpres-2029 tidak ditemukan — templat yang dikenal: ")
    result = ikrar("--lang", "en", "pledge", "show", "pilpres-2029")
    assert result.stderr.startswith("ikrar: Pledge template pilpres-2029 not found — known templates: ")


def test_pledge_validate_reports_every_broken_file(ikrar, tmp_path: Path) -> None:
    good = (ROOT / "pledges" / "pilkada-2024.yaml").read_text()
    (tmp_path / "ok.yaml").write_text(good.replace("id: pilkada-2024", "id: uji"))
    (tmp_path / "bad.yaml").write_text(good.replace("version: 1", "version: -1"))
    result = ikrar("--lang", "en", "pledge", "validate", str(tmp_path))
    assert result.exit_code == EXIT_INPUT
    assert result.stdout.startswith("OK  uji@1  sha256:")
    assert result.stderr == (
        f"ikrar: {tmp_path / 'bad.yaml'}:5: field version: must be a whole number "
        "from 1 to 10000 — write a number without quotes\n"
    )


def test_pledge_validate_defaults_to_all_known(ikrar) -> None:
    result = ikrar("pledge", "validate", "--json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["valid"]) == 4


def test_pledge_diff(ikrar) -> None:
    result = ikrar("pledge", "diff", "pilkada-2020@1", "pilkada-2024@1")
    assert result.exit_code == 0
    assert "+4. Menolak politik uang dan segala bentuk pemberian yang tidak etis." in result.stdout
    same = ikrar("pledge", "diff", "pilkada-2024", "pilkada-2024@1", "--json")
    assert json.loads(same.stdout)["same_words"] is True


def test_extra_template_dirs_from_workspace(ikrar, workspace: Path, tmp_path: Path) -> None:
    extra = tmp_path / "tpl"
    extra.mkdir()
    good = (ROOT / "pledges" / "pilkada-2024.yaml").read_text()
    (extra / "x.yaml").write_text(good.replace("id: pilkada-2024", "id: daerah-uji"))
    cfg = workspace / "ikrar.yaml"
    cfg.write_text(cfg.read_text().replace("extra_dirs: []", f"extra_dirs: [{extra}]"))
    result = ikrar("pledge", "show", "daerah-uji", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["ref"] == "daerah-uji@1"
    # the same id@version as a bundled template is refused, not silently overridden
    (extra / "dup.yaml").write_text(good)
    result = ikrar("--lang", "en", "pledge", "list")
    assert result.exit_code == EXIT_INPUT
    assert "pilkada-2024@1 is defined twice" in result.stderr


def test_broken_config_is_reported_with_its_line(ikrar, workspace: Path) -> None:
    (workspace / "ikrar.yaml").write_text("institution: [unclosed\n")
    result = ikrar("--lang", "en", "pledge", "list")
    assert result.exit_code == EXIT_INPUT
    assert result.stderr.startswith(f"ikrar: {workspace / 'ikrar.yaml'}:2: not valid YAML")


def test_workspace_language_applies_unless_overridden(ikrar, workspace: Path) -> None:
    cfg = workspace / "ikrar.yaml"
    cfg.write_text(cfg.read_text().replace("language: id", "language: en"))
    assert "Pledge template x not found" in ikrar("pledge", "show", "x").stderr
    assert "Templat ikrar x tidak ditemukan" in ikrar("--lang", "id", "pledge", "show", "x").stderr


def test_json_errors_go_to_stdout_as_an_object(ikrar) -> None:
    result = ikrar("--json", "pledge", "show", "x")
    assert result.exit_code == EXIT_NOT_FOUND
    err = json.loads(result.stdout)["error"]
    assert err["kind"] == "not_found" and err["exit_code"] == EXIT_NOT_FOUND


def test_every_exit_code_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1]
    for code in sorted(set(EXIT_CODES.values())) + [0, 2, 70, 130]:
        assert f"| {code} |" in section, code


def test_every_command_is_documented_in_readme(ikrar) -> None:
    """Every command and sub-command that exists appears in README's command reference."""
    import click

    from ikrar_cli.cli.app import cli

    readme = (ROOT / "README.md").read_text()
    ctx = click.Context(cli)
    missing = []
    for name in cli.list_commands(ctx):
        cmd = cli.get_command(ctx, name)
        names = [f"ikrar {name}"]
        if isinstance(cmd, click.Group):
            names = [f"ikrar {name} {sub}" for sub in cmd.list_commands(ctx)]
        missing += [n for n in names if f"`{n}" not in readme]
    assert missing == []


def test_catalogues_translate_every_message() -> None:
    assert i18n_check() == []


def test_help_is_translated_and_light(tmp_path: Path) -> None:
    """--help and --version import neither rich nor the heavy libraries."""
    code = (
        "import sys; from ikrar_cli.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('rich', 'qrcode', 'PIL', 'openpyxl', 'fpdf', 'python_calamine',"
        " 'cryptography', 'yaml', 'zxingcpp', 'pypdfium2', 'xlsxwriter', 'cbor2') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    env = dict(os.environ, IKRAR_HOME=str(tmp_path), IKRAR_LANG="en")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    ).stdout
    assert "HEAVY []" in out
    assert "List, show, validate and compare pledge templates" in out
    env["IKRAR_LANG"] = "id"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    ).stdout
    assert "Daftar, tampilkan, periksa, dan bandingkan templat ikrar" in out


@pytest.mark.parametrize("lang", ["id", "en"])
def test_missing_workspace_is_one_clear_line(ikrar, lang: str, isolated_home: Path) -> None:
    from ikrar_cli.cli.app import AppContext

    app = AppContext(home_arg=str(isolated_home))
    from ikrar_cli.errors import NotFoundError
    from ikrar_cli.i18n import set_language

    set_language(lang)
    with pytest.raises(NotFoundError) as info:
        app.workspace()
    expected = {
        "id": f"Tidak ada ruang kerja ikrar di {isolated_home}",
        "en": f"No ikrar workspace at {isolated_home}",
    }[lang]
    assert info.value.message == expected
