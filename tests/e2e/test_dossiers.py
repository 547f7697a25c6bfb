"""Journey: request a dossier for a shipment, watch it render, download it, verify it publicly
(and see a one-byte-modified copy rejected)."""
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from tests.accounts.factories import UserFactory
from tests.dossiers.conftest import make_shipment
from tests.e2e.test_foundation import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_request_watch_download_and_verify_a_dossier(page, site, celery_worker_process, tmp_path):
    alpha = site.organisations["alpha"]
    user = UserFactory(email="compliance@alpha.test", full_name="Zhang Min")
    Membership.objects.create(user=user, organisation=alpha, role=Role.COMPLIANCE_MANAGER)
    with schema_context(alpha.schema_name):
        make_shipment("SHP-E2E-7", units=40)

    sign_in(page, site, user.email)
    page.goto(site.org("alpha", "/dossiers/"))
    page.get_by_test_id("request-dossier").locator("select[name=scope_kind]").select_option("shipment")
    page.get_by_test_id("request-dossier").locator("select[name=shipment]").select_option(label="SHP-E2E-7 · 贝塔回收")
    page.get_by_test_id("request-dossier").locator("select[name=language]").select_option("zh-hans")
    page.get_by_test_id("generate-dossier").click()

    progress = page.get_by_test_id("dossier-progress")
    expect(progress).to_be_visible()
    expect(page.get_by_test_id("dossier-status")).to_have_text("Done", timeout=240_000)
    sha256 = page.get_by_test_id("dossier-sha256").inner_text().strip()
    with page.expect_download() as download_info:
        page.get_by_test_id("download-dossier").click()
    pdf_path = tmp_path / "dossier.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")

    page.goto(site.public("/verify/"))
    page.get_by_label("Dossier PDF").set_input_files(str(pdf_path))
    page.get_by_test_id("verify").click()
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-code", "issued")
    expect(page.get_by_test_id("verdict-organisation")).to_contain_text("Alpha Battery Export Co.")
    expect(verdict).to_contain_text(sha256)

    tampered = bytearray(pdf_path.read_bytes())
    tampered[len(tampered) // 2] ^= 0x01
    modified = tmp_path / "modified.pdf"
    modified.write_bytes(bytes(tampered))
    page.get_by_label("Dossier PDF").set_input_files(str(modified))
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("Rejected")
