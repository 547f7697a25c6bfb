"""Register API: each endpoint per role and against another organisation's objects; errors with codes in the
caller's language; cursor pages with a constant query count."""
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.accounts import services as account_services
from apps.accounts.roles import Role
from apps.traceability import services
from apps.traceability.models import BatteryModel, BatteryUnit, ImportBatch, MaterialLot, Shipment
from tests.traceability.factories import cascade_code, gbt_code


@pytest.fixture
def api(alpha, member_access, client_for):
    """`api(role)` -> a client of alpha's host authenticated with an API key of that role."""
    owner, access = member_access(alpha, Role.OWNER)

    def make(role=Role.STAFF, organisation=None, **extra):
        _key, plaintext = account_services.apikey_create(access=access, organisation=alpha, name="ERP", role=role,
                                                         creator=owner)
        return client_for(None, organisation or alpha, HTTP_AUTHORIZATION=f"Api-Key {plaintext}", **extra)

    return make


def _post(client, path, data):
    return client.post(path, data, content_type="application/json")


def _patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


@pytest.mark.parametrize("role,read,write", [(Role.COMPLIANCE_MANAGER, 200, 201), (Role.STAFF, 200, 201),
                                             (Role.VIEWER, 200, 403)])
def test_endpoints_follow_the_role_matrix(api, role, read, write):
    client = api(role)
    for path in ("/api/v1/units/", "/api/v1/shipments/", "/api/v1/lots/", "/api/v1/battery-models/"):
        assert client.get(path).status_code == read
    assert _post(client, "/api/v1/battery-models/create/", {"code": "M-1", "name": "x", "eu_category": "ev",
                                                            "chemistry": "ncm"}).status_code == write
    assert _post(client, "/api/v1/units/create/", {"code": gbt_code(), "level": "pack"}).status_code == write
    assert _post(client, "/api/v1/shipments/create/", {"reference": "S-1", "direction": "inbound",
                                                       "counterparty_name": "x", "counterparty_country": "CN"}
                 ).status_code == write
    assert _post(client, "/api/v1/lots/create/", {"code": "L-1", "kind": "black_mass", "mass_kg": "1"}
                 ).status_code == write
    upload = io.BytesIO(b"code,level\n")
    upload.name = "u.csv"
    assert client.post("/api/v1/imports/", {"kind": "units", "file": upload}).status_code == (
        201 if write == 201 else 403)
    if write == 403:
        assert client.get("/api/v1/units/").json()["results"] == []
        assert _post(client, "/api/v1/units/create/", {"code": gbt_code(), "level": "pack"}).json()["code"] == \
            "permission_denied"


def test_other_organisations_object_ids_are_not_found(api, beta, member_access, in_tenant):
    _user, access = member_access(beta, Role.OWNER)
    with in_tenant(beta):
        model = services.battery_model_create(access=access, code="B-1", name="x", eu_category="ev", chemistry="ncm")
        unit = services.unit_create(access=access, code=gbt_code(), level="pack")
        shipment = services.shipment_create(access=access, reference="B-S", direction="inbound",
                                            counterparty_name="x", counterparty_country="CN")
        lot = services.lot_create(access=access, code="B-L", kind="black_mass", mass_kg="1")
        batch = services.import_dry_run(access=access, kind="units", file=io.BytesIO(b"code,level\n"),
                                        filename="b.csv")
    client = api(Role.COMPLIANCE_MANAGER)
    for path in (f"/api/v1/units/{unit.pk}/", f"/api/v1/shipments/{shipment.pk}/",
                 f"/api/v1/shipments/{shipment.pk}/units/", f"/api/v1/lots/{lot.pk}/",
                 f"/api/v1/battery-models/{model.pk}/", f"/api/v1/imports/{batch.pk}/"):
        assert client.get(path).status_code == 404, path
    assert _patch(client, f"/api/v1/units/{unit.pk}/update/", {"mass_kg": "1"}).status_code == 404
    assert _post(client, f"/api/v1/units/{unit.pk}/status/", {"status": "waste"}).status_code == 404
    assert _post(client, f"/api/v1/units/{unit.pk}/recode/", {"new_code": cascade_code("P")}).status_code == 404
    assert _patch(client, f"/api/v1/shipments/{shipment.pk}/update/", {"notes": "x"}).status_code == 404
    assert _post(client, f"/api/v1/shipments/{shipment.pk}/status/", {"status": "received"}).status_code == 404
    assert _patch(client, f"/api/v1/lots/{lot.pk}/update/", {"mass_kg": "2"}).status_code == 404
    assert _patch(client, f"/api/v1/battery-models/{model.pk}/update/", {"name": "y"}).status_code == 404
    assert client.post(f"/api/v1/imports/{batch.pk}/commit/").status_code == 404
    with schema_context("beta"):
        assert BatteryUnit.objects.get().status == "original" and Shipment.objects.get().notes == ""


def test_unit_lifecycle_through_the_api(api, alpha):
    client = api(Role.STAFF)
    pack = _post(client, "/api/v1/units/create/", {"code": gbt_code("P", 1), "level": "pack"}).json()
    module = _post(client, "/api/v1/units/create/", {"code": gbt_code("M", 2), "level": "module",
                                                     "parent_code": pack["code"]})
    assert module.status_code == 201 and module.json()["parent_code"] == pack["code"]
    detail = client.get(f"/api/v1/units/{pack['id']}/").json()
    assert detail["children"] == [gbt_code("M", 2)] and detail["shipments"] == []
    recoded = _post(client, f"/api/v1/units/{module.json()['id']}/recode/", {"new_code": cascade_code("M", 3)}).json()
    assert (recoded["code"], recoded["original_code"], recoded["status"]) == (cascade_code("M", 3), gbt_code("M", 2),
                                                                              "repurposed")
    waste = _post(client, f"/api/v1/units/{pack['id']}/status/", {"status": "waste"})
    assert waste.json()["status"] == "waste"
    assert _patch(client, f"/api/v1/units/{pack['id']}/update/", {"mass_kg": "400.5"}).json()["mass_kg"] == "400.500"


def test_refusals_carry_a_code_the_field_and_a_message_in_the_callers_language(api):
    client = api(Role.STAFF, HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = _post(client, "/api/v1/units/create/", {"code": "X12PEPM27KLPCLX2M000000#", "level": "pack"})
    body = response.json()
    assert response.status_code == 400 and body["code"] == "gbt_charset"
    assert body["fields"] == {"code": ["第 24 位字符（“#”）不允许：GB/T 34014 编码只使用数字和大写字母。"]}
    response = _post(client, "/api/v1/units/create/", {"code": gbt_code(), "level": "tray"})
    assert response.json()["code"] == "invalid" and "level" in response.json()["fields"]


def test_shipment_and_lot_through_the_api(api, alpha, beta):
    client = api(Role.STAFF)
    unit = _post(client, "/api/v1/units/create/", {"code": gbt_code(), "level": "pack"}).json()
    created = _post(client, "/api/v1/shipments/create/", {
        "reference": "SO-1", "direction": "outbound", "counterparty_platform": "beta", "hs_code": "8549.13",
        "un_number": "3480", "special_provision": "377", "packing_instruction": "P909", "is_waste": True,
        "waste_code": "16 06 05", "dispatch_date": "2026-04-12", "unit_codes": [unit["code"]],
        "masses": [{"chemistry": "ncm", "net_mass_kg": "450.5"}]})
    body = created.json()
    assert created.status_code == 201 and body["counterparty_organisation_id"] == str(beta.pk)
    assert body["masses"] == [{"chemistry": "ncm", "net_mass_kg": "450.500"}] and body["hs_code"] == "854913"
    assert client.get(f"/api/v1/shipments/{body['id']}/units/").json()["results"][0]["code"] == unit["code"]
    assert _post(client, f"/api/v1/shipments/{body['id']}/status/", {"status": "dispatched"}).status_code == 200
    locked = _patch(client, f"/api/v1/shipments/{body['id']}/update/", {"unit_codes": []})
    assert locked.status_code == 400 and locked.json()["code"] == "shipment_content_locked"
    too_much = _post(client, "/api/v1/lots/create/", {"code": "BM-1", "kind": "black_mass", "mass_kg": "560",
                                                      "source_shipments": ["SO-1"],
                                                      "elements": [{"element": "Ni", "percent": "80"},
                                                                   {"element": "Co", "percent": "30"}]})
    assert too_much.status_code == 400 and too_much.json()["code"] == "elements_sum"
    lot = _post(client, "/api/v1/lots/create/", {"code": "BM-1", "kind": "black_mass", "mass_kg": "560",
                                                 "source_shipments": ["SO-1"],
                                                 "elements": [{"element": "Ni", "percent": "22.5"}]}).json()
    detail = client.get(f"/api/v1/lots/{lot['id']}/").json()
    assert detail["source_shipments"] == ["SO-1"] and detail["elements"][0]["percent"] == "22.5000"
    assert client.get(f"/api/v1/shipments/{body['id']}/").json()["lots"] == ["BM-1"]
    with schema_context("alpha"):
        assert MaterialLot.objects.count() == 1


def test_import_dry_run_and_commit_endpoints(api, alpha):
    client = api(Role.STAFF)
    upload = io.BytesIO(f"code,level\n{gbt_code('P', 1)},pack\n{gbt_code('P', 1)},pack\n".encode())
    upload.name = "dup.csv"
    rejected = client.post("/api/v1/imports/", {"kind": "units", "file": upload}).json()
    assert rejected["status"] == "rejected"
    assert rejected["issues"] == [{"row": 3, "column": "code", "column_label": "Code", "code": "duplicate_in_file",
                                   "severity": "error",
                                   "message": f"{gbt_code('P', 1)} already appears in row 2 of this file."}]
    assert client.post(f"/api/v1/imports/{rejected['id']}/commit/").json()["code"] == "import_not_committable"
    upload = io.BytesIO(f"code,level\n{gbt_code('P', 1)},pack\n".encode())
    upload.name = "ok.csv"
    checked = client.post("/api/v1/imports/", {"kind": "units", "file": upload}).json()
    committed = client.post(f"/api/v1/imports/{checked['id']}/commit/")
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    assert client.get(f"/api/v1/imports/{checked['id']}/").json()["records_new"] == 1
    empty = io.BytesIO(b"")
    empty.name = "empty.csv"
    assert client.post("/api/v1/imports/", {"kind": "units", "file": empty}).json()["issues"][0]["code"] == \
        "file_empty"
    with schema_context("alpha"):
        assert BatteryUnit.objects.count() == 1 and ImportBatch.objects.count() == 3


def test_cursor_pages_walk_every_unit_once(api, alpha):
    with schema_context("alpha"):
        BatteryUnit.objects.bulk_create([BatteryUnit(code=gbt_code("P", i), scheme="gbt34014", level="pack")
                                         for i in range(1, 121)])
    client = api(Role.VIEWER)
    seen, url = [], "/api/v1/units/?page_size=50"
    while url:
        body = client.get(url).json()
        seen += [u["code"] for u in body["results"]]
        url = body["next"]
    assert seen == sorted(seen) and len(set(seen)) == 120
    assert [u["code"] for u in client.get("/api/v1/units/", {"q": gbt_code("P", 7)}).json()["results"]] == [
        gbt_code("P", 7)]


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_unit_list_endpoint_uses_the_same_queries_for_10_and_1000_units(api, alpha, django_assert_max_num_queries):
    client = api(Role.VIEWER)
    with schema_context("alpha"):
        model = BatteryModel.objects.create(code="M", name="m", eu_category="ev", chemistry="ncm")
        pack = BatteryUnit.objects.create(code=gbt_code("P", 1), scheme="gbt34014", level="pack", model=model)
        BatteryUnit.objects.bulk_create([BatteryUnit(code=gbt_code("M", i), scheme="gbt34014", level="module",
                                                     parent=pack, model=model) for i in range(9)])
    client.get("/api/v1/me/")  # the key's first use of the minute also records last_used_at
    few = _count(client, "/api/v1/units/")
    with schema_context("alpha"):
        BatteryUnit.objects.bulk_create([BatteryUnit(code=gbt_code("C", i), scheme="gbt34014", level="cell",
                                                     parent=pack, model=model) for i in range(1000)])
    assert _count(client, "/api/v1/units/") == few
    with django_assert_max_num_queries(8):
        client.get("/api/v1/units/?level=cell")


def test_openapi_schema_lists_the_register_endpoints(alpha, client_for):
    schema = client_for(None, alpha).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/units/", "/api/v1/units/create/", "/api/v1/units/{unit_id}/recode/",
                 "/api/v1/shipments/{shipment_id}/update/", "/api/v1/lots/create/", "/api/v1/battery-models/",
                 "/api/v1/imports/", "/api/v1/imports/{batch_id}/commit/"):
        assert path in schema["paths"], path
    assert "multipart/form-data" in schema["paths"]["/api/v1/imports/"]["post"]["requestBody"]["content"]
