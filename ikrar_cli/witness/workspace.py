"""A witness's own folder: its key, the logs it follows, and what it last cosigned per origin.

Files (all written atomically, mode 0600): ``witness.json`` (name, public key), ``witness.key``
(the Ed25519 key, encrypted like every ikrar key and never overwritten), ``logs.json`` (the logs
followed: origin -> key name and public key, and the trust bundle they came from), ``state.json``
(origin -> size, root, checkpoint, time of the last cosignature) and ``evidence/`` (log-signed
requests that were refused as a rewrite). Checking a request against ``state.json`` and recording
the new state happen under an exclusive lock on ``state.lock`` (tlog-witness: atomically).
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConflictError, IkrarError, InputError, NotFoundError, StorageError, TrustError
from ..fsutil import atomic_write_text, confined_path, read_input_bytes
from ..i18n import _
from .cosignature import Cosigner, check_name, note_body, sign_cosignature
from .protocol import AddCheckpoint, LogKey, Recorded, decide

FORMAT = "ikrar-witness/1"
LOGS_FORMAT = "ikrar-witness-logs/1"
STATE_FORMAT = "ikrar-witness-state/1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Followed:
    origin: str
    key_name: str
    public_key: bytes
    source: str


class WitnessWorkspace:
    """An initialised witness folder; open with :meth:`open`, create with :meth:`init`."""

    def __init__(self, root: Path, name: str, public_key: bytes):
        self.root = root
        self.name = name
        self.public_key = public_key

    # ---- files ------------------------------------------------------------------------

    @property
    def key_path(self) -> Path:
        return self.root / "witness.key"

    @property
    def cosigner(self) -> Cosigner:
        return Cosigner(self.name, self.public_key)

    @staticmethod
    def exists(root: Path) -> bool:
        return (root / "witness.json").is_file()

    @classmethod
    def init(cls, root: Path, name: str, passphrase: bytes) -> WitnessWorkspace:
        """Create the folder, a new key (never overwriting one) and an empty state."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from ..keys.keyfiles import raw_public, write_key_file

        check_name(name)
        if cls.exists(root) or (root / "witness.key").exists():
            raise ConflictError(
                _("A witness already exists at {path}", path=root),
                _("use it as it is ('ikrar witness show'), or choose another folder with --dir"),
            )
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                _("Cannot create the witness folder {path}: {reason}", path=root, reason=exc.strerror),
                _("choose a folder you can write to with --dir"),
            ) from exc
        key = Ed25519PrivateKey.generate()
        try:
            write_key_file(root / "witness.key", key, passphrase, role="witness", name=name, unit=None, context=(name,))
        except FileExistsError as exc:
            raise ConflictError(
                _("Key file {path} already exists and is never overwritten", path=root / "witness.key"),
                _("move the old key file away if it is no longer needed, or choose another name"),
            ) from exc
        pub = raw_public(key)
        doc = {"format": FORMAT, "name": name, "public_key": _b64(pub), "created_at": int(time.time())}
        atomic_write_text(root / "logs.json", json.dumps({"format": LOGS_FORMAT, "logs": {}, "bundle": None}) + "\n")
        atomic_write_text(root / "state.json", json.dumps({"format": STATE_FORMAT, "logs": {}}) + "\n")
        atomic_write_text(root / "witness.json", json.dumps(doc, indent=2) + "\n")
        return cls(root, name, pub)

    @classmethod
    def open(cls, root: Path) -> WitnessWorkspace:
        if not cls.exists(root):
            raise NotFoundError(
                _("No witness at {path}", path=root),
                _("run 'ikrar witness init --name NAME' first, or point --dir at the witness folder"),
            )
        doc = _read_json(root / "witness.json", FORMAT)
        try:
            pub = base64.b64decode(doc["public_key"], validate=True)
            return cls(root, check_name(str(doc["name"])), pub)
        except (KeyError, ValueError) as exc:
            raise _damaged(root / "witness.json") from exc

    def load_signer(self, passphrase: bytes) -> Any:
        """The unlocked private key (an Ed25519PrivateKey); its public key must be the witness's."""
        from ..keys.keyfiles import load_private_key, raw_public

        key = load_private_key(self.key_path, passphrase)
        if raw_public(key) != self.public_key:
            raise _damaged(self.key_path)
        return key

    # ---- logs followed ----------------------------------------------------------------

    def _logs_doc(self) -> dict[str, Any]:
        return _read_json(self.root / "logs.json", LOGS_FORMAT)

    def followed(self) -> list[Followed]:
        doc = self._logs_doc()
        try:
            return [
                Followed(origin, v["key_name"], base64.b64decode(v["public_key"]), v["source"])
                for origin, v in sorted(doc["logs"].items())
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise _damaged(self.root / "logs.json") from exc

    def keys_for(self, origin: str) -> list[LogKey]:
        return [LogKey(f.origin, f.key_name, f.public_key) for f in self.followed() if f.origin == origin]

    def follow_bundle(self, path: Path, fingerprint: str | None) -> list[Followed]:
        """Follow every terminal log of a trust bundle signed by the pinned (or given) authority."""
        from ..keys.keyfiles import normalise_fingerprint
        from ..keys.trust import load_bundle_file
        from ..recitation.attest import log_origin

        doc = self._logs_doc()
        pinned = (doc.get("bundle") or {}).get("fingerprint")
        if fingerprint and pinned and normalise_fingerprint(fingerprint) != pinned:
            raise TrustError(
                _("This witness follows the authority {fp}; {path} names another", fp=pinned, path=path),
                _("set up a separate witness folder (--dir) for another institution"),
            )
        pin = normalise_fingerprint(fingerprint) if fingerprint else pinned
        if not pin:
            raise TrustError(
                _("No authority fingerprint to check {path} against", path=path),
                _("add --fingerprint SHA256:… as given by the authority"),
            )
        bundle = load_bundle_file(path, [pin])
        old_serial = (doc.get("bundle") or {}).get("serial", 0)
        if bundle.serial < old_serial:
            raise TrustError(
                _(
                    "{path}: trust bundle serial {serial} is older than serial {old}, "
                    "which this witness already follows",
                    path=path,
                    serial=bundle.serial,
                    old=old_serial,
                ),
                _("use the latest bundle from the authority"),
                code="older_bundle",
            )
        added = []
        for kid, cert in sorted(bundle.terminals.items()):
            origin = log_origin(bundle.institution_code, kid)
            entry = {"key_name": origin, "public_key": _b64(cert.public_key), "source": f"bundle#{bundle.serial}"}
            if doc["logs"].get(origin, {}).get("public_key") != entry["public_key"]:
                added.append(Followed(origin, origin, cert.public_key, entry["source"]))
            doc["logs"][origin] = entry
        doc["bundle"] = {"fingerprint": pin, "serial": bundle.serial, "institution": bundle.institution_code}
        atomic_write_text(self.root / "logs.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return added

    def follow_vkey(self, vkey: str) -> Followed:
        """Follow one log given the vkey of its checkpoint key (signature type 0x01); the origin is its name."""
        from .cosignature import parse_vkey

        log = parse_vkey(vkey, sig_type=0x01)
        doc = self._logs_doc()
        doc["logs"][log.name] = {"key_name": log.name, "public_key": _b64(log.public_key), "source": "vkey"}
        atomic_write_text(self.root / "logs.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return Followed(log.name, log.name, log.public_key, "vkey")

    # ---- state ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        from ..platform_guard import lock_exclusive

        try:
            fh = open(self.root / "state.lock", "a+", encoding="utf-8")  # noqa: SIM115 - held for the block
        except OSError as exc:
            raise StorageError(
                _("Cannot lock {path}: {reason}", path=self.root / "state.lock", reason=exc.strerror),
                _("check the witness folder's permissions"),
            ) from exc
        with fh:
            lock_exclusive(fh)
            yield

    def state(self) -> dict[str, dict[str, Any]]:
        doc = _read_json(self.root / "state.json", STATE_FORMAT)
        logs = doc.get("logs")
        if not isinstance(logs, dict):
            raise _damaged(self.root / "state.json")
        return logs

    def recorded(self, origin: str) -> Recorded | None:
        entry = self.state().get(origin)
        if entry is None:
            return None
        try:
            return Recorded(int(entry["size"]), base64.b64decode(entry["root"], validate=True))
        except (KeyError, TypeError, ValueError) as exc:
            raise _damaged(self.root / "state.json") from exc

    def add_checkpoint(self, req: AddCheckpoint, signer: Any, *, timestamp: int | None = None) -> str:
        """tlog-witness add-checkpoint: check, record and cosign as one step; the cosignature line.

        A refusal raises the ``IkrarError`` of ``protocol.decide`` (its ``code`` gives the HTTP
        status); a refused rewrite signed by the log is kept in ``evidence/``."""
        from ..errors import InputError as _Input
        from ..ledger.checkpoint import parse_checkpoint

        try:
            origin = parse_checkpoint(req.note)[0].origin
        except IkrarError as exc:
            raise _Input(exc.message, exc.hint, code="bad_request") from exc
        keys = self.keys_for(origin)
        with self._locked():
            recorded = self.recorded(origin)
            try:
                cp = decide(req, keys, recorded)
            except IkrarError as exc:
                if exc.code in ("fork", "inconsistent"):
                    self._keep_evidence(origin, req, exc)
                raise
            state = _read_json(self.root / "state.json", STATE_FORMAT)
            if timestamp is None:  # the clock; never earlier than this log's previous cosignature
                previous = state["logs"].get(origin, {}).get("cosigned_at", 0)
                when = max(int(time.time()), previous if isinstance(previous, int) else 0)
            else:
                when = timestamp
            line = sign_cosignature(self.name, self.public_key, signer.sign, note_body(req.note), when)
            state["logs"][origin] = {
                "size": cp.size,
                "root": _b64(cp.root),
                "checkpoint": req.note,
                "cosigned_at": when,
            }
            atomic_write_text(self.root / "state.json", json.dumps(state, indent=2, sort_keys=True) + "\n")
        return line

    def _keep_evidence(self, origin: str, req: AddCheckpoint, exc: IkrarError) -> None:
        folder = self.root / "evidence"
        folder.mkdir(mode=0o700, exist_ok=True)
        import hashlib

        from .protocol import format_request

        body = format_request(req.old_size, req.proof, req.note)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        name = f"{origin.replace('/', '_')}-{stamp}-{exc.code}-{hashlib.sha256(body).hexdigest()[:12]}"
        path = confined_path(folder, name, ".txt")
        text = f"# {exc.message}\n" + body.decode()
        with contextlib.suppress(StorageError):
            atomic_write_text(path, text)


def _damaged(path: Path) -> StorageError:
    return StorageError(
        _("{path} is damaged or not a witness file", path=path), _("restore the witness folder from a backup")
    )


def _read_json(path: Path, fmt: str) -> dict[str, Any]:
    try:
        doc = json.loads(read_input_bytes(path, limit=50_000_000))
    except InputError as exc:
        raise StorageError(exc.message, _("restore the witness folder from a backup")) from exc
    except ValueError as exc:
        raise _damaged(path) from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise _damaged(path)
    return doc
