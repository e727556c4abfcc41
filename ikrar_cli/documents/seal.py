"""Sealed PDFs: a PAdES signature with the institution's certificate (pyHanko, imported lazily).

An institution's e-seal certificate issued as PKCS#12 (``.p12`` / ``.pfx``) is used as it is.
Any PDF reader then shows who sealed the document and whether it changed since. Whether the
seal carries legal weight depends on the certificate, not on ikrar: see docs/documents.md.
"""

from __future__ import annotations

import io
from typing import IO, TYPE_CHECKING, Any

from ..errors import InputError, KeyAccessError, StorageError
from ..i18n import _

if TYPE_CHECKING:
    from .pdfbase import Seal

FIELD = "SegelInstansi"


def needs_passphrase(p12_bytes: bytes) -> bool:
    """True when the PKCS#12 file is encrypted (most are); an unencrypted one is used as it is."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        pkcs12.load_key_and_certificates(p12_bytes, None)
        return False
    except (ValueError, TypeError):
        return True


def read_p12(path: Any) -> bytes:
    from ..fsutil import read_input_bytes

    return read_input_bytes(path, limit=1_000_000)


def _load(seal: Seal) -> tuple[bytes, Any, Any, list[Any]]:
    from cryptography.hazmat.primitives.serialization import pkcs12

    data = read_p12(seal.p12)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, seal.passphrase)
    except ValueError as exc:
        if seal.passphrase and not needs_passphrase(data):
            key, cert, extra = pkcs12.load_key_and_certificates(data, None)
        elif needs_passphrase(data) and _looks_like_p12(data):
            raise KeyAccessError(
                _("Wrong passphrase for the seal certificate {path}", path=seal.p12),
                _("try again; set IKRAR_SEAL_PASSPHRASE or use --seal-passphrase-file FILE"),
            ) from exc
        else:
            raise InputError(
                _("{path} is not a PKCS#12 certificate file (.p12 / .pfx)", path=seal.p12),
                _("export the institution's e-seal certificate with its private key as PKCS#12"),
            ) from exc
    if key is None or cert is None:
        raise InputError(
            _("{path} holds no private key and certificate", path=seal.p12),
            _("export the certificate together with its private key as PKCS#12"),
        )
    return data, key, cert, list(extra or [])


def _looks_like_p12(data: bytes) -> bool:
    """A DER SEQUENCE with version 3: the start of every PKCS#12 PFX."""
    return len(data) > 8 and data[0] == 0x30 and b"\x02\x01\x03" in data[:8]


def signer_name(seal: Seal) -> str:
    """The certificate's subject common name (or the whole subject)."""
    from cryptography.x509.oid import NameOID

    _data, _key, cert, _extra = _load(seal)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def seal_pdf(data: bytes, seal: Seal) -> bytes:
    """The PDF with a PAdES B-B signature appended as an incremental update."""
    out = io.BytesIO()
    seal_pdf_file(io.BytesIO(data), out, seal)
    return out.getvalue()


def seal_pdf_file(src: IO[bytes], out: IO[bytes], seal: Seal) -> None:
    """Seal the PDF read from ``src`` into ``out`` (readable, writable and seekable, e.g. a temporary
    file): pyHanko reads the objects it needs from ``src``, copies it into ``out`` and appends the
    signature, so a large document is never held in memory as bytes."""
    p12, _key, _cert, _extra = _load(seal)  # precise errors before pyHanko sees the file
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(p12, [], passphrase=seal.passphrase or None)
    except (ValueError, TypeError, KeyError, OSError) as exc:  # an unusable key (SigningError is a ValueError)
        raise InputError(
            _("The seal certificate {path} cannot be used for signing: {reason}", path=seal.p12, reason=exc),
            _("use an RSA or ECDSA certificate with its private key"),
        ) from exc
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        reason=seal.reason or None,
        location=seal.location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    try:
        writer = IncrementalPdfFileWriter(src)
        signers.sign_pdf(writer, meta, signer=signer, output=out)
    except (ValueError, PdfError, OSError) as exc:  # SigningError is a ValueError; nothing half-written
        raise StorageError(
            _("Sealing the PDF failed: {reason}", reason=exc),
            _("check the certificate's key usage (digital signature) and try again"),
        ) from exc


def seal_status(data: bytes, trust_roots: list[Any]) -> dict[str, Any]:
    """Validate the seal with pyHanko's validator (used by tests and by auditors' scripts)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    sigs = reader.embedded_signatures
    if not sigs:
        return {"sealed": False}
    status = validate_pdf_signature(sigs[0], ValidationContext(trust_roots=trust_roots))
    return {
        "sealed": True,
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "coverage": str(status.coverage),
        "signer": status.signing_cert.subject.human_friendly,
    }
