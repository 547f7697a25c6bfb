"""PAdES signatures of dossiers (apps/dossiers/signing.py): a signed dossier verifies offline as intact and made
with the platform's key; another key, a changed byte, or a change made after the signature are caught."""
import hashlib
import io
from io import BytesIO

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from apps.accounts.roles import Role
from apps.dossiers import rendering, services, signing
from apps.dossiers.manifest import check_pdf, seal
from apps.dossiers.verification import verify_hash
from tests.dossiers.conftest import make_shipment, render_now, request_dossier


@pytest.fixture(scope="module")
def platform_key(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signing")
    key, cert = folder / "key.pem", folder / "cert.pem"
    signing.make_self_signed(key, cert, common_name="Cellpass dossier signing (test)")
    return key, cert


@pytest.fixture
def signing_on(settings, platform_key):
    settings.DOSSIER_SIGNING_KEY, settings.DOSSIER_SIGNING_CERT = (str(path) for path in platform_key)
    settings.DOSSIER_SIGNING_TRUST = []
    return platform_key


@pytest.fixture(scope="module")
def sealed():
    return seal(rendering.write_pdf(rendering.layout("<p>Dossier</p>")))


def codes(check) -> list[str]:
    return [code for code, _text in check.problems if code != "no_manifest"]  # the small test file has none


def test_a_signed_file_is_intact_and_trusted_with_the_platform_certificate(signing_on, sealed):
    signed = signing.sign(sealed)
    assert signed.startswith(sealed)  # the seal's bytes are untouched: the signature is one more update
    check = check_pdf(signed, trust=signing.trust_roots())
    assert check.intact and codes(check) == []
    assert check.signature.trusted is True and "Cellpass dossier signing (test)" in check.signature.signer
    assert check.signature.signed_at is not None


def test_a_signature_by_another_key_is_intact_but_not_trusted(signing_on, sealed, tmp_path):
    other_key, other_cert = tmp_path / "other-key.pem", tmp_path / "other-cert.pem"
    signing.make_self_signed(other_key, other_cert, common_name="Someone else")
    signed = signing.sign(sealed)
    from pyhanko.keys import load_cert_from_pemder

    check = check_pdf(signed, trust=[load_cert_from_pemder(str(other_cert))])
    assert check.intact and codes(check) == ["signature_untrusted"] and check.signature.trusted is False
    unchecked = check_pdf(signed)  # no certificate to compare with: intact, signer named, not judged
    assert unchecked.intact and codes(unchecked) == [] and unchecked.signature.trusted is None


@pytest.mark.parametrize("where", ["in the sealed part", "in the signature"])
def test_one_changed_byte_anywhere_breaks_it(signing_on, sealed, where):
    signed = bytearray(signing.sign(sealed))
    position = len(sealed) // 2 if where == "in the sealed part" else len(sealed) + (len(signed) - len(sealed)) // 2
    signed[position] ^= 0x01
    check = check_pdf(bytes(signed), trust=signing.trust_roots())
    assert not check.intact and "seal_broken" in codes(check)


def test_a_change_after_the_signature_is_caught_even_when_sealed_again(signing_on, sealed):
    signed = signing.sign(sealed)
    resealed = seal(signed)  # anyone can seal: the seal proves integrity, not origin
    check = check_pdf(resealed, trust=signing.trust_roots())
    assert codes(check) == ["signature_not_last"] and not check.ok


def test_an_unsigned_sealed_file_still_verifies(sealed):
    check = check_pdf(sealed)
    assert check.intact and check.signature is None and codes(check) == []


def test_an_issued_dossier_is_signed_registered_and_verified_offline(signing_on, alpha, member_access, in_tenant,
                                                                     tmp_path):
    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        dossier = render_now(request_dossier(access, alpha, make_shipment(units=3)))
        pdf = services.read_bytes(dossier.file_name)
    assert dossier.sha256 == hashlib.sha256(pdf).hexdigest() and verify_hash(dossier.sha256).code == "issued"
    check = check_pdf(pdf, trust=signing.trust_roots())
    assert check.ok and check.signature.trusted and check.manifest["scope"]["kind"] == "shipment"
    xmp = PdfReader(BytesIO(pdf)).xmp_metadata.stream.get_data()
    assert b'pdfaid:part="3"' in xmp  # still the PDF/A-3 file, with one more revision
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    out = io.StringIO()
    call_command("verify_dossier", str(path), stdout=out)
    assert "signature intact, trusted:" in out.getvalue() and "Cellpass dossier signing (test)" in out.getvalue()


def test_make_run_creates_a_development_key_once(settings, tmp_path):
    settings.DOSSIER_SIGNING_KEY = str(tmp_path / "dev" / "key.pem")
    settings.DOSSIER_SIGNING_CERT = str(tmp_path / "dev" / "cert.pem")
    call_command("dossier_signing_devkey", stdout=io.StringIO())
    key = (tmp_path / "dev" / "key.pem").read_bytes()
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----") and (tmp_path / "dev" / "key.pem").stat().st_mode & 0o077 == 0
    call_command("dossier_signing_devkey", stdout=io.StringIO())
    assert (tmp_path / "dev" / "key.pem").read_bytes() == key  # kept: dossiers signed before stay verifiable
    settings.DOSSIER_SIGNING_KEY = ""
    out = io.StringIO()
    call_command("dossier_signing_devkey", stdout=out)
    assert "not configured" in out.getvalue()


def test_signing_and_checking_work_inside_a_running_event_loop(signing_on, sealed):
    """pyHanko runs an asyncio loop of its own: an async caller (or a thread where a browser driver keeps a loop
    running, as in the browser tests) must still get a signed file and its check."""
    import asyncio

    async def caller():
        signed = signing.sign(sealed)
        return check_pdf(signed, trust=signing.trust_roots())

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of its own: this one may run a loop already
        check = pool.submit(asyncio.run, caller()).result()
    assert check.intact and check.signature.trusted is True
