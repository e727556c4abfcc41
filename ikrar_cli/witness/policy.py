"""Witness policies (the C2SP tlog-policy text format) and the k-of-n check on a checkpoint.

Lines: ``witness <name> <vkey> [<url>]``, ``group <name> <k>|all|any <member>...``,
``quorum <name>`` (exactly one, ``none`` allowed), ``log <vkey> [<url>]`` (read and kept, not
used to choose logs: the trust bundle names them), comments ``#`` and blank lines. Names are
defined before use. See docs/witness.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, VerificationError
from ..fsutil import read_input_bytes
from ..i18n import _
from .cosignature import Cosigner, find_cosignature, note_body, parse_vkey, verify_cosignature

MAX_ENTRIES = 256


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    cosigner: Cosigner
    url: str | None


@dataclass(frozen=True)
class Group:
    name: str
    k: int
    members: tuple[str, ...]


@dataclass
class WitnessPolicy:
    witnesses: dict[str, PolicyWitness] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = "none"
    logs: list[str] = field(default_factory=list)

    def satisfied(self, name: str, valid: set[str]) -> bool:
        if name == "none":
            return True
        if name in self.witnesses:
            return name in valid
        group = self.groups[name]
        return sum(self.satisfied(m, valid) for m in group.members) >= group.k

    def describe(self) -> str:
        """The quorum in words, e.g. '2 of bawaslu, inspektorat, ombudsman'."""
        if self.quorum == "none":
            return _("no witness")
        if self.quorum in self.witnesses:
            return self.quorum
        g = self.groups[self.quorum]
        return _("{k} of {names}", k=g.k, names=", ".join(g.members))


@dataclass
class WitnessCheck:
    """The outcome of checking one checkpoint against a policy."""

    ok: bool
    valid: list[str]
    missing: list[str]
    invalid: list[str]
    quorum: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "valid": self.valid,
            "missing": self.missing,
            "invalid": self.invalid,
            "quorum": self.quorum,
        }

    def error(self, what: str) -> VerificationError:
        parts = []
        if self.missing:
            parts.append(_("no cosignature from {names}", names=", ".join(self.missing)))
        if self.invalid:
            parts.append(_("invalid cosignature from {names}", names=", ".join(self.invalid)))
        err = VerificationError(
            _(
                "{what} is not cosigned by the witnesses the policy requires ({quorum}): {why}",
                what=what,
                quorum=self.quorum,
                why="; ".join(parts) or _("too few"),
            ),
            _("ask the centre to run 'ikrar ledger witness' and prove again"),
            code="witness_quorum",
        )
        err.details = self.to_dict()
        return err


def _bad(where: object, line_no: int, why: str) -> InputError:
    return InputError(
        _("{path}: line {line}: {why}", path=where, line=line_no, why=why),
        _("see docs/witness.md for the policy format"),
        code="bad_policy",
    )


def parse_policy(text: str, where: object = "policy") -> WitnessPolicy:
    policy = WitnessPolicy()
    quorum_seen = False
    defined: set[str] = set()
    for n, raw in enumerate(text.split("\n"), 1):
        if any(ord(c) < 0x20 and c != "\t" for c in raw.rstrip("\r")):
            raise _bad(where, n, _("control characters"))
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if len(defined) + len(policy.logs) > MAX_ENTRIES:
            raise _bad(where, n, _("more than {n} entries", n=MAX_ENTRIES))
        kw, args = words[0], words[1:]
        if kw == "log" and len(args) in (1, 2):
            parse_vkey(args[0], sig_type=0x01)
            policy.logs.append(args[0])
        elif kw == "witness" and len(args) in (2, 3):
            name = args[0]
            if name in defined or name == "none":
                raise _bad(where, n, _("the name {name} is defined twice", name=name))
            try:
                cosigner = parse_vkey(args[1])
            except InputError as exc:
                raise _bad(where, n, exc.message) from exc
            if any(w.cosigner.public_key == cosigner.public_key for w in policy.witnesses.values()):
                raise _bad(where, n, _("the key of {name} is listed twice", name=name))
            policy.witnesses[name] = PolicyWitness(name, cosigner, args[2] if len(args) == 3 else None)
            defined.add(name)
        elif kw == "group" and len(args) >= 3:
            name, k_text, members = args[0], args[1], tuple(args[2:])
            if name in defined or name == "none":
                raise _bad(where, n, _("the name {name} is defined twice", name=name))
            unknown = [m for m in members if m not in defined]
            if unknown:
                raise _bad(where, n, _("{name} is not defined above", name=unknown[0]))
            if len(set(members)) != len(members):
                raise _bad(where, n, _("a group lists a member twice"))
            k = {"all": len(members), "any": 1}.get(k_text)
            if k is None:
                if not k_text.isdigit() or not 1 <= int(k_text) <= len(members):
                    raise _bad(where, n, _("the threshold must be all, any or a number from 1 to {n}", n=len(members)))
                k = int(k_text)
            policy.groups[name] = Group(name, k, members)
            defined.add(name)
        elif kw == "quorum" and len(args) == 1:
            if quorum_seen:
                raise _bad(where, n, _("more than one quorum line"))
            if args[0] != "none" and args[0] not in defined:
                raise _bad(where, n, _("{name} is not defined above", name=args[0]))
            policy.quorum, quorum_seen = args[0], True
        else:
            raise _bad(where, n, _("not a policy line: {text}", text=raw.strip()[:60]))
    if not quorum_seen:
        raise _bad(where, 0, _("the policy has no quorum line"))
    return policy


def load_policy(path: Path) -> WitnessPolicy:
    data = read_input_bytes(path, limit=1_000_000)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(path, 0, _("not UTF-8")) from exc
    return parse_policy(text, path)


def check_note(policy: WitnessPolicy, note: str) -> WitnessCheck:
    """Which witnesses validly cosigned this checkpoint note, and whether the quorum holds.
    The log's own signature is checked by the caller."""
    body = note_body(note)
    valid, missing, invalid = [], [], []
    for name, w in policy.witnesses.items():
        line = find_cosignature(note, w.cosigner)
        if line is None:
            missing.append(name)
        elif verify_cosignature(body, w.cosigner, line):
            valid.append(name)
        else:
            invalid.append(name)
    ok = policy.satisfied(policy.quorum, set(valid))
    return WitnessCheck(ok, valid, missing, invalid, policy.describe())


def require(policy: WitnessPolicy, note: str, what: str) -> WitnessCheck:
    check = check_note(policy, note)
    if not check.ok:
        raise check.error(what)
    return check
