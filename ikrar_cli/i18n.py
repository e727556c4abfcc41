"""Messages in Bahasa Indonesia (default) and English, through gettext catalogues.

Source strings (msgids) are English and are written with named placeholders:
``_("Pledge {ref} not found", ref=ref)``; counts use real plurals:
``ngettext("{n} officer", "{n} officers", n)`` (``n`` is filled in for you).

The catalogues follow Babel's conventions (see ``ikrar_cli/i18n_tools.py``):
``locale/ikrar.pot`` is the template extracted from the code with Babel (no ``#:``
line references), ``locale/id.po`` translates every msgid, and ``locale/en.po`` exists
only if some English text must differ from its msgid (today none does, so English is
the msgids themselves, with the English plural rule).

Compiled at load time: the first message in a language reads that language's ``.po``
(a few ms, standard library only) into a gettext-compatible catalogue. There is no
``.mo`` file that could be out of date with its ``.po``, the wheel ships the ``.po``
files as package data, and Babel is needed only by the developer commands::

    python -m ikrar_cli.i18n sync            # re-extract ikrar.pot, update id.po (Babel)
    python -m ikrar_cli.i18n merge FRAG.po   # take translations from a fragment file
    python -m ikrar_cli.i18n check           # every msgid in the code is translated

Sentences are never glued together from pieces: a whole sentence is one msgid.
"""

from __future__ import annotations

import gettext as _gettext
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "Nn_",
    "_",
    "get_language",
    "gettext",
    "ngettext",
    "ngettext_raw",
    "normalise_language",
    "set_language",
    "speaking",
]

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALE_DIR: Path = Path(__file__).resolve().parent / "locale"

_current = DEFAULT_LANGUAGE
#: a language for the current thread or task only (a server answers each request in its asker's language)
_scoped: ContextVar[str | None] = ContextVar("ikrar_language", default=None)


def normalise_language(value: str | None) -> str | None:
    """Map 'id', 'ID', 'id_ID.UTF-8', 'en-US' ... to a supported code, else None."""
    if not value:
        return None
    code = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    if code == "in":  # old ISO code for Indonesian, still used by some systems
        code = "id"
    return code if code in LANGUAGES else None


def set_language(lang: str | None) -> str:
    """Select the language for every later message; returns the code chosen."""
    global _current
    _current = normalise_language(lang) or DEFAULT_LANGUAGE
    return _current


def get_language() -> str:
    return _scoped.get() or _current


@contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """Messages made inside the block (in this thread or task only) are in ``lang``; others keep
    the process's language. ``ikrar serve`` answers each request in its Accept-Language this way."""
    token = _scoped.set(normalise_language(lang) or DEFAULT_LANGUAGE)
    try:
        yield get_language()
    finally:
        _scoped.reset(token)


# --------------------------------------------------------------------------------------
# Loading a catalogue (the run-time "compile" step)
# --------------------------------------------------------------------------------------


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


class Catalogue:
    """One language's translations: ``{msgid: msgstr}`` and ``{msgid: [plural forms]}``."""

    def __init__(
        self,
        singular: dict[str, str] | None = None,
        plurals: dict[str, list[str]] | None = None,
        plural: Callable[[int], int] = _english_plural,
    ) -> None:
        self.singular = singular or {}
        self.plurals = plurals or {}
        self.plural = plural

    def gettext(self, msgid: str) -> str:
        return self.singular.get(msgid) or msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plurals.get(singular)
        if forms:
            index = self.plural(n)
            if 0 <= index < len(forms) and forms[index]:
                return forms[index]
        return singular if n == 1 else plural


def _unquote(token: str, path: Path, lineno: int) -> str:
    if len(token) >= 2 and token[0] == token[-1] == '"' and "\\" not in token and '"' not in token[1:-1]:
        return token[1:-1]  # most lines: no escapes
    import ast  # only for the rare line with escapes: not on every start

    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError) as exc:
        raise ValueError(f"{path}:{lineno}: bad PO string {token!r}") from exc
    if not isinstance(value, str):
        raise ValueError(f"{path}:{lineno}: bad PO string {token!r}")
    return value


def read_po(path: Path) -> Catalogue:
    """Read a PO file: fuzzy and obsolete entries are skipped, ``Plural-Forms`` is honoured.

    A deliberately small reader (Babel's costs more start-up time than click itself);
    ``i18n_tools`` writes the files with Babel and ``check`` reads them back with Babel.
    """
    singular: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    plural_rule: Callable[[int], int] = _english_plural
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal fields, current, fuzzy, plural_rule
        msgid = "".join(fields.get("msgid", []))
        if "msgid" in fields and "msgctxt" not in fields and not fuzzy:  # ikrar uses no contexts
            if not msgid:  # the header
                for line in "".join(fields.get("msgstr", [])).splitlines():
                    name, _sep, value = line.partition(":")
                    if name.strip().lower() == "plural-forms":
                        expr = value.split("plural=", 1)[1].strip().rstrip(";") if "plural=" in value else ""
                        if expr:
                            plural_rule = _gettext.c2py(expr)
            elif "msgid_plural" in fields:
                forms = ["".join(fields.get(f"msgstr[{i}]", [])) for i in range(10) if f"msgstr[{i}]" in fields]
                if any(forms):
                    plurals[msgid] = forms
            elif fields.get("msgstr"):
                singular[msgid] = "".join(fields["msgstr"])
        fields = {}
        current = None
        fuzzy = False

    def has_msgstr() -> bool:
        return "msgstr" in fields or "msgstr[0]" in fields

    text = path.read_text(encoding="utf-8")
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line[0] == "#":  # comments (and obsolete "#~" entries) precede an entry
            if line.startswith("#,") and "fuzzy" in line:
                if has_msgstr():
                    flush()
                fuzzy = True
            continue
        if line.startswith('"'):
            if current is None:
                raise ValueError(f"{path}:{lineno}: unexpected PO line {raw!r}")
            current.append(_unquote(line, path, lineno))
            continue
        keyword, _sep, rest = line.partition(" ")
        if keyword not in ("msgctxt", "msgid", "msgid_plural", "msgstr") and not keyword.startswith("msgstr["):
            raise ValueError(f"{path}:{lineno}: unexpected PO line {raw!r}")
        if keyword in ("msgctxt", "msgid") and has_msgstr():
            flush()
        current = fields.setdefault(keyword, [])
        current.append(_unquote(rest.strip(), path, lineno))
    flush()
    return Catalogue(singular, plurals, plural_rule)


_catalogues: dict[str, Catalogue] = {}


def catalogue(lang: str) -> Catalogue:
    """The catalogue of ``lang``, read on first use (empty if the language has no .po)."""
    cat = _catalogues.get(lang)
    if cat is None:
        path = LOCALE_DIR / f"{lang}.po"
        cat = read_po(path) if path.exists() else Catalogue()
        _catalogues[lang] = cat
    return cat


# --------------------------------------------------------------------------------------
# Translating
# --------------------------------------------------------------------------------------


def gettext(msgid: str) -> str:
    """The translation of ``msgid`` in the current language, placeholders left as they are."""
    return catalogue(get_language()).gettext(msgid)


def ngettext_raw(singular: str, plural: str, n: int) -> str:
    """The plural form for ``n`` in the current language, placeholders left as they are."""
    return catalogue(get_language()).ngettext(singular, plural, n)


def _format(text: str, fallback: str, kwargs: dict[str, object]) -> str:
    try:
        return text.format(**kwargs)
    except (KeyError, IndexError, ValueError):
        return fallback.format(**kwargs)


def _(msgid: str, /, **kwargs: object) -> str:
    """Translate ``msgid`` into the current language and fill its named placeholders."""
    text = gettext(msgid)
    return _format(text, msgid, _bounded(msgid, kwargs)) if kwargs else text


def ngettext(singular: str, plural: str, n: int, /, **kwargs: object) -> str:
    """Translate a count-dependent message and fill ``{n}`` and the other placeholders."""
    values = _bounded(plural, {"n": n, **kwargs})
    return _format(ngettext_raw(singular, plural, n), singular if n == 1 else plural, values)


#: placeholders that, by convention, echo what the user gave (besides any quoted with ``!r``)
_ECHO_NAMES = frozenset({"value", "id", "identifier", "cell", "nip", "input", "label", "item", "char"})


def _bounded(msgid: str, kwargs: dict[str, object]) -> dict[str, object]:
    """Text quoted into a message shows control characters as escapes and is bounded: an echoed
    value (``{value!r}``, ``{id}``… see ``_ECHO_NAMES``) to ``textsafe.ECHO_LIMIT`` characters,
    any other text to ``textsafe.TEXT_LIMIT``. A 1.5 GB spreadsheet cell is never echoed whole."""
    from .textsafe import ECHO_LIMIT, TEXT_LIMIT, echo, has_control, printable

    if all(not isinstance(v, str) or (len(v) <= ECHO_LIMIT and not has_control(v)) for v in kwargs.values()):
        return kwargs
    import string

    quoted = {field for _lit, field, _spec, conv in string.Formatter().parse(msgid) if field and conv == "r"}
    quoted |= _ECHO_NAMES
    out: dict[str, object] = {}
    for k, v in kwargs.items():
        if not isinstance(v, str):
            out[k] = v
        elif k in quoted:
            out[k] = echo(v)
        else:
            out[k] = echo(v, TEXT_LIMIT) if len(v) > TEXT_LIMIT else printable(v, keep_newlines=True)
    return out


def N_(msgid: str) -> str:
    """Mark a string for translation without translating it now (translate later with _)."""
    return msgid


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - gettext naming
    """Mark a plural message for translation without translating it now."""
    return singular, plural


# --------------------------------------------------------------------------------------
# Developer commands (Babel; see i18n_tools.py)
# --------------------------------------------------------------------------------------


def check() -> list[str]:
    """Problems with the catalogues (needs Babel, from the ``test`` extra)."""
    from . import i18n_tools

    return i18n_tools.check()


if __name__ == "__main__":
    from .i18n_tools import main

    sys.exit(main(sys.argv[1:]))
