"""Writes tests/vectors/sync/increments.json: whole incremental ledger export files
(docs/ledger-export.md, "Incremental exports") and what a centre must answer to each, given the
files it accepted before. Keys come from fixed seeds, so every byte is reproducible; the suite
checks the file is exactly what this script writes. Run: python tests/make_increment_vectors.py"""

from __future__ import annotations

import base64
import functools
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import receipt_helpers as h  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ikrar_cli.keys.keyfiles import key_id, raw_public  # noqa: E402
from ikrar_cli.ledger.checkpoint import sign_checkpoint  # noqa: E402
from ikrar_cli.ledger.merkle import consistency_proof, leaf_hash, root_of  # noqa: E402
from ikrar_cli.pledges.templates import PledgeLibrary  # noqa: E402
from ikrar_cli.receipts.base45 import b45encode  # noqa: E402
from ikrar_cli.receipts.receipt import sign_receipt  # noqa: E402
from ikrar_cli.recitation.sessions import encode_record  # noqa: E402

OUT = Path(__file__).parent / "vectors" / "sync" / "increments.json"
CODE = "UJI"
T1 = h.T0 + 3600  # the session opens; entry i is dated T1 + 60 i


@functools.cache
def _base_claims() -> Any:
    return h.claims()


@functools.cache
def _pledge() -> Any:
    return PledgeLibrary.load().get("pilkada-2024")


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


class Log:
    """One terminal log: entry bytes (a session-open record, then receipts) signed by ``key``."""

    def __init__(self, key: Ed25519PrivateKey, officers: list[str], *, times: list[int] | None = None):
        self.key = key
        self.pub = raw_public(key)
        self.kid = key_id(self.pub)
        self.log = self.kid.hex()
        self.origin = f"ikrar/{CODE}/{self.log}"
        pledge = _pledge()
        times = times or [T1 + 60 * i for i in range(len(officers) + 1)]
        self.entries: list[bytes] = [encode_record({
            "type": "session-open", "session": 1, "terminal": "apel-halaman-1", "pledge": pledge.ref,
            "pledge_digest": "sha256:" + pledge.digest.hex(), "title": "Apel Pagi", "location": "Halaman Kantor",
            "unit": "DINKES", "timezone": "Asia/Makassar", "roster": None, "forced_reason": None, "at": times[0],
            "index": 0,
        })]  # fmt: skip
        for i, nip in enumerate(officers, start=1):
            self.entries.append(self.receipt(i, nip, times[i]))

    def receipt(self, i: int, nip: str, at: int, *, index: int | None = None, key: Ed25519PrivateKey | None = None,
                **kw: Any) -> bytes:  # fmt: skip
        signer = key or self.key
        claims = replace(_base_claims(), ledger_index=i if index is None else index, officer_id=nip,
                         officer_name=None, issued_at=at, **kw)  # fmt: skip
        return sign_receipt(claims, signer.sign, key_id(raw_public(signer))).cose

    def hashes(self) -> list[bytes]:
        return [leaf_hash(e) for e in self.entries]

    def checkpoint(self, size: int, key: Ed25519PrivateKey | None = None) -> str:
        signer = key or self.key
        return sign_checkpoint(self.origin, size, root_of(self.hashes()[:size]), self.origin, signer.sign,
                               raw_public(signer)).note  # fmt: skip

    def file(self, since: int, size: int, *, edit: Callable[[dict[str, Any], list[dict[str, Any]]], None] | None = None,
             proof: list[bytes] | None = None) -> str:  # fmt: skip
        """The export bytes of entries since .. size-1; ``edit`` changes the header and entry objects
        before the end line (count and checksum) is computed over the result."""
        if proof is None:
            proof = consistency_proof(self.hashes(), since, size) if 0 < since < size else []
        head: dict[str, Any] = {
            "format": "ikrar-ledger-increment", "version": 1, "institution_code": CODE, "log": self.log,
            "origin": self.origin, "key_name": self.origin, "public_key": base64.b64encode(self.pub).decode(),
            "since": since, "size": size, "checkpoint": self.checkpoint(size),
            "consistency": [base64.b64encode(x).decode() for x in proof],
        }  # fmt: skip
        lines: list[dict[str, Any]] = []
        for i in range(since, size):
            e = self.entries[i]
            if e.startswith(b"ikrar-session/1\n"):
                lines.append({"i": i, "record": e.decode()})
            else:
                lines.append({"i": i, "receipt": "IKR1:" + b45encode(e)})
        if edit:
            edit(head, lines)
        return seal([_line(head)] + [_line(x) for x in lines])


def seal(lines: list[str], entries: int | None = None) -> str:
    """Lines before the end line, then the end line with their count and checksum."""
    import hashlib

    body = "".join(lines)
    n = len(lines) - 1 if entries is None else entries
    return body + _line({"end": True, "entries": n, "sha256": hashlib.sha256(body.encode()).hexdigest()})


NIPS = [f"1986092620150510{n:02d}" for n in range(1, 13)]
FORK_NIPS = NIPS[:2] + [f"1990010120200120{n:02d}" for n in range(1, 11)]


def build() -> dict[str, Any]:  # noqa: PLR0915 - one list of cases
    auth, term, other = h.authority(), h.terminal(), h.terminal(h.OTHER_SEED)
    cert = h.certificate(term, auth)
    pledge = _pledge()
    a = Log(term, NIPS[:8])  # the terminal's log: 9 entries
    b = Log(term, FORK_NIPS[:8])  # the same key signing another history from entry 3 on (a fork)
    stranger = Log(other, NIPS[:2])  # a key the trust bundle does not certify
    f0 = a.file(0, 5)  # the first push: the session record and 4 receipts
    f1 = a.file(5, 9)
    cases: list[dict[str, Any]] = []

    def ok(name: str, what: str, before: list[str], file: str, size: int, added: int, known: int) -> None:
        cases.append({"name": name, "description": what, "accepted_before": before, "file": file,
                      "expect": {"accepted": True, "size": size, "added": added, "already_merged": known}})  # fmt: skip

    def bad(name: str, what: str, before: list[str], file: str, reason: str, **extra: Any) -> None:
        cases.append({"name": name, "description": what, "accepted_before": before, "file": file,
                      "expect": {"accepted": False, "reason": reason, **extra}})  # fmt: skip

    # ---- accepted
    ok("first_push", "a log the centre has never seen, from 0", [], f0, 5, 4, 0)
    ok("continue", "the next records, with a consistency proof from 5 to 9", [f0], f1, 9, 4, 0)
    ok("same_file_again", "a retry of a file already merged adds nothing", [f0], f0, 5, 0, 5)
    ok("overlap_already_known", "starts at 3 while the centre holds 5: entries 3 and 4 are known and identical",
       [f0], a.file(3, 9), 9, 4, 2)  # fmt: skip
    ok("whole_log_again", "from 0 to 9 while the centre holds 5", [f0], a.file(0, 9), 9, 4, 5)
    ok("nothing_new", "since = size: no entries, no proof", [f0], a.file(5, 5), 5, 0, 0)
    ok("chain_of_three", "0..3, then 3..5, then 5..9", [a.file(0, 3), a.file(3, 5)], f1, 9, 4, 0)

    # ---- refused: continuity with what the centre holds
    bad("behind", "starts at 5 while the centre holds nothing: resend from 0", [], f1, "behind", centre_size=0)
    bad("behind_gap", "starts at 7 while the centre holds 5", [f0], a.file(7, 9), "behind", centre_size=5)
    wrong = a.file(5, 9, proof=list(reversed(consistency_proof(a.hashes(), 5, 9))))
    bad("bad_consistency_proof", "the proof's hashes are in the wrong order", [f0], wrong, "fork")
    bad("consistency_proof_from_another_base",
        "a history that differs from entry 3 on: the centre's root at 5 does not lead to the checkpoint", [f0],
        b.file(5, 9), "fork")  # fmt: skip
    bad("known_entry_differs", "starts at 3 (the centre's tree at 3 is the same, so the proof holds), but entries "
        "3 and 4 differ from the ones the centre holds", [f0], b.file(3, 9), "fork")  # fmt: skip
    bad("checkpoint_differs_from_stored", "a signed checkpoint of size 5 with another root than the stored one",
        [f0], b.file(0, 5), "fork")  # fmt: skip
    bad("proof_not_needed", "since = 0 with a non-empty consistency proof", [],
        a.file(0, 5, proof=consistency_proof(a.hashes(), 3, 5)), "bad_proof")  # fmt: skip

    # ---- refused: the entries
    def drop_2(_h: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        del lines[2]

    bad("gap", "entry line 2 is missing (count and checksum recomputed)", [], a.file(0, 5, edit=drop_2), "gap")

    def swap(_h: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        lines[1]["receipt"], lines[2]["receipt"] = lines[2]["receipt"], lines[1]["receipt"]
        lines[1]["i"], lines[2]["i"] = 1, 2

    bad("reordered", "receipts 1 and 2 swapped (each still names its own index)", [], a.file(0, 5, edit=swap),
        "reordered")  # fmt: skip

    def other_receipt(_h: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        lines[3]["receipt"] = "IKR1:" + b45encode(a.receipt(3, NIPS[11], T1 + 180))

    bad("root_mismatch", "entry 3 replaced by another receipt the terminal key signed for index 3", [],
        a.file(0, 5, edit=other_receipt), "root_mismatch")  # fmt: skip

    def foreign(_h: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        lines[3]["receipt"] = "IKR1:" + b45encode(a.receipt(3, NIPS[3], T1 + 180, key=other))

    bad("wrong_key", "entry 3 is a receipt signed by another key", [], a.file(0, 5, edit=foreign), "wrong_key")

    def forged(_h: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        good = a.receipt(3, NIPS[3], T1 + 180)
        lines[3]["receipt"] = "IKR1:" + b45encode(good[:-1] + bytes([good[-1] ^ 1]))

    bad("bad_signature", "entry 3's signature has one bit flipped", [], a.file(0, 5, edit=forged), "bad_signature")
    early = Log(term, NIPS[:4], times=[T1, T1 + 60, T1 + 120, T1 - 600, T1 + 240])
    bad("time_backwards", "entry 3 is dated 10 minutes before entry 2 (more than 300 s back)", [],
        early.file(0, 5), "time_backwards")  # fmt: skip
    late = Log(term, NIPS[:4], times=[T1, T1 + 60, T1 + 120, h.T0 + 500 * 86400, h.T0 + 500 * 86400])
    bad("certificate_not_valid", "receipts 3 and 4 are dated after the certificate's not_after", [], late.file(0, 5),
        "certificate_not_valid")  # fmt: skip

    # ---- refused: the header
    bad("unknown_key", "a log of a key the trust bundle does not certify", [], stranger.file(0, 3), "unknown_key")

    def other_public_key(hd: dict[str, Any], _l: list[dict[str, Any]]) -> None:
        hd["public_key"] = base64.b64encode(raw_public(other)).decode()

    bad("key_not_the_log", "public_key is not the key whose id is the log", [], a.file(0, 5, edit=other_public_key),
        "wrong_key")  # fmt: skip

    def cp_by_other(hd: dict[str, Any], _l: list[dict[str, Any]]) -> None:
        hd["checkpoint"] = a.checkpoint(5, key=other)

    bad("checkpoint_signed_by_another_key", "the checkpoint note is signed by another key", [],
        a.file(0, 5, edit=cp_by_other), "bad_checkpoint_signature")  # fmt: skip

    def cp_size(hd: dict[str, Any], _l: list[dict[str, Any]]) -> None:
        hd["checkpoint"] = a.checkpoint(4)

    bad("checkpoint_of_another_size", "the checkpoint is of size 4, the header says 5", [],
        a.file(0, 5, edit=cp_size), "bad_checkpoint_signature")  # fmt: skip

    def institution(hd: dict[str, Any], _l: list[dict[str, Any]]) -> None:
        hd["institution_code"] = "LAIN"

    bad("another_institution", "institution_code is not the trust bundle's", [], a.file(0, 5, edit=institution),
        "malformed")  # fmt: skip

    # ---- refused: the bytes
    good = f0.splitlines(keepends=True)
    bad(
        "checksum",
        "the end line's sha256 is not the checksum of the lines before it",
        [],
        "".join(good[:-1]) + _line({"end": True, "entries": 5, "sha256": "0" * 64}),
        "malformed",
    )
    shuffled = json.loads(good[0])
    bad("not_canonical", "the header's keys not in sorted order (end line recomputed)", [],
        seal([json.dumps(dict(reversed(list(shuffled.items()))), separators=(",", ":"), ensure_ascii=False) + "\n"]
             + good[1:-1]), "malformed")  # fmt: skip
    bad("end_count", "the end line counts 4 entries for 5 lines", [], seal(good[:-1], entries=4), "malformed")
    bad("truncated", "the end line is missing", [], "".join(good[:-1]), "malformed")
    bad("data_after_end", "a line after the end line", [], f0 + good[1], "malformed")
    bad(
        "extra_field",
        "an entry line with a field more (end line recomputed)",
        [],
        seal(good[:2] + [_line({**json.loads(good[2]), "x": 0})] + good[3:-1]),
        "malformed",
    )
    return {
        "description": "Whole incremental ledger export files (docs/ledger-export.md, 'Incremental exports') and "
        "the centre's answer to each. For every case a fresh centre first accepts the files in accepted_before, "
        "in order (each must be accepted), then is given file. Entry bytes are receipts (docs/receipt-format.md) "
        "and session records (docs/ledger.md). Keys are Ed25519 from the given seeds.",
        "institution_code": CODE,
        "trust": {
            "authority": {
                "seed_hex": h.AUTHORITY_SEED.hex(),
                "public_key_b64": base64.b64encode(raw_public(auth)).decode(),
            },
            "terminals": [
                {
                    "kid_hex": cert.kid.hex(),
                    "public_key_b64": base64.b64encode(cert.public_key).decode(),
                    "name": cert.name,
                    "not_before": cert.not_before,
                    "not_after": cert.not_after,
                    "seed_hex": h.TERMINAL_SEED.hex(),
                }
            ],
            "pledges": [{"ref": pledge.ref, "digest": "sha256:" + pledge.digest.hex()}],
            "uncertified_seed_hex": h.OTHER_SEED.hex(),
        },  # fmt: skip
        "cases": cases,
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
