"""Journey across two organisations: the exporter dispatches a shipment to the recycler, the recycler confirms
receipt with figures beyond the tolerance, and both see the discrepancy that opened."""
import hashlib
from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.custody.models import Discrepancy, Receipt
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from apps.traceability.models import BatteryUnit, Shipment, ShipmentMass, ShipmentUnit
from tests.accounts.factories import UserFactory
from tests.e2e.test_foundation import sign_in
from tests.evidence.files import make_pdf

pytestmark = pytest.mark.e2e


def _shipment(organisation) -> Shipment:
    with schema_context(organisation.schema_name):
        shipment = Shipment.objects.create(reference="EXP-2026-0042", direction="outbound",
                                           counterparty_name="Beta Recycling GmbH",
                                           dispatch_date=date.today() - timedelta(days=3))
        ShipmentMass.objects.create(shipment=shipment, chemistry="ncm", net_mass_kg="1200.000")
        for i in range(4):
            unit = BatteryUnit.objects.create(code=f"036PE{i:019d}", scheme="gbt34014", level="pack")
            ShipmentUnit.objects.create(shipment=shipment, unit=unit)
        manifest = Evidence.objects.create(doc_type=EvidenceType.TRANSPORT_MANIFEST, title="CMR 0042")
        manifest.shipments.add(shipment)
        EvidenceRevision.objects.create(evidence=manifest, number=1, storage_name="e2e/cmr.pdf",
                                        original_filename="cmr.pdf", sha256=hashlib.sha256(b"cmr").hexdigest(),
                                        size=3, content_type="application/pdf")
    return shipment


def test_exporter_dispatches_and_recycler_confirms_with_a_discrepancy(page, browser, site, tmp_path):
    alpha, beta = site.organisations["alpha"], site.organisations["beta"]
    exporter = UserFactory(email="export@alpha.example")
    Membership.objects.create(user=exporter, organisation=alpha, role=Role.STAFF)
    recycler = UserFactory(email="intake@beta.example")
    Membership.objects.create(user=recycler, organisation=beta, role=Role.STAFF)
    _shipment(alpha)

    # the exporter dispatches its shipment to the recycler
    sign_in(page, site, exporter.email)
    expect(page).to_have_url(site.org("alpha", "/"))
    page.get_by_role("link", name="Custody").click()
    page.get_by_test_id("dispatch-EXP-2026-0042").click()
    page.get_by_label("Recycler").select_option(label="Beta Recycling GmbH")
    page.get_by_test_id("dispatch").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("Dispatched")
    expect(page.get_by_test_id("timeline")).to_contain_text("Dispatched")

    # the recycler sees it arrive and confirms what its weighbridge found: 1150 kg, 4 units (-4.2 %)
    ticket = tmp_path / "weighbridge-ticket.pdf"
    ticket.write_bytes(make_pdf("Weighbridge ticket WB-2026-118"))
    recycler_page = browser.new_context(locale="en-GB").new_page()
    recycler_page.set_default_timeout(15000)
    sign_in(recycler_page, site, recycler.email)
    expect(recycler_page).to_have_url(site.org("beta", "/"))
    recycler_page.goto(site.org("beta", "/custody/"))
    recycler_page.get_by_role("link", name="EXP-2026-0042").click()
    recycler_page.get_by_test_id("confirm-receipt").click()
    recycler_page.get_by_label("Received on").fill(date.today().isoformat())
    recycler_page.get_by_label("Received net mass (kg)").fill("1150")
    recycler_page.get_by_label("Units received").fill("4")
    recycler_page.get_by_label("Weighbridge ticket number").fill("WB-2026-118")
    recycler_page.get_by_label("Gross weight on the ticket (kg)").fill("15570")
    recycler_page.get_by_label("Tare weight on the ticket (kg)").fill("14380")
    recycler_page.locator("input[name=ticket]").set_input_files(str(ticket))
    recycler_page.get_by_test_id("submit").click()
    expect(recycler_page.get_by_test_id("transfer-status")).to_have_text("Received")
    expect(recycler_page.locator(".messages")).to_contain_text("a discrepancy was opened")
    expect(recycler_page.get_by_test_id("discrepancy")).to_contain_text("Received figures outside the tolerance")
    expect(recycler_page.get_by_test_id("discrepancy-status")).to_have_text("Open")

    # the exporter sees the receipt and the discrepancy, and answers in the thread
    page.reload()
    expect(page.get_by_test_id("received-mass")).to_have_text("1150.000")
    expect(page.get_by_test_id("discrepancy")).to_contain_text("1200.000 → 1150.000")
    page.get_by_label("Comment").fill("Moisture loss on the way; we accept 1150 kg.")
    page.get_by_test_id("add-comment").click()
    expect(page.get_by_test_id("discrepancy")).to_contain_text("Moisture loss on the way")
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("chain-status")).to_have_text("The chain is intact (3 entries).")

    assert Receipt.objects.count() == 1 and Discrepancy.objects.get().status == "open"
