"""Dossier pages: list + request form, detail with progress, download; roles, auditors and isolation."""
import pytest

from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.dossiers.models import Dossier, DossierStatus
from tests.dossiers.conftest import make_shipment, render_now, request_dossier


@pytest.fixture
def issued(alpha, member_access, in_tenant):
    """One issued dossier in alpha (rendered once per test that asks)."""
    _user, access = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        shipment = make_shipment(units=3)
        other = make_shipment("SHP-0002", units=2, evidence=False)
        dossier = render_now(request_dossier(access, alpha, shipment, language="en"))
        queued = request_dossier(access, alpha, other, language="en")
    return {"done": dossier, "queued": queued, "shipment": shipment, "other": other}


def test_list_shows_dossiers_and_the_form_within_a_query_budget(alpha, make_member, client_for, issued,
                                                                django_assert_max_num_queries):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    with django_assert_max_num_queries(16):
        response = client.get("/dossiers/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "SHP-0001" in body and "SHP-0002" in body and 'data-testid="generate-dossier"' in body


def test_staff_requests_a_dossier_and_lands_on_its_progress(alpha, make_member, client_for, in_tenant,
                                                            django_capture_on_commit_callbacks):
    client = client_for(make_member(alpha, Role.STAFF), alpha)
    with in_tenant(alpha):
        shipment = make_shipment(units=2, evidence=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/dossiers/", {"scope_kind": "shipment", "shipment": str(shipment.pk),
                                              "language": "bilingual"})
    assert response.status_code == 302
    with in_tenant(alpha):
        dossier = Dossier.objects.get()
    assert response["Location"] == f"/dossiers/{dossier.pk}/"
    assert len(callbacks) == 1  # the render task is queued after commit
    page = client.get(response["Location"]).content.decode()
    assert f'hx-get="/dossiers/{dossier.pk}/progress/"' in page and "<progress" in page


def test_bad_request_form_shows_the_message_in_the_users_language(alpha, make_member, client_for):
    client = client_for(make_member(alpha, Role.STAFF, language="zh-hans"), alpha, HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = client.post("/dossiers/", {"scope_kind": "shipment", "language": "en"})
    assert response.status_code == 400
    assert "请选择货运批次。" in response.content.decode()


def test_progress_fragment_stops_polling_when_done(alpha, make_member, client_for, issued):
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    done = client.get(f"/dossiers/{issued['done'].pk}/progress/").content.decode()
    assert "hx-trigger" not in done and 'data-testid="download-dossier"' in done
    queued = client.get(f"/dossiers/{issued['queued'].pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in queued


def test_download_serves_only_an_issued_file_and_logs_it(alpha, make_member, client_for, issued, in_tenant):
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    response = client.get(f"/dossiers/{issued['done'].pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-") and len(content) == issued["done"].size
    assert client.get(f"/dossiers/{issued['queued'].pk}/download/").status_code == 404
    with in_tenant(alpha):
        assert ActivityEntry.objects.filter(verb="dossier.downloaded", object_id=str(issued["done"].pk)).exists()


def test_viewer_may_not_request(alpha, make_member, client_for, issued):
    client = client_for(make_member(alpha, Role.VIEWER), alpha)
    page = client.get("/dossiers/").content.decode()
    assert "generate-dossier" not in page
    assert client.post("/dossiers/", {"scope_kind": "shipment", "shipment": str(issued["shipment"].pk),
                                      "language": "en"}).status_code == 403


def test_auditor_sees_and_downloads_only_dossiers_in_scope(alpha, client_for, issued, auditor_resolver):
    from tests.accounts.factories import UserFactory

    auditor = UserFactory()
    auditor_resolver[(auditor.pk, alpha.pk)] = {"shipments": frozenset({issued["shipment"].pk})}
    client = client_for(auditor, alpha)
    page = client.get("/dossiers/").content.decode()
    assert "SHP-0001" in page and "SHP-0002" not in page and "generate-dossier" not in page
    assert client.get(f"/dossiers/{issued['done'].pk}/download/").status_code == 200
    assert client.get(f"/dossiers/{issued['queued'].pk}/").status_code == 404
    by_grant = UserFactory()
    auditor_resolver[(by_grant.pk, alpha.pk)] = {"dossiers": frozenset({issued["queued"].pk}),
                                                 "shipments": frozenset()}
    granted = client_for(by_grant, alpha)
    assert granted.get(f"/dossiers/{issued['queued'].pk}/").status_code == 200
    assert granted.get(f"/dossiers/{issued['done'].pk}/").status_code == 404


def test_another_organisations_dossier_is_not_found(alpha, beta, make_member, client_for, issued):
    client = client_for(make_member(beta, Role.OWNER), beta)
    for path in ("/", "/progress/", "/download/"):
        assert client.get(f"/dossiers/{issued['done'].pk}{path}").status_code == 404
    assert issued["done"].status == DossierStatus.DONE
