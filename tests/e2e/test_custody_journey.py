"""The custody journey across three organisations, in the browser: the exporter dispatches, the recycler confirms
receipt with a weighbridge ticket (mass off the tolerance), both see the discrepancy, the recycler records the
processing and issues a certificate of recycling with its signed file, the exporter sees the certificate (and its
file's SHA-256) as evidence of the recovery pathway; an auditor engaged on the exporter's shipment signs in with
TOTP and reviews the transfer and its discrepancy, read-only; a third organisation gets not-found on the
transfer."""
import hashlib
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.audits import services as audits
from apps.audits.models import EngagementScope
from apps.custody.models import RecyclingCertificate, Transfer
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from apps.exports.models import ReportingEvent
from apps.tenants.models import Organisation
from apps.tenants.services import organisation_create
from apps.traceability.models import BatteryUnit, Shipment, ShipmentMass, ShipmentUnit
from tests.accounts.factories import UserFactory, totp_device
from tests.conftest import access_for
from tests.e2e.test_foundation import sign_in
from tests.evidence.files import make_pdf

pytestmark = pytest.mark.e2e

REFERENCE = "EXP-2026-0077"
GAMMA = {"slug": "gamma", "name_en": "Gamma Recycling S.A.", "name_zh": "伽马回收公司", "kind": "recycler",
         "country": "FR"}


def _shipment(organisation) -> Shipment:
    with schema_context(organisation.schema_name):
        shipment = Shipment.objects.create(reference=REFERENCE, direction="outbound",
                                           counterparty_name="Beta Recycling GmbH",
                                           dispatch_date=date.today() - timedelta(days=4))
        ShipmentMass.objects.create(shipment=shipment, chemistry="lfp", net_mass_kg="2000.000")
        for i in range(5):
            unit = BatteryUnit.objects.create(code=f"036PF{i:019d}", scheme="gbt34014", level="pack")
            ShipmentUnit.objects.create(shipment=shipment, unit=unit)
        manifest = Evidence.objects.create(doc_type=EvidenceType.TRANSPORT_MANIFEST, title="CMR 0077")
        manifest.shipments.add(shipment)
        EvidenceRevision.objects.create(evidence=manifest, number=1, storage_name="e2e/cmr-0077.pdf",
                                        original_filename="cmr.pdf", sha256=hashlib.sha256(b"cmr 77").hexdigest(),
                                        size=6, content_type="application/pdf", status="accepted")
    return shipment


def _member(organisation, email, role=Role.STAFF):
    user = UserFactory(email=email)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def _signed_in(browser, site, email, slug):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, site, email)
    expect(page).to_have_url(site.org(slug, "/"))
    return page


def test_custody_journey_across_three_organisations(page, browser, site, tmp_path):
    alpha, beta = site.organisations["alpha"], site.organisations["beta"]
    gamma = Organisation.objects.filter(slug="gamma").first() or organisation_create(**GAMMA)
    exporter = _member(alpha, "dispatch@alpha.example")
    recycler = _member(beta, "intake@beta.example")
    outsider = _member(gamma, "intake@gamma.example")
    shipment = _shipment(alpha)

    # 1. the exporter dispatches its shipment to the recycler
    sign_in(page, site, exporter.email)
    page.goto(site.org("alpha", "/custody/"))
    page.get_by_test_id(f"dispatch-{REFERENCE}").click()
    page.get_by_label("Recycler").select_option(label="Beta Recycling GmbH")
    page.get_by_test_id("dispatch").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Dispatched")
    transfer = Transfer.objects.get(shipment_reference=REFERENCE)
    transfer_url = f"/custody/transfers/{transfer.pk}/"

    # 2. the recycler confirms receipt with its weighbridge ticket: 1940 kg instead of 2000 kg (-3 %)
    ticket = tmp_path / "wb-0077.pdf"
    ticket.write_bytes(make_pdf("Weighbridge ticket WB-0077: gross 16940 kg, tare 15000 kg"))
    rpage = _signed_in(browser, site, recycler.email, "beta")
    rpage.goto(site.org("beta", "/custody/incoming/"))
    rpage.get_by_role("link", name=REFERENCE).click()
    rpage.get_by_test_id("confirm-receipt").click()
    rpage.get_by_label("Received on").fill(date.today().isoformat())
    rpage.get_by_label("Received net mass (kg)").fill("1940")
    rpage.get_by_label("Units received").fill("5")
    rpage.get_by_label("Weighbridge ticket number").fill("WB-0077")
    rpage.get_by_label("Gross weight on the ticket (kg)").fill("16940")
    rpage.get_by_label("Tare weight on the ticket (kg)").fill("15000")
    rpage.locator("input[name=ticket]").set_input_files(str(ticket))
    rpage.get_by_test_id("submit").click()
    expect(rpage.get_by_test_id("transfer-status")).to_have_text("Received")
    expect(rpage.get_by_test_id("discrepancy")).to_contain_text("2000.000 → 1940.000")
    expect(rpage.get_by_test_id("discrepancy-status")).to_have_text("Open")
    # the ticket is in the recycler's own vault, as a weighbridge ticket with the file's SHA-256
    rpage.goto(site.org("beta", "/evidence/"))
    expect(rpage.locator("body")).to_contain_text("Weighbridge ticket")
    with schema_context(beta.schema_name):
        revision = EvidenceRevision.objects.get(evidence__doc_type=EvidenceType.WEIGHBRIDGE_TICKET)
        assert revision.sha256 == hashlib.sha256(ticket.read_bytes()).hexdigest()
        # and the receipt is the recycler's "waste batteries received" reporting event
        event = ReportingEvent.objects.get(kind="recycler_receipt")
        assert event.source_id == transfer.pk and event.counterparty == alpha.name_en

    # 3. the exporter sees the finding on the transfer, and its register's shipment links to it
    page.goto(site.org("alpha", f"/register/shipments/{shipment.pk}/"))
    expect(page.get_by_test_id("custody-status")).to_have_text("Received")
    page.get_by_test_id("custody-timeline-link").click()
    expect(page).to_have_url(site.org("alpha", f"{transfer_url}#timeline"))
    expect(page.get_by_test_id("discrepancy")).to_contain_text("2000.000 → 1940.000")
    expect(page.get_by_test_id("timeline")).to_contain_text("Receipt confirmed")

    # 4. the recycler records the processing and issues the certificate with its signed file
    rpage.goto(site.org("beta", transfer_url))
    rpage.get_by_test_id("record-processing").click()
    rpage.get_by_label("Processed on").fill(date.today().isoformat())
    rpage.locator("input[name=lots-0-code]").fill("BM-0077")
    rpage.locator("select[name=lots-0-kind]").select_option("black_mass")
    rpage.locator("input[name=lots-0-mass_kg]").fill("650")
    rpage.get_by_test_id("submit").click()
    expect(rpage.get_by_test_id("transfer-status")).to_have_text("Processed")
    expect(rpage.get_by_test_id("processing")).to_contain_text("BM-0077")
    certificate = tmp_path / "cor-0077.pdf"
    certificate.write_bytes(make_pdf("Certificate of recycling COR-0077"))
    rpage.get_by_test_id("issue-certificate").click()
    rpage.get_by_label("Certificate number").fill("COR-0077")
    rpage.get_by_label("Issued on").fill(date.today().isoformat())
    rpage.locator("input[name=signed_file]").set_input_files(str(certificate))
    rpage.get_by_test_id("submit").click()
    expect(rpage.get_by_test_id("transfer-status")).to_have_text("Certified")

    # 5. the exporter sees the certificate, and the SHA-256 of the signed file, as evidence of recovery
    page.goto(site.org("alpha", transfer_url))
    expect(page.get_by_test_id("certificate")).to_contain_text("COR-0077")
    expect(page.get_by_test_id("certificate")).to_contain_text("Beta Recycling GmbH")
    expect(page.get_by_test_id("certificate-file-sha256")).to_have_text(
        hashlib.sha256(certificate.read_bytes()).hexdigest())
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("chain-status")).to_have_text("The chain is intact (4 entries).")

    # 6. an auditor engaged on the exporter's shipment signs in with TOTP and reviews the transfer: the
    #    discrepancy and its thread, the timeline, the certificate; no step, no comment box
    owner = _member(alpha, "owner@alpha.example", Role.OWNER)
    auditor = UserFactory(email="sophie@audit.example", full_name="Sophie Martin")
    totp_device(auditor)
    now = timezone.now()
    engagement = audits.engagement_grant(
        access=access_for(owner, alpha, Role.OWNER), organisation=alpha, auditor_email=auditor.email,
        scope=EngagementScope.SELECTION, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=30),
        shipment_ids=[shipment.pk], purpose="Export audit EXP-2026-0077")
    audits.engagement_accept(engagement=engagement, user=auditor)
    apage = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}).new_page()
    apage.set_default_timeout(15000)
    sign_in(apage, site, auditor.email)
    expect(apage).to_have_url(site.public("/auditor/"))
    apage.goto(site.org("alpha", transfer_url))
    expect(apage.get_by_test_id("discrepancy")).to_contain_text("2000.000 → 1940.000")
    expect(apage.get_by_test_id("timeline")).to_contain_text("Receipt confirmed")
    expect(apage.get_by_test_id("certificate")).to_contain_text("COR-0077")
    for step in ("confirm-receipt", "dispute", "record-processing", "issue-certificate", "add-comment", "resolve"):
        expect(apage.get_by_test_id(step)).to_have_count(0)
    apage.context.close()

    # 7. a third organisation gets not-found on the transfer and all its steps
    opage = _signed_in(browser, site, outsider.email, "gamma")
    for step in ("", "confirm/", "processing/", "certificate/"):
        response = opage.goto(site.org("gamma", f"{transfer_url}{step}"))
        assert response.status == 404
    opage.goto(site.org("gamma", "/custody/incoming/"))
    expect(opage.locator("body")).not_to_contain_text(REFERENCE)
    assert RecyclingCertificate.objects.count() == 1
