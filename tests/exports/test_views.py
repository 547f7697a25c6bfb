"""Pages inside an organisation and the public passport page: roles, object isolation, query
budgets, downloads, the QR code, zh/en."""
import io
import json
import zipfile
from datetime import date

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.activity.services import Actor
from apps.exports import services
from apps.exports.models import ReportingEvent
from apps.exports.passport import ASPECTS
from tests.exports.conftest import make_model, make_unit
from tests.exports.test_services import REPURPOSED, _receipt


@pytest.fixture
def issued(ev_world, alpha, member_access):
    _user, owner = member_access(alpha, Role.OWNER)
    passport = services.passport_issue(access=owner, unit=ev_world["unit"], put_into_service_on=date(2026, 4, 20))
    return {**ev_world, "passport": passport, "owner": owner}


@pytest.mark.parametrize("role", [Role.OWNER, Role.STAFF, Role.VIEWER])
def test_every_member_sees_the_passport_pages(issued, alpha, make_member, client_for, role):
    client = client_for(make_member(alpha, role), alpha)
    unit, model = issued["unit"], issued["model"]
    for path in ("/passports/", "/passports/readiness/", f"/passports/units/{unit.pk}/",
                 f"/passports/models/{model.pk}/", "/reporting/"):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/passports/units/{unit.pk}/?tier=authorities").content.decode()
    assert issued["passport"].identifier in page and 'data-testid="qr-code"' in page and "<svg" in page
    assert f"/01/{unit.gtin.zfill(14)}/21/{unit.serial}" in page
    assert ('data-testid="issue-passport"' in page) is False
    assert ('data-testid="change-status"' in page) is (role != Role.VIEWER)


def test_viewer_cannot_issue_or_change_status(ev_world, alpha, make_member, client_for):
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    unit = ev_world["unit"]
    assert client.post(f"/passports/units/{unit.pk}/issue/").status_code == 403
    assert client.post(f"/passports/units/{unit.pk}/status/", {"status": "reused"}).status_code == 403
    assert client.post("/reporting/sync/").status_code == 403


def test_staff_issues_and_repurposes_through_the_pages(ev_world, alpha, make_member, client_for):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    unit = ev_world["unit"]
    response = client.post(f"/passports/units/{unit.pk}/issue/", {"put_into_service_on": "2026-04-20"})
    assert response.status_code == 302
    assert "Battery passport issued." in client.get(response["Location"]).content.decode()
    recoded = make_unit(ev_world["model"], code=REPURPOSED, serial="ESS1", original_code=unit.code)
    response = client.post(f"/passports/units/{unit.pk}/status/", {"status": "repurposed",
                                                                   "new_unit_code": REPURPOSED})
    assert response["Location"] == f"/passports/units/{recoded.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "A new battery passport linked to the original one was issued." in page
    assert 'data-testid="predecessor"' in page and 'data-testid="history"' in page
    response = client.post(f"/passports/units/{recoded.pk}/status/", {"status": "original"})
    assert "Choose a battery status this battery may change to." in client.get(response["Location"]).content.decode()


def test_non_passport_unit_page_says_why(alpha, in_tenant, make_member, client_for):
    with in_tenant(alpha):
        unit = make_unit(make_model(code="SLI", eu_category="sli"))
    response = client_for(make_member(alpha, Role.OWNER), alpha).get(f"/passports/units/{unit.pk}/")
    assert response.status_code == 404
    assert "need no battery passport" in response.content.decode()


def test_downloads_json_and_zip_of_seven_aspects_and_provenance(issued, alpha, make_member, client_for):
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    unit = issued["unit"]
    body = json.loads(client.get(f"/passports/units/{unit.pk}/passport.json?tier=public").content)
    assert list(body["aspects"]) == list(ASPECTS) and body["provenance"]["tier"] == "public"
    assert "batteryStatus" not in body["aspects"]["GeneralProductInformation"]
    response = client.get(f"/passports/units/{unit.pk}/passport.zip?tier=authorities")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted([f"{aspect}.json" for aspect in ASPECTS] + ["provenance.json"])
    assert json.loads(archive.read("Labeling.json"))["resultOfTestReport"].endswith(".pdf")
    model_zip = client.get(f"/passports/models/{issued['model'].pk}/passport.zip")
    assert len(zipfile.ZipFile(io.BytesIO(model_zip.content)).namelist()) == 8


def test_objects_of_another_organisation_are_not_found(issued, alpha, beta, make_member, client_for, in_tenant):
    with in_tenant(beta):
        _receipt("IN-B", date(2026, 9, 28), [])
        services.reporting_events_sync(actor=Actor.system("test"))
        event = ReportingEvent.objects.get()
    member_of_beta = client_for(make_member(beta, Role.OWNER), beta)
    unit, model = issued["unit"], issued["model"]
    for path in (f"/passports/units/{unit.pk}/", f"/passports/units/{unit.pk}/passport.zip",
                 f"/passports/models/{model.pk}/", f"/passports/models/{model.pk}/passport.json",
                 f"/api/v1/passports/units/{unit.pk}/", f"/api/v1/passports/models/{model.pk}/readiness/"):
        assert member_of_beta.get(path).status_code == 404, path
    assert member_of_beta.post(f"/passports/units/{unit.pk}/issue/").status_code == 404
    member_of_alpha = client_for(make_member(alpha, Role.OWNER), alpha)
    assert member_of_alpha.get(f"/reporting/events/{event.pk}/submit/").status_code == 404
    assert member_of_alpha.post(f"/api/v1/reporting/events/{event.pk}/submission/",
                                {"platform_reference": "X", "reported_on": "2026-10-01"}).status_code == 404


def test_list_pages_keep_their_query_budget(issued, alpha, make_member, client_for, django_assert_max_num_queries,
                                            in_tenant):
    with in_tenant(alpha):
        for index in range(12):
            make_unit(issued["model"], code=f"SEVPE75N3A0001R35{index:07d}", serial=f"SN{index}")
        for index in range(5):
            make_model(code=f"EVP-{index}")
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    client.get("/passports/")
    with django_assert_max_num_queries(16):
        assert client.get("/passports/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/passports/readiness/").status_code == 200
    with django_assert_max_num_queries(26):
        assert client.get(f"/passports/units/{issued['unit'].pk}/").status_code == 200


def test_reporting_board_states_submission_and_exports(beta, in_tenant, make_member, client_for,
                                                       django_assert_max_num_queries):
    with in_tenant(beta):
        for index in range(6):
            _receipt(f"IN-{index}", date(2026, 9, 28 + index % 2), [f"SEVPE75N3A0001R19000001{index}"])
        _receipt("=cmd|' /C calc'!A0", date(2026, 11, 20), ["SEVPE75N3A0001R2B0000031"])
        services.reporting_events_sync(actor=Actor.system("test"))
        first = ReportingEvent.objects.get(source_reference="IN-0")
    staff = client_for(make_member(beta, Role.STAFF), beta)
    with django_assert_max_num_queries(14):
        page = staff.get("/reporting/")
    html = page.content.decode()
    assert 'data-testid="calendar-coverage"' in html and "2004" in html and "2026" in html
    assert 'data-testid="calendar-warning"' in html and "2027" in html
    # the receipt of 28 Sep 2026 runs over National Day week and the worked Saturday 10 Oct
    assert "30 working days · holidays skipped: 5 (10-01…10-07) · working weekends: 10-10" in html
    response = staff.post(f"/reporting/events/{first.pk}/submit/", {"platform_reference": "",
                                                                     "reported_on": "2026-10-20"})
    assert response.status_code == 400
    response = staff.post(f"/reporting/events/{first.pk}/submit/", {"platform_reference": "GJ-77",
                                                                     "reported_on": "2026-10-20"})
    assert response.status_code == 302
    html = staff.get("/reporting/").content.decode()
    assert "GJ-77" in html
    csv_text = staff.get("/reporting/export.csv").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0] == "GB/T 34014 code,Event,Event date,Counterparty,Mass (kg)" and len(lines) == 7
    assert "SEVPE75N3A0001R190000010" not in csv_text  # reported: not pending any more
    xlsx = staff.get("/reporting/export.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet["A1"].value == "GB/T 34014 code" and sheet.max_row == 7
    api_csv = staff.get("/api/v1/reporting/export/csv/").content.decode("utf-8-sig")
    assert api_csv == csv_text


def test_reporting_export_escapes_formula_like_values(beta, in_tenant, make_member, client_for):
    with in_tenant(beta):
        shipment = _receipt("IN-F", date(2026, 9, 28), ["SEVPE75N3A0001R190000011"])
        shipment.counterparty_name = "=HYPERLINK(\"http://evil.example\",\"x\")"
        shipment.save()
        services.reporting_events_sync(actor=Actor.system("test"))
    csv_text = client_for(make_member(beta, Role.VIEWER), beta).get("/reporting/export.csv").content.decode()
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text


def test_dashboard_shows_the_exports_panel(issued, alpha, make_member, client_for):
    html = client_for(make_member(alpha, Role.VIEWER), alpha).get("/").content.decode()
    assert 'data-testid="exports-panel"' in html


# --- public passport page -----------------------------------------------------------------------------

def public(**extra) -> Client:
    return Client(HTTP_HOST="localhost", **extra)


def test_public_page_from_the_qr_path_shows_the_public_tier_only(issued):
    unit = issued["unit"]
    response = public().get(f"/01/{unit.gtin.zfill(14)}/21/{unit.serial}")
    assert response.status_code == 200
    html = response.content.decode()
    assert issued["passport"].identifier in html and "Electric vehicle (EV)" in html
    assert "68.4" in html  # carbon footprint, public
    assert "SE-M12-75" not in html  # spare-part numbers: legitimate interest only
    assert "Lithium hexafluorophosphate" in html  # hazardous substance: public …
    assert "21324-40-3" in html
    assert 'data-testid="value-batteryStatus"' not in html  # … status: legitimate interest only
    assert public().get(f"/01/{unit.gtin[1:]}/21/{unit.serial}").status_code == 200  # GTIN-13 normalised


def test_public_page_by_passport_identifier_and_after_a_status_change(issued):
    original = issued["passport"]
    recoded = make_unit(issued["model"], code=REPURPOSED, serial="ESS1", original_code=issued["unit"].code)
    successor = services.passport_status_change(access=issued["owner"], passport=original, status="repurposed",
                                                new_unit=recoded)
    old = public().get(f"/passport/{original.identifier}/").content.decode()
    assert 'data-testid="superseded"' in old and successor.identifier in old
    new = public().get(f"/passport/{successor.identifier}/").content.decode()
    assert 'data-testid="original-passport"' in new and original.identifier in new
    gs1 = public().get(f"/01/{issued['unit'].gtin}/21/ESS1").content.decode()
    assert successor.identifier in gs1


def test_public_page_in_chinese_and_english(issued):
    unit = issued["unit"]
    path = f"/01/{unit.gtin}/21/{unit.serial}"
    english = public(HTTP_ACCEPT_LANGUAGE="en").get(path).content.decode()
    chinese = public(HTTP_ACCEPT_LANGUAGE="zh-CN").get(path).content.decode()
    assert "Battery passport" in english and 'lang="en"' in english
    assert "电池护照" in chinese and 'lang="zh-hans"' in chinese and "电动汽车" in chinese


@pytest.mark.parametrize("path", ["/01/09506000134352/21/UNKNOWN", "/passport/urn:cellpass:doesnotexist/"])
def test_unknown_codes_answer_not_found(db, organisations, path):
    response = public().get(path)
    assert response.status_code == 404
    assert 'data-testid="passport-not-found"' in response.content.decode()


def test_non_passport_units_answer_not_found(alpha, in_tenant):
    with in_tenant(alpha):
        make_unit(make_model(code="PORT", eu_category="portable", gtin="09506000134352"), serial="P1")
    assert public().get("/01/09506000134352/21/P1").status_code == 404


@pytest.mark.parametrize(("path", "code"), [
    ("/01/09506000134353/21/SN1", "gtin_check_digit"), ("/01/95060/21/SN1", "gtin_format"),
    ("/01/09506000134352/21/" + "A" * 21, "serial_format"), ("/passport/NOT-AN-ID/", "identifier_format"),
])
def test_codes_that_do_not_parse_get_a_clear_message(db, organisations, path, code):
    response = public(HTTP_ACCEPT_LANGUAGE="zh-hans").get(path)
    assert response.status_code == 400
    assert f'data-code="{code}"' in response.content.decode()
