"""Journey: a missing requirement on the checklist board → its upload link → the staff member uploads the
transport manifest through the vault's real upload form → a compliance manager accepts it in the review
queue → the real worker re-evaluates (the vault's changes reach checklists through its signals) → the board
shows the requirement met, with the manifest's key fields compared with the shipment.
"""
from datetime import date

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.checklists.models import ProtocolSelection, ScopeStatus
from tests.accounts.factories import PASSWORD, UserFactory
from tests.checklists.factories import ShipmentFactory, add_mass, document
from tests.evidence.files import make_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.worker]
pytest_plugins = ["tests.evidence.fixtures"]  # vault: a private storage root per test


def sign_in(page, site, email):
    page.goto(site.public("/accounts/login/"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()


def test_from_missing_manifest_to_met_after_upload_and_review(page, browser, site, vault, celery_worker_process,
                                                              wait_for, tmp_path):
    alpha = site.organisations["alpha"]
    staff = UserFactory(email="chen.jing@example.test", full_name="Chen Jing")
    manager = UserFactory(email="zhang.min@example.test", full_name="Zhang Min")
    Membership.objects.create(user=staff, organisation=alpha, role=Role.STAFF)
    Membership.objects.create(user=manager, organisation=alpha, role=Role.COMPLIANCE_MANAGER)
    with schema_context("alpha"):
        ProtocolSelection.objects.create(protocol_id="cn-export-2026")
        shipment = ShipmentFactory(status="draft", dispatch_date=date(2099, 1, 15), reference="SHP-E2E-1")
        add_mass(shipment, 20000)
        document("recycler_permit", shipments=[shipment], effective=date(2025, 1, 1),
                 holder=shipment.counterparty_name)

    def evaluated():
        with schema_context("alpha"):
            return ScopeStatus.objects.filter(scope_id=str(shipment.pk)).exists()

    wait_for(evaluated, timeout=60)
    pdf = tmp_path / "CMR-E2E-1.pdf"
    pdf.write_bytes(make_pdf("CMR-E2E-1"))

    sign_in(page, site, staff.email)
    expect(page).to_have_url(site.org("alpha", "/"))
    expect(page.get_by_test_id("completeness-chart")).to_be_visible()
    page.get_by_role("link", name="Checklists", exact=True).click()
    page.get_by_role("link", name="SHP-E2E-1").click()
    expect(page.get_by_test_id("scope-label")).to_have_text("SHP-E2E-1")
    board_url = page.url

    manifest = page.get_by_test_id("requirement-transport_manifest")
    expect(manifest).to_have_attribute("data-status", "missing")
    upload = page.get_by_test_id("upload-transport_manifest")
    expect(upload).to_have_attribute("href", f"/evidence/upload/?shipment={shipment.pk}&type=transport_manifest")
    upload.click()

    # The vault's upload form, with the type and the shipment taken from the link.
    expect(page.get_by_test_id("doc-type")).to_have_value("transport_manifest")
    expect(page.get_by_label("Net mass (kg) *")).to_be_visible()
    expect(page.get_by_label("Shipments (references)")).to_have_value("SHP-E2E-1")
    page.get_by_label("Document number", exact=True).fill("CMR-E2E-1")
    page.get_by_label("Title").fill("CMR E2E-1 Suzhou → Darmstadt")
    page.get_by_label("Document number (CMR / B/L) *").fill("CMR-E2E-1")
    page.get_by_label("Carrier *").fill("Trans-Eurasia Logistics")
    page.get_by_label("Net mass (kg) *").fill("19900")
    page.get_by_label("Gross mass (kg)").fill("21400")
    page.get_by_test_id("file-input").set_input_files(str(pdf))
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("evidence-title")).to_have_text("CMR E2E-1 Suzhou → Darmstadt")
    expect(page.locator("[data-testid^=status-]").first).to_have_text("Submitted")

    # Submitted, not accepted yet: the board says it waits for review.
    page.goto(board_url)
    page.get_by_test_id("evaluate-now").click()
    manifest = page.get_by_test_id("requirement-transport_manifest")
    expect(manifest).to_contain_text("waiting for review", timeout=45_000)
    expect(manifest).to_have_attribute("data-status", "missing")

    manager_context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    manager_page = manager_context.new_page()
    manager_page.set_default_timeout(15000)
    try:
        sign_in(manager_page, site, manager.email)
        expect(manager_page).to_have_url(site.org("alpha", "/"))
        manager_page.get_by_role("link", name="Review queue").click()
        row = manager_page.get_by_test_id("queue-row").filter(has_text="CMR E2E-1")
        row.get_by_test_id("queue-accept").click()
        expect(manager_page.locator(".messages")).to_contain_text("accepted")
    finally:
        manager_context.close()

    # The acceptance reaches the checklist through the vault's signals and the worker: no button needed.
    def met():
        with schema_context("alpha"):
            status = ScopeStatus.objects.filter(scope_id=str(shipment.pk), protocol_id="cn-export-2026") \
                .select_related("evaluation").first()
            results = {r.requirement_id: r.status for r in status.evaluation.results.all()} if status else {}
            return results.get("transport_manifest") == "met"

    wait_for(met, timeout=60)
    page.goto(board_url)
    manifest = page.get_by_test_id("requirement-transport_manifest")
    expect(manifest).to_have_attribute("data-status", "met")
    expect(manifest).to_contain_text("Manifest net mass 19.9 t matches the declared 20 t (tolerance 2 %).")
    expect(manifest).to_contain_text("CMR-E2E-1")  # the evidence behind it
    expect(page.get_by_test_id("pending")).to_have_count(0)

