"""API: evaluations and requirement results (list, retrieve), protocols, and the trigger; each with its
role and tenant checks and, for lists, a query budget."""
from datetime import date

import pytest
from django_tenants.utils import schema_context

from apps.accounts import services as account_services
from apps.accounts.roles import Role
from apps.checklists import services
from apps.checklists.models import Evaluation

from .factories import ShipmentFactory, export_ready

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture
def api_key(alpha, member_access):
    def make(role=Role.STAFF, organisation=alpha):
        owner, access = member_access(organisation, Role.OWNER)
        return account_services.apikey_create(access=access, organisation=organisation, name="ERP", role=role,
                                              creator=owner)[1]

    return make


@pytest.fixture
def api(alpha, api_key, client_for):
    def make(role=Role.STAFF):
        return client_for(None, alpha, HTTP_AUTHORIZATION=f"Api-Key {api_key(role)}")

    return make


@pytest.fixture
def shipments(alpha, select_protocols):
    with schema_context("alpha"):
        select_protocols("cn-export-2026")
        ready, bare = ShipmentFactory(), ShipmentFactory()
        export_ready(ready)
        for shipment in (ready, bare):
            services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=TODAY)
    return ready, bare


def test_list_evaluations_within_a_query_budget(api, shipments, django_assert_max_num_queries):
    client = api(Role.VIEWER)
    with django_assert_max_num_queries(10):
        body = client.get("/api/v1/checklists/evaluations/").json()
    assert len(body["results"]) == 2
    first = body["results"][0]
    assert {"id", "scope_kind", "scope_id", "protocol_version", "inputs_digest", "status", "met_count",
            "applicable_count", "trigger", "evaluated_on"} <= set(first)
    ready, _bare = shipments
    only = client.get(f"/api/v1/checklists/evaluations/?scope_kind=shipment&scope_id={ready.pk}&latest=true").json()
    assert [e["scope_label"] for e in only["results"]] == [ready.reference]


def test_retrieve_an_evaluation_with_its_results(api, shipments):
    ready, _bare = shipments
    with schema_context("alpha"):
        evaluation = Evaluation.objects.get(scope_id=str(ready.pk))
    body = api(Role.VIEWER).get(f"/api/v1/checklists/evaluations/{evaluation.pk}/").json()
    results = {r["requirement_id"]: r for r in body["results"]}
    assert results["contract"]["status"] == "met" and results["contract"]["revision_ids"]
    assert results["receipt"]["status"] == "missing"
    assert results["contract"]["title"] == {"en": "Contract with the receiving recycler",
                                            "zh": "与接收方回收企业的合同"}
    assert set(results["contract"]["reasons"][0]) == {"en", "zh"}


def test_failed_results_for_an_erp(api, shipments, django_assert_max_num_queries):
    _ready, bare = shipments
    client = api(Role.VIEWER)
    with django_assert_max_num_queries(10):
        body = client.get("/api/v1/checklists/results/?status=failed").json()
    assert body["results"] and {r["scope_id"] for r in body["results"]} == {str(bare.pk)}
    assert {r["requirement_id"] for r in body["results"]} >= {"contract", "recycler_permit"}
    assert body["results"][0]["upload_types"]


def test_protocols_show_what_is_selected(api, shipments):
    body = api(Role.VIEWER).get("/api/v1/checklists/protocols/").json()
    by_id = {p["id"]: p for p in body}
    assert by_id["cn-export-2026"]["selected"] is True and by_id["iso22095-mass-balance"]["selected"] is False
    assert by_id["eu-art8-recycled-content"]["scope"] == "model_year"
    assert by_id["cn-export-2026"]["requirements"][0]["sources"]


@pytest.mark.parametrize("role, status", [(Role.VIEWER, 403), (Role.STAFF, 202), (Role.COMPLIANCE_MANAGER, 202)])
def test_trigger_follows_the_role_matrix(api, shipments, role, status, django_capture_on_commit_callbacks):
    ready, _bare = shipments
    with django_capture_on_commit_callbacks() as callbacks:
        response = api(role).post("/api/v1/checklists/trigger/", {"scope_kind": "shipment", "scope_id": str(ready.pk)},
                                  content_type="application/json")
    assert response.status_code == status
    if status == 202:
        assert response.json() == {"scope_kind": "shipment", "scope_id": str(ready.pk), "queued": True}
        assert len(callbacks) == 1


@pytest.mark.parametrize("payload, code", [
    ({"scope_kind": "planet", "scope_id": "x"}, "invalid"),
    ({"scope_kind": "shipment"}, "invalid"),
    ({"scope_kind": "shipment", "scope_id": "00000000-0000-0000-0000-000000000000"}, "unknown_scope"),
    ({"scope_kind": "material_lot", "scope_id": "not-a-uuid"}, "unknown_scope"),
])
def test_trigger_refuses_bad_input_with_a_clear_message(api, shipments, payload, code):
    response = api(Role.STAFF).post("/api/v1/checklists/trigger/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"]


def test_another_organisations_evaluations_are_not_found(alpha, beta, api, select_protocols):
    with schema_context("beta"):
        select_protocols("cn-export-2026")
        theirs = ShipmentFactory()
        services.scope_evaluate(scope_kind="shipment", scope_id=str(theirs.pk), today=TODAY)
        evaluation = Evaluation.objects.get()
    client = api(Role.COMPLIANCE_MANAGER)
    assert client.get(f"/api/v1/checklists/evaluations/{evaluation.pk}/").status_code == 404
    assert client.get("/api/v1/checklists/evaluations/").json()["results"] == []
    response = client.post("/api/v1/checklists/trigger/", {"scope_kind": "shipment", "scope_id": str(theirs.pk)},
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_scope"


def test_openapi_schema_documents_the_checklist_endpoints(alpha, client_for):
    schema = client_for(None, alpha).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/checklists/evaluations/", "/api/v1/checklists/evaluations/{evaluation_id}/",
                 "/api/v1/checklists/results/", "/api/v1/checklists/protocols/", "/api/v1/checklists/trigger/"):
        assert path in schema["paths"], path
    assert schema["paths"]["/api/v1/checklists/trigger/"]["post"]["operationId"] == "checklists_trigger"
