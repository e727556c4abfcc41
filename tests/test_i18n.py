"""Catalogues in Babel's conventions, plurals, click's own strings, and the developer commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po as babel_read_po

from ikrar_cli import i18n, i18n_tools
from ikrar_cli.i18n import LOCALE_DIR, _, ngettext, read_po, set_language

ROOT = Path(__file__).resolve().parent.parent


def _babel(path: Path, locale: str | None = "id"):
    with open(path, "rb") as fh:
        return babel_read_po(fh, locale=locale)


def test_every_msgid_in_the_code_is_translated_into_indonesian() -> None:
    template = i18n_tools.extract()
    catalog = _babel(LOCALE_DIR / "id.po")
    untranslated = []
    for message in template:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        found = catalog.get(key)
        strings = found.string if found is not None and isinstance(found.string, tuple) else (found and found.string,)
        if found is None or found.fuzzy or not all(strings):
            untranslated.append(key)
    assert len(template) > 700
    assert untranslated == []


def test_template_is_current_and_has_no_line_references() -> None:
    pot = (LOCALE_DIR / "ikrar.pot").read_text(encoding="utf-8")
    po = (LOCALE_DIR / "id.po").read_text(encoding="utf-8")
    assert "\n#:" not in pot and "\n#:" not in po
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in i18n_tools.extract() if m.id}
    in_pot = {m.id if isinstance(m.id, str) else m.id[0] for m in _babel(LOCALE_DIR / "ikrar.pot", None) if m.id}
    assert in_pot == extracted
    assert "Plural-Forms: nplurals=1; plural=0;" in po


def test_english_catalogue_only_where_english_differs() -> None:
    en = LOCALE_DIR / "en.po"
    if en.exists():  # every entry must carry English that differs from its msgid
        assert all(m.string and m.string != m.id for m in _babel(en, "en") if m.id)


def test_run_time_reader_agrees_with_babel() -> None:
    ours = read_po(LOCALE_DIR / "id.po")
    theirs = _babel(LOCALE_DIR / "id.po")
    for message in theirs:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert ours.plurals[message.id[0]] == list(message.string)
        else:
            assert ours.singular[message.id] == message.string
    assert ours.plural(1) == ours.plural(5) == 0


def test_plurals_follow_each_language() -> None:
    rest = " the same pledge on more than one terminal; {} is counted once, earliest first (see --json)"
    singular = "{n} officer attested" + rest.format("it")
    plural = "{n} officers attested" + rest.format("each")
    set_language("en")
    assert ngettext(singular, plural, 1).startswith("1 officer attested")
    assert ngettext(singular, plural, 3).startswith("3 officers attested")
    set_language("id")
    assert ngettext(singular, plural, 1).startswith("1 pegawai berikrar")
    assert ngettext(singular, plural, 3).startswith("3 pegawai berikrar")


def test_po_reader_handles_plurals_fuzzy_and_obsolete(tmp_path: Path) -> None:
    po = tmp_path / "xx.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);\\n"\n\n'
        'msgid "a"\nmsgstr "A"\n\n'
        '#, fuzzy\nmsgid "b"\nmsgstr "B?"\n\n'
        '#~ msgid "c"\n#~ msgstr "C"\n\n'
        'msgid "{n} x"\nmsgid_plural "{n} xs"\nmsgstr[0] "one {n}"\nmsgstr[1] "two {n}"\nmsgstr[2] "many "\n"{n}"\n',
        encoding="utf-8",
    )
    cat = read_po(po)
    assert cat.singular == {"a": "A"}
    assert [cat.ngettext("{n} x", "{n} xs", k) for k in (1, 2, 7)] == ["one {n}", "two {n}", "many {n}"]
    assert cat.gettext("b") == "b"


def test_clicks_own_strings_are_translated() -> None:
    import ikrar_cli.cli.app  # noqa: F401 - installs the translations

    set_language("id")
    assert click.BadParameter("x").format_message() == "Nilai tidak valid: x"
    with pytest.raises(click.BadParameter) as info:
        click.Choice(["a", "b"]).convert("c", None, None)
    assert info.value.format_message() == "Nilai tidak valid: 'c' bukan salah satu dari 'a', 'b'."
    set_language("en")
    assert click.BadParameter("x").format_message() == "Invalid value: x"


def _help(*args: str, lang: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "IKRAR_LANG"}
    if lang:
        env["IKRAR_LANG"] = lang
    code = "from ikrar_cli.cli import main; import sys; main(sys.argv[1:])"
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("args", [("--help",), ("pledge", "--help"), ("pledge", "show", "--help")])
def test_indonesian_help_has_no_english_click_strings(args: tuple[str, ...]) -> None:
    out = _help(*args, lang="id")
    assert out.startswith("Penggunaan: ikrar")
    assert "Opsi:" in out and "Tampilkan pesan ini lalu keluar." in out
    for english in ("Usage:", "Options:", "Show this message and exit.", "Show the version and exit."):
        assert english not in out


def test_lang_given_after_help_still_chooses_the_language() -> None:
    """No argv pre-scan: the root processes --lang before an earlier --help."""
    out = _help("--help", "--lang", "en", lang=None)
    assert out.startswith("Usage: ikrar") and "Workspace folder (default:" in out
    out = _help("--help", lang="en")
    assert "Show this message and exit." in out and "Print machine-readable JSON on stdout" in out
    out = _help("--help", lang=None)
    assert "Cetak JSON" in out and "Options:" not in out


def test_sync_and_merge_over_babel_keep_fragments_working(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale)
    monkeypatch.setattr(i18n_tools, "LOCALE_DIR", locale)
    monkeypatch.setattr(i18n_tools, "TEMPLATE", locale / "ikrar.pot")
    before = (locale / "id.po").read_text(encoding="utf-8")
    # another branch's catalogue lost two translations (one of them a plural) in a merge ...
    lines = [
        'msgstr[0] ""' if line.startswith('msgstr[0] "{n} pegawai berikrar') else line
        for line in before.replace('msgstr "Opsi"', 'msgstr ""').splitlines()
    ]
    damaged = "\n".join(lines) + "\n"
    assert damaged.count('msgstr[0] ""') == 1
    (locale / "id.po").write_text(damaged, encoding="utf-8")
    problems = i18n_tools.check()
    assert any("'Options'" in p for p in problems) and any("'{n} officer attested" in p for p in problems)
    # ... and the committed fragment brings them back
    taken = i18n_tools.merge(ROOT / ".i18n-fragments" / "maintain.po")
    assert taken >= 60
    assert i18n_tools.check() == []
    assert (locale / "id.po").read_text(encoding="utf-8") == before
    assert i18n_tools.sync() == len({m.id for m in i18n_tools.extract() if m.id})
    assert (locale / "id.po").read_text(encoding="utf-8") == before


def test_placeholders_must_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale)
    monkeypatch.setattr(i18n_tools, "LOCALE_DIR", locale)
    monkeypatch.setattr(i18n_tools, "TEMPLATE", locale / "ikrar.pot")
    po = locale / "id.po"
    po.write_text(po.read_text(encoding="utf-8").replace('"bawaan: {default}"', '"bawaan: {bawaan}"'), "utf-8")
    assert [p for p in i18n_tools.check() if "placeholders differ" in p] != []


def test_a_translation_with_a_wrong_placeholder_never_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    set_language("id")
    cat = i18n.catalogue("id")
    monkeypatch.setitem(cat.singular, "default: {default}", "bawaan: {bawaan}")
    assert _("default: {default}", default=3) == "default: 3"
