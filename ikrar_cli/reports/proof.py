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
from .compliance import Result, compute, document_digest, gather_for

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


def _first_difference(doc: dict[str, Any], result: Result) -> Outcome | None:
    mine = result.document
    digest = mine["digest"]
    theirs = {u.get("unit"): u for u in doc.get("units", []) if isinstance(u, dict)}
    ours = {u["unit"]: u for u in mine["units"]}
    order = [c for c in theirs if c is not None] + [c for c in ours if c not in theirs]
    for code in order:
        t, o = theirs.get(code), ours.get(code)
        if o is None:
            return Outcome(False, _("unit {unit}: in the report, but nobody of it is on the roster snapshot as of "
                                    "{day}", unit=code, day=mine["as_of"]), digest, code)  # fmt: skip
        if t is None:
            return Outcome(False, _("unit {unit}: missing from the report ({n} officers expected)", unit=code,
                                    n=o["active"]), digest, code)  # fmt: skip
        said = _report_states(t)
        for oid in sorted(i for i, u in result.unit_of.items() if u == code):
            st = result.status[oid]
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
                                    day=mine["as_of"]), digest, code, oid)  # fmt: skip
        for key in o:
            if t.get(key) != o[key]:
                return Outcome(False, _("unit {unit}: {field} is {said} in the report; recomputed: {value}", unit=code,
                                        field=key, said=t.get(key), value=o[key]), digest, code)  # fmt: skip
    for key in mine:
        if key != "digest" and doc.get(key) != mine[key]:
            return Outcome(False, _("{field} differs: the report says {said}; recomputed: {value}", field=key,
                                    said=json.dumps(doc.get(key), ensure_ascii=False)[:80],
                                    value=json.dumps(mine[key], ensure_ascii=False)[:80]), digest)  # fmt: skip
    return None


def verify_report(ws: Workspace, path: Path) -> Outcome:
    from ..fsutil import read_input_bytes

    data = read_input_bytes(path, limit=500_000_000)
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InputError(_("{path} is not JSON", path=path),
                         _("give the file written by 'ikrar report compliance --json'")) from None  # fmt: skip
    if not isinstance(doc, dict):
        raise InputError(_("{path} is not a compliance report", path=path),
                         _("give the file written by 'ikrar report compliance --json'"))  # fmt: skip
    result = compute(ws, gather_for(ws, doc))
    diff = _first_difference(doc, result)
    if diff is not None:
        return diff
    if doc.get("digest") != document_digest(doc) or doc != result.document:
        return Outcome(False, _("the report's digest does not match its contents: it was edited after it was made"),
                       result.document["digest"])  # fmt: skip
    return Outcome(True, _("MATCH: the same figures from the same signed inputs ({digest})",
                           digest=result.document["digest"]), result.document["digest"])  # fmt: skip


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
