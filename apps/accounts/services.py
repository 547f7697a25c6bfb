"""Writes for people and access: users, memberships, invitations, API keys, sign-in handoff."""
import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.tenants.hosts import public_url
from apps.tenants.models import Organisation

from .access import Access
from .models import ApiKey, Invitation, Membership, User
from .roles import API_KEY_ROLES, MEMBER_ROLES, Perm, Role, assignable_roles

MSG_ROLE_NOT_ASSIGNABLE = _("You may not grant this role.")
MSG_ALREADY_MEMBER = _("This person is already a member of the organisation.")
MSG_INVITATION_INVALID = _("This invitation link is not valid, has expired or was already used.")
MSG_INVITATION_OTHER_EMAIL = _("This invitation was sent to another e-mail address. Sign in with that address.")
MSG_LAST_OWNER = _("An organisation must keep at least one owner.")
MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_HANDOFF_INVALID = _("Your sign-in link has expired. Please sign in again.")
MSG_API_KEY_ROLE = _("An API key can act as compliance manager, staff or viewer.")
MSG_NAME_REQUIRED = _("Enter a name.")


def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- users -------------------------------------------------------------------------------

def user_create(*, email: str, password: str | None, full_name: str = "", language: str = "en") -> User:
    return User.objects.create_user(email=email, password=password, full_name=full_name.strip(),
                                    language=language)


def user_set_language(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def user_sign_out_everywhere(*, user: User) -> None:
    """Invalidate every session of the user, on the public site and every organisation host."""
    User.objects.filter(pk=user.pk).update(session_epoch=user.session_epoch + 1)


# --- memberships ------------------------------------------------------------------------

@transaction.atomic
def membership_add(*, organisation: Organisation, user: User, role: str, actor: Actor) -> Membership:
    if role not in MEMBER_ROLES:
        raise ApplicationError(MSG_ROLE_NOT_ASSIGNABLE, code="role_invalid", field="role")
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation,
                                                           defaults={"role": role})
    if not created:
        raise ApplicationError(MSG_ALREADY_MEMBER, code="already_member", field="email")
    with schema_context(organisation.schema_name):
        activity_record(actor=actor, verb="member.added", obj=membership,
                        data={"email": user.email, "role": role})
    return membership


def _owners_left_after(membership: Membership) -> int:
    return (Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.OWNER)
            .exclude(pk=membership.pk).count())


@transaction.atomic
def membership_change_role(*, access: Access, membership: Membership, role: str) -> Membership:
    _require(access, Perm.MEMBER_MANAGE)
    membership = Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
    allowed = assignable_roles(access.role)
    if role not in allowed or membership.role not in allowed:
        raise PermissionDeniedError(MSG_ROLE_NOT_ASSIGNABLE, code="role_not_assignable", field="role")
    if membership.role == Role.OWNER and role != Role.OWNER and _owners_left_after(membership) == 0:
        raise ApplicationError(MSG_LAST_OWNER, code="last_owner")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    with schema_context(membership.organisation.schema_name):
        activity_record(actor=access.actor, verb="member.role_changed", obj=membership,
                        data={"email": membership.user.email, "from": old, "to": role})
    return membership


@transaction.atomic
def membership_remove(*, access: Access, membership: Membership) -> None:
    _require(access, Perm.MEMBER_MANAGE)
    membership = Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
    if membership.role not in assignable_roles(access.role):
        raise PermissionDeniedError(MSG_ROLE_NOT_ASSIGNABLE, code="role_not_assignable")
    if membership.role == Role.OWNER and _owners_left_after(membership) == 0:
        raise ApplicationError(MSG_LAST_OWNER, code="last_owner")
    with schema_context(membership.organisation.schema_name):
        activity_record(actor=access.actor, verb="member.removed", obj=membership,
                        data={"email": membership.user.email, "role": membership.role})
    membership.delete()


# --- invitations ------------------------------------------------------------------------

def _send_invitation_email(*, invitation: Invitation, token: str, inviter_name: str) -> None:
    context = {
        "organisation": invitation.organisation,
        "role": Role(invitation.role).label,
        "inviter": inviter_name,
        "link": public_url(f"/invitations/{token}/"),
        "expires_at": invitation.expires_at,
    }
    # Bilingual: the invitee's language is not known yet.
    parts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            parts.append(render_to_string("emails/invitation.txt", context))
    with translation.override("en"):
        subject_en = str(_("Invitation to %(org)s on Cellpass") % {"org": invitation.organisation.name_en})
    with translation.override("zh-hans"):
        subject_zh = str(_("Invitation to %(org)s on Cellpass") % {
            "org": invitation.organisation.name_zh or invitation.organisation.name_en})
    message = EmailMultiAlternatives(subject=f"{subject_zh} / {subject_en}", body="\n\n---\n\n".join(parts),
                                     to=[invitation.email])
    message.send()


@transaction.atomic
def invitation_create(*, access: Access, organisation: Organisation, email: str, role: str,
                      inviter: User | None) -> Invitation:
    _require(access, Perm.MEMBER_MANAGE)
    email = email.strip().lower()
    if role not in assignable_roles(access.role):
        raise PermissionDeniedError(MSG_ROLE_NOT_ASSIGNABLE, code="role_not_assignable", field="role")
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ApplicationError(MSG_ALREADY_MEMBER, code="already_member", field="email")
    now = timezone.now()
    # A new invitation replaces any pending one for the same address.
    Invitation.objects.filter(organisation=organisation, email__iexact=email, accepted_at__isnull=True,
                              revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role, token_hash=_hash_token(token),
        invited_by=inviter, expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    with schema_context(organisation.schema_name):
        activity_record(actor=access.actor, verb="invitation.sent", obj=invitation,
                        data={"email": email, "role": role})
    inviter_name = str(inviter) if inviter else organisation.name_en
    transaction.on_commit(lambda: _send_invitation_email(invitation=invitation, token=token,
                                                         inviter_name=inviter_name))
    return invitation


def invitation_by_token(*, token: str) -> Invitation | None:
    """The pending invitation behind a token, or None (expired, used, revoked or unknown alike)."""
    invitation = (Invitation.objects.select_related("organisation")
                  .filter(token_hash=_hash_token(token)).first())
    if invitation is None or not invitation.is_pending or not invitation.organisation.is_active:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = invitation_by_token(token=token)
    if invitation is None:
        raise ApplicationError(MSG_INVITATION_INVALID, code="invitation_invalid")
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ApplicationError(MSG_INVITATION_INVALID, code="invitation_invalid")
    if invitation.email.lower() != user.email.lower():
        raise ApplicationError(MSG_INVITATION_OTHER_EMAIL, code="invitation_other_email")
    actor = Actor(id=user.pk, label=user.email)
    membership = membership_add(organisation=invitation.organisation, user=user, role=invitation.role,
                                actor=actor)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    with schema_context(invitation.organisation.schema_name):
        activity_record(actor=actor, verb="invitation.accepted", obj=invitation, data={"email": user.email})
    return membership


@transaction.atomic
def invitation_revoke(*, access: Access, invitation: Invitation) -> None:
    _require(access, Perm.MEMBER_MANAGE)
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True,
                                        revoked_at__isnull=True).update(revoked_at=timezone.now())
    if updated:
        with schema_context(invitation.organisation.schema_name):
            activity_record(actor=access.actor, verb="invitation.revoked", obj=invitation,
                            data={"email": invitation.email})


# --- API keys ---------------------------------------------------------------------------

API_KEY_PREFIX = "cp"


def _api_key_hash(secret_key: str) -> str:
    return hashlib.sha256(secret_key.encode("utf-8")).hexdigest()


@transaction.atomic
def apikey_create(*, access: Access, organisation: Organisation, name: str, role: str,
                  creator: User | None) -> tuple[ApiKey, str]:
    """Create a key; returns it with its plaintext, which is never stored and never shown again."""
    _require(access, Perm.APIKEY_MANAGE)
    if role not in API_KEY_ROLES:
        raise ApplicationError(MSG_API_KEY_ROLE, code="apikey_role_invalid", field="role")
    if not name.strip():
        raise ApplicationError(MSG_NAME_REQUIRED, code="name_required", field="name")
    prefix = secrets.token_hex(4)
    plaintext = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(organisation=organisation, name=name.strip()[:100], prefix=prefix,
                                key_hash=_api_key_hash(plaintext), role=role, created_by=creator)
    with schema_context(organisation.schema_name):
        activity_record(actor=access.actor, verb="apikey.created", obj=key,
                        data={"name": key.name, "role": role, "prefix": prefix})
    return key, plaintext


@transaction.atomic
def apikey_revoke(*, access: Access, key: ApiKey) -> None:
    _require(access, Perm.APIKEY_MANAGE)
    if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        with schema_context(key.organisation.schema_name):
            activity_record(actor=access.actor, verb="apikey.revoked", obj=key, data={"prefix": key.prefix})


def apikey_authenticate(*, plaintext: str, organisation: Organisation) -> ApiKey | None:
    """The live key of this organisation matching `plaintext`, or None. Constant-time comparison."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).select_related("organisation").first()
    if key is None or not secrets.compare_digest(key.key_hash, _api_key_hash(plaintext)):
        return None
    if key.organisation_id != organisation.pk:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# --- sign-in handoff between hosts ------------------------------------------------------
# The public site and each organisation are different hosts, so each keeps its own session
# cookie. After signing in on the public site, the user is sent to the organisation host with a
# short-lived, single-use signed token that opens a session there.

HANDOFF_SALT = "cellpass.accounts.handoff"
HANDOFF_MAX_AGE = 120


def handoff_token_create(*, user: User, organisation: Organisation, next_path: str = "/",
                         otp_device: Any = None) -> str:
    """`otp_device`: the django-otp device that verified the public session, if any; the session
    opened on the organisation host is then verified by it too (a second factor is per session)."""
    if not next_path.startswith("/") or next_path.startswith("//"):
        next_path = "/"
    payload = {"u": str(user.pk), "o": str(organisation.pk), "e": user.session_epoch, "n": next_path,
               "j": secrets.token_hex(16)}
    if otp_device is not None and otp_device.user_id == user.pk:
        payload["d"] = otp_device.persistent_id
    return signing.dumps(payload, salt=HANDOFF_SALT, compress=True)


def handoff_token_redeem(*, token: str, organisation: Organisation) -> tuple[User, str, Any]:
    """The user, the path to open and the OTP device that verified the sign-in (or None)."""
    user, payload = _handoff_payload(token=token, organisation=organisation)
    return user, payload.get("n") or "/", _otp_device(user, payload.get("d"))


def _otp_device(user: User, persistent_id: str | None) -> Any:
    if not persistent_id:
        return None
    from django_otp.models import Device

    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def handoff_token_consume(*, token: str, organisation: Organisation) -> tuple[User, str]:
    user, payload = _handoff_payload(token=token, organisation=organisation)
    return user, payload.get("n") or "/"


def _handoff_payload(*, token: str, organisation: Organisation) -> tuple[User, dict[str, Any]]:
    try:
        payload: dict[str, Any] = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE)
    except signing.BadSignature as exc:
        raise ApplicationError(MSG_HANDOFF_INVALID, code="handoff_invalid") from exc
    if payload.get("o") != str(organisation.pk):
        raise ApplicationError(MSG_HANDOFF_INVALID, code="handoff_invalid")
    if not cache.add(f"handoff:{payload['j']}", 1, timeout=HANDOFF_MAX_AGE * 2):
        raise ApplicationError(MSG_HANDOFF_INVALID, code="handoff_replayed")
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if user is None or user.session_epoch != payload.get("e"):
        raise ApplicationError(MSG_HANDOFF_INVALID, code="handoff_invalid")
    return user, payload
