"""Messages in Bahasa Indonesia (default) and English, through gettext PO catalogues.

Source strings (msgids) are English and are written with named placeholders:
``_("Pledge {ref} not found", ref=ref)``. Each language has one catalogue,
``ikrar_cli/locale/<lang>.po``, in the standard gettext PO format so that the usual
tools (msgfmt, Poedit, Weblate) can work on them. We parse the PO file ourselves at
first use (a few ms) instead of shipping compiled ``.mo`` files, so a catalogue can
never be out of date with its compiled form.

Maintenance (run from the repository root)::

    python -m ikrar_cli.i18n check           # every msgid in the code is translated
    python -m ikrar_cli.i18n sync            # add new msgids to both catalogues
    python -m ikrar_cli.i18n merge FRAG.po   # merge translations from a fragment file

Sentences are never glued together from pieces: a whole sentence is one msgid.
"""

from __future__ import annotations

import ast
import os
import re
import string
import sys
from pathlib import Path

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current = DEFAULT_LANGUAGE
_catalogues: dict[str, dict[str, str]] = {}


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
    return _current


def _unquote(token: str, path: Path, lineno: int) -> str:
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError) as exc:
        raise ValueError(f"{path}:{lineno}: bad PO string {token!r}") from exc
    if not isinstance(value, str):
        raise ValueError(f"{path}:{lineno}: bad PO string {token!r}")
    return value


def parse_po(path: Path) -> dict[str, str]:
    """Parse a PO file into {msgid: msgstr}; fuzzy and obsolete entries are skipped."""
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy
        if msgid is not None and msgstr is not None:
            key = "".join(msgid)
            if key and not fuzzy:
                entries[key] = "".join(msgstr)
        msgid = msgstr = None
        fuzzy = False

    text = path.read_text(encoding="utf-8")
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            current = None
            continue
        if line.startswith("#,") and "fuzzy" in line:
            flush()
            fuzzy = True
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgid "):
            if msgid is not None:
                flush()
            msgid = [_unquote(line[6:].strip(), path, lineno)]
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [_unquote(line[7:].strip(), path, lineno)]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(_unquote(line, path, lineno))
        else:
            raise ValueError(f"{path}:{lineno}: unexpected PO line {raw!r}")
    flush()
    return entries


def _catalogue(lang: str) -> dict[str, str]:
    cat = _catalogues.get(lang)
    if cat is None:
        path = LOCALE_DIR / f"{lang}.po"
        cat = parse_po(path) if path.exists() else {}
        _catalogues[lang] = cat
    return cat


def gettext(msgid: str) -> str:
    translated = _catalogue(_current).get(msgid)
    return translated if translated else msgid


def _(msgid: str, /, **kwargs: object) -> str:
    """Translate ``msgid`` into the current language and fill its named placeholders."""
    text = gettext(msgid)
    if kwargs:
        kwargs = _bounded(msgid, kwargs)
        try:
            return text.format(**kwargs)
        except (KeyError, IndexError, ValueError):
            return msgid.format(**kwargs)
    return text


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


# --------------------------------------------------------------------------------------
# Catalogue maintenance (developer tooling; not used at run time)
# --------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def extract_msgids(root: Path | None = None) -> dict[str, list[str]]:
    """Every literal passed to _() or N_() in the package: {msgid: ["file:line", ...]}."""
    root = root or Path(__file__).resolve().parent
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                found.setdefault(node.args[0].value, []).append(where)
    return found


def _po_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    escaped = escaped.replace("\t", "\\t")
    return f'"{escaped}"'


def write_po(path: Path, entries: dict[str, str], refs: dict[str, list[str]], lang: str) -> None:
    lines = [
        f"# ikrar messages — {lang}",
        "# msgid is the English source text; see ikrar_cli/i18n.py.",
        'msgid ""',
        'msgstr ""',
        f'"Language: {lang}\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        "",
    ]
    for msgid in sorted(entries):
        for ref in refs.get(msgid, [])[:3]:
            lines.append(f"#: {ref}")
        lines.append(f"msgid {_po_quote(msgid)}")
        lines.append(f"msgstr {_po_quote(entries[msgid])}")
        lines.append("")
    tmp = path.with_suffix(".po.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)


def _locked(func):  # type: ignore[no-untyped-def]
    """Serialise catalogue edits between concurrent developers' tools."""
    import fcntl

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        LOCALE_DIR.mkdir(parents=True, exist_ok=True)
        with open(LOCALE_DIR / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return func(*args, **kwargs)

    return wrapper


@_locked
def sync() -> None:
    refs = extract_msgids()
    for lang in LANGUAGES:
        path = LOCALE_DIR / f"{lang}.po"
        entries = parse_po(path) if path.exists() else {}
        merged = {m: entries.get(m, "") for m in refs}
        write_po(path, merged, refs, lang)


@_locked
def merge(fragment: Path, lang: str = "id") -> int:
    refs = extract_msgids()
    path = LOCALE_DIR / f"{lang}.po"
    entries = parse_po(path) if path.exists() else {}
    new = parse_po(fragment)
    entries.update({k: v for k, v in new.items() if v})
    for m in refs:
        entries.setdefault(m, "")
    write_po(path, {m: entries[m] for m in entries if m in refs}, refs, lang)
    en_path = LOCALE_DIR / "en.po"
    en = parse_po(en_path) if en_path.exists() else {}
    write_po(en_path, {m: en.get(m, "") for m in refs}, refs, "en")
    return len(new)


def check() -> list[str]:
    """Problems with the catalogues: missing or inconsistent translations."""
    problems = []
    refs = extract_msgids()
    cats = {lang: parse_po(LOCALE_DIR / f"{lang}.po") for lang in LANGUAGES}
    for msgid, where in sorted(refs.items()):
        for lang in LANGUAGES:
            if msgid not in cats[lang]:
                problems.append(f"{where[0]}: {lang}.po lacks {msgid!r}")
        translated = cats["id"].get(msgid)
        if msgid in cats["id"] and not translated:
            problems.append(f"{where[0]}: id.po has no translation for {msgid!r}")
        elif translated and placeholders(translated) != placeholders(msgid):
            problems.append(f"{where[0]}: id.po placeholders differ for {msgid!r}")
    return problems


def _main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "sync", "merge"):
        print("usage: python -m ikrar_cli.i18n check|sync|merge FRAGMENT.po", file=sys.stderr)
        return 2
    if argv[0] == "sync":
        sync()
        print(f"synced {len(extract_msgids())} msgids")
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


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
