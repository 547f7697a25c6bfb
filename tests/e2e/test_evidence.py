"""Journey: staff uploads a transport manifest (progress bar), a compliance manager accepts it."""
import io

import pytest
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.evidence.fixtures"]  # vault


def sign_in(page, site, email):
    page.goto(site.public("/accounts/login/"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()


def big_pdf() -> bytes:
    """A real 3 MB PDF, so that the browser reports upload progress along the way."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "CMR-2026-0415", "/Subject": "x" * (3 * 1024 * 1024)})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_staff_uploads_a_manifest_and_a_manager_accepts_it(page, browser, site, vault, tmp_path):
    alpha = site.organisations["alpha"]
    staff = UserFactory(email="chen.jing@example.test", full_name="Chen Jing")
    manager = UserFactory(email="zhang.min@example.test", full_name="Zhang Min")
    Membership.objects.create(user=staff, organisation=alpha, role=Role.STAFF)
    Membership.objects.create(user=manager, organisation=alpha, role=Role.COMPLIANCE_MANAGER)
    document = tmp_path / "CMR-2026-0415.pdf"
    document.write_bytes(big_pdf())

    progress: list[int] = []
    page.expose_function("recordUploadProgress", lambda percent: progress.append(percent))
    page.add_init_script("document.addEventListener('evidence:upload-progress', "
                         "e => window.recordUploadProgress(e.detail));")

    sign_in(page, site, staff.email)
    expect(page).to_have_url(site.org("alpha", "/"))
    page.get_by_role("link", name="Evidence", exact=True).click()
    page.get_by_test_id("upload-link").click()
    page.get_by_test_id("doc-type").select_option("assay_report")  # htmx swaps in the assay's key fields
    expect(page.locator("[name=kf_elements__Co]")).to_be_visible()
    page.get_by_test_id("doc-type").select_option("transport_manifest")
    expect(page.get_by_label("Carrier *")).to_be_visible()
    page.get_by_label("Title").fill("CMR 2026-0415 Suzhou → Darmstadt")
    page.get_by_label("Document number (CMR / B/L) *").fill("CMR-2026-0415")
    page.get_by_label("Carrier *").fill("Trans-Eurasia Logistics")
    page.get_by_label("Net mass (kg) *").fill("18640")
    page.get_by_label("Gross mass (kg)").fill("21310")
    page.get_by_label("UN number").fill("3480")
    page.get_by_test_id("file-input").set_input_files(str(document))
    expect(page.locator("[data-chosen-file]")).to_have_text("CMR-2026-0415.pdf")
    page.get_by_test_id("upload-submit").click()

    expect(page.get_by_test_id("evidence-title")).to_have_text("CMR 2026-0415 Suzhou → Darmstadt")
    assert progress and progress[-1] == 100 and progress == sorted(progress)
    expect(page.get_by_test_id("kf-un_number")).to_have_text("UN3480")
    expect(page.locator("[data-testid^=status-]").first).to_have_text("Submitted")
    evidence_url = page.url

    manager_context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    manager_page = manager_context.new_page()
    manager_page.set_default_timeout(15000)
    try:
        sign_in(manager_page, site, manager.email)
        expect(manager_page).to_have_url(site.org("alpha", "/"))
        manager_page.get_by_role("link", name="Review queue").click()
        row = manager_page.get_by_test_id("queue-row").filter(has_text="CMR 2026-0415")
        expect(row).to_contain_text("chen.jing@example.test")
        row.get_by_test_id("queue-accept").click()
        expect(manager_page.locator(".messages")).to_contain_text("accepted")
        expect(manager_page.get_by_test_id("review-queue")).to_contain_text("Nothing awaits review.")
        manager_page.goto(evidence_url)
        expect(manager_page.get_by_test_id("revision-1")).to_contain_text("Accepted")
        expect(manager_page.get_by_test_id("revision-1")).to_contain_text("zhang.min@example.test")
    finally:
        manager_context.close()
