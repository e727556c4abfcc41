"""Developer commands over Babel: extract ``ikrar.pot``, update ``id.po``, merge fragments, check.

Run them as ``python -m ikrar_cli.i18n sync|merge FRAGMENT.po...|check``. Babel is a
development dependency (the ``test`` extra); nothing here runs when ikrar itself runs.

Conventions (those of ``pybabel extract/update``, with merge-friendly settings):

- ``locale/ikrar.pot`` is extracted from ``ikrar_cli/**.py`` with the keywords ``_``,
  ``N_``, ``ngettext`` and ``Nn_``, written without ``#:`` locations (line numbers go
  stale and make every merge conflict), sorted by msgid, unwrapped, with a fixed header.
- ``locale/id.po`` is updated from the template without fuzzy guesses; msgids no
  longer in the code are dropped.
- ``locale/en.po`` is optional: it holds only English that differs from the msgid.
- Fragments (``.i18n-fragments/NAME.po``) are plain PO files (msgid English, msgstr
  Indonesian) that helpers commit next to their code, so translations can be
  re-applied after two branches both changed ``id.po``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import string
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from . import __version__
from .i18n import LOCALE_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE = LOCALE_DIR / "ikrar.pot"
TRANSLATED = ("id",)  # catalogues that must translate every msgid
OPTIONAL = ("en",)  # catalogues that hold only what differs from the English msgids
KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "ngettext": (1, 2), "Nn_": (1, 2)}
FIXED_DATE = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)  # stable headers: no diff on every sync
#: gettext's rules: Indonesian does not inflect a noun for a count ("1 pegawai", "3 pegawai")
PLURAL_FORMS = {"id": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}
HEADER = "# ikrar messages.\n# msgid is the English source text; see ikrar_cli/i18n.py and docs/architecture.md."


def _key(msgid: Any) -> str:
    """The catalogue key of a msgid: the singular of a plural message."""
    return msgid if isinstance(msgid, str) else str(msgid[0])


def _strings(message: Message) -> tuple[str, ...]:
    value: Any = message.string
    return tuple(value) if isinstance(value, (tuple, list)) else (value or "",)


def extract() -> Catalog:
    """The template: every message marked in the package, with where it was found (in memory)."""
    template = Catalog(
        project="ikrar",
        version=__version__,
        header_comment=HEADER,
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        charset="utf-8",
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        where = (f"ikrar_cli/{filename}", lineno)
        existing = template.get(_key(message))
        if existing is not None and isinstance(existing.id, tuple) != isinstance(message, tuple):
            raise SystemExit(f"{where[0]}:{lineno}: {_key(message)!r} is used both with and without a plural")
        template.add(message, None, [where], auto_comments=comments, context=context)
    return template


def _write(path: Path, catalog: Catalog) -> None:
    buf = io.BytesIO()
    write_po(
        buf,
        catalog,
        width=0,
        no_location=True,
        sort_output=True,
        ignore_obsolete=True,
        include_lineno=False,
    )
    data = buf.getvalue()
    if path.exists():  # the file keeps its own "Generated-By": its bytes follow its content, not the Babel installed
        kept = _GENERATED_BY.search(path.read_bytes())
        if kept is not None:
            data = _GENERATED_BY.sub(lambda _m: kept.group(0), data, count=1)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


_GENERATED_BY = re.compile(rb'^"Generated-By: [^"\n]*\\n"$', re.M)


def _read(path: Path, locale: str | None) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale, charset="utf-8")


def _load(lang: str) -> Catalog:
    path = LOCALE_DIR / f"{lang}.po"
    catalog = _read(path, lang) if path.exists() else Catalog(locale=lang, fuzzy=False)
    catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[lang])]
    catalog.project, catalog.version = "ikrar", __version__
    catalog.header_comment = HEADER
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    return catalog


def _update(lang: str, template: Catalog) -> Catalog:
    catalog = _load(lang)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
    catalog.fuzzy = False
    return catalog


def sync() -> int:
    """Re-extract the template and update the catalogues from it; returns the number of msgids."""
    template = extract()
    _write(TEMPLATE, template)
    for lang in TRANSLATED:
        _write(LOCALE_DIR / f"{lang}.po", _update(lang, template))
    for lang in OPTIONAL:
        if (LOCALE_DIR / f"{lang}.po").exists():
            catalog = _update(lang, template)
            for message in list(catalog):  # only entries whose English differs from the msgid
                if message.id and not _translated(message):
                    catalog.delete(message.id)
            _write(LOCALE_DIR / f"{lang}.po", catalog)
    return len([m for m in template if m.id])


def merge(fragment: Path, lang: str = "id") -> int:
    """Take the translations in ``fragment`` for msgids the code uses; returns how many were taken."""
    template = extract()
    _write(TEMPLATE, template)
    catalog = _update(lang, template)
    taken = 0
    for message in _read(fragment, lang):
        if not message.id or message.fuzzy or not _translated(message):
            continue
        target = catalog.get(_key(message.id))
        if target is None:
            continue
        if isinstance(target.id, tuple):
            forms = _strings(message)
            target.string = forms[: catalog.num_plurals] + ("",) * (catalog.num_plurals - len(forms))
        elif isinstance(message.string, tuple):
            continue
        else:
            target.string = message.string
        target.flags.discard("fuzzy")
        taken += 1
    _write(LOCALE_DIR / f"{lang}.po", catalog)
    return taken


def _translated(message: Message) -> bool:
    return all(_strings(message))


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def check() -> list[str]:
    """Problems: a msgid without translation, placeholders that differ, a stale template."""
    problems: list[str] = []
    template = extract()
    used = {_key(m.id): m for m in template if m.id}
    if not TEMPLATE.exists() or {_key(m.id) for m in _read(TEMPLATE, None) if m.id} != set(used):
        problems.append(f"{TEMPLATE.name} is out of date: run python -m ikrar_cli.i18n sync")
    for lang in TRANSLATED + OPTIONAL:
        path = LOCALE_DIR / f"{lang}.po"
        if not path.exists():
            if lang in TRANSLATED:
                problems.append(f"{path.name} is missing: run python -m ikrar_cli.i18n sync")
            continue
        catalog = _read(path, lang)
        for key, source in sorted(used.items()):
            where = "{}:{}".format(*source.locations[0])
            message = catalog.get(key)
            if message is None or not _translated(message) or message.fuzzy:
                if lang in TRANSLATED:
                    problems.append(f"{where}: {lang}.po has no translation for {key!r}")
                continue
            if isinstance(source.id, tuple) != isinstance(message.id, tuple):
                problems.append(f"{where}: {lang}.po: plural and singular forms differ for {key!r}")
                continue
            problems += _placeholder_problems(where, lang, source, message)
        for message in catalog:
            if message.id and _key(message.id) not in used:
                problems.append(f"{lang}.po: {_key(message.id)!r} is not used in the code (run sync)")
    return problems


def _placeholder_problems(where: str, lang: str, source: Message, message: Message) -> list[str]:
    if isinstance(source.id, tuple):
        allowed = placeholders(source.id[0]) | placeholders(source.id[1]) | {"n"}
        if any(not placeholders(form) <= allowed for form in _strings(message)):
            return [f"{where}: {lang}.po placeholders differ for {source.id[0]!r}"]
        return []
    if placeholders(_strings(message)[0]) != placeholders(_key(source.id)):
        return [f"{where}: {lang}.po placeholders differ for {source.id!r}"]
    return []


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "sync", "merge") or (argv[0] == "merge" and len(argv) < 2):
        print("usage: python -m ikrar_cli.i18n check | sync | merge FRAGMENT.po...", file=sys.stderr)
        return 2
    if argv[0] == "sync":
        print(f"synced {sync()} msgids")
        return 0
    if argv[0] == "merge":
        for frag in argv[1:]:
            print(f"merged {merge(Path(frag))} entries from {frag}")
        return 0
    problems = check()
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0
