"""Journey: a missing requirement on the checklist board → its upload link → the evidence is uploaded →
the real worker re-evaluates → the board shows the requirement met, without reloading the page.

The vault's upload page (/evidence/upload/) is built on another branch: this test follows the board's
link to it, then creates the evidence through the models, as the upload would. After the merge, the
step marked UPLOAD is to drive the real upload form instead.
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

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def sign_in(page, site, email):
    page.goto(site.public("/accounts/login/"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()


def test_from_missing_requirement_to_met_after_upload(page, site, celery_worker_process, wait_for):
    user = UserFactory(email="chen.jing@example.test", full_name="Chen Jing")
    Membership.objects.create(user=user, organisation=site.organisations["alpha"], role=Role.STAFF)
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

    sign_in(page, site, user.email)
    expect(page).to_have_url(site.org("alpha", "/"))
    expect(page.get_by_test_id("completeness-chart")).to_be_visible()
    page.get_by_role("link", name="Checklists", exact=True).click()
    page.get_by_role("link", name="SHP-E2E-1").click()
    expect(page.get_by_test_id("scope-label")).to_have_text("SHP-E2E-1")

    contract = page.get_by_test_id("requirement-contract")
    expect(contract).to_have_attribute("data-status", "missing")
    expect(contract).to_contain_text("Missing: Contract.")
    upload = page.get_by_test_id("upload-contract")
    expect(upload).to_have_attribute("href", f"/evidence/upload/?shipment={shipment.pk}&type=contract")
    upload.click()
    expect(page).to_have_url(site.org("alpha", f"/evidence/upload/?shipment={shipment.pk}&type=contract"))

    # UPLOAD: the vault's form stores the document and its key fields; here, through the models.
    with schema_context("alpha"):
        document("contract", shipments=[shipment], reference="C-2026-017", effective=date(2026, 1, 1),
                 expiry=date(2099, 12, 31), quantity_kg=20000, counterparty=shipment.counterparty_name)

    page.go_back()
    page.get_by_test_id("evaluate-now").click()
    expect(page.get_by_text("Evaluation queued")).to_be_visible()
    contract = page.get_by_test_id("requirement-contract")
    expect(contract).to_have_attribute("data-status", "met", timeout=45_000)  # htmx polls while the worker runs
    expect(contract).to_contain_text("Contract C-2026-017 is accepted and valid on the dispatch date (2099-01-15)")
    expect(contract).to_contain_text("Contract C-2026-017")  # the evidence behind it
    expect(page.get_by_test_id("pending")).to_have_count(0)
