import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts import services
from apps.accounts.models import ApiKey, Invitation, Membership
from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from tests.accounts.factories import UserFactory


def _verbs(organisation):
    with schema_context(organisation.schema_name):
        return list(ActivityEntry.objects.order_by("id").values_list("verb", flat=True))


def test_invitation_is_emailed_in_both_languages_and_accepted(alpha, member_access, django_capture_on_commit_callbacks):
    owner, access = member_access(alpha, Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(access=access, organisation=alpha, email="New.Person@Example.test",
                                                role=Role.STAFF, inviter=owner)
    assert invitation.email == "new.person@example.test"
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "邀请" in body and "invites you to join Alpha Battery Export Co." in body
    token = body.split("/invitations/")[1].split("/")[0]
    assert invitation.token_hash != token  # stored hashed

    newcomer = UserFactory(email="new.person@example.test")
    membership = services.invitation_accept(token=token, user=newcomer)
    assert membership.role == Role.STAFF and membership.organisation == alpha
    assert _verbs(alpha)[-3:] == ["invitation.sent", "member.added", "invitation.accepted"]
    with pytest.raises(ApplicationError) as excinfo:
        services.invitation_accept(token=token, user=newcomer)
    assert excinfo.value.code == "invitation_invalid"


def test_expired_invitation_cannot_be_accepted(alpha, member_access, django_capture_on_commit_callbacks):
    owner, access = member_access(alpha, Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(access=access, organisation=alpha, email="late@example.test",
                                                role=Role.VIEWER, inviter=owner)
    token = mail.outbox[0].body.split("/invitations/")[1].split("/")[0]
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert services.invitation_by_token(token=token) is None
    with pytest.raises(ApplicationError) as excinfo:
        services.invitation_accept(token=token, user=UserFactory(email="late@example.test"))
    assert excinfo.value.code == "invitation_invalid"
    assert not Membership.objects.filter(user__email="late@example.test").exists()


def test_invitation_for_another_email_is_refused(alpha, member_access, django_capture_on_commit_callbacks):
    owner, access = member_access(alpha, Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(access=access, organisation=alpha, email="right@example.test",
                                   role=Role.VIEWER, inviter=owner)
    token = mail.outbox[0].body.split("/invitations/")[1].split("/")[0]
    with pytest.raises(ApplicationError) as excinfo:
        services.invitation_accept(token=token, user=UserFactory(email="wrong@example.test"))
    assert excinfo.value.code == "invitation_other_email"


def test_manager_cannot_invite_an_owner_and_staff_cannot_invite(alpha, member_access):
    manager, manager_access = member_access(alpha, Role.COMPLIANCE_MANAGER)
    with pytest.raises(PermissionDeniedError):
        services.invitation_create(access=manager_access, organisation=alpha, email="x@example.test",
                                   role=Role.OWNER, inviter=manager)
    staff, staff_access = member_access(alpha, Role.STAFF)
    with pytest.raises(PermissionDeniedError):
        services.invitation_create(access=staff_access, organisation=alpha, email="x@example.test",
                                   role=Role.VIEWER, inviter=staff)
    assert not Invitation.objects.filter(email="x@example.test").exists()


def test_inviting_an_existing_member_is_refused(alpha, member_access, make_member):
    owner, access = member_access(alpha, Role.OWNER)
    existing = make_member(alpha, Role.VIEWER)
    with pytest.raises(ApplicationError) as excinfo:
        services.invitation_create(access=access, organisation=alpha, email=existing.email.upper(),
                                   role=Role.STAFF, inviter=owner)
    assert excinfo.value.code == "already_member"


def test_last_owner_cannot_be_demoted_or_removed(alpha, member_access):
    owner, access = member_access(alpha, Role.OWNER)
    membership = Membership.objects.get(user=owner, organisation=alpha)
    with pytest.raises(ApplicationError) as excinfo:
        services.membership_change_role(access=access, membership=membership, role=Role.STAFF)
    assert excinfo.value.code == "last_owner"
    with pytest.raises(ApplicationError):
        services.membership_remove(access=access, membership=membership)
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_role_change_is_logged(alpha, member_access, make_member):
    owner, access = member_access(alpha, Role.OWNER)
    staff = make_member(alpha, Role.STAFF)
    membership = Membership.objects.get(user=staff, organisation=alpha)
    services.membership_change_role(access=access, membership=membership, role=Role.COMPLIANCE_MANAGER)
    membership.refresh_from_db()
    assert membership.role == Role.COMPLIANCE_MANAGER
    with schema_context(alpha.schema_name):
        entry = ActivityEntry.objects.order_by("-id").first()
    assert entry.verb == "member.role_changed"
    assert entry.data == {"email": staff.email, "from": "staff", "to": "compliance_manager"}
    assert entry.actor_label == owner.email


def test_api_key_is_stored_hashed_and_bound_to_its_organisation(alpha, beta, member_access):
    owner, access = member_access(alpha, Role.OWNER)
    key, plaintext = services.apikey_create(access=access, organisation=alpha, name="ERP", role=Role.STAFF,
                                            creator=owner)
    assert plaintext.startswith(f"cp_{key.prefix}_")
    assert plaintext not in key.key_hash and len(key.key_hash) == 64
    assert services.apikey_authenticate(plaintext=plaintext, organisation=alpha) == key
    assert services.apikey_authenticate(plaintext=plaintext, organisation=beta) is None
    assert services.apikey_authenticate(plaintext=plaintext[:-1] + "x", organisation=alpha) is None
    services.apikey_revoke(access=access, key=key)
    assert services.apikey_authenticate(plaintext=plaintext, organisation=alpha) is None


@pytest.mark.parametrize("role", [Role.OWNER, "auditor"])
def test_api_key_cannot_be_owner_or_external(alpha, member_access, role):
    owner, access = member_access(alpha, Role.OWNER)
    with pytest.raises(ApplicationError) as excinfo:
        services.apikey_create(access=access, organisation=alpha, name="ERP", role=role, creator=owner)
    assert excinfo.value.code == "apikey_role_invalid"
    assert not ApiKey.objects.exists()


def test_only_owners_create_api_keys(alpha, member_access):
    manager, access = member_access(alpha, Role.COMPLIANCE_MANAGER)
    with pytest.raises(PermissionDeniedError):
        services.apikey_create(access=access, organisation=alpha, name="ERP", role=Role.STAFF, creator=manager)


def test_handoff_token_is_single_use_and_bound_to_the_organisation(alpha, beta, make_member):
    user = make_member(alpha)
    token = services.handoff_token_create(user=user, organisation=alpha, next_path="/members/")
    with pytest.raises(ApplicationError):
        services.handoff_token_consume(token=token, organisation=beta)
    assert services.handoff_token_consume(token=token, organisation=alpha) == (user, "/members/")
    with pytest.raises(ApplicationError) as excinfo:
        services.handoff_token_consume(token=token, organisation=alpha)
    assert excinfo.value.code == "handoff_replayed"


def test_handoff_token_dies_with_sign_out(alpha, make_member):
    user = make_member(alpha)
    token = services.handoff_token_create(user=user, organisation=alpha)
    services.user_sign_out_everywhere(user=user)
    with pytest.raises(ApplicationError):
        services.handoff_token_consume(token=token, organisation=alpha)


def test_handoff_next_path_cannot_leave_the_host(alpha, make_member):
    user = make_member(alpha)
    token = services.handoff_token_create(user=user, organisation=alpha, next_path="//evil.example/")
    assert services.handoff_token_consume(token=token, organisation=alpha)[1] == "/"
