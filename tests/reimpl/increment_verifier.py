"""An independent verifier of incremental ledger exports, written from the documents alone
(docs/ledger-export.md "Incremental exports", docs/ledger.md, docs/receipt-format.md), to check
that they say enough for an outsider. It imports nothing from ikrar: hashlib, json, base64 and
`cryptography` for Ed25519 only.

What it checks of a receipt entry is what the ledger documents require of it in a log: strict
Base45, the COSE_Sign1 structure, the signer is the log's key, the index, the Ed25519 signature,
the certificate window, a known pledge, the session rules and time. The byte-level
canonical-encoding rules of receipt strings (docs/receipt-format.md §4) have their own vectors
(tests/vectors/receipts.json) and are not repeated here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEADER = {"format", "version", "institution_code", "log", "origin", "key_name", "public_key", "since", "size",
          "checkpoint", "consistency"}  # fmt: skip
END = {"end", "entries", "sha256"}
RECORD_PREFIX = b"ikrar-session/1\n"
OPEN_FIELDS = {"type": str, "session": int, "terminal": str, "pledge": str, "pledge_digest": str, "title": str,
               "location": str, "unit": (str, type(None)), "timezone": str, "roster": (str, type(None)),
               "forced_reason": (str, type(None)), "at": int, "index": int}  # fmt: skip
CLOSE_FIELDS = {"type": str, "session": int, "at": int, "index": int}
TOLERANCE = 300


class Refused(Exception):
    def __init__(self, reason: str, centre_size: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.centre_size = centre_size


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# ------------------------------------------------------------------ RFC 6962 / 9162 Merkle tree
def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 Merkle Tree Hash of a list of leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not proof and first_hash == second_hash
    if not 0 < first < second or not proof:
        return False
    if first & (first - 1) == 0:  # a power of two: the first tree is itself a node of the path
        proof = [first_hash, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


# ------------------------------------------------------------------ C2SP signed note checkpoint
def verify_checkpoint(note: str, key_name: str, public_key: bytes) -> tuple[str, int, bytes]:
    body, sep, sigs = note.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) != 3:
        raise Refused("bad_checkpoint_signature")
    key_hash = hashlib.sha256(key_name.encode() + b"\n\x01" + public_key).digest()[:4]
    for line in sigs.split("\n"):
        if not line.startswith("\u2014 " + key_name + " "):
            continue
        try:
            raw = base64.b64decode(line.rsplit(" ", 1)[1], validate=True)
        except binascii.Error:
            continue
        if raw[:4] != key_hash:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], (body + "\n").encode())
        except InvalidSignature:
            continue
        if not lines[1].isdigit():
            break
        try:
            return lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
        except binascii.Error:
            break
    raise Refused("bad_checkpoint_signature")


# ------------------------------------------------------------------ receipts (docs/receipt-format.md)
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def b45decode(text: str) -> bytes:
    vals = [B45.index(c) if c in B45 else -1 for c in text]
    if -1 in vals or len(vals) % 3 == 1:
        raise Refused("bad_entry")
    out = bytearray()
    for i in range(0, len(vals), 3):
        chunk = vals[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            if n > 0xFFFF:
                raise Refused("bad_entry")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise Refused("bad_entry")
            out.append(n)
    return bytes(out)


def cbor(data: bytes, pos: int = 0) -> tuple[Any, int]:
    """Just enough CBOR for a receipt: unsigned/negative ints, byte and text strings, arrays, maps."""
    if pos >= len(data):
        raise Refused("bad_entry")
    major, info = data[pos] >> 5, data[pos] & 31
    pos += 1
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        n = 1 << (info - 24)
        arg = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    else:
        raise Refused("bad_entry")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        raw = data[pos : pos + arg]
        if len(raw) != arg:
            raise Refused("bad_entry")
        if major == 2:
            return raw, pos + arg
        try:
            return raw.decode(), pos + arg
        except UnicodeDecodeError:
            raise Refused("bad_entry") from None
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = cbor(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        m = {}
        for _ in range(arg):
            k, pos = cbor(data, pos)
            v, pos = cbor(data, pos)
            m.setdefault(k, v)
        return m, pos
    raise Refused("bad_entry")


def cbor_bstr(b: bytes) -> bytes:
    return _head(2, len(b)) + b


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return _head(4, 4) + _head(3, 10) + b"Signature1" + cbor_bstr(protected) + cbor_bstr(b"") + cbor_bstr(payload)


@dataclass
class Receipt:
    cose: bytes
    kid: bytes
    claims: dict[int, Any]
    protected: bytes
    payload: bytes
    signature: bytes


def decode_receipt(text: str) -> Receipt:
    if not text.startswith("IKR1:"):
        raise Refused("bad_entry")
    cose = b45decode(text[5:])
    arr, end = cbor(cose)
    if end != len(cose) or not isinstance(arr, list) or len(arr) != 4:
        raise Refused("bad_entry")
    protected, unprotected, payload, signature = arr
    if not (isinstance(protected, bytes) and unprotected == {} and isinstance(payload, bytes)
            and isinstance(signature, bytes) and len(signature) == 64):  # fmt: skip
        raise Refused("bad_entry")
    prot, _ = cbor(protected)
    if (
        not isinstance(prot, dict)
        or set(prot) != {1, 4}
        or prot[1] not in (-19, -8)
        or not isinstance(prot[4], bytes)
        or len(prot[4]) != 8
    ):
        raise Refused("bad_entry")
    claims, _ = cbor(payload)
    if not isinstance(claims, dict) or claims.get(1) != 1:
        raise Refused("bad_entry")
    for k, kind in ((2, str), (3, int), (4, bytes), (9, int), (10, int), (13, int)):
        if not isinstance(claims.get(k), kind):
            raise Refused("bad_entry")
    return Receipt(cose, prot[4], claims, protected, payload, signature)


# ------------------------------------------------------------------ the trust the centre verifies with
@dataclass
class Terminal:
    public_key: bytes
    name: str
    not_before: int
    not_after: int


@dataclass
class Trust:
    institution_code: str
    terminals: dict[str, Terminal]  # kid hex -> certificate
    pledges: dict[str, str]  # "id@version" -> "sha256:<hex>"


@dataclass
class Checker:
    """The per-entry checks of a log (docs/ledger.md: session records, time only moves forward)."""

    trust: Trust
    log: str
    public_key: bytes
    terminal: str
    last_time: int | None = None
    sessions: dict[int, dict[str, Any]] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)

    def time(self, at: int) -> None:
        if self.last_time is not None and at < self.last_time - TOLERANCE:
            raise Refused("time_backwards")
        self.last_time = at if self.last_time is None else max(self.last_time, at)

    def record(self, idx: int, data: bytes) -> None:
        try:
            rec = json.loads(data[len(RECORD_PREFIX) :].decode())
        except ValueError:
            raise Refused("bad_session_record") from None
        if not isinstance(rec, dict) or RECORD_PREFIX + canonical(rec) != data:
            raise Refused("bad_session_record")
        kinds = {"session-open": OPEN_FIELDS, "session-close": CLOSE_FIELDS}
        spec = kinds.get(rec.get("type"))  # type: ignore[arg-type]
        if spec is None or set(rec) != set(spec):
            raise Refused("bad_session_record")
        for k, kind in spec.items():
            if not isinstance(rec[k], kind) or isinstance(rec[k], bool):  # type: ignore[arg-type]
                raise Refused("bad_session_record")
        if rec["index"] != idx:
            raise Refused("reordered")
        self.time(rec["at"])
        n = rec["session"]
        if rec["type"] == "session-open":
            if n in self.sessions or rec["terminal"] != self.terminal:
                raise Refused("bad_session_record")
            if self.trust.pledges.get(rec["pledge"]) != rec["pledge_digest"]:
                raise Refused("unknown_pledge")
            self.sessions[n] = rec
        else:
            if n not in self.sessions or n in self.closed:
                raise Refused("bad_session_record")
            self.closed.add(n)

    def receipt(self, idx: int, r: Receipt) -> None:
        c = r.claims
        if r.kid.hex() != self.log:
            raise Refused("wrong_key")
        if c.get(13) != idx:
            raise Refused("reordered")
        cert = self.trust.terminals.get(r.kid.hex())
        if cert is None:
            raise Refused("unknown_key")
        try:
            key = Ed25519PublicKey.from_public_bytes(cert.public_key)
            key.verify(r.signature, sig_structure(r.protected, r.payload))
        except InvalidSignature:
            raise Refused("bad_signature") from None
        if not cert.not_before <= c[10] <= cert.not_after:
            raise Refused("certificate_not_valid")
        ref = f"{c[2]}@{c[3]}"
        digest = self.trust.pledges.get(ref)
        if digest is None or not bytes.fromhex(digest[7:]).startswith(c[4]):
            raise Refused("unknown_pledge")
        self.time(c[10])
        s = self.sessions.get(c[9])
        if s is not None and (c[9] in self.closed or s["pledge"] != ref):
            raise Refused("bad_session_record")

    def entry(self, idx: int, data: bytes) -> None:
        if data.startswith(RECORD_PREFIX):
            self.record(idx, data)
        else:
            self.receipt(idx, decode_receipt("IKR1:" + b45encode_check(data)))


def b45encode_check(data: bytes) -> str:
    """Base45 of entry bytes the centre already holds (replaying its state)."""
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += [B45[n % 45], B45[n // 45 % 45], B45[n // 2025]]
    if len(data) % 2:
        out += [B45[data[-1] % 45], B45[data[-1] // 45]]
    return "".join(out)


# ------------------------------------------------------------------ the centre
@dataclass
class Log:
    origin: str
    public_key: bytes
    entries: list[bytes] = field(default_factory=list)
    checkpoints: dict[int, bytes] = field(default_factory=dict)


@dataclass
class Centre:
    trust: Trust
    logs: dict[str, Log] = field(default_factory=dict)

    def merge(self, data: bytes) -> dict[str, Any]:
        """Merge one incremental export, all or nothing: the answer, or Refused(reason)."""
        lines = data.split(b"\n")
        if lines[-1] != b"":
            raise Refused("malformed")  # every line ends with LF, the end line included
        lines = lines[:-1]
        pos = 0
        digest = hashlib.sha256()

        def next_line() -> dict[str, Any]:
            nonlocal pos
            if pos >= len(lines):
                raise Refused("malformed")  # truncated
            raw = lines[pos]
            pos += 1
            try:
                obj = json.loads(raw)
            except ValueError:
                raise Refused("malformed") from None
            if not isinstance(obj, dict) or canonical(obj) != raw:
                raise Refused("malformed")
            if "end" not in obj:
                digest.update(raw + b"\n")
            return obj

        h = next_line()
        if h.get("format") != "ikrar-ledger-increment" or h.get("version") != 1 or set(h) != HEADER:
            raise Refused("malformed")
        types = {"log": str, "origin": str, "key_name": str, "institution_code": str, "since": int, "size": int,
                 "checkpoint": str, "public_key": str, "consistency": list}  # fmt: skip
        for k, t in types.items():
            if not isinstance(h[k], t) or isinstance(h[k], bool):
                raise Refused("malformed")
        proof = []
        for p in h["consistency"]:
            try:
                raw = base64.b64decode(p, validate=True) if isinstance(p, str) else b""
            except binascii.Error:
                raw = b""
            if len(raw) != 32 or base64.b64encode(raw).decode() != p:
                raise Refused("malformed")
            proof.append(raw)
        try:
            pub = base64.b64decode(h["public_key"], validate=True)
        except binascii.Error:
            raise Refused("malformed") from None
        if base64.b64encode(pub).decode() != h["public_key"]:
            raise Refused("malformed")
        n, m, log = h["since"], h["size"], h["log"]
        if not 0 <= n <= m or h["institution_code"] != self.trust.institution_code:
            raise Refused("malformed")
        if len(pub) != 32 or hashlib.sha256(pub).digest()[:8].hex() != log:
            raise Refused("wrong_key")
        cert = self.trust.terminals.get(log)
        if cert is None:
            raise Refused("unknown_key")
        origin, cp_size, cp_root = verify_checkpoint(h["checkpoint"], h["key_name"], pub)
        if origin != h["origin"] or cp_size != m:
            raise Refused("bad_checkpoint_signature")
        # continuity with what the centre holds
        held = self.logs.get(log)
        if held is not None and (held.origin != origin or held.public_key != pub):
            raise Refused("fork")
        stored = held.entries if held else []
        s = len(stored)
        if n > s:
            raise Refused("behind", centre_size=s)
        if held is not None and m in held.checkpoints and held.checkpoints[m] != cp_root:
            raise Refused("fork")
        stored_leaves = [leaf(e) for e in stored]
        old_root = mth(stored_leaves[:n])
        if n in (0, m) and proof:
            raise Refused("bad_proof")
        if 0 < n < m and not verify_consistency(n, m, old_root, cp_root, proof):
            raise Refused("fork")
        if 0 < n == m and old_root != cp_root:
            raise Refused("fork")
        checker = Checker(self.trust, log, pub, cert.name)
        for i, e in enumerate(stored[:n]):
            checker.entry(i, e)
        leaves = stored_leaves[:n]
        new: list[bytes] = []
        added = 0
        for idx in range(n, m):
            e = next_line()
            if e.get("i") != idx:
                raise Refused("gap")
            if set(e) not in ({"i", "record"}, {"i", "receipt"}):
                raise Refused("malformed")
            if "record" in e:
                if not isinstance(e["record"], str) or not e["record"].encode().startswith(RECORD_PREFIX):
                    raise Refused("bad_entry" if isinstance(e["record"], str) else "malformed")
                entry = e["record"].encode()
                checker.record(idx, entry)
            else:
                if not isinstance(e["receipt"], str):
                    raise Refused("malformed")
                r = decode_receipt(e["receipt"])
                entry = r.cose
                checker.receipt(idx, r)
            leaves.append(leaf(entry))
            if idx < s:
                if stored[idx] != entry:
                    raise Refused("fork")
                continue
            new.append(entry)
            added += "receipt" in e
        if mth(leaves) != cp_root:
            raise Refused("root_mismatch")
        end = next_line()
        if end.get("end") is not True or set(end) != END or end["entries"] != m - n:
            raise Refused("malformed")
        if end["sha256"] != digest.hexdigest() or pos != len(lines):
            raise Refused("malformed")
        # accepted: store
        if held is None:
            held = self.logs[log] = Log(origin, pub)
        held.entries.extend(new)
        held.checkpoints[m] = cp_root
        return {"accepted": True, "size": max(m, s), "added": added, "already_merged": max(0, min(m, s) - n)}
