"""Journey: a staff member imports a CSV of units through the browser, commits it and finds the units."""
import pytest
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from tests.accounts.factories import PASSWORD, UserFactory
from tests.traceability.factories import gbt_code

pytestmark = pytest.mark.e2e


def test_import_a_csv_through_the_browser_and_see_the_units(page, site):
    user = UserFactory(email="chen.jing@example.test", full_name="Chen Jing")
    Membership.objects.create(user=user, organisation=site.organisations["alpha"], role=Role.STAFF)
    page.goto(site.public("/accounts/login/"))
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page).to_have_url(site.org("alpha", "/"))

    page.get_by_role("link", name="Units").first.click()
    page.get_by_test_id("nav-import").click()
    pack, module = gbt_code("P", 1), gbt_code("M", 2)
    csv = f"编码,层级,上级编码\n{pack},电池包,\n{module},模组,{pack}\n".encode("gbk")
    page.get_by_label("Battery units").check()
    page.locator("input[type=file]").set_input_files({"name": "wms-export.csv", "mimeType": "text/csv",
                                                      "buffer": csv})
    page.get_by_test_id("check-file").click()
    result = page.locator('[data-testid="import-result"][data-status="validated"]')
    expect(result).to_be_visible()
    expect(result.get_by_test_id("new")).to_have_text("2")

    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("committed")).to_be_visible()
    page.get_by_test_id("see-records").click()
    table = page.get_by_test_id("unit-list")
    expect(table).to_contain_text(pack)
    expect(table).to_contain_text(module)
    page.get_by_role("link", name=module).click()
    expect(page.get_by_test_id("unit-code")).to_have_text(module)
    expect(page.get_by_test_id("hierarchy")).to_contain_text(pack)
