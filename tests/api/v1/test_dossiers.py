"""Dossier API: request, status, download, per role, own and other organisation, in the schema."""
import pytest

from apps.accounts import services as account_services
from apps.accounts.roles import Role
from apps.dossiers.models import Dossier
from tests.dossiers.conftest import make_shipment, render_now


@pytest.fixture
def api_client(alpha, member_access, client_for):
    def make(role=Role.STAFF, organisation=alpha):
        owner, access = member_access(organisation, Role.OWNER)
        key = account_services.apikey_create(access=access, organisation=organisation, name="ERP", role=role,
                                             creator=owner)[1]
        return client_for(None, organisation, HTTP_AUTHORIZATION=f"Api-Key {key}")

    return make


def test_request_status_and_download(alpha, api_client, in_tenant, django_capture_on_commit_callbacks):
    with in_tenant(alpha):
        shipment = make_shipment(units=2)
    client = api_client(Role.STAFF)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/dossiers/", {"scope_kind": "shipment", "shipment": str(shipment.pk),
                                                     "language": "en"}, content_type="application/json")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["unit_count"] == 2 and len(body["snapshot_digest"]) == 64
    assert client.get(f"/api/v1/dossiers/{body['id']}/download/").status_code == 404  # not issued yet
    with in_tenant(alpha):
        render_now(Dossier.objects.get(pk=body["id"]))
    status = client.get(f"/api/v1/dossiers/{body['id']}/").json()
    assert status["status"] == "done" and status["progress"] == 100 and status["page_count"] > 3
    download = client.get(f"/api/v1/dossiers/{body['id']}/download/")
    assert download.status_code == 200 and download["X-Dossier-SHA256"] == status["sha256"]
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_refusals_carry_a_code(api_client):
    client = api_client(Role.STAFF)
    response = client.post("/api/v1/dossiers/", {"scope_kind": "shipment", "language": "en"},
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "shipment_required"
    invalid = client.post("/api/v1/dossiers/", {"scope_kind": "planet", "language": "xx"},
                          content_type="application/json")
    assert invalid.status_code == 400 and set(invalid.json()["fields"]) == {"scope_kind", "language"}


def test_viewer_key_lists_but_may_not_request(api_client, django_assert_max_num_queries):
    client = api_client(Role.VIEWER)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/dossiers/").status_code == 200
    response = client.post("/api/v1/dossiers/", {"scope_kind": "shipment", "language": "en"},
                           content_type="application/json")
    assert response.status_code == 403


def test_other_organisations_dossier_is_not_found(alpha, beta, api_client, in_tenant, member_access):
    _user, access = member_access(beta, Role.STAFF)
    from apps.dossiers import services

    with in_tenant(beta):
        shipment = make_shipment("SHP-BETA", units=1, evidence=False)
        dossier = services.dossier_request(access=access, organisation=beta, scope_kind="shipment",
                                           shipment_id=shipment.pk, language="en", enqueue=False)
    client = api_client(Role.COMPLIANCE_MANAGER)
    for path in ("", "download/"):
        assert client.get(f"/api/v1/dossiers/{dossier.pk}/{path}").status_code == 404
    assert client.get("/api/v1/dossiers/").json()["results"] == []


def test_endpoints_are_in_the_openapi_schema(client_for, alpha):
    schema = client_for(None, alpha).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for fragment in ("/api/v1/dossiers/", "/api/v1/dossiers/{dossier_id}/", "/api/v1/dossiers/{dossier_id}/download/",
                     "dossier_request", "dossier_status", "dossier_download"):
        assert fragment in schema
