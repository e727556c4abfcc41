"""Real keys from fixed seeds, a real certificate and bundle: shared by receipt tests and vectors."""

from __future__ import annotations

from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ikrar_cli.keys.keyfiles import TerminalCertificate, key_id, raw_public
from ikrar_cli.keys.trust import BundlePledge, KeyRevocation, TrustBundle
from ikrar_cli.pledges.templates import PledgeLibrary
from ikrar_cli.receipts.receipt import Claims

AUTHORITY_SEED = bytes(range(32))
TERMINAL_SEED = bytes(range(32, 64))
OTHER_SEED = bytes(range(64, 96))
T0 = 1727740800  # 2024-10-01 00:00:00 UTC


def authority() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(AUTHORITY_SEED)


def terminal(seed: bytes = TERMINAL_SEED) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def certificate(
    term: Ed25519PrivateKey,
    auth: Ed25519PrivateKey,
    *,
    name: str = "apel-halaman-1",
    not_before: int = T0 - 86400,
    not_after: int = T0 + 400 * 86400,
) -> TerminalCertificate:
    pub = raw_public(term)
    unsigned = TerminalCertificate(
        key_id(pub), pub, name, "DINKES", not_before, not_after, key_id(raw_public(auth)), b""
    )
    return replace(unsigned, signature=auth.sign(unsigned.signed_bytes()))


def bundle(
    *certs: TerminalCertificate,
    revocations: dict[bytes, tuple[int, str]] | None = None,
    revoked_receipts: set[bytes] | None = None,
    valid_until: int = 2**40,
) -> TrustBundle:
    auth = authority()
    lib = PledgeLibrary.load()
    return TrustBundle(
        institution_name="BKPSDM Kabupaten Uji",
        institution_code="UJI",
        serial=1,
        issued_at=T0,
        valid_until=valid_until,
        authority_keys={key_id(raw_public(auth)): raw_public(auth)},
        terminals={c.kid: c for c in (certs or (certificate(terminal(), auth),))},
        key_revocations={kid: KeyRevocation(*r) for kid, r in (revocations or {}).items()},
        revoked_receipts=revoked_receipts or set(),
        pledges={p.digest: BundlePledge.from_pledge(p) for p in lib.all()},
        units={"DINKES": "Dinas Kesehatan"},
    )


def claims(**kw: object) -> Claims:
    p = PledgeLibrary.load().get("pilkada-2024")
    base = dict(
        pledge_id=p.id,
        pledge_version=p.version,
        pledge_digest=p.digest,
        officer_id="198609262015051001",
        id_type="nip",
        officer_name="Andi Baso Mappanyukki",
        unit="DINKES",
        session=1,
        issued_at=T0 + 3600,
        zone="Asia/Makassar",
        method="individual",
        ledger_index=0,
    )
    base.update(kw)
    return Claims(**base)  # type: ignore[arg-type]
