"""The public verification page and the offline verifier, on a real issued dossier."""
import io
import shutil

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from apps.accounts.roles import Role
from apps.core.hashing import sha256_hex
from apps.dossiers import rendering, services
from tests.dossiers.conftest import EVIDENCE_BYTES, make_shipment, render_now, request_dossier


@pytest.fixture
def issued_pdf(alpha, member_access, in_tenant):
    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        dossier = render_now(request_dossier(access, alpha, make_shipment(units=3)))
        return dossier, services.read_bytes(dossier.file_name)


def one_byte_changed(pdf: bytes) -> bytes:
    copy = bytearray(pdf)
    copy[len(copy) // 3] ^= 0x20
    return bytes(copy)


def upload(client, data: bytes, name="dossier.pdf"):
    return client.post("/verify/", {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def test_the_issued_pdf_is_accepted_and_shows_only_the_public_facts(client_for, issued_pdf, alpha):
    dossier, pdf = issued_pdf
    before = default_storage.listdir("")
    response = upload(client_for(None, None), pdf)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-code="issued"' in body and alpha.name_en in body and alpha.name_zh in body
    assert "SHP-0001" in body and dossier.sha256 in body
    assert str(dossier.pk) not in body and dossier.snapshot_digest not in body  # nothing else is revealed
    assert default_storage.listdir("") == before  # the upload was hashed, not kept


def test_typing_the_hash_gives_the_same_answer(client_for, issued_pdf):
    dossier, _pdf = issued_pdf
    response = client_for(None, None).post("/verify/", {"sha256": dossier.sha256.upper()})
    assert response.status_code == 200 and 'data-code="issued"' in response.content.decode()


def test_a_one_byte_modified_copy_is_rejected(client_for, issued_pdf):
    _dossier, pdf = issued_pdf
    response = upload(client_for(None, None), one_byte_changed(pdf))
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-code="tampered"' in body or 'data-code="unknown"' in body
    assert "Rejected" in body


def test_a_pdf_from_elsewhere_is_rejected(client_for, db, organisations):
    foreign = rendering.write_pdf(rendering.layout("<p>An invoice from somewhere else</p>"))
    response = upload(client_for(None, None), foreign)
    assert response.status_code == 400 and 'data-code="unknown"' in response.content.decode()


def test_not_a_pdf_bad_hash_and_too_large_are_refused_clearly(client_for, settings, db, organisations):
    client = client_for(None, None)
    assert 'data-code="not_pdf"' in upload(client, b"GIF89a not a pdf", "x.gif").content.decode()
    assert 'data-code="bad_hash"' in client.post("/verify/", {"sha256": "1234"}).content.decode()
    assert 'data-code="empty"' in client.post("/verify/", {}).content.decode()
    settings.DOSSIER_VERIFY_MAX_BYTES = 1000
    response = upload(client, b"%PDF-1.7\n" + b"0" * 5000)
    assert response.status_code == 400 and 'data-code="too_large"' in response.content.decode()
    huge = client.post("/verify/", data=b"x" * 80_000, content_type="application/octet-stream")
    assert huge.status_code == 413


def test_verification_page_speaks_chinese(client_for, db, organisations):
    response = client_for(None, None, HTTP_ACCEPT_LANGUAGE="zh-hans").post("/verify/", {"sha256": "0" * 64})
    assert "Cellpass 从未签发具有此指纹的文件" in response.content.decode()


def test_offline_verifier_agrees(issued_pdf, tmp_path):
    _dossier, pdf = issued_pdf
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    bad.write_bytes(one_byte_changed(pdf))
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "contract.pdf").write_bytes(EVIDENCE_BYTES)
    out = io.StringIO()
    call_command("verify_dossier", str(good), "--evidence", str(evidence), "--registry", stdout=out)
    assert "seal      intact" in out.getvalue() and "match" in out.getvalue() and "registry  issued" in out.getvalue()
    with pytest.raises(SystemExit) as exit_code:
        call_command("verify_dossier", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_code.value.code == 1
    (evidence / "contract.pdf").write_bytes(EVIDENCE_BYTES + b"changed")
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_dossier", str(good), "--evidence", str(evidence), stdout=io.StringIO(), stderr=err)
    assert "evidence_modified" in err.getvalue()
    shutil.rmtree(evidence)


def test_offline_verifier_reads_checklist_results_and_ledger_head_and_checks_named_files(
        alpha, beta, member_access, in_tenant, tmp_path):
    from apps.dossiers.manifest import read_manifest
    from tests.dossiers.conftest import add_evidence, custody_pathway, evaluate_checklists

    owner, staff = member_access(alpha, Role.OWNER)[1], member_access(alpha, Role.STAFF)[1]
    recycler = member_access(beta, Role.STAFF)[1]
    with in_tenant(alpha):
        shipment = make_shipment("SHP-VF-1", units=3)
        add_evidence(shipment, title="CMR", doc_type="transport_manifest", content=b"%PDF-1.4\n% the CMR\n%%EOF\n")
    transfer = custody_pathway(staff, recycler, shipment, beta)
    with in_tenant(alpha):
        evaluate_checklists(owner, shipment)
        dossier = render_now(request_dossier(staff, alpha, shipment, language="en"))
        pdf = services.read_bytes(dossier.file_name)
    manifest = read_manifest(pdf)
    assert manifest["custody"]["ledger_head"] == transfer.ledger_head and manifest["scope"]["label"] == "SHP-VF-1"
    assert manifest["snapshot_digest"] == dossier.snapshot_digest
    assert {e["sha256"] for e in manifest["evidence"]} >= {sha256_hex(EVIDENCE_BYTES)}
    assert manifest["checklist"]["results"] and manifest["protocol_versions"]

    path, contract, cmr = tmp_path / "dossier.pdf", tmp_path / "contract.pdf", tmp_path / "cmr.pdf"
    path.write_bytes(pdf)
    contract.write_bytes(EVIDENCE_BYTES)
    cmr.write_bytes(b"%PDF-1.4\n% the CMR\n%%EOF\n")
    out = io.StringIO()
    call_command("verify_dossier", str(path), str(contract), str(cmr), stdout=out)
    text = out.getvalue()
    assert f"ledger head {transfer.ledger_head}" in text and "verified" in text
    assert text.count("evidence  match") == 2 and "OK " in text
    result = manifest["checklist"]["results"][0]
    assert f"{result['protocol']} {result['code']}" in text

    stranger = tmp_path / "other.pdf"
    stranger.write_bytes(b"%PDF-1.4\n% not part of it\n%%EOF\n")
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_dossier", str(path), str(contract), str(stranger), stdout=io.StringIO(), stderr=err)
    assert "evidence_unknown: other.pdf" in err.getvalue()
