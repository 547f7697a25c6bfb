"""Journeys: sign in, switch language, switch organisation, sign out."""
import pytest
from playwright.sync_api import expect

from apps.accounts.models import Membership, User
from apps.accounts.roles import Role
from tests.accounts.factories import PASSWORD, UserFactory, totp_code, totp_code_for_key, totp_device

pytestmark = pytest.mark.e2e


def sign_in(page, site, email):
    """The sign-in form, then the TOTP step when the user's role requires it (owners, auditors)."""
    page.goto(site.public("/accounts/login/"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("sign-in")).to_have_count(0)
    pass_totp_step(page, email)


def pass_totp_step(page, email):
    """Enrol an authenticator from the key the page shows, or enter the current code of the user's device."""
    if "/accounts/two-factor/setup/" in page.url:
        page.get_by_label("Code from the app").fill(totp_code_for_key(page.get_by_test_id("totp-key").inner_text()))
        page.get_by_test_id("confirm-totp").click()
        page.get_by_test_id("continue").click()
    elif "/accounts/two-factor/" in page.url:
        page.get_by_label("Code").fill(totp_code(totp_device(User.objects.get(email__iexact=email))))
        page.get_by_test_id("verify-code").click()


def test_sign_in_switch_language_and_organisation(page, site):
    user = UserFactory(email="li.wei@example.test", full_name="Li Wei")
    Membership.objects.create(user=user, organisation=site.organisations["alpha"], role=Role.OWNER)
    Membership.objects.create(user=user, organisation=site.organisations["beta"], role=Role.VIEWER)

    sign_in(page, site, user.email)
    expect(page.get_by_role("heading", name="Your organisations")).to_be_visible()
    page.get_by_test_id("open-alpha").click()
    expect(page).to_have_url(site.org("alpha", "/"))
    expect(page.get_by_test_id("current-organisation")).to_have_text("Alpha Battery Export Co.")

    page.get_by_test_id("language-switcher").select_option("zh-hans")
    expect(page.get_by_role("link", name="成员")).to_be_visible()
    expect(page.get_by_test_id("current-organisation")).to_have_text("阿尔法电池出口有限公司")

    page.get_by_test_id("organisation-switcher").locator("summary").click()
    page.get_by_role("link", name="贝塔回收有限公司").click()
    expect(page).to_have_url(site.org("beta", "/"))
    expect(page.get_by_test_id("current-organisation")).to_have_text("贝塔回收有限公司")
    # a viewer sees no member management and no API keys
    expect(page.get_by_role("link", name="API 密钥")).to_have_count(0)

    page.locator("summary", has_text="Li Wei").click()
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(site.public("/accounts/login/"))
    page.goto(site.org("alpha", "/members/"))
    expect(page).to_have_url(site.public("/accounts/login/") + "?next=" +
                             site.org("alpha", "/members/").replace(":", "%3A").replace("/", "%2F"))


def test_wrong_organisation_host_shows_not_found(page, site):
    user = UserFactory(email="only.alpha@example.test")
    Membership.objects.create(user=user, organisation=site.organisations["alpha"], role=Role.OWNER)
    sign_in(page, site, user.email)
    expect(page).to_have_url(site.org("alpha", "/"))
    page.goto(site.org("beta", "/members/"))
    expect(page.get_by_test_id("not-found")).to_be_visible()
