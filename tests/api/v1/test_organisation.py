import pytest
from django_tenants.utils import schema_context

from apps.accounts import services
from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry


@pytest.fixture
def api_key(alpha, member_access):
    def make(role=Role.STAFF):
        owner, access = member_access(alpha, Role.OWNER)
        return services.apikey_create(access=access, organisation=alpha, name="ERP", role=role, creator=owner)[1]

    return make


def test_me_with_an_api_key_reports_its_role_and_permissions(alpha, api_key, client_for):
    client = client_for(None, alpha, HTTP_AUTHORIZATION=f"Api-Key {api_key(Role.VIEWER)}")
    body = client.get("/api/v1/me/").json()
    assert body["role"] == "viewer" and body["via_api_key"] is True
    assert "evidence.upload" not in body["permissions"] and "view" in body["permissions"]


def test_session_user_reads_the_organisation(alpha, make_member, client_for):
    user = make_member(alpha, Role.VIEWER)
    body = client_for(user, alpha).get("/api/v1/organisation/").json()
    assert body["slug"] == "alpha" and body["name_zh"] == "阿尔法电池出口有限公司"


@pytest.mark.parametrize("role,status", [(Role.COMPLIANCE_MANAGER, 200), (Role.STAFF, 403), (Role.VIEWER, 403)])
def test_activity_endpoint_follows_the_role_matrix(alpha, api_key, client_for, role, status):
    response = client_for(None, alpha, HTTP_AUTHORIZATION=f"Api-Key {api_key(role)}").get("/api/v1/activity/")
    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "permission_denied"


def test_activity_list_and_verify(alpha, api_key, client_for, django_assert_max_num_queries):
    client = client_for(None, alpha, HTTP_AUTHORIZATION=f"Api-Key {api_key(Role.COMPLIANCE_MANAGER)}")
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/activity/").json()
    with schema_context("alpha"):
        newest = ActivityEntry.objects.order_by("-id").first()
    assert body["results"][0]["verb"] == newest.verb == "apikey.created"
    assert client.get("/api/v1/activity/verify/").json() == {"intact": True, "first_broken_entry": None}


def test_error_messages_follow_accept_language(alpha, client_for):
    response = client_for(None, alpha, HTTP_AUTHORIZATION="Api-Key cp_bad_key",
                          HTTP_ACCEPT_LANGUAGE="zh-hans").get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["message"] == "此 API 密钥对该组织无效。"


def test_openapi_schema_lists_the_endpoints_and_the_key_scheme(alpha, client_for):
    response = client_for(None, alpha).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/me/" in schema["paths"] and "/api/v1/activity/" in schema["paths"]
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]
    assert client_for(None, alpha).get("/api/docs/").status_code == 200
