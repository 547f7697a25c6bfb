"""Engagement lifecycle: grant (with its refusals), invitation, acceptance with TOTP, the hub,
the access it gives (exact Access fields) and the refusals before the start, after the end,
after revocation and without TOTP."""
import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.access import resolve_access
from apps.accounts.models import User
from apps.accounts.roles import Perm, Role
from apps.activity.models import ActivityEntry
from apps.audits import services
from apps.audits.access import engagement_access
from apps.audits.models import Engagement, EngagementScope
from apps.core.errors import ApplicationError
from tests.accounts.factories import UserFactory, totp_code, totp_code_for_key, totp_device

from .conftest import accept


def _window(days_from: int = 0, days_to: int = 30):
    now = timezone.now()
    return now + timedelta(days=days_from), now + timedelta(days=days_to)


# --- grant ------------------------------------------------------------------------------

def test_grant_records_activity_and_sends_a_bilingual_invitation(alpha, grant):
    engagement = grant(alpha, "Sophie@Audit.test")
    assert engagement.auditor_email == "sophie@audit.test"
    with schema_context("alpha"):
        entry = ActivityEntry.objects.filter(verb="engagement.granted").get()
    assert entry.object_id == str(engagement.pk) and entry.data["auditor"] == "sophie@audit.test"
    message = mail.outbox[-1]
    assert message.to == ["sophie@audit.test"]
    assert "阿尔法电池出口有限公司" in message.subject and "Alpha Battery Export Co." in message.subject
    assert "授予您审核员访问权限" in message.body and "grants you auditor access" in message.body
    assert re.search(r"http://localhost:8000/auditor/invitations/[\w-]+/", message.body)


@pytest.mark.parametrize("kwargs,code", [
    ({"auditor_email": "not an address"}, "email_invalid"),
    ({"scope": "everything"}, "scope_invalid"),
    ({"scope": EngagementScope.SELECTION}, "scope_empty"),
    ({"scope": EngagementScope.SELECTION, "dossier_ids": ["nope"]}, "dossier_invalid"),
    ({"scope": EngagementScope.SELECTION, "shipment_ids": [str(uuid.uuid4())]}, "shipment_unknown"),
    ({"window": (5, 1)}, "window_invalid"),
    ({"window": (-30, -1)}, "window_past"),
    ({"window": (0, 400)}, "window_too_long"),
])
def test_grant_refuses_bad_input_and_stores_nothing(alpha, member_access, kwargs, code):
    _owner, access = member_access(alpha, Role.OWNER)
    starts_at, ends_at = _window(*kwargs.pop("window", (0, 30)))
    values = {"auditor_email": "a@audit.test", "scope": EngagementScope.ORGANISATION, **kwargs}
    with pytest.raises(ApplicationError) as error:
        services.engagement_grant(access=access, organisation=alpha, starts_at=starts_at, ends_at=ends_at, **values)
    assert error.value.code == code
    assert not Engagement.objects.exists()


def test_a_member_cannot_be_granted_auditor_access(alpha, member_access, make_member):
    _owner, access = member_access(alpha, Role.OWNER)
    staff = make_member(alpha, Role.STAFF)
    with pytest.raises(ApplicationError) as error:
        services.engagement_grant(access=access, organisation=alpha, auditor_email=staff.email.upper(),
                                  scope=EngagementScope.ORGANISATION, starts_at=_window()[0], ends_at=_window()[1])
    assert error.value.code == "auditor_is_member"


def test_overlapping_engagements_for_the_same_auditor_are_refused_until_revoked(alpha, grant, member_access):
    first = grant(alpha, "a@audit.test")
    with pytest.raises(ApplicationError) as error:
        grant(alpha, "A@audit.test", starts_at=first.ends_at - timedelta(days=1),
              ends_at=first.ends_at + timedelta(days=10))
    assert error.value.code == "engagement_overlaps"
    later = grant(alpha, "a@audit.test", starts_at=first.ends_at, ends_at=first.ends_at + timedelta(days=10))
    _owner, access = member_access(alpha, Role.OWNER)
    services.engagement_revoke(access=access, engagement=first)
    again = grant(alpha, "a@audit.test", starts_at=first.starts_at, ends_at=first.ends_at)
    assert {e.pk for e in Engagement.objects.filter(revoked_at__isnull=True)} == {later.pk, again.pk}


@pytest.mark.parametrize("role", [Role.STAFF, Role.VIEWER, Role.AUDITOR])
def test_only_owners_and_compliance_managers_grant_and_revoke(alpha, member_access, grant, role):
    user, access = member_access(alpha, Role.STAFF)
    access = access.__class__(organisation_id=alpha.pk, role=role, user_id=user.pk, label=user.email)
    starts_at, ends_at = _window()
    with pytest.raises(ApplicationError) as error:
        services.engagement_grant(access=access, organisation=alpha, auditor_email="x@audit.test",
                                  scope=EngagementScope.ORGANISATION, starts_at=starts_at, ends_at=ends_at)
    assert error.value.code == "not_allowed"
    engagement = grant(alpha)
    with pytest.raises(ApplicationError):
        services.engagement_revoke(access=access, engagement=engagement)
    assert Engagement.objects.get(pk=engagement.pk).revoked_at is None


def test_a_compliance_manager_grants_a_selection_of_shipments_and_dossiers(alpha, grant, member_access, shipments):
    _manager, access = member_access(alpha, Role.COMPLIANCE_MANAGER)
    dossier = uuid.uuid4()
    engagement = grant(alpha, scope=EngagementScope.SELECTION, shipment_ids=[str(shipments[0].pk)],
                       dossier_ids=[str(dossier)], access=access)
    assert engagement.shipment_ids == [shipments[0].pk] and engagement.dossier_ids == [dossier]


# --- access -----------------------------------------------------------------------------

def test_access_of_an_active_engagement_has_the_auditor_role_and_the_scope(alpha, auditor_of, shipments):
    dossier = uuid.uuid4()
    user, engagement = auditor_of(alpha, scope=EngagementScope.SELECTION, shipment_ids=[shipments[1].pk],
                                  dossier_ids=[dossier])
    user.is_verified = lambda: True
    access = resolve_access(user=user, organisation=alpha)
    assert access.role == Role.AUDITOR and access.user_id == user.pk and access.label == user.email
    assert access.organisation_id == alpha.pk and access.membership_id is None and access.api_key_id is None
    assert access.engagement_id == engagement.pk
    assert access.shipment_scope == frozenset({shipments[1].pk}) and access.dossier_scope == frozenset({dossier})
    assert access.sees_shipment(shipments[1].pk) and not access.sees_shipment(shipments[0].pk)
    assert access.can(Perm.VIEW) and access.can(Perm.FINDING_RAISE) and access.can(Perm.DOSSIER_DOWNLOAD)
    assert not any(access.can(p) for p in Perm if p not in (Perm.VIEW, Perm.FINDING_RAISE, Perm.DOSSIER_DOWNLOAD))


def test_whole_organisation_scope_is_unrestricted(alpha, auditor_of):
    user, engagement = auditor_of(alpha)
    user.is_verified = lambda: True
    access = engagement_access(user=user, organisation=alpha)
    assert access.shipment_scope is None and access.dossier_scope is None and not access.is_restricted


def test_no_access_without_a_totp_verified_session(alpha, beta, auditor_of, client_for):
    user, _engagement = auditor_of(alpha)
    user.is_verified = lambda: False
    assert engagement_access(user=user, organisation=alpha) is None
    unverified = client_for(user, alpha, otp=False)
    page = unverified.get("/audits/findings/")
    assert page["Location"].startswith("http://localhost/accounts/two-factor/?next=")  # sent to the TOTP step
    assert unverified.get("/api/v1/findings/").status_code == 403
    assert client_for(user, beta, otp=False).get("/").status_code == 404  # no engagement there
    assert client_for(user, alpha, otp=True).get("/").status_code == 200


def test_an_engagement_gives_access_to_its_organisation_only(alpha, beta, auditor_client):
    client, user, _engagement = auditor_client(alpha)
    assert client.get("/").status_code == 200
    from django.test import Client as TestClient

    other = TestClient(HTTP_HOST="beta.localhost")
    other.cookies = client.cookies
    assert other.get("/").status_code == 404


@pytest.mark.parametrize("window", [(1, 10), (-10, -1)], ids=["before-start", "after-end"])
def test_outside_the_window_the_auditor_gets_not_found(alpha, auditor_of, client_for, window):
    now = timezone.now()
    user, engagement = auditor_of(alpha)
    Engagement.objects.filter(pk=engagement.pk).update(starts_at=now + timedelta(days=window[0]),
                                                       ends_at=now + timedelta(days=window[1]))
    client = client_for(user, alpha, otp=True)
    assert client.get("/").status_code == 404
    assert client.get("/api/v1/me/").status_code == 404
    assert client.get("/audits/findings/").status_code == 404


def test_access_ends_at_the_end_instant_without_any_job(alpha, auditor_of, client_for):
    user, engagement = auditor_of(alpha)
    client = client_for(user, alpha, otp=True)
    assert client.get("/").status_code == 200
    Engagement.objects.filter(pk=engagement.pk).update(ends_at=timezone.now())
    assert client.get("/").status_code == 404


def test_revocation_ends_access_at_once_and_tells_the_auditor(alpha, auditor_client, member_access,
                                                              django_capture_on_commit_callbacks):
    client, user, engagement = auditor_client(alpha)
    assert client.get("/api/v1/me/").json()["role"] == "auditor"
    _owner, access = member_access(alpha, Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        services.engagement_revoke(access=access, engagement=engagement)
    assert client.get("/").status_code == 404
    assert client.get("/api/v1/me/").status_code == 404
    assert mail.outbox[-1].to == [user.email] and "revoked" in mail.outbox[-1].subject
    services.engagement_revoke(access=access, engagement=engagement)  # idempotent
    with schema_context("alpha"):
        assert ActivityEntry.objects.filter(verb="engagement.revoked").count() == 1


def test_engagement_not_yet_accepted_gives_no_access(alpha, grant, client_for):
    user = UserFactory()
    totp_device(user)
    grant(alpha, user.email)
    assert client_for(user, alpha, otp=True).get("/").status_code == 404


# --- invitation and hub -----------------------------------------------------------------

def _invitation_path() -> str:
    return re.search(r"http://localhost:8000(/auditor/invitations/[\w-]+/)", mail.outbox[-1].body).group(1)


def test_new_auditor_creates_an_account_enrols_totp_accepts_and_opens_the_organisation(alpha, grant):
    engagement = grant(alpha, "new.auditor@audit.test")
    path = _invitation_path()
    client = Client(HTTP_HOST="localhost")
    page = client.get(path)
    assert page.status_code == 200 and "new.auditor@audit.test" in page.content.decode()
    response = client.post(path, {"full_name": "Nina Auditor", "password1": "a long auditor passphrase",
                                  "password2": "a long auditor passphrase"})
    assert response["Location"] == f"/accounts/two-factor/setup/?next={path.replace('/', '%2F')}"
    setup = client.get(response["Location"]).content.decode()
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', setup).group(1)
    assert client.post(response["Location"], {"code": totp_code_for_key(key)}).status_code == 200
    back = client.get(f"/accounts/two-factor/continue/?next={path}")
    assert back["Location"] == path
    assert "Accept engagement" in client.get(path).content.decode()
    assert client.post(path)["Location"] == "/auditor/"
    engagement.refresh_from_db()
    user = User.objects.get(email="new.auditor@audit.test")
    assert engagement.auditor == user and engagement.accepted_at is not None
    hub = client.get("/auditor/").content.decode()
    assert "Alpha Battery Export Co." in hub and 'data-testid="open-engagement-alpha"' in hub
    opened = client.get("/organisations/alpha/open/")
    tenant = Client(HTTP_HOST="alpha.localhost")
    assert tenant.get(opened["Location"].replace("http://alpha.localhost", ""))["Location"] == "/"
    dashboard = tenant.get("/")
    assert dashboard.status_code == 200 and "Auditor" in dashboard.content.decode()
    with schema_context("alpha"):
        assert ActivityEntry.objects.filter(verb="engagement.accepted", actor_id=user.pk).exists()


def test_existing_user_signs_in_with_totp_and_lands_on_the_hub(alpha, auditor_of):
    user, _engagement = auditor_of(alpha)
    client = Client(HTTP_HOST="localhost")
    response = client.post("/accounts/login/", {"username": user.email, "password": "correct horse battery staple"})
    assert response["Location"] == "/accounts/two-factor/"
    assert client.post("/accounts/two-factor/", {"code": totp_code(totp_device(user))})["Location"] == "/auditor/"


def test_auditor_must_enrol_totp_even_before_signing_in_with_it(alpha, grant):
    """An account that exists but has no device: the invitation needs TOTP before acceptance."""
    user = UserFactory()
    engagement = grant(alpha, user.email)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(_invitation_path())
    assert response["Location"].startswith("/accounts/two-factor/setup/")
    assert client.post(_invitation_path()).status_code == 302
    assert Engagement.objects.get(pk=engagement.pk).accepted_at is None


def test_invitation_for_another_address_cannot_be_accepted(alpha, grant, client_for):
    engagement = grant(alpha, "someone@audit.test")
    other = UserFactory()
    totp_device(other)
    response = client_for(other, None, otp=True).post(_invitation_path())
    assert response.status_code == 403
    assert Engagement.objects.get(pk=engagement.pk).auditor is None


def test_revoked_or_ended_invitation_is_refused(alpha, grant, member_access):
    engagement = grant(alpha, "late@audit.test")
    path = _invitation_path()
    _owner, access = member_access(alpha, Role.OWNER)
    services.engagement_revoke(access=access, engagement=engagement)
    response = Client(HTTP_HOST="localhost").get(path)
    assert response.status_code == 404 and b"invitation-invalid" in response.content
    assert Client(HTTP_HOST="localhost").get("/auditor/invitations/made-up/").status_code == 404
    user = UserFactory(email="late@audit.test")
    with pytest.raises(ApplicationError):
        accept(engagement, user)


def test_hub_lists_engagements_across_organisations_with_their_status(alpha, beta, auditor_of, grant, client_for,
                                                                    member_access, django_assert_max_num_queries):
    user, _active = auditor_of(alpha)
    revoked = grant(beta, user.email)
    accept(revoked, user)
    _owner, access = member_access(beta, Role.OWNER)
    services.engagement_revoke(access=access, engagement=revoked)
    now = timezone.now()
    grant(beta, user.email, starts_at=now + timedelta(days=40), ends_at=now + timedelta(days=50))  # invited
    client = client_for(user, None, otp=True)
    # 7 queries whatever the number of engagements (domain, session, user, device, engagements with
    # their organisations, memberships twice), each after django-tenants' SET search_path
    with django_assert_max_num_queries(14):
        page = client.get("/auditor/").content.decode()
    statuses = re.findall(r'data-testid="engagement-status">([^<]+)<', page)
    assert sorted(statuses) == ["Active", "Invited", "Revoked"]
    assert page.count('data-testid="open-engagement-') == 1
    assert client_for(user, None, otp=False).get("/auditor/")["Location"].startswith("/accounts/two-factor/")


def test_auditor_on_the_organisation_host_finds_the_way_back_to_the_hub(alpha, auditor_client):
    client, _user, _engagement = auditor_client(alpha)
    page = client.get("/").content.decode()
    assert 'href="/audits/hub/"' in page
    assert client.get("/audits/hub/")["Location"] == "http://localhost/auditor/"


def test_existing_account_is_asked_to_sign_in_before_accepting(alpha, grant):
    user = UserFactory()
    grant(alpha, user.email)
    path = _invitation_path()
    response = Client(HTTP_HOST="localhost").get(path)
    assert response["Location"] == f"/accounts/login/?next={path.replace('/', '%2F')}"
