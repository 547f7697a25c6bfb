"""Register pages: the role matrix, object-level isolation, forms that explain refusals, constant query counts."""
import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.accounts.roles import Role
from apps.traceability import services
from apps.traceability.models import BatteryModel, BatteryUnit, ImportBatch, MaterialLot, Shipment

from .factories import cascade_code, gbt_code

LIST_PAGES = ["/register/units/", "/register/shipments/", "/register/lots/", "/register/models/"]
CREATE_PAGES = ["/register/units/new/", "/register/shipments/new/", "/register/lots/new/", "/register/models/new/"]


@pytest.mark.parametrize("role,list_status,create_status,import_status", [
    (Role.OWNER, 200, 200, 200), (Role.COMPLIANCE_MANAGER, 200, 200, 200), (Role.STAFF, 200, 200, 200),
    (Role.VIEWER, 200, 403, 403),
])
def test_pages_follow_the_role_matrix(alpha, make_member, client_for, role, list_status, create_status,
                                      import_status):
    client = client_for(make_member(alpha, role), alpha)
    assert [client.get(path).status_code for path in LIST_PAGES] == [list_status] * 4
    assert [client.get(path).status_code for path in CREATE_PAGES] == [create_status] * 4
    assert client.get("/register/import/").status_code == import_status
    assert client.get("/register/import/template/units.csv").status_code == import_status
    created = client.post("/register/units/new/", {"code": gbt_code(), "level": "pack", "status": "original"})
    assert created.status_code == (302 if create_status == 200 else 403)
    nav = client.get("/").content.decode()
    assert 'href="/register/units/"' in nav and 'href="/register/shipments/"' in nav


@pytest.fixture
def beta_objects(beta, member_access, in_tenant):
    """A unit, shipment, lot, model and import of beta: their ids must mean nothing on alpha's host."""
    _user, access = member_access(beta, Role.OWNER)
    with in_tenant(beta):
        model = services.battery_model_create(access=access, code="B-1", name="x", eu_category="ev", chemistry="ncm")
        unit = services.unit_create(access=access, code=gbt_code(), level="pack")
        shipment = services.shipment_create(access=access, reference="B-S", direction="inbound",
                                            counterparty_name="x", counterparty_country="CN")
        lot = services.lot_create(access=access, code="B-L", kind="black_mass", mass_kg="1")
        batch = services.import_dry_run(access=access, kind="units", file=io.BytesIO(b"code,level\n"),
                                        filename="b.csv")
    return {"unit": unit.pk, "shipment": shipment.pk, "lot": lot.pk, "model": model.pk, "batch": batch.pk}


def test_other_organisations_object_ids_are_not_found(alpha, beta_objects, make_member, client_for):
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    ids = beta_objects
    paths = [f"/register/units/{ids['unit']}/", f"/register/units/{ids['unit']}/edit/",
             f"/register/units/{ids['unit']}/recode/", f"/register/shipments/{ids['shipment']}/",
             f"/register/shipments/{ids['shipment']}/edit/", f"/register/lots/{ids['lot']}/",
             f"/register/lots/{ids['lot']}/edit/", f"/register/models/{ids['model']}/",
             f"/register/models/{ids['model']}/edit/", f"/register/import/{ids['batch']}/",
             f"/register/import/{ids['batch']}/report.csv", f"/register/import/{ids['batch']}/progress/"]
    for path in paths:
        assert client.get(path).status_code == 404, path
    for path in [f"/register/units/{ids['unit']}/status/", f"/register/shipments/{ids['shipment']}/status/",
                 f"/register/import/{ids['batch']}/commit/", f"/register/units/{ids['unit']}/edit/"]:
        assert client.post(path, {"status": "waste"}).status_code == 404, path
    with schema_context("beta"):
        assert BatteryUnit.objects.get(pk=ids["unit"]).status == "original"


def test_unit_form_registers_and_explains_refusals_in_the_users_language(alpha, make_member, client_for):
    user = make_member(alpha, Role.STAFF, language="zh-hans")
    client = client_for(user, alpha)
    response = client.post("/register/units/new/", {"code": "X12PEPM27KLPCLX2M000000#", "level": "pack",
                                                    "status": "original"})
    assert response.status_code == 400
    assert "第 24 位字符（“#”）不允许" in response.content.decode()
    response = client.post("/register/units/new/", {"code": gbt_code(), "level": "pack", "status": "original"})
    assert response.status_code == 302
    with schema_context("alpha"):
        unit = BatteryUnit.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert unit.code in detail and "电池包" in detail


def test_unit_detail_shows_the_hierarchy_and_recode_keeps_the_original(alpha, tenant, pack_tree, make_member,
                                                                        client_for):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    module = pack_tree["modules"][0]
    page = client.get(f"/register/units/{module.pk}/").content.decode()
    assert pack_tree["pack"].code in page and pack_tree["cells"][0].code in page
    response = client.post(f"/register/units/{module.pk}/recode/", {"new_code": cascade_code("M", 1),
                                                                    "status": "repurposed"})
    assert response.status_code == 302
    page = client.get(f"/register/units/{module.pk}/").content.decode()
    assert cascade_code("M", 1) in page and f'data-testid="original-code">{module.code}<' in page
    refused = client.post(f"/register/units/{module.pk}/recode/", {"new_code": cascade_code("P", 1),
                                                                   "status": "repurposed"})
    assert refused.status_code == 400 and "does not match the level" in refused.content.decode()
    response = client.post(f"/register/units/{pack_tree['pack'].pk}/status/", {"status": "waste"})
    assert response.status_code == 302
    assert BatteryUnit.objects.get(pk=pack_tree["pack"].pk).status == "waste"


def test_shipment_form_with_units_and_masses(alpha, tenant, pack_tree, make_member, client_for):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    data = {"reference": "SO-9", "direction": "outbound", "status": "draft", "counterparty_name": "EcoCycle",
            "counterparty_country": "DE", "hs_code": "8549.13", "un_number": "UN3480", "special_provision": "377",
            "packing_instruction": "P909", "is_waste": "on", "waste_code": "16 06 05",
            "unit_codes": f"{pack_tree['pack'].code}\n{pack_tree['modules'][0].code}",
            "masses-TOTAL_FORMS": "3", "masses-INITIAL_FORMS": "0", "masses-0-chemistry": "ncm",
            "masses-0-net_mass_kg": "450"}
    refused = client.post("/register/shipments/new/", {**data, "packing_instruction": "P908"})
    assert refused.status_code == 400 and "requires packing instruction P909" in refused.content.decode()
    response = client.post("/register/shipments/new/", data)
    assert response.status_code == 302
    shipment = Shipment.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "8549.13" in page and "450" in page and pack_tree["pack"].code in page
    assert shipment.units.count() == 2
    client.post(f"/register/shipments/{shipment.pk}/status/", {"status": "dispatched"})
    shipment.refresh_from_db()
    assert shipment.status == "dispatched"


def test_lot_form_checks_the_element_sum(alpha, tenant, make_member, client_for):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    data = {"code": "BM-1", "kind": "black_mass", "mass_kg": "560", "origin": "post_consumer",
            "elements-TOTAL_FORMS": "4", "elements-INITIAL_FORMS": "0",
            "elements-0-element": "Ni", "elements-0-percent": "70", "elements-1-element": "Co",
            "elements-1-percent": "40"}
    refused = client.post("/register/lots/new/", data)
    assert refused.status_code == 400 and "add up to 110" in refused.content.decode()
    assert not MaterialLot.objects.exists()
    response = client.post("/register/lots/new/", {**data, "elements-1-percent": "7.1"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "77.1" in page


def test_battery_model_form(alpha, tenant, make_member, client_for):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    refused = client.post("/register/models/new/", {"code": "P-1", "name": "Phone cell", "eu_category": "portable",
                                                     "chemistry": "lco", "mass_kg": "7"})
    assert refused.status_code == 400 and "at most 5 kg" in refused.content.decode()
    assert client.post("/register/models/new/", {"code": "P-1", "name": "Cell", "eu_category": "portable",
                                                 "chemistry": "lco", "mass_kg": "0.05"}).status_code == 302
    assert BatteryModel.objects.get().code == "P-1"


def test_import_through_the_pages(alpha, tenant, make_member, client_for):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    upload = io.BytesIO(f"code,level\n{gbt_code('P', 1)},pack\n{gbt_code('P', 2)},pack\n".encode())
    upload.name = "erp-export.csv"
    response = client.post("/register/import/", {"kind": "units", "file": upload})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="validated"' in page and "erp-export.csv" in page
    fragment = client.post(f"/register/import/{batch.pk}/commit/", HTTP_HX_REQUEST="true")
    assert 'data-status="committed"' in fragment.content.decode() and "<html" not in fragment.content.decode()
    assert BatteryUnit.objects.count() == 2


def test_import_page_shows_the_report_in_the_users_language(alpha, tenant, make_member, client_for):
    client = client_for(make_member(alpha, Role.STAFF, language="zh-hans"), alpha)
    upload = io.BytesIO("编码,层级\nX12PEPM27KLPCLX2M000000#,电池包\n".encode("gbk"))
    upload.name = "导出.csv"
    response = client.post("/register/import/", {"kind": "units", "file": upload}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'data-status="rejected"' in body and "第 24 位字符（“#”）不允许" in body and "<td>2</td>" in body


@pytest.mark.parametrize("lang,heading", [("en", "Code *"), ("zh-hans", "编码 *")])
def test_templates_in_english_and_chinese_import_cleanly(alpha, tenant, make_member, client_for, lang, heading):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    template = client.get(f"/register/import/template/units.csv?lang={lang}")
    text = template.content.decode("utf-8-sig")
    assert text.splitlines()[0].split(",")[0] == heading
    xlsx = client.get(f"/register/import/template/shipments.xlsx?lang={lang}")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    services.battery_model_create(access=_staff_access(alpha), code="EV-NCM-75", name="x", eu_category="ev",
                                  chemistry="ncm")
    upload = io.BytesIO(template.content)
    upload.name = "template.csv"
    client.post("/register/import/", {"kind": "units", "file": upload})
    assert ImportBatch.objects.get().status == "validated"
    assert client.get("/register/import/template/nothing.csv").status_code == 404


def _staff_access(alpha):
    from apps.accounts.access import Access

    return Access(organisation_id=alpha.pk, role=Role.STAFF, label="test")


def test_unit_export_escapes_formula_like_cells(alpha, tenant, make_member, client_for):
    access = _staff_access(alpha)
    services.battery_model_create(access=access, code="=HYPERLINK(\"http://x\")", name="x", eu_category="ev",
                                  chemistry="ncm")
    services.unit_create(access=access, code=gbt_code(), level="pack", model_code='=HYPERLINK("http://x")')
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    body = b"".join(client.get("/register/units/export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][0] == gbt_code() and rows[1][4] == "'=HYPERLINK(\"http://x\")"


def test_unit_list_filters_search_and_keyset_pages(alpha, tenant, make_member, client_for):
    BatteryUnit.objects.bulk_create([BatteryUnit(code=gbt_code("P", i), scheme="gbt34014", level="pack")
                                     for i in range(1, 121)])
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    first = client.get("/register/units/").content.decode()
    assert gbt_code("P", 50) in _table(first) and gbt_code("P", 51) not in _table(first)
    link = re.search(r'href="(\?after=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get("/register/units/" + link).content.decode()
    assert gbt_code("P", 51) in _table(second) and gbt_code("P", 50) not in _table(second)
    back = re.search(r'href="(\?before=[^"]+)"', second).group(1).replace("&amp;", "&")
    assert gbt_code("P", 50) in _table(client.get("/register/units/" + back).content.decode())
    found = client.get("/register/units/", {"q": gbt_code("P", 7).lower()}).content.decode()
    assert gbt_code("P", 7) in _table(found) and gbt_code("P", 8) not in _table(found)
    fragment = client.get("/register/units/", {"level": "cell"}, HTTP_HX_REQUEST="true").content.decode()
    assert "No units match." in fragment and "<html" not in fragment


def _table(page: str) -> str:
    return page.split('data-testid="unit-list"', 1)[1].split("</table>", 1)[0]


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_unit_list_page_uses_the_same_queries_for_10_and_1000_units(alpha, tenant, ev_model, make_member, client_for,
                                                                    django_assert_max_num_queries):
    pack = BatteryUnit.objects.create(code=gbt_code("P", 1), scheme="gbt34014", level="pack", model=ev_model)
    BatteryUnit.objects.bulk_create([BatteryUnit(code=gbt_code("M", i), scheme="gbt34014", level="module",
                                                 parent=pack, model=ev_model) for i in range(9)])
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    few = _count_queries(client, "/register/units/")
    BatteryUnit.objects.bulk_create([BatteryUnit(code=gbt_code("C", i), scheme="gbt34014", level="cell",
                                                 parent=pack, model=ev_model) for i in range(1000)])
    assert BatteryUnit.objects.count() == 1010
    many = _count_queries(client, "/register/units/")
    assert many == few
    with django_assert_max_num_queries(12):
        client.get("/register/units/?level=cell&after=" + gbt_code("C", 500))
