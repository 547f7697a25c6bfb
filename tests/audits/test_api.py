"""The API: engagements (owners and compliance managers, also through an API key of a compliance
manager), findings (auditors raise and reply, members answer and resolve); per role, per
organisation; in the OpenAPI schema."""
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts import services as account_services
from apps.accounts.roles import Role
from apps.audits.findings.models import Finding
from apps.audits.models import AccessLog, Engagement

JSON = "application/json"


def grant_body(**overrides):
    today = timezone.now().date().isoformat()
    return {"auditor_email": "api.auditor@audit.test", "scope": "organisation", "start_date": today,
            "end_date": today, **overrides}


@pytest.fixture
def api_key(alpha, member_access):
    def make(role=Role.COMPLIANCE_MANAGER):
        owner, access = member_access(alpha, Role.OWNER)
        return account_services.apikey_create(access=access, organisation=alpha, name="GRC", role=role,
                                              creator=owner)[1]

    return make


def test_manager_grants_lists_reads_and_revokes_through_the_api(alpha, make_member, client_for, shipments,
                                                                django_capture_on_commit_callbacks):
    client = client_for(make_member(alpha, Role.COMPLIANCE_MANAGER), alpha)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/engagements/", grant_body(scope="selection",
                                                                 shipment_ids=[str(shipments[0].pk)]),
                              content_type=JSON)
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "invited" and body["shipment_ids"] == [str(shipments[0].pk)]
    assert body["ends_at"] > body["starts_at"]
    listing = client.get("/api/v1/engagements/").json()
    assert [e["id"] for e in listing["results"]] == [body["id"]]
    assert client.get(f"/api/v1/engagements/{body['id']}/").json()["auditor_email"] == "api.auditor@audit.test"
    revoked = client.post(f"/api/v1/engagements/{body['id']}/revoke/", content_type=JSON)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_api_key_of_a_compliance_manager_manages_engagements(alpha, api_key, client_for):
    client = client_for(None, alpha, HTTP_AUTHORIZATION=f"Api-Key {api_key()}")
    response = client.post("/api/v1/engagements/", grant_body(), content_type=JSON)
    assert response.status_code == 201 and response.json()["granted_by"] == "API key GRC"
    viewer = client_for(None, alpha, HTTP_AUTHORIZATION=f"Api-Key {api_key(Role.VIEWER)}")
    assert viewer.get("/api/v1/engagements/").status_code == 403
    assert viewer.post("/api/v1/engagements/", grant_body(), content_type=JSON).status_code == 403


@pytest.mark.parametrize("body,code,field", [
    (grant_body(scope="selection", shipment_ids=[str(uuid.uuid4())]), "shipment_unknown", "shipment_ids"),
    (grant_body(end_date="2001-01-01"), "window_invalid", "end_date"),
    (grant_body(auditor_email="x"), "invalid", "auditor_email"),
    (grant_body(scope="selection"), "scope_empty", "scope"),
])
def test_api_refusals_have_a_code_and_store_nothing(alpha, make_member, client_for, body, code, field):
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    response = client.post("/api/v1/engagements/", body, content_type=JSON)
    assert response.status_code == 400
    assert response.json()["code"] == code and field in response.json()["fields"]
    assert not Engagement.objects.exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.VIEWER])
def test_staff_and_viewers_cannot_use_the_engagement_api(alpha, grant, make_member, client_for, role):
    engagement = grant(alpha)
    client = client_for(make_member(alpha, role), alpha)
    assert client.get("/api/v1/engagements/").status_code == 403
    assert client.post(f"/api/v1/engagements/{engagement.pk}/revoke/").status_code == 403


def test_access_log_endpoint(alpha, auditor_client, make_member, client_for, django_assert_max_num_queries):
    auditor, _user, engagement = auditor_client(alpha)
    auditor.get("/audits/findings/")
    auditor.get("/api/v1/findings/")
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    with django_assert_max_num_queries(14):
        body = client.get(f"/api/v1/engagements/{engagement.pk}/access-log/").json()
    assert [e["path"] for e in body["results"]] == ["/api/v1/findings/", "/audits/findings/"]
    assert AccessLog.objects.count() == 2  # reading the log is not an auditor request


def test_engagements_of_another_organisation_are_not_found_through_the_api(alpha, beta, grant, make_member,
                                                                           client_for):
    theirs = grant(beta)
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    for path in (f"/api/v1/engagements/{theirs.pk}/", f"/api/v1/engagements/{theirs.pk}/access-log/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/api/v1/engagements/{theirs.pk}/revoke/").status_code == 404
    assert Engagement.objects.get(pk=theirs.pk).revoked_at is None


def test_auditor_raises_and_members_answer_and_resolve_through_the_api(alpha, auditor_client, make_member,
                                                                       client_for, shipments):
    auditor, _user, engagement = auditor_client(alpha)
    raised = auditor.post("/api/v1/findings/", {"target_kind": "shipment", "target_id": str(shipments[0].pk),
                                                "severity": "critical", "title": "Missing manifest",
                                                "text": "No CMR for this shipment."}, content_type=JSON)
    assert raised.status_code == 201
    finding = raised.json()
    assert finding["reference"] == "F-1" and finding["engagement_id"] == str(engagement.pk)
    assert finding["messages"][0]["from_auditor"] is True
    staff = client_for(make_member(alpha, Role.STAFF), alpha)
    answered = staff.post(f"/api/v1/findings/{finding['id']}/answer/", {"text": "Uploaded now."}, content_type=JSON)
    assert answered.json()["status"] == "answered"
    assert auditor.post(f"/api/v1/findings/{finding['id']}/reply/", {"text": "Thanks"},
                        content_type=JSON).json()["status"] == "open"
    resolved = staff.post(f"/api/v1/findings/{finding['id']}/resolve/", {}, content_type=JSON)
    assert resolved.json()["status"] == "resolved"
    again = staff.post(f"/api/v1/findings/{finding['id']}/resolve/", {}, content_type=JSON)
    assert again.status_code == 400 and again.json()["code"] == "finding_resolved"
    reopened = auditor.post(f"/api/v1/findings/{finding['id']}/reopen/", {"text": "Not quite"}, content_type=JSON)
    assert [m["kind"] for m in reopened.json()["messages"]] == ["raised", "answer", "reply", "resolution",
                                                                "reopening"]


@pytest.mark.parametrize("role", [Role.OWNER, Role.COMPLIANCE_MANAGER, Role.STAFF, Role.VIEWER])
def test_members_cannot_raise_findings_nor_reply(alpha, auditor_client, make_member, client_for, role):
    auditor, _u, _e = auditor_client(alpha)
    finding = auditor.post("/api/v1/findings/", {"target_kind": "requirement", "target_id": "r1",
                                                 "severity": "minor", "title": "t", "text": "x"},
                           content_type=JSON).json()
    client = client_for(make_member(alpha, role), alpha)
    assert client.post("/api/v1/findings/", {"target_kind": "requirement", "target_id": "r1", "severity": "minor",
                                             "title": "t", "text": "x"}, content_type=JSON).status_code == 403
    assert client.post(f"/api/v1/findings/{finding['id']}/reply/", {"text": "x"},
                       content_type=JSON).status_code == 403
    assert client.get("/api/v1/findings/").json()["results"][0]["id"] == finding["id"]
    answer = client.post(f"/api/v1/findings/{finding['id']}/answer/", {"text": "x"}, content_type=JSON)
    assert answer.status_code == (403 if role == Role.VIEWER else 200)


def test_auditor_cannot_answer_or_resolve(alpha, auditor_client):
    auditor, _u, _e = auditor_client(alpha)
    finding = auditor.post("/api/v1/findings/", {"target_kind": "requirement", "target_id": "r1",
                                                 "severity": "minor", "title": "t", "text": "x"},
                           content_type=JSON).json()
    for action in ("answer", "resolve"):
        assert auditor.post(f"/api/v1/findings/{finding['id']}/{action}/", {"text": "x"},
                            content_type=JSON).status_code == 403
    with schema_context("alpha"):
        assert Finding.objects.get().status == "open"


def test_findings_list_endpoint_has_a_query_budget_and_filters_by_status(alpha, auditor_client, make_member,
                                                                         client_for, django_assert_max_num_queries):
    auditor, _u, _e = auditor_client(alpha)
    for index in range(4):
        auditor.post("/api/v1/findings/", {"target_kind": "requirement", "target_id": f"r{index}",
                                           "severity": "minor", "title": f"t{index}", "text": "x"}, content_type=JSON)
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/findings/?status=open").json()
    assert len(body["results"]) == 4
    assert client.get("/api/v1/findings/?status=resolved").json()["results"] == []


def test_the_endpoints_are_in_the_openapi_schema(alpha, client_for):
    schema = client_for(None, alpha).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/engagements/", "/api/v1/engagements/{engagement_id}/",
                 "/api/v1/engagements/{engagement_id}/revoke/", "/api/v1/engagements/{engagement_id}/access-log/",
                 "/api/v1/findings/", "/api/v1/findings/{finding_id}/", "/api/v1/findings/{finding_id}/answer/",
                 "/api/v1/findings/{finding_id}/resolve/", "/api/v1/findings/{finding_id}/reply/",
                 "/api/v1/findings/{finding_id}/reopen/"):
        assert path in schema["paths"], path
    assert "EngagementListApiInputRequest" in schema["components"]["schemas"]
    assert "post" in schema["paths"]["/api/v1/findings/"]
