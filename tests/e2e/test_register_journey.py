"""Journey across the register and the vault: staff imports units and a shipment from the ERP's CSV files,
uploads the shipment's transport manifest, and a compliance manager accepts it; the shipment then shows it."""
import pytest
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from tests.accounts.factories import PASSWORD, UserFactory
from tests.traceability.factories import gbt_code

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.evidence.fixtures"]  # vault

SHIPMENT_CSV = ("reference,direction,counterparty_name,counterparty_country,hs_code,un_number,special_provision,"
                "packing_instruction,is_waste,waste_code,dispatch_date,unit_code,chemistry,net_mass_kg\n"
                "SO-2026-0415,outbound,EcoCycle GmbH,DE,8549.13,UN 3480,377,P909,yes,16 06 05,2026-04-12,{pack},ncm,"
                "412.5\n"
                "SO-2026-0415,,,,,,,,,,,{module},,\n")


def sign_in(page, site, email):
    page.goto(site.public("/accounts/login/"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page).to_have_url(site.org("alpha", "/"))


def import_file(page, kind_label: str, name: str, content: bytes, new: str) -> None:
    page.get_by_role("link", name="Units").first.click()
    page.get_by_test_id("nav-import").click()
    page.get_by_label(kind_label).check()
    page.locator("input[type=file]").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})
    page.get_by_test_id("check-file").click()
    result = page.locator('[data-testid="import-result"][data-status="validated"]')
    expect(result).to_be_visible()
    expect(result.get_by_test_id("new")).to_have_text(new)
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("committed")).to_be_visible()


def test_import_units_and_a_shipment_upload_its_manifest_and_a_manager_accepts_it(page, browser, site, vault,
                                                                                   tmp_path):
    alpha = site.organisations["alpha"]
    staff = UserFactory(email="chen.jing@example.test", full_name="Chen Jing")
    manager = UserFactory(email="zhang.min@example.test", full_name="Zhang Min")
    Membership.objects.create(user=staff, organisation=alpha, role=Role.STAFF)
    Membership.objects.create(user=manager, organisation=alpha, role=Role.COMPLIANCE_MANAGER)
    pack, module = gbt_code("P", 41), gbt_code("M", 42)

    sign_in(page, site, staff.email)
    # the WMS export of the units, in Chinese headings and GBK as a Chinese Excel saves it
    import_file(page, "Battery units", "wms-units.csv",
                f"编码,层级,上级编码\n{pack},电池包,\n{module},模组,{pack}\n".encode("gbk"), new="2")
    # the ERP export of the shipment that carries them (UTF-8 with a BOM)
    import_file(page, "Shipments", "erp-shipments.csv",
                ("\ufeff" + SHIPMENT_CSV.format(pack=pack, module=module)).encode("utf-8"), new="1")
    page.get_by_test_id("see-records").click()
    page.get_by_role("link", name="SO-2026-0415").click()
    expect(page.get_by_test_id("shipment-reference")).to_have_text("SO-2026-0415")
    expect(page.get_by_test_id("shipment-units")).to_contain_text(module)
    shipment_url = page.url

    document = tmp_path / "CMR-2026-0415.pdf"
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(document)
    page.get_by_role("link", name="Evidence", exact=True).click()
    page.get_by_test_id("upload-link").click()
    page.get_by_test_id("doc-type").select_option("assay_report")  # htmx swaps in the assay's key fields
    expect(page.locator("[name=kf_elements__Co]")).to_be_visible()
    page.get_by_test_id("doc-type").select_option("transport_manifest")
    expect(page.get_by_label("Carrier *")).to_be_visible()
    page.get_by_label("Title").fill("CMR 2026-0415 Suzhou → Darmstadt")
    page.get_by_label("Document number (CMR / B/L) *").fill("CMR-2026-0415")
    page.get_by_label("Carrier *").fill("Trans-Eurasia Logistics")
    page.get_by_label("Net mass (kg) *").fill("412.5")
    page.get_by_label("Shipments (references)").fill("SO-2026-0415")
    page.get_by_test_id("file-input").set_input_files(str(document))
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("evidence-title")).to_have_text("CMR 2026-0415 Suzhou → Darmstadt")
    expect(page.locator("[data-testid^=status-]").first).to_have_text("Submitted")

    manager_context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    manager_page = manager_context.new_page()
    manager_page.set_default_timeout(15000)
    try:
        sign_in(manager_page, site, manager.email)
        manager_page.get_by_role("link", name="Review queue").click()
        row = manager_page.get_by_test_id("queue-row").filter(has_text="CMR 2026-0415")
        row.get_by_test_id("queue-accept").click()
        expect(manager_page.locator(".messages")).to_contain_text("accepted")
        manager_page.goto(shipment_url)
        linked = manager_page.get_by_test_id("linked-evidence")
        expect(linked).to_contain_text("CMR 2026-0415 Suzhou → Darmstadt")
        expect(linked).to_contain_text("Accepted")
    finally:
        manager_context.close()
