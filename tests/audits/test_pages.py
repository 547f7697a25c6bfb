"""Engagement management pages on the organisation host: grant with the form, list, detail,
revoke; who may use them; scope shown on the pages an auditor opens; the dashboard panel."""
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.roles import Role
from apps.audits.models import Engagement, EngagementScope


def form_data(**overrides):
    today = timezone.now().date()
    return {"auditor_email": "tuv@audit.test", "purpose": "Recycled content", "scope": "organisation",
            "shipments": "", "dossier_ids": "", "start_date": today.isoformat(),
            "end_date": today.isoformat(), **overrides}


def test_owner_grants_access_with_the_form(alpha, make_member, client_for, django_capture_on_commit_callbacks):
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/audits/engagements/", form_data())
    engagement = Engagement.objects.get()
    assert response["Location"] == f"/audits/engagements/{engagement.pk}/"
    # the end date is included: access ends at the start of the next day (UTC)
    assert engagement.last_day == timezone.now().date()
    assert (engagement.ends_at - engagement.starts_at).days == 1
    assert mail.outbox[-1].to == ["tuv@audit.test"]
    page = client.get(response["Location"]).content.decode()
    assert "tuv@audit.test" in page and 'data-testid="revoke-engagement"' in page


def test_grant_by_shipment_references(alpha, make_member, client_for, shipments):
    client = client_for(make_member(alpha, Role.COMPLIANCE_MANAGER), alpha)
    dossier = uuid.uuid4()
    response = client.post("/audits/engagements/", form_data(scope="selection", shipments="SH-2\n",
                                                             dossier_ids=str(dossier)))
    assert response.status_code == 302
    engagement = Engagement.objects.get()
    assert engagement.scope == EngagementScope.SELECTION
    assert engagement.shipment_ids == [shipments[1].pk] and engagement.dossier_ids == [dossier]
    page = client.get(response["Location"]).content.decode()
    assert "SH-2" in page and str(dossier) in page


@pytest.mark.parametrize("overrides,message", [
    ({"scope": "selection", "shipments": "SH-404"}, "Unknown shipments: SH-404"),
    ({"scope": "selection"}, "Choose at least one shipment or dossier"),
    ({"end_date": "2000-01-01"}, "The end date must not be before the start date."),
    ({"auditor_email": "nope"}, "Enter a valid email address."),
])
def test_bad_grants_show_a_clear_message_and_store_nothing(alpha, make_member, client_for, shipments, overrides,
                                                           message):
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    response = client.post("/audits/engagements/", form_data(**overrides))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Engagement.objects.exists()


def test_revoking_from_the_page(alpha, grant, make_member, client_for):
    engagement = grant(alpha)
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    response = client.post(f"/audits/engagements/{engagement.pk}/revoke/")
    assert response.status_code == 302
    assert Engagement.objects.get(pk=engagement.pk).revoked_at is not None
    page = client.get(f"/audits/engagements/{engagement.pk}/").content.decode()
    assert "Revoked" in page and 'data-testid="revoke-engagement"' not in page


@pytest.mark.parametrize("role,status", [(Role.OWNER, 200), (Role.COMPLIANCE_MANAGER, 200), (Role.STAFF, 403),
                                         (Role.VIEWER, 403)])
def test_engagement_pages_follow_the_role_matrix(alpha, grant, make_member, client_for, role, status):
    engagement = grant(alpha)
    client = client_for(make_member(alpha, role), alpha)
    assert client.get("/audits/engagements/").status_code == status
    assert client.get(f"/audits/engagements/{engagement.pk}/").status_code == status
    assert client.post(f"/audits/engagements/{engagement.pk}/revoke/").status_code == (302 if status == 200 else 403)


def test_auditor_cannot_manage_engagements(alpha, auditor_client):
    client, _user, engagement = auditor_client(alpha)
    assert client.get("/audits/engagements/").status_code == 403
    assert client.post(f"/audits/engagements/{engagement.pk}/revoke/").status_code == 403
    assert Engagement.objects.get(pk=engagement.pk).revoked_at is None


def test_engagements_of_another_organisation_are_not_found(alpha, beta, grant, make_member, client_for):
    theirs = grant(beta)
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    assert client.get(f"/audits/engagements/{theirs.pk}/").status_code == 404
    assert client.post(f"/audits/engagements/{theirs.pk}/revoke/").status_code == 404
    assert Engagement.objects.get(pk=theirs.pk).revoked_at is None


def test_engagement_list_has_a_query_budget(alpha, grant, make_member, client_for, django_assert_max_num_queries):
    for index in range(5):
        grant(alpha, f"auditor{index}@audit.test")
    client = client_for(make_member(alpha, Role.OWNER), alpha)
    # 7 queries whatever the number of engagements (domain, session, user, device, access, engagements
    # with their log counts, navigation), each after django-tenants' SET search_path
    with django_assert_max_num_queries(14):
        page = client.get("/audits/engagements/").content.decode()
    assert page.count("@audit.test</small>") == 5


def test_dashboard_panels(alpha, auditor_client, make_member, client_for):
    client, _user, _engagement = auditor_client(alpha)
    auditor_page = client.get("/").content.decode()
    assert "Your audit engagement" in auditor_page and "Whole organisation" in auditor_page
    owner_page = client_for(make_member(alpha, Role.OWNER), alpha).get("/").content.decode()
    assert "Auditors and findings" in owner_page and "auditors with access now" in owner_page
    assert "Auditors and findings" not in client_for(make_member(alpha, Role.STAFF), alpha).get("/").content.decode()


def test_navigation_by_role(alpha, auditor_client, make_member, client_for):
    client, _user, _engagement = auditor_client(alpha)
    auditor_nav = client.get("/").content.decode()
    assert 'href="/audits/findings/"' in auditor_nav and 'href="/audits/hub/"' in auditor_nav
    assert 'href="/audits/engagements/"' not in auditor_nav and 'href="/settings/api-keys/"' not in auditor_nav
    owner_nav = client_for(make_member(alpha, Role.OWNER), alpha).get("/").content.decode()
    assert 'href="/audits/engagements/"' in owner_nav and 'href="/audits/hub/"' not in owner_nav
