"""Every auditor view and download is logged (public schema) and shown to the organisation."""
import pytest
from django.db import IntegrityError, connection, transaction

from apps.accounts.roles import Role
from apps.audits.models import AccessLog


def test_each_auditor_request_is_logged_with_path_object_and_answer(alpha, auditor_client, shipments):
    client, user, engagement = auditor_client(alpha)
    client.get("/")
    client.get("/audits/findings/?status=open")
    client.get(f"/audits/findings/{shipments[0].pk}/")  # not a finding: refused, and still logged
    client.get("/api/v1/me/")
    entries = list(AccessLog.objects.filter(engagement=engagement).order_by("id"))
    assert [(e.method, e.path, e.status_code) for e in entries] == [
        ("GET", "/", 200), ("GET", "/audits/findings/?status=open", 200),
        ("GET", f"/audits/findings/{shipments[0].pk}/", 404), ("GET", "/api/v1/me/", 200)]
    assert entries[2].object_type == "finding" and entries[2].object_id == str(shipments[0].pk)
    assert entries[2].view_name == "audits:finding_detail"
    assert all(e.user_id == user.pk and not e.is_download for e in entries)


def test_a_download_is_marked(alpha, auditor_client, rf):
    from django.http import HttpResponse

    from apps.audits.middleware import EngagementAccessLogMiddleware

    _client, user, engagement = auditor_client(alpha)

    def view(request):
        response = HttpResponse(b"%PDF-1.7", content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="dossier.pdf"'
        return response

    request = rf.get("/dossiers/x/download/")
    request.access = type("A", (), {"engagement_id": engagement.pk, "user_id": user.pk})()
    EngagementAccessLogMiddleware(view)(request)
    assert AccessLog.objects.get(engagement=engagement).is_download


def test_members_requests_are_not_logged(alpha, make_member, client_for):
    client_for(make_member(alpha, Role.OWNER), alpha).get("/")
    assert not AccessLog.objects.exists()


def test_the_organisation_sees_the_log_on_the_engagement_page(alpha, auditor_client, make_member, client_for,
                                                              django_assert_max_num_queries):
    client, _user, engagement = auditor_client(alpha)
    for _ in range(3):
        client.get("/audits/findings/")
    manager = client_for(make_member(alpha, Role.COMPLIANCE_MANAGER), alpha)
    with django_assert_max_num_queries(16):
        page = manager.get(f"/audits/engagements/{engagement.pk}/").content.decode()
    assert page.count("GET /audits/findings/") == 3
    listing = manager.get("/audits/engagements/").content.decode()
    assert "<td>3</td>" in listing  # requests logged


def test_the_log_is_append_only(alpha, auditor_client):
    client, _user, engagement = auditor_client(alpha)
    client.get("/")
    entry = AccessLog.objects.get()
    for statement in (f"UPDATE audits_accesslog SET path = '/nothing' WHERE id = {entry.pk}",
                      f"DELETE FROM audits_accesslog WHERE id = {entry.pk}"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AccessLog.objects.get().path == "/"
