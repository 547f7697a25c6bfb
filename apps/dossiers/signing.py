"""PAdES signatures of dossiers (pyHanko), when a signing key is configured.

The seal (manifest.py) proves that a file is whole; the public registry that the platform issued it, for
anyone online. A signature adds origin offline: the sealed file gets one more incremental update, a PAdES
baseline signature (ETSI EN 319 142, SubFilter ETSI.CAdES.detached) made with the platform's key, covering
every byte. A verifier then checks, without asking the platform, that

- the signature is cryptographically intact and covers the entire file;
- it is the only change after the seal (the signed revision directly follows the sealed file, and pyHanko's
  difference analysis finds no modification beyond the signature itself);
- its certificate is the configured one (or chains to a configured trust root).

Settings: DOSSIER_SIGNING_KEY and DOSSIER_SIGNING_CERT (PEM files), DOSSIER_SIGNING_KEY_PASSPHRASE, and
DOSSIER_SIGNING_TRUST (further PEM certificates a verifier accepts, e.g. after a key rollover).
"""
from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TypeVar

from django.conf import settings

FIELD_NAME = "CellpassSignature"
T = TypeVar("T")


def _outside_event_loop(call: Callable[[], T]) -> T:
    """pyHanko's synchronous API runs an asyncio loop of its own, which fails inside a running one (an async
    caller, or a thread where a browser driver keeps one): there the call runs on a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def configured() -> bool:
    return bool(getattr(settings, "DOSSIER_SIGNING_KEY", "") and getattr(settings, "DOSSIER_SIGNING_CERT", ""))


def sign(pdf: bytes) -> bytes:
    """`pdf` (sealed) plus one incremental update carrying the platform's PAdES signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    passphrase = getattr(settings, "DOSSIER_SIGNING_KEY_PASSPHRASE", "") or None
    signer = signers.SimpleSigner.load(settings.DOSSIER_SIGNING_KEY, settings.DOSSIER_SIGNING_CERT,
                                       key_passphrase=passphrase.encode() if passphrase else None)
    if signer is None:
        raise RuntimeError("the dossier signing key or certificate cannot be read")
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason="Issued by Cellpass", name="Cellpass")
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    return _outside_event_loop(lambda: signers.sign_pdf(writer, meta, signer=signer).getvalue())


def trust_roots(paths: list[str] | None = None) -> list:
    """The certificates a signature must chain to: those PEM files, by default the signing certificate and any
    configured extra ones."""
    from pyhanko.keys import load_cert_from_pemder

    if paths is None:
        paths = [getattr(settings, "DOSSIER_SIGNING_CERT", ""), *getattr(settings, "DOSSIER_SIGNING_TRUST", ())]
    return [load_cert_from_pemder(path) for path in paths if path and Path(path).is_file()]


@dataclass
class SignatureCheck:
    """What a verifier can say about the signature after the seal; `problems` as in manifest.Check."""

    intact: bool = False
    trusted: bool | None = None  # None: no trust root given, the signer was not checked
    signer: str = ""
    signed_at: datetime.datetime | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)


def has_signature(pdf: bytes) -> bool:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return bool(PdfFileReader(BytesIO(pdf)).embedded_signatures)
    except Exception:  # noqa: BLE001 - unreadable: no signature to speak of
        return False


def check(pdf: bytes, sealed_length: int, trust: list | None) -> SignatureCheck:
    """Check the update(s) after the first `sealed_length` bytes (the sealed file): one PAdES signature, the only
    change after the seal, covering the whole file; trusted when `trust` holds its certificate or a root of it."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = SignatureCheck()
    broken = ("seal_broken", "The file was changed after it was sealed.")
    try:
        reader = PdfFileReader(BytesIO(pdf))
        sealed_revisions = PdfFileReader(BytesIO(pdf[:sealed_length])).xrefs.total_revisions
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - whatever follows the seal cannot be read: the file was changed
        result.problems.append(broken)
        return result
    if len(signatures) != 1 or reader.xrefs.total_revisions != sealed_revisions + 1 \
            or signatures[0].signed_revision != sealed_revisions:
        result.problems.append(broken)
        return result
    signature = signatures[0]
    context = ValidationContext(trust_roots=trust or [], allow_fetching=False)
    try:
        status = _outside_event_loop(lambda: validate_pdf_signature(signature, context))
    except (SignatureValidationError, ValueError, KeyError):
        result.problems.append(broken)
        return result
    certificate = status.signing_cert
    result.signer = certificate.subject.human_friendly if certificate is not None else ""
    result.signed_at = status.signer_reported_dt
    if not (status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            and status.modification_level == ModificationLevel.NONE):
        result.problems.append(broken)
        return result
    result.intact = True
    if trust is not None:
        result.trusted = bool(status.trusted)
        if not status.trusted:
            result.problems.append(("signature_untrusted",
                                    "The file is signed, but not with a Cellpass key this verifier trusts."))
    return result


def make_self_signed(key_path: Path, cert_path: Path, *, common_name: str, days: int = 3650) -> None:
    """A new ECDSA P-256 key and a self-signed certificate for it (PEM): for development and tests. In
    production the key and certificate come from the operator's PKI."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cellpass")])
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(usage, critical=True)
                   .sign(key, hashes.SHA256()))
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
