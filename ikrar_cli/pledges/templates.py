"""Versioned pledge templates and their canonical, hashable form.

A template is a YAML file (``pledges/*.yaml``). Its *words* (title, opening,
points, closing, confirmation phrase) and identity (id, version, election, language)
are put into a canonical JSON form whose SHA-256 digest a receipt names, so a receipt
proves the very words acknowledged. Comments and YAML layout do not change the
digest; any change to the words does. See ``docs/pledge-templates.md``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ConflictError, InputError, NotFoundError, UsageError
from ..i18n import _

CANONICAL_FORMAT = "ikrar-pledge/1"
ELECTION_KINDS = ("pemilu", "pilkada", "pemilu-pemilihan")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")
TOP_LEVEL_KEYS = {
    "id",
    "version",
    "election",
    "title",
    "language",
    "opening",
    "points",
    "closing",
    "confirmation_phrase",
    "legal_basis",
    "valid",
    "region",
    "translations",
    "source",
    "sanction",
}
REQUIRED_KEYS = (
    "id",
    "version",
    "election",
    "title",
    "language",
    "points",
    "confirmation_phrase",
    "legal_basis",
    "valid",
)


def normalise_text(text: str) -> str:
    """Unicode NFC, then every run of white space becomes one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise_phrase(text: str) -> str:
    """Case- and space-insensitive form used to compare a typed confirmation phrase."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass(frozen=True)
class Translation:
    """A display-only rendering (e.g. English); never part of the digest."""

    title: str
    opening: str | None
    points: tuple[str, ...]
    closing: str | None


@dataclass(frozen=True)
class Pledge:
    """One version of a pledge template."""

    id: str
    version: int
    election_kind: str
    election_year: int
    title: str
    language: str
    opening: str | None
    points: tuple[str, ...]
    closing: str | None
    confirmation_phrase: str
    legal_basis: tuple[str, ...]
    valid_from: date
    valid_until: date
    region: str | None = None
    source: str | None = None
    #: the sanction clause printed on the Pakta Integritas (not pledged words: not in the digest)
    sanction: str | None = None
    translations: dict[str, Translation] = field(default_factory=dict, compare=False, hash=False)
    path: Path | None = field(default=None, compare=False, hash=False)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def canonical_object(self) -> dict[str, Any]:
        return {
            "format": CANONICAL_FORMAT,
            "id": self.id,
            "version": self.version,
            "election": {"kind": self.election_kind, "year": self.election_year},
            "language": self.language,
            "title": self.title,
            "opening": self.opening,
            "points": list(self.points),
            "closing": self.closing,
            "confirmation_phrase": self.confirmation_phrase,
        }

    def canonical_bytes(self) -> bytes:
        """Sorted-key JSON, no insignificant white space, UTF-8 (RFC 8785 for this data)."""
        return json.dumps(self.canonical_object(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
            "utf-8"
        )

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.canonical_bytes()).digest()

    @property
    def digest_hex(self) -> str:
        return "sha256:" + self.digest.hex()

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def matches_phrase(self, typed: str) -> bool:
        return normalise_phrase(typed) == normalise_phrase(self.confirmation_phrase)

    def text_lines(self) -> list[str]:
        """The words as numbered lines (used by diff and plain rendering)."""
        lines = [f"title: {self.title}"]
        if self.opening:
            lines.append(f"opening: {self.opening}")
        lines += [f"{i}. {p}" for i, p in enumerate(self.points, 1)]
        if self.closing:
            lines.append(f"closing: {self.closing}")
        lines.append(f"confirmation_phrase: {self.confirmation_phrase}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        data = self.canonical_object()
        del data["format"]
        data.update(
            {
                "ref": self.ref,
                "digest": self.digest_hex,
                "legal_basis": list(self.legal_basis),
                "valid": {"from": self.valid_from.isoformat(), "until": self.valid_until.isoformat()},
                "region": self.region,
                "source": self.source,
                "sanction": self.sanction,
                "translations": {
                    k: {"title": t.title, "opening": t.opening, "points": list(t.points), "closing": t.closing}
                    for k, t in self.translations.items()
                },
                "path": str(self.path) if self.path else None,
            }
        )
        return data


# --------------------------------------------------------------------------------------
# Loading with precise errors
# --------------------------------------------------------------------------------------


class TemplateError(InputError):
    """A broken template file; the message names file, line and field."""


@dataclass
class _Located:
    """YAML data with the line of each node, keyed by its path."""

    data: Any
    lines: dict[tuple[Any, ...], int]


def _loader() -> type:
    """SafeLoader that keeps dates as text, so a bad date is reported at its line."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)  # type: ignore[type-var]
    return Loader


def _refuse_aliases(text: str, path: Path) -> None:
    """Anchors and aliases (``&a`` / ``*a``) are refused before anything is built from the file.

    A template never needs them, and a few hundred bytes of nested aliases expand to gigabytes
    (a "billion laughs" file). The event scan is linear in the file's size.
    """
    import yaml

    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise TemplateError(
                _(
                    "{path}:{line}: YAML anchors and aliases (&name, *name) are not allowed in a template",
                    path=path,
                    line=event.start_mark.line + 1 if event.start_mark else 1,
                ),
                _("write the text out in full where it is repeated"),
            )


def _compose(text: str, path: Path) -> _Located:
    import yaml

    try:
        _refuse_aliases(text, path)
        node = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise TemplateError(
            _("{path}:{line}: not valid YAML: {problem}", path=path, line=line, problem=problem),
            _("fix the YAML syntax (indentation, quotes, colons)"),
        ) from exc
    if node is None:
        raise TemplateError(
            _("{path}:1: the file is empty", path=path),
            _("a template needs id, version, title, points and the other fields"),
        )
    lines: dict[tuple[Any, ...], int] = {}

    def walk(n: Any, where: tuple[Any, ...]) -> None:
        lines[where] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in n.value:
                key = key_node.value
                if key in seen:
                    raise TemplateError(
                        _(
                            "{path}:{line}: field {field} appears twice (first on line {first})",
                            path=path,
                            line=key_node.start_mark.line + 1,
                            field=".".join(map(str, where + (key,))),
                            first=seen[key],
                        ),
                        _("keep one of them"),
                    )
                seen[key] = key_node.start_mark.line + 1
                walk(value_node, where + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, where + (i,))

    walk(node, ())
    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:  # pragma: no cover - compose already succeeded
        raise TemplateError(
            _("{path}:1: not valid YAML: {problem}", path=path, line=1, problem=str(exc)), _("fix the YAML syntax")
        ) from exc
    return _Located(data, lines)


class _Checker:
    def __init__(self, path: Path, located: _Located):
        self.path = path
        self.loc = located

    def fail(self, where: tuple[Any, ...], message: str, hint: str) -> TemplateError:
        line = self.loc.lines.get(where)
        probe = where
        while line is None and probe:
            probe = probe[:-1]
            line = self.loc.lines.get(probe)
        name = ".".join(str(w) for w in where) or "(top)"
        return TemplateError(
            _("{path}:{line}: field {field}: {problem}", path=self.path, line=line or 1, field=name, problem=message),
            hint,
        )

    def text(self, value: Any, where: tuple[Any, ...], *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not normalise_text(value):
            raise self.fail(where, _("must be non-empty text"), _("write the text in quotes"))
        return normalise_text(value)

    def texts(self, value: Any, where: tuple[Any, ...], *, allow_empty: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.fail(where, _("must be a list of texts"), _("write one '- text' line per item"))
        return tuple(self.text(v, where + (i,)) or "" for i, v in enumerate(value))

    def integer(self, value: Any, where: tuple[Any, ...], low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(
                where,
                _("must be a whole number from {low} to {high}", low=low, high=high),
                _("write a number without quotes"),
            )
        return value

    def day(self, value: Any, where: tuple[Any, ...]) -> date:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(where, _("must be a date YYYY-MM-DD"), _("write e.g. 2024-09-01"))


def parse_template(text: str, path: Path) -> Pledge:
    """Parse and check one template; raise :class:`TemplateError` on the first problem."""
    loc = _compose(text, path)
    c = _Checker(path, loc)
    data = loc.data
    if not isinstance(data, dict):
        raise c.fail((), _("the file must be a mapping of fields"), _("start with 'id: ...'"))
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise c.fail(
                (key,), _("unknown field"), _("known fields: {fields}", fields=", ".join(sorted(TOP_LEVEL_KEYS)))
            )
    for key in REQUIRED_KEYS:
        if key not in data:
            raise c.fail(
                (), _("required field {field} is missing", field=key), _("add '{field}:' to the template", field=key)
            )
    pid = data["id"]
    if not isinstance(pid, str) or not ID_PATTERN.match(pid):
        raise c.fail(
            ("id",), _("must be lower-case letters, digits and '-' (2 to 48 characters)"), _("e.g. pilkada-2024")
        )
    version = c.integer(data["version"], ("version",), 1, 10_000)
    election = data["election"]
    if not isinstance(election, dict):
        raise c.fail(("election",), _("must have kind and year"), _("e.g. kind: pilkada, year: 2024"))
    for key in election:
        if key not in ("kind", "year"):
            raise c.fail(("election", key), _("unknown field"), _("known fields: {fields}", fields="kind, year"))
    kind = election.get("kind")
    if kind not in ELECTION_KINDS:
        raise c.fail(
            ("election", "kind"), _("must be one of {kinds}", kinds=", ".join(ELECTION_KINDS)), _("e.g. kind: pilkada")
        )
    year = c.integer(election.get("year"), ("election", "year"), 1999, 2100)
    language = data["language"]
    if language != "id":
        raise c.fail(
            ("language",),
            _("must be id: pledge texts keep their official Indonesian wording"),
            _("put other languages under translations"),
        )
    title = c.text(data["title"], ("title",)) or ""
    opening = c.text(data.get("opening"), ("opening",), optional=True)
    points = c.texts(data["points"], ("points",))
    closing = c.text(data.get("closing"), ("closing",), optional=True)
    phrase = c.text(data["confirmation_phrase"], ("confirmation_phrase",)) or ""
    legal = c.texts(data["legal_basis"], ("legal_basis",))
    valid = data["valid"]
    if not isinstance(valid, dict) or set(valid) != {"from", "until"}:
        raise c.fail(
            ("valid",), _("must have exactly from and until"), _("e.g. from: 2024-07-01 and until: 2025-03-31")
        )
    valid_from = c.day(valid["from"], ("valid", "from"))
    valid_until = c.day(valid["until"], ("valid", "until"))
    if valid_until < valid_from:
        raise c.fail(("valid", "until"), _("is before valid.from"), _("swap the two dates"))
    region = c.text(data.get("region"), ("region",), optional=True)
    source = c.text(data.get("source"), ("source",), optional=True)
    sanction = c.text(data.get("sanction"), ("sanction",), optional=True)
    translations: dict[str, Translation] = {}
    raw_tr = data.get("translations") or {}
    if not isinstance(raw_tr, dict):
        raise c.fail(("translations",), _("must map a language code to a rendering"), _("e.g. en: {...}"))
    for lang, tr in raw_tr.items():
        where = ("translations", lang)
        if lang not in ("en",):
            raise c.fail(where, _("unsupported language"), _("use en"))
        if not isinstance(tr, dict):
            raise c.fail(where, _("must have title and points"), _("add title: and points:"))
        for key in tr:
            if key not in ("title", "opening", "points", "closing"):
                raise c.fail(
                    where + (key,),
                    _("unknown field"),
                    _("known fields: {fields}", fields="title, opening, points, closing"),
                )
        tr_points = c.texts(tr.get("points"), where + ("points",))
        if len(tr_points) != len(points):
            raise c.fail(
                where + ("points",),
                _("has {n} points but the pledge has {m}", n=len(tr_points), m=len(points)),
                _("translate every point, in the same order"),
            )
        translations[lang] = Translation(
            title=c.text(tr.get("title"), where + ("title",)) or "",
            opening=c.text(tr.get("opening"), where + ("opening",), optional=True),
            points=tr_points,
            closing=c.text(tr.get("closing"), where + ("closing",), optional=True),
        )
    return Pledge(
        id=pid,
        version=version,
        election_kind=kind,
        election_year=year,
        title=title,
        language=language,
        opening=opening,
        points=points,
        closing=closing,
        confirmation_phrase=phrase,
        legal_basis=legal,
        valid_from=valid_from,
        valid_until=valid_until,
        region=region,
        source=source,
        sanction=sanction,
        translations=translations,
        path=path,
    )


def load_template(path: Path) -> Pledge:
    from ..fsutil import read_input_bytes

    raw = read_input_bytes(path, limit=1_000_000)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(
            _("{path}: not UTF-8 text (byte {pos})", path=path, pos=exc.start), _("save the template as UTF-8")
        ) from exc
    return parse_template(text, path)


def bundled_dir() -> Path:
    """The templates shipped with ikrar (installed package, or the source checkout)."""
    here = Path(__file__).resolve().parent.parent  # the ikrar_cli package
    installed = here / "pledge_templates"
    if installed.is_dir() and any(installed.glob("*.yaml")):
        return installed
    return here.parent / "pledges"


def template_files(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
        else:
            yield p


def validate_paths(paths: Iterable[Path]) -> tuple[list[Pledge], list[TemplateError]]:
    """Check every template under ``paths``; collect all problems, including duplicates."""
    ok: list[Pledge] = []
    problems: list[TemplateError] = []
    seen: dict[tuple[str, int], Pledge] = {}
    for f in template_files(paths):
        try:
            pledge = load_template(f)
        except InputError as exc:
            problems.append(exc if isinstance(exc, TemplateError) else TemplateError(exc.message, exc.hint))
            continue
        key = (pledge.id, pledge.version)
        if key in seen:
            problems.append(
                TemplateError(
                    _("{path}: {ref} is defined twice (also in {other})", path=f, ref=pledge.ref, other=seen[key].path),
                    _("a changed text needs a new version number; remove the copy"),
                )
            )
            continue
        seen[key] = pledge
        ok.append(pledge)
    return ok, problems


class PledgeLibrary:
    """All known templates: bundled plus the workspace's extra folders."""

    def __init__(self, pledges: Iterable[Pledge]):
        self._by_key: dict[tuple[str, int], Pledge] = {}
        for p in pledges:
            self._by_key[(p.id, p.version)] = p
        self._by_digest = {p.digest: p for p in self._by_key.values()}

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = ()) -> PledgeLibrary:
        dirs = [bundled_dir(), *extra_dirs]
        for d in dirs[1:]:
            if not d.is_dir():
                raise NotFoundError(
                    _("Template folder {path} does not exist", path=d), _("fix templates.extra_dirs in ikrar.yaml")
                )
        pledges, problems = validate_paths(dirs)
        if problems:
            first = problems[0]
            if len(problems) > 1:
                raise TemplateError(
                    first.message, _("{n} template problems in all; run 'ikrar pledge validate'", n=len(problems))
                )
            raise first
        return cls(pledges)

    def all(self) -> list[Pledge]:
        return sorted(self._by_key.values(), key=lambda p: (p.election_year, p.id, p.version))

    def versions(self, pledge_id: str) -> list[Pledge]:
        return sorted((p for p in self._by_key.values() if p.id == pledge_id), key=lambda p: p.version)

    def get(self, ref: str) -> Pledge:
        """``ID`` (latest version) or ``ID@VERSION``."""
        pledge_id, _sep, version = ref.strip().partition("@")
        if version:
            if not version.isdigit():
                raise UsageError(
                    _("Bad pledge reference {ref!r}", ref=ref), _("write ID or ID@VERSION, e.g. pilkada-2024@1")
                )
            found = self._by_key.get((pledge_id, int(version)))
            if found:
                return found
        else:
            versions = self.versions(pledge_id)
            if versions:
                return versions[-1]
        known = ", ".join(sorted({p.ref for p in self._by_key.values()}))
        raise NotFoundError(_("Pledge template {ref} not found", ref=ref), _("known templates: {known}", known=known))

    def by_digest(self, digest: bytes) -> Pledge | None:
        """The template whose digest starts with ``digest`` (receipts may carry a prefix)."""
        if len(digest) == 32:
            return self._by_digest.get(digest)
        matches = [p for d, p in self._by_digest.items() if d.startswith(digest)]
        if len(matches) > 1:
            raise ConflictError(_("Two templates share a digest prefix"), _("this should never happen"))
        return matches[0] if matches else None


def diff(a: Pledge, b: Pledge) -> list[str]:
    """Unified diff of the words of two template versions (empty if the words are equal)."""
    return list(difflib.unified_diff(a.text_lines(), b.text_lines(), fromfile=a.ref, tofile=b.ref, lineterm=""))
