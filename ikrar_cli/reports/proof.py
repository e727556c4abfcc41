"""``ikrar report verify``: recompute a compliance report from the inputs it names, here, and say
MATCH or name the first unit and officer whose status differs and why; and the proof block the
PDF prints (the same inputs and digest as text and as a QR code)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..i18n import _
from .compliance import Result, compute, gather_for
from .jsonstream import NotJson, file_chunks, top_level
from .streamed import DigestFold

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass
class Outcome:
    match: bool
    message: str
    digest: str
    unit: str | None = None
    officer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.match, "message": self.message, "digest": self.digest, "unit": self.unit,
                "officer": self.officer}  # fmt: skip


def _state_label(state: str) -> str:
    return {"pledged": _("pledged"), "missing": _("missing"), "joined_later": _("joined later")}.get(state, state)


def _report_states(unit: dict[str, Any]) -> dict[str, str]:
    out = {s["officer_id"]: "missing" for s in unit.get("missing_staff", [])}
    out.update({s["officer_id"]: "joined_later" for s in unit.get("joined_later_staff", [])})
    return out


class _Units:
    """Their units against ours, one unit at a time (the order and messages of issue 13)."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.ours = {u.code: u for u in result.units}
        self.seen: set[str] = set()
        self.index = 0
        self.same = True  # every element equal to ours, in our order
        self.shown: list[str] = []  # the start of their list as JSON (for a message)
        self.shown_len = 0
        self.fold: DigestFold | None = DigestFold(result)  # our digest, while their units come in our order

    def element(self, t: Any) -> Outcome | None:
        if self.shown_len <= 80:
            self.shown.append(json.dumps(t, ensure_ascii=False))
            self.shown_len += len(self.shown[-1]) + 2
        mine = self.result.units[self.index] if self.index < len(self.result.units) else None
        self.index += 1
        if not isinstance(t, dict):
            self.same, self.fold = False, None
            return None
        code = t.get("unit")
        o = self.ours.get(code) if isinstance(code, str) else None
        if code is None:
            self.same, self.fold = False, None
            return None
        digest = self.result.digest
        if o is None:
            return Outcome(False, _("unit {unit}: in the report, but nobody of it is on the roster snapshot as of "
                                    "{day}", unit=code, day=self.result.as_of), digest, code)  # fmt: skip
        self.seen.add(code)
        said = _report_states(t)
        for oid, st in self.result.states(o):
            claimed = said.pop(oid, "pledged")
            if claimed != st.state:
                return Outcome(
                    False,
                    _("unit {unit}, officer {officer}: the report says {said}; recomputed: {state} ({why})",
                      unit=code, officer=oid, said=_state_label(claimed), state=_state_label(st.state), why=st.detail),
                    digest, code, oid,
                )  # fmt: skip
        for oid, claimed in sorted(said.items()):
            return Outcome(False, _("unit {unit}, officer {officer}: the report says {said}; recomputed: not expected "
                                    "on {day}", unit=code, officer=oid, said=_state_label(claimed),
                                    day=self.result.as_of), digest, code, oid)  # fmt: skip
        obj = self.result.unit_object(o)
        if self.fold is not None and mine is o:
            self.fold.add(obj)
        else:
            self.fold = None
        for key in obj:
            if t.get(key) != obj[key]:
                return Outcome(False, _("unit {unit}: {field} is {said} in the report; recomputed: {value}", unit=code,
                                        field=key, said=t.get(key), value=obj[key]), digest, code)  # fmt: skip
        self.same = self.same and mine is o and t == obj
        return None

    def end(self) -> Outcome | None:
        for u in self.result.units:
            if u.code not in self.seen:
                return Outcome(False, _("unit {unit}: missing from the report ({n} officers expected)", unit=u.code,
                                        n=u.active), self.result.digest, u.code)  # fmt: skip
        self.same = self.same and self.index == len(self.result.units)
        if self.fold is not None and self.index == len(self.result.units):
            self.fold.finish()  # every unit in order: the digest without reading them again
        return None


def _units_of(path: Path, result: Result) -> tuple[Outcome | None, _Units]:
    units = _Units(result)
    present = False
    for key, value, element in top_level(file_chunks(path), "units"):
        if key != "units":
            continue
        present = True
        for t in [value] if element else (value if isinstance(value, list) else []):
            diff = units.element(t)
            if diff is not None:
                return diff, units
        if not element and not isinstance(value, list):
            units.same = False
    diff = units.end()
    units.same = units.same and present
    return diff, units


def _first_difference(path: Path, head: dict[str, Any], result: Result) -> Outcome | None:
    diff, units = _units_of(path, result)
    if diff is not None:
        return diff
    mine = result.summary()
    digest = mine["digest"]
    for key in result.head:
        if key == "units":
            if not units.same:
                said = ("[" + ", ".join(units.shown))[:80]
                ours = json.dumps([result.unit_object(u) for u in result.units[:3]], ensure_ascii=False)[:80]
                return Outcome(False, _("{field} differs: the report says {said}; recomputed: {value}", field=key,
                                        said=said, value=ours), digest)  # fmt: skip
            continue
        if head.get(key) != mine[key]:
            return Outcome(False, _("{field} differs: the report says {said}; recomputed: {value}", field=key,
                                    said=json.dumps(head.get(key), ensure_ascii=False)[:80],
                                    value=json.dumps(mine[key], ensure_ascii=False)[:80]), digest)  # fmt: skip
    return None


def _readable(path: Path) -> None:
    """The errors of ``fsutil.read_input_bytes`` for a path that cannot be read."""
    try:
        if path.is_dir():
            raise InputError(_("{path} is a directory, not a file", path=path), _("give a file name"))
        with open(path, "rb"):
            pass
    except FileNotFoundError as exc:
        raise InputError(_("File not found: {path}", path=path), _("check the path")) from exc
    except PermissionError as exc:
        raise InputError(_("Cannot read {path}: permission denied", path=path),
                         _("check the file's permissions")) from exc  # fmt: skip
    except OSError as exc:
        raise InputError(_("Cannot read {path}: {reason}", path=path, reason=exc.strerror),
                         _("check the path")) from exc  # fmt: skip


def verify_report(ws: Workspace, path: Path) -> Outcome:
    """Recompute the report a file names and compare, reading the file unit by unit (twice: first
    for its inputs, which follow the units, then the units themselves)."""
    _readable(path)
    head: dict[str, Any] = {}
    try:
        for key, value, element in top_level(file_chunks(path), "units"):
            if not element:
                head[key] = value
    except NotJson as exc:
        if exc.object:
            raise InputError(_("{path} is not a compliance report", path=path),
                             _("give the file written by 'ikrar report compliance --json'")) from None  # fmt: skip
        raise InputError(_("{path} is not JSON", path=path),
                         _("give the file written by 'ikrar report compliance --json'")) from None  # fmt: skip
    except OSError as exc:
        raise InputError(_("Cannot read {path}: {reason}", path=path, reason=exc.strerror),
                         _("check the path")) from exc  # fmt: skip
    head.pop("units", None)
    result = compute(ws, gather_for(ws, head))
    try:
        diff = _first_difference(path, head, result)
        if diff is not None:
            return diff
        mine = result.summary()
        if set(head) | {"units"} != set(result.head) | {"digest"} or head.get("digest") != mine["digest"]:
            return Outcome(False, _("the report's digest does not match its contents: it was edited after it was made"),
                           mine["digest"])  # fmt: skip
        return Outcome(True, _("MATCH: the same figures from the same signed inputs ({digest})",
                               digest=mine["digest"]), mine["digest"])  # fmt: skip
    finally:
        result.close()


def proof_lines(doc: dict[str, Any]) -> list[str]:
    """The report's inputs and digest as lines of text (the PDF's proof block)."""
    inp = doc["inputs"]
    tb = inp["trust_bundle"]
    lines = [
        _("Roster snapshot: {digest} (as of {day})", digest=inp["roster_snapshot"], day=inp["roster_snapshot_as_of"]),
        _("Trust bundle: serial {serial}, authority {fp}", serial=tb["serial"], fp=tb["authority"]),
        _("Pledge {pledge}, status at the end of {day}", pledge=doc["pledge"], day=doc["as_of"]),
    ]
    for log in inp["logs"]:
        lines.append(_("Log of {terminal} ({log}): checkpoint size {size}, root {root}", terminal=log["terminal"],
                       log=log["log"], size=log["size"], root=log["root"]))  # fmt: skip
    lines.append(_("Report digest: {digest}", digest=doc["digest"]))
    lines.append(_("Check it: ikrar report verify REPORT.json"))
    return lines
