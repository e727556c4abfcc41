"""Pledge templates: schema errors with file/line/field, canonical digests, library lookups."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ikrar_cli.errors import InputError, NotFoundError, UsageError
from ikrar_cli.i18n import set_language
from ikrar_cli.pledges.templates import (
    PledgeLibrary,
    TemplateError,
    bundled_dir,
    diff,
    load_template,
    normalise_text,
    parse_template,
    validate_paths,
)

VECTORS = Path(__file__).parent / "vectors"
GOOD = textwrap.dedent("""\
    id: uji
    version: 1
    election: {kind: pilkada, year: 2024}
    title: Judul
    language: id
    points: [Satu., Dua.]
    confirmation_phrase: SAYA BERIKRAR
    legal_basis: [Dasar]
    valid: {from: 2024-01-01, until: 2024-12-31}
    """)


def test_bundled_digests_match_published_vectors() -> None:
    vectors = json.loads((VECTORS / "pledge-digests.json").read_text())
    lib = PledgeLibrary.load()
    assert {p.ref: p.digest_hex for p in lib.all()} == vectors["bundled"]


def test_worked_example_canonical_bytes_and_digest() -> None:
    example = json.loads((VECTORS / "pledge-digests.json").read_text())["examples"][0]
    pledge = load_template(VECTORS / example["file"])
    assert pledge.canonical_bytes() == example["canonical_utf8"].encode("utf-8")
    assert "sha256:" + hashlib.sha256(example["canonical_utf8"].encode()).hexdigest() == example["digest"]
    assert pledge.digest_hex == example["digest"]


def test_real_texts_from_the_seeds() -> None:
    lib = PledgeLibrary.load()
    p2020 = lib.get("pilkada-2020")
    assert "tidak dipergunakan untuk kepentingan pasangan calon tertentu" in p2020.points[2]
    assert len(lib.get("jakut-pemilu-2024").points) == 5
    jene = lib.get("pilkada-2024@1")
    assert jene.points[3] == "Menolak politik uang dan segala bentuk pemberian yang tidak etis."
    pemilu = lib.get("pemilu-2024")
    assert pemilu.opening == "Dalam rangka menyukseskan pelaksanaan Pemilu dan Pemilihan Tahun 2024 kami berikrar:"
    assert all(p.language == "id" for p in lib.all())


def test_comments_and_layout_do_not_change_digest_but_words_do() -> None:
    base = parse_template(GOOD, Path("a.yaml"))
    relaid = parse_template(
        "# comment\n" + GOOD.replace("points: [Satu., Dua.]", "points:\n  - >-\n    Satu.\n  -   'Dua.'"),
        Path("b.yaml"),
    )
    assert relaid.digest == base.digest
    changed = parse_template(GOOD.replace("Dua.", "Dua!"), Path("c.yaml"))
    assert changed.digest != base.digest
    reordered = parse_template(GOOD.replace("[Satu., Dua.]", "[Dua., Satu.]"), Path("d.yaml"))
    assert reordered.digest != base.digest
    # translations and legal basis are display data, not the words pledged
    with_tr = parse_template(GOOD + "translations:\n  en: {title: T, points: [One., Two.]}\n", Path("e.yaml"))
    assert with_tr.digest == base.digest


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_normalised_text_is_idempotent_and_single_spaced(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert "  " not in once and once == once.strip()


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            lambda t: t.replace("version: 1", "version: satu"),
            "x.yaml:2: field version: must be a whole number from 1 to 10000",
        ),
        (
            lambda t: t.replace("kind: pilkada", "kind: pilpres"),
            "x.yaml:3: field election.kind: must be one of pemilu, pilkada, pemilu-pemilihan",
        ),
        (
            lambda t: t.replace("until: 2024-12-31", "until: 2023-12-31"),
            "x.yaml:9: field valid.until: is before valid.from",
        ),
        (
            lambda t: t.replace("until: 2024-12-31", "until: 2024-02-31"),
            "x.yaml:9: field valid.until: must be a date YYYY-MM-DD",
        ),
        (lambda t: t + "titel: typo\n", "x.yaml:10: field titel: unknown field"),
        (lambda t: t + "title: again\n", "x.yaml:10: field title appears twice (first on line 4)"),
        (
            lambda t: t.replace("points: [Satu., Dua.]", "points: [Satu., '  ']"),
            "x.yaml:6: field points.1: must be non-empty text",
        ),
        (lambda t: t.replace("title: Judul\n", ""), "x.yaml:1: field (top): required field title is missing"),
        (
            lambda t: t.replace("language: id", "language: en"),
            "x.yaml:5: field language: must be id: pledge texts keep their official Indonesian wording",
        ),
        (lambda t: t.replace("points: [Satu., Dua.]", "points: [Satu., Dua."), "x.yaml:7: not valid YAML"),
    ],
)
def test_schema_errors_name_file_line_and_field(mutation, expected: str) -> None:
    set_language("en")
    with pytest.raises(TemplateError) as info:
        parse_template(mutation(GOOD), Path("x.yaml"))
    assert info.value.message.startswith(expected)


def test_schema_error_in_indonesian() -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(GOOD.replace("version: 1", "version: satu"), Path("x.yaml"))
    assert info.value.message == "x.yaml:2: kolom version: harus bilangan bulat dari 1 sampai 10000"


def test_duplicate_id_version_across_folders_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "one.yaml").write_text(GOOD)
    (tmp_path / "b" / "two.yaml").write_text(GOOD.replace("Judul", "Judul lain"))
    ok, problems = validate_paths([tmp_path / "a", tmp_path / "b"])
    assert [p.ref for p in ok] == ["uji@1"]
    assert len(problems) == 1 and "uji@1" in problems[0].message and "one.yaml" in problems[0].message
    with pytest.raises(TemplateError):
        PledgeLibrary.load([tmp_path / "a", tmp_path / "b"])


def test_library_refs_and_versions(tmp_path: Path) -> None:
    (tmp_path / "v2.yaml").write_text(GOOD.replace("version: 1", "version: 2").replace("Dua.", "Tiga."))
    (tmp_path / "v1.yaml").write_text(GOOD)
    lib = PledgeLibrary.load([tmp_path])
    assert lib.get("uji").version == 2
    assert lib.get("uji@1").points == ("Satu.", "Dua.")
    assert lib.by_digest(lib.get("uji@1").digest[:16]) == lib.get("uji@1")
    with pytest.raises(NotFoundError):
        lib.get("uji@3")
    with pytest.raises(UsageError):
        lib.get("uji@x")
    lines = diff(lib.get("uji@1"), lib.get("uji@2"))
    assert "-2. Dua." in lines and "+2. Tiga." in lines
    assert diff(lib.get("uji@1"), lib.get("uji@1")) == []


def test_phrase_is_case_and_space_tolerant() -> None:
    p = PledgeLibrary.load().get("pilkada-2024")
    assert p.matches_phrase("saya berikrar") and p.matches_phrase("  SAYA   BERIKRAR ")
    assert p.matches_phrase("sayaberikrar")
    assert not p.matches_phrase("saya berjanji")


def test_unreadable_and_binary_template_files(tmp_path: Path) -> None:
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError):
        load_template(bad)
    with pytest.raises(InputError):
        load_template(tmp_path / "missing.yaml")
    with pytest.raises(InputError):
        load_template(tmp_path)


def test_bundled_dir_is_found() -> None:
    assert sorted(f.name for f in bundled_dir().glob("*.yaml")) == [
        "jakut-pemilu-2024.yaml",
        "pemilu-2024.yaml",
        "pilkada-2020.yaml",
        "pilkada-2024.yaml",
    ]
