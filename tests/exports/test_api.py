"""API: passport exports per unit and model, readiness, reporting board data, submissions, exports,
and the public passport endpoint — each per role and against another organisation's objects."""
import io
import zipfile
from datetime import date

import pytest
from django.test import Client

from apps.accounts import services as account_services
from apps.accounts.roles import Role
from apps.activity.services import Actor
from apps.exports import services
from apps.exports.models import ReportingEvent
from apps.exports.passport import ASPECTS
from tests.exports.conftest import make_unit
from tests.exports.test_services import REPURPOSED, _receipt
from tests.exports.test_views import issued  # noqa: F401 - fixture


def api_client(organisation, member_access, role):
    owner, access = member_access(organisation, Role.OWNER)
    _key, plaintext = account_services.apikey_create(access=access, organisation=organisation, name="ERP",
                                                     role=role, creator=owner)
    return Client(HTTP_HOST=f"{organisation.slug}.localhost", HTTP_AUTHORIZATION=f"Api-Key {plaintext}")


@pytest.mark.parametrize("role", [Role.COMPLIANCE_MANAGER, Role.STAFF, Role.VIEWER])
def test_passport_exports_per_unit_and_model(issued, alpha, member_access, role):  # noqa: F811
    client = api_client(alpha, member_access, role)
    unit, model = issued["unit"], issued["model"]
    body = client.get(f"/api/v1/passports/units/{unit.pk}/?tier=legitimate_interest").json()
    assert list(body["aspects"]) == list(ASPECTS)
    assert body["aspects"]["GeneralProductInformation"]["batteryStatus"] == "Original"
    assert "resultOfTestReport" not in body["aspects"]["Labeling"]
    assert body["provenance"]["tier"] == "legitimate_interest"
    zipped = client.get(f"/api/v1/passports/units/{unit.pk}/zip/?tier=authorities")
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    assert "provenance.json" in archive.namelist() and len(archive.namelist()) == 8
    model_body = client.get(f"/api/v1/passports/models/{model.pk}/").json()
    assert "productIdentifier" not in model_body["aspects"]["GeneralProductInformation"]
    assert client.get(f"/api/v1/passports/models/{model.pk}/zip/").status_code == 200
    readiness = client.get(f"/api/v1/passports/units/{unit.pk}/readiness/").json()
    assert readiness["is_ready"] is True and readiness["category"] == "ev"
    model_readiness = client.get(f"/api/v1/passports/models/{model.pk}/readiness/").json()
    assert model_readiness["is_ready"] is True  # every model-level attribute is there; item data is per unit
    missing = [a["key"] for a in model_readiness["attributes"] if a["state"] == "missing"]
    assert missing == ["SupplyChainDueDiligence.supplyChainIndicies"]  # voluntary, not declared
    assert not any(a["mandatory"] for a in model_readiness["attributes"] if a["state"] == "missing")


def test_unknown_tier_is_refused(issued, alpha, member_access):  # noqa: F811
    response = api_client(alpha, member_access, Role.VIEWER).get(
        f"/api/v1/passports/units/{issued['unit'].pk}/?tier=everyone")
    assert response.status_code == 400 and response.json()["code"] == "tier_invalid"


def test_issue_and_status_change_by_api(ev_world, alpha, member_access):
    viewer = api_client(alpha, member_access, Role.VIEWER)
    staff = api_client(alpha, member_access, Role.STAFF)
    unit = ev_world["unit"]
    assert viewer.post(f"/api/v1/passports/units/{unit.pk}/issue/", {}).status_code == 403
    response = staff.post(f"/api/v1/passports/units/{unit.pk}/issue/", {"put_into_service_on": "2026-04-20"},
                          content_type="application/json")
    assert response.status_code == 201 and response.json()["identifier"].startswith("urn:cellpass:")
    again = staff.post(f"/api/v1/passports/units/{unit.pk}/issue/", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "passport_exists"
    recoded = make_unit(ev_world["model"], code=REPURPOSED, serial="ESS1", original_code=unit.code)
    response = staff.post(f"/api/v1/passports/units/{unit.pk}/status/",
                          {"status": "repurposed", "new_unit": str(recoded.pk)}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["version"] == 2 and response.json()["unit"] == str(recoded.pk)
    bad = staff.post(f"/api/v1/passports/units/{recoded.pk}/status/", {"status": "original"},
                     content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "status_transition"


def test_non_passport_unit_export_is_refused_with_a_reason(alpha, in_tenant, member_access):
    from tests.exports.conftest import make_model

    with in_tenant(alpha):
        unit = make_unit(make_model(code="P1", eu_category="portable"))
    response = api_client(alpha, member_access, Role.VIEWER).get(f"/api/v1/passports/units/{unit.pk}/")
    assert response.status_code == 400 and response.json()["code"] == "not_passport_category"


def test_reporting_endpoints(beta, in_tenant, member_access, django_assert_max_num_queries):
    with in_tenant(beta):
        for index in range(5):
            _receipt(f"IN-{index}", date(2026, 9, 28), [f"SEVPE75N3A0001R19000001{index}"])
        _receipt("IN-LATE", date(2026, 11, 20), [])
    viewer = api_client(beta, member_access, Role.VIEWER)
    staff = api_client(beta, member_access, Role.STAFF)
    assert viewer.post("/api/v1/reporting/sync/").status_code == 403
    assert staff.post("/api/v1/reporting/sync/").json() == {"created": 6, "deadlines_recounted": 0}
    with django_assert_max_num_queries(10):
        listing = viewer.get("/api/v1/reporting/events/").json()
    assert len(listing["results"]) == 6
    receipt = next(e for e in listing["results"] if e["source_reference"] == "IN-0")
    assert receipt["deadline"] == "2026-11-13" and receipt["kind"] == "recycler_receipt"
    assert receipt["state"] in ("due", "overdue")
    summary = viewer.get("/api/v1/reporting/summary/").json()
    assert summary["calendar_last_year"] == 2026 and summary["provisional_deadlines"] == 1
    assert summary["due"] + summary["overdue"] == 6
    refused = staff.post(f"/api/v1/reporting/events/{receipt['id']}/submission/",
                         {"platform_reference": "", "reported_on": "2026-10-20"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "reference_required"
    assert viewer.post(f"/api/v1/reporting/events/{receipt['id']}/submission/",
                       {"platform_reference": "GJ-1", "reported_on": "2026-10-20"},
                       content_type="application/json").status_code == 403
    done = staff.post(f"/api/v1/reporting/events/{receipt['id']}/submission/",
                      {"platform_reference": "GJ-1", "reported_on": "2026-10-20"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "reported"
    reported = viewer.get("/api/v1/reporting/events/?state=reported").json()["results"]
    assert [e["platform_reference"] for e in reported] == ["GJ-1"]
    xlsx = viewer.get("/api/v1/reporting/export/xlsx/")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_api_objects_of_another_organisation_are_not_found(issued, alpha, beta, member_access,  # noqa: F811
                                                           in_tenant):
    with in_tenant(beta):
        _receipt("IN-B", date(2026, 9, 28), [])
        services.reporting_events_sync(actor=Actor.system("test"))
        event_id = ReportingEvent.objects.get().pk
    client = api_client(beta, member_access, Role.COMPLIANCE_MANAGER)
    unit, model = issued["unit"], issued["model"]
    for path in (f"/api/v1/passports/units/{unit.pk}/", f"/api/v1/passports/units/{unit.pk}/zip/",
                 f"/api/v1/passports/models/{model.pk}/", f"/api/v1/passports/units/{unit.pk}/readiness/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/v1/passports/units/{unit.pk}/issue/", {}).status_code == 404
    alpha_client = api_client(alpha, member_access, Role.COMPLIANCE_MANAGER)
    assert alpha_client.post(f"/api/v1/reporting/events/{event_id}/submission/",
                             {"platform_reference": "X", "reported_on": "2026-10-01"},
                             content_type="application/json").status_code == 404


def test_public_passport_endpoint(issued):  # noqa: F811
    unit, passport = issued["unit"], issued["passport"]
    anonymous = Client(HTTP_HOST="localhost")
    body = anonymous.get(f"/api/public/v1/passports/{passport.identifier}/").json()
    assert body["aspects"]["GeneralProductInformation"]["batteryPassportIdentifier"] == passport.identifier
    assert "batteryStatus" not in body["aspects"]["GeneralProductInformation"]
    assert body["provenance"]["tier"] == "public" and body["provenance"]["current"] is True
    by_gs1 = anonymous.get(f"/api/public/v1/passports/01/{unit.gtin}/21/{unit.serial}")
    assert by_gs1.status_code == 200 and by_gs1.json() == body
    assert anonymous.get("/api/public/v1/passports/urn:cellpass:nothing/").status_code == 404
    bad = anonymous.get("/api/public/v1/passports/01/06975123450010/21/SN1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 400 and bad.json()["code"] == "gtin_check_digit"


def test_openapi_schema_lists_the_exports_and_the_public_endpoint(db, organisations):
    schema = Client(HTTP_HOST="alpha.localhost").get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in ("/api/v1/passports/units/{unit_id}/", "/api/v1/passports/units/{unit_id}/zip/",
                 "/api/v1/passports/models/{model_id}/", "/api/v1/reporting/events/",
                 "/api/v1/reporting/events/{event_id}/submission/", "/api/v1/reporting/export/{kind}/",
                 "/api/public/v1/passports/{identifier}/", "/api/public/v1/passports/01/{gtin}/21/{serial}"):
        assert path in paths, path
    public = paths["/api/public/v1/passports/{identifier}/"]["get"]
    assert public["servers"][0]["url"].startswith("http://localhost")
