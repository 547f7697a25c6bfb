"""Journey across the apps a dossier reads: a shipment with evidence, evaluated checklists, a custody
transfer to the recycler and an auditor's finding. The compliance manager requests the shipment's
dossier in Chinese and watches the progress bar until the real worker has issued it; an external
auditor whose engagement covers that shipment signs in with TOTP and downloads it; the public
verification page, without signing in, recognises the file and refuses a tampered copy; the text
extracted back from the PDF holds the Chinese requirement titles, with no missing glyph."""
import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect
from pypdf import PdfReader

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.audits import services as audits
from apps.audits.models import EngagementScope
from apps.checklists.models import RequirementResult
from apps.core.hashing import sha256_hex
from apps.dossiers.manifest import read_manifest
from tests.accounts.factories import UserFactory, totp_device
from tests.conftest import access_for
from tests.dossiers.conftest import add_evidence, custody_pathway, evaluate_checklists, make_shipment, raise_finding
from tests.e2e.test_foundation import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def new_page(browser):
    page = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15000)
    return page


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def shipment_with_history(site):
    """alpha's shipment SHP-J-1: two documents, dispatched to beta and certified, evaluated under the
    Chinese export and GB/T 34014 protocols, with an answered finding."""
    alpha, beta = site.organisations["alpha"], site.organisations["beta"]
    people = {}
    for organisation, email, role in ((alpha, "owner@alpha.test", Role.OWNER),
                                      (alpha, "manager@alpha.test", Role.COMPLIANCE_MANAGER),
                                      (alpha, "staff@alpha.test", Role.STAFF),
                                      (beta, "staff@beta.test", Role.STAFF)):
        user = UserFactory(email=email)
        Membership.objects.create(user=user, organisation=organisation, role=role)
        people[email] = (user, access_for(user, organisation, role))
    with schema_context(alpha.schema_name):
        shipment = make_shipment("SHP-J-1", units=12)
        add_evidence(shipment, title="运输单据 CMR", doc_type="transport_manifest",
                     content=b"%PDF-1.4\n% transport manifest SHP-J-1\n%%EOF\n")
    custody_pathway(people["staff@alpha.test"][1], people["staff@beta.test"][1], shipment, beta)
    with schema_context(alpha.schema_name):
        evaluate_checklists(people["owner@alpha.test"][1], shipment)
        raise_finding(alpha, people["manager@alpha.test"][1], target_kind="shipment", target_id=str(shipment.pk),
                      title="Weighbridge ticket unreadable")
    return shipment, people


def test_manager_requests_auditor_downloads_public_page_verifies(browser, page, site, celery_worker_process,
                                                                 shipment_with_history, tmp_path):
    alpha = site.organisations["alpha"]
    shipment, people = shipment_with_history

    # the compliance manager requests the Chinese dossier of the shipment and watches it render
    sign_in(page, site, "manager@alpha.test")
    page.goto(site.org("alpha", "/dossiers/"))
    form = page.get_by_test_id("request-dossier")
    form.locator("select[name=scope_kind]").select_option("shipment")
    form.locator("select[name=shipment]").select_option(label="SHP-J-1 · 贝塔回收")
    form.locator("select[name=language]").select_option("zh-hans")
    page.get_by_test_id("generate-dossier").click()
    progress = page.get_by_test_id("dossier-progress")
    expect(progress).to_be_visible()
    seen = []
    deadline = timezone.now() + timedelta(seconds=300)
    while progress.get_attribute("data-status") not in ("done", "failed") and timezone.now() < deadline:
        bar = progress.locator("progress")
        if bar.count():
            value = bar.get_attribute("value")
            if value is not None:
                seen.append(int(value))
        page.wait_for_timeout(250)
    expect(page.get_by_test_id("dossier-status")).to_have_text("Done")
    assert seen and seen == sorted(seen), f"the progress bar went backwards: {seen}"
    expect(progress.locator("progress")).to_have_count(0)
    sha256 = page.get_by_test_id("dossier-sha256").inner_text().strip()

    # an external auditor engaged on that shipment signs in with TOTP and downloads the same file
    auditor = UserFactory(email="sophie@audit.test", full_name="Sophie Martin")
    totp_device(auditor)
    now = timezone.now()
    engagement = audits.engagement_grant(
        access=people["owner@alpha.test"][1], organisation=alpha, auditor_email=auditor.email,
        scope=EngagementScope.SELECTION, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=30),
        shipment_ids=[shipment.pk], purpose="Export audit SHP-J-1")
    audits.engagement_accept(engagement=engagement, user=auditor)
    auditor_page = new_page(browser)
    sign_in(auditor_page, site, auditor.email)
    expect(auditor_page).to_have_url(site.public("/auditor/"))
    auditor_page.goto(site.org("alpha", "/dossiers/"))
    auditor_page.get_by_test_id("dossiers").get_by_role("link", name="SHP-J-1").click()
    expect(auditor_page.get_by_test_id("dossier-sha256")).to_have_text(sha256)
    expect(auditor_page.get_by_test_id("request-dossier")).to_have_count(0)  # auditors only read
    with auditor_page.expect_download() as download_info:
        auditor_page.get_by_test_id("download-dossier").click()
    pdf_path = tmp_path / "SHP-J-1.pdf"
    download_info.value.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    assert sha256_hex(pdf) == sha256
    auditor_page.context.close()

    # anyone, without signing in, verifies the file, and a tampered copy is refused
    public = new_page(browser)
    public.goto(site.public("/verify/"))
    expect(public.get_by_test_id("sign-out")).to_have_count(0)  # nobody is signed in
    public.get_by_label("Dossier PDF").set_input_files(str(pdf_path))
    public.get_by_test_id("verify").click()
    verdict = public.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-code", "issued")
    expect(public.get_by_test_id("verdict-organisation")).to_contain_text(alpha.name_en)
    expect(verdict).to_contain_text("SHP-J-1")
    tampered = bytearray(pdf)
    tampered[len(tampered) // 2] ^= 0x01
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))
    public.get_by_label("Dossier PDF").set_input_files(str(tmp_path / "tampered.pdf"))
    public.get_by_test_id("verify").click()
    expect(public.get_by_test_id("verdict")).to_contain_text("Rejected")
    assert public.get_by_test_id("verdict").get_attribute("data-code") in ("tampered", "unknown")
    expect(public.get_by_test_id("verdict-organisation")).to_have_count(0)
    public.context.close()

    # the Chinese text read back from the PDF: requirement titles, ledger, finding; no missing glyph
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    with schema_context(alpha.schema_name):
        titles = set(RequirementResult.objects.values_list("title_zh", flat=True))
    assert titles and all(re.search(r"[\u4e00-\u9fff]", t) for t in titles)
    missing = [t for t in titles if compact(t) not in compact(text)]
    assert missing == [], f"Chinese requirement titles not found in the PDF text: {missing}"
    assert "[U+" not in text and "\ufffd" not in text
    assert "Weighbridge ticket unreadable" in text and "已发运" in text
    manifest = read_manifest(pdf)
    assert manifest["scope"]["label"] == "SHP-J-1" and len(manifest["custody"]["ledger_head"]) == 64
    assert {r["code"] for r in manifest["checklist"]["results"]} >= {"transport_manifest"}
