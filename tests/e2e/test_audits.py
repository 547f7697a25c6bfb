"""Journey: an owner grants an auditor access; the auditor creates an account, enrols TOTP (the
code computed from the key the page shows), accepts, sees the hub, opens the organisation and
raises a finding; the organisation answers it and sees the auditor's access log."""
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from tests.accounts.factories import UserFactory, totp_code_for_key, totp_device
from tests.e2e.test_foundation import sign_in

pytestmark = pytest.mark.e2e


def test_owner_grants_auditor_signs_in_with_totp_raises_a_finding_and_the_organisation_answers(browser, page, site):
    owner = UserFactory(email="owner@alpha.test", full_name="Li Wei")
    Membership.objects.create(user=owner, organisation=site.organisations["alpha"], role=Role.OWNER)
    totp_device(owner)

    # the owner signs in with password and TOTP and grants access to the whole organisation
    sign_in(page, site, owner.email)
    expect(page).to_have_url(site.org("alpha", "/"))
    page.get_by_role("link", name="Auditors", exact=True).click()
    page.get_by_label("Auditor's e-mail address").fill("sophie@audit.test")
    page.get_by_label("Purpose").fill("Recycled-content audit 2026")
    page.get_by_test_id("grant-engagement").click()
    expect(page.get_by_test_id("engagement-status")).to_have_text("Invited")
    link = re.search(r"http://localhost:\d+(/auditor/invitations/[\w-]+/)", mail.outbox[-1].body).group(1)

    # the auditor, in another browser, creates an account and enrols an authenticator
    auditor = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}).new_page()
    auditor.set_default_timeout(15000)
    auditor.goto(site.public(link))
    auditor.get_by_label("Full name").fill("Sophie Martin")
    auditor.get_by_label("Password", exact=True).fill("a long auditor passphrase")
    auditor.get_by_label("Password again").fill("a long auditor passphrase")
    auditor.get_by_test_id("create-account").click()
    expect(auditor.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    key = auditor.get_by_test_id("totp-key").inner_text()
    auditor.get_by_label("Code from the app").fill(totp_code_for_key(key))
    auditor.get_by_test_id("confirm-totp").click()
    expect(auditor.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    auditor.get_by_test_id("continue").click()
    auditor.get_by_test_id("accept-engagement").click()

    # the hub lists the engagement; opening it lands in the organisation, read-only
    expect(auditor).to_have_url(site.public("/auditor/"))
    expect(auditor.get_by_test_id("engagement-status")).to_have_text("Active")
    auditor.get_by_test_id("open-engagement-alpha").click()
    expect(auditor).to_have_url(site.org("alpha", "/"))
    expect(auditor.get_by_role("heading", name="Your audit engagement")).to_be_visible()
    expect(auditor.get_by_role("link", name="Dashboard")).to_be_visible()
    # an external auditor sees neither the staff list nor the API keys
    expect(auditor.get_by_role("link", name="Members")).to_have_count(0)
    expect(auditor.get_by_role("link", name="API keys")).to_have_count(0)

    auditor.get_by_role("link", name="Findings", exact=True).click()
    auditor.get_by_test_id("raise-finding").click()
    auditor.get_by_label("Checklist requirement").fill("recycling-certificate")
    auditor.get_by_label("Severity").select_option("major")
    auditor.get_by_label("Title").fill("Certificate does not name the plant")
    auditor.get_by_label("Finding", exact=True).fill("The certificate of recycling names no processing plant.")
    auditor.get_by_test_id("submit-finding").click()
    expect(auditor.get_by_test_id("finding-status")).to_have_text("Open")

    # the organisation answers; the auditor sees the answer in the thread
    page.goto(site.org("alpha", "/audits/findings/"))
    page.get_by_role("link", name="Certificate does not name the plant").click()
    page.get_by_label("Message").fill("A corrected certificate will be uploaded this week.")
    page.get_by_test_id("answer-finding").click()
    expect(page.get_by_test_id("finding-status")).to_have_text("Answered")
    auditor.reload()
    expect(auditor.get_by_test_id("thread")).to_contain_text("A corrected certificate will be uploaded this week.")

    # every page the auditor opened is in the log the organisation sees
    page.goto(site.org("alpha", "/audits/engagements/"))
    page.get_by_role("link", name="Details and log").click()
    expect(page.get_by_test_id("access-log")).to_contain_text("POST /audits/findings/new/")
    expect(page.get_by_test_id("access-log")).to_contain_text("GET /audits/findings/")
    auditor.context.close()
