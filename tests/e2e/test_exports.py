"""Journey: a battery's QR code opens its public passport page (GS1 Digital Link path), in English
and in Chinese; an unknown code shows not-found."""
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.exports import keyfields as kf
from apps.exports import services
from apps.exports.demo import DOCUMENTS
from tests.accounts.factories import UserFactory
from tests.exports.conftest import add_evidence, make_model, make_unit

pytestmark = pytest.mark.e2e


def test_public_passport_from_the_qr_path_in_english_and_chinese(page, site):
    alpha = site.organisations["alpha"]
    owner = UserFactory(email="passport.owner@example.test")
    access = Access(organisation_id=alpha.pk, role=Role.OWNER, user_id=owner.pk, label=owner.email)
    with schema_context(alpha.schema_name):
        model = make_model()
        for doc_type in (kf.CARBON_FOOTPRINT_STUDY, kf.DECLARATION_OF_CONFORMITY):
            title, key_fields = DOCUMENTS[doc_type]
            add_evidence(doc_type=doc_type, key_fields=dict(key_fields), model=model, title=title)
        unit = make_unit(model)
        passport = services.passport_issue(access=access, unit=unit)

    page.goto(site.public(f"/01/{unit.gtin}/21/{unit.serial}"))
    expect(page.get_by_test_id("public-passport-title")).to_have_text("Battery passport")
    expect(page.get_by_test_id("public-identifier")).to_have_text(passport.identifier)
    expect(page.get_by_test_id("value-batteryCategory")).to_have_text("Electric vehicle (EV)")
    expect(page.get_by_test_id("value-batteryCarbonFootprint")).to_have_text("68.4")
    expect(page.get_by_test_id("value-batteryStatus")).to_have_count(0)  # legitimate interest only

    page.get_by_test_id("language-switcher").select_option("zh-hans")
    expect(page.get_by_test_id("public-passport-title")).to_have_text("电池护照")
    expect(page.get_by_test_id("value-batteryCategory")).to_have_text("电动汽车电池（EV）")
    expect(page).to_have_url(site.public(f"/01/{unit.gtin}/21/{unit.serial}"))

    page.goto(site.public(f"/01/{unit.gtin}/21/NO-SUCH-SERIAL"))
    expect(page.get_by_test_id("passport-not-found")).to_be_visible()
