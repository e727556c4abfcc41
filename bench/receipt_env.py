"""Real signed receipts, certificate and a signed trust bundle file for the benchmarks."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.keys.keyfiles import TerminalCertificate, fingerprint, key_id, raw_public
from ikrar_cli.keys.trust import BundlePledge, TrustBundle, signed_bundle_file
from ikrar_cli.pledges.templates import PledgeLibrary
from ikrar_cli.receipts.receipt import Claims, Receipt, sign_receipt


@dataclass
class Env:
    dir: Path
    receipts: list[Receipt]
    public_key: bytes
    bundle_file: Path = field(default=Path())
    fingerprint: str = ""

    @property
    def text_lines(self) -> str:
        return "\n".join(r.text for r in self.receipts) + "\n"


def make(n: int, bundle: bool = True) -> Env:
    d = Path(tempfile.mkdtemp(prefix="ikrar-bench-"))
    auth, term = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    pub = raw_public(term)
    p = PledgeLibrary.load().get("pilkada-2024")
    receipts = [
        sign_receipt(
            Claims(
                p.id,
                p.version,
                p.digest,
                f"1986092620150{i:05d}",
                "nip",
                "Andi Baso Mappanyukki",
                "DINKES",
                1,
                1727740800 + i,
                "Asia/Makassar",
                "collective",
                i,
            ),
            term.sign,
            key_id(pub),
        )
        for i in range(n)
    ]
    env = Env(d, receipts, pub)
    if bundle:
        unsigned = TerminalCertificate(key_id(pub), pub, "t", None, 0, 2**40, key_id(raw_public(auth)), b"")
        cert = replace(unsigned, signature=auth.sign(unsigned.signed_bytes()))
        lib = PledgeLibrary.load()
        b = TrustBundle(
            "B",
            "B",
            1,
            0,
            2**40,
            {key_id(raw_public(auth)): raw_public(auth)},
            {cert.kid: cert},
            {},
            set(),
            {x.digest: BundlePledge.from_pledge(x) for x in lib.all()},
            {},
        )
        env.bundle_file = d / "bundle.json"
        env.bundle_file.write_bytes(signed_bundle_file(b, auth.sign, key_id(raw_public(auth))))
        env.fingerprint = fingerprint(raw_public(auth))
        json.loads(env.bundle_file.read_text())
    return env
