"""Writes for auditor engagements: grant, accept, revoke; and the access log.

Engagement rows live in the public schema; the activity entry of each change is written to the
organisation's own log, in the same transaction (schema_context on the same connection).
"""
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.models import Membership, User
from apps.accounts.roles import Perm
from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.tenants.hosts import public_url
from apps.tenants.models import Organisation
from apps.traceability.models import Shipment

from .models import AccessLog, Engagement, EngagementScope
from .notifications import send_bilingual

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_EMAIL_INVALID = _("Enter a valid e-mail address.")
MSG_AUDITOR_IS_MEMBER = _("This person is a member of the organisation; auditors are people from outside it.")
MSG_WINDOW_INVALID = _("The end date must not be before the start date.")
MSG_WINDOW_PAST = _("The engagement would already be over: choose an end date from today on.")
MSG_WINDOW_TOO_LONG = _("An engagement may last at most %(days)s days.")
MSG_SCOPE_EMPTY = _("Choose at least one shipment or dossier, or grant the whole organisation.")
MSG_SCOPE_INVALID = _("Choose a valid scope.")
MSG_SHIPMENT_UNKNOWN = _("These shipments do not exist in this organisation: %(items)s")
MSG_DOSSIER_INVALID = _("These are not dossier identifiers: %(items)s")
MSG_OVERLAP = _("This auditor already has an engagement with this organisation in that period. Revoke it first "
                "or choose other dates.")
MSG_INVITATION_INVALID = _("This engagement invitation is not valid: it was revoked, has ended or is unknown.")
MSG_INVITATION_OTHER_EMAIL = _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
MSG_PURPOSE_TOO_LONG = _("Keep the purpose under 200 characters.")


def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _parse_uuids(values: Iterable[Any]) -> tuple[list[uuid.UUID], list[str]]:
    good, bad = [], []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            parsed = uuid.UUID(text)
        except ValueError:
            bad.append(text[:40])
        else:
            if parsed not in good:
                good.append(parsed)
    return good, bad


def _lock(key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _validate_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ApplicationError(MSG_WINDOW_INVALID, code="window_invalid", field="end_date")
    if ends_at <= timezone.now():
        raise ApplicationError(MSG_WINDOW_PAST, code="window_past", field="end_date")
    if ends_at - starts_at > timedelta(days=settings.ENGAGEMENT_MAX_DAYS):
        raise ApplicationError(MSG_WINDOW_TOO_LONG % {"days": settings.ENGAGEMENT_MAX_DAYS},
                               code="window_too_long", field="end_date")


def _validate_scope(*, organisation: Organisation, scope: str, shipment_ids: Iterable[Any],
                    dossier_ids: Iterable[Any]) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    if scope not in EngagementScope.values:
        raise ApplicationError(MSG_SCOPE_INVALID, code="scope_invalid", field="scope")
    if scope == EngagementScope.ORGANISATION:
        return [], []
    shipments, bad_shipments = _parse_uuids(shipment_ids)
    dossiers, bad_dossiers = _parse_uuids(dossier_ids)
    if bad_dossiers:
        raise ApplicationError(MSG_DOSSIER_INVALID % {"items": ", ".join(bad_dossiers)}, code="dossier_invalid",
                               field="dossier_ids")
    if bad_shipments:
        raise ApplicationError(MSG_SHIPMENT_UNKNOWN % {"items": ", ".join(bad_shipments)}, code="shipment_unknown",
                               field="shipment_ids")
    if not shipments and not dossiers:
        raise ApplicationError(MSG_SCOPE_EMPTY, code="scope_empty", field="scope")
    with schema_context(organisation.schema_name):
        known = set(Shipment.objects.filter(pk__in=shipments).values_list("pk", flat=True))
    unknown = [str(s) for s in shipments if s not in known]
    if unknown:
        raise ApplicationError(MSG_SHIPMENT_UNKNOWN % {"items": ", ".join(unknown)}, code="shipment_unknown",
                               field="shipment_ids")
    return shipments, dossiers


@transaction.atomic
def engagement_grant(*, access: Access, organisation: Organisation, auditor_email: str, scope: str,
                     starts_at: datetime, ends_at: datetime, shipment_ids: Iterable[Any] = (),
                     dossier_ids: Iterable[Any] = (), purpose: str = "") -> Engagement:
    """Grant an auditor (by e-mail) read access to a scope for a window, and e-mail the invitation."""
    _require(access, Perm.ENGAGEMENT_MANAGE)
    email = auditor_email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError(MSG_EMAIL_INVALID, code="email_invalid", field="auditor_email") from exc
    purpose = purpose.strip()
    if len(purpose) > 200:
        raise ApplicationError(MSG_PURPOSE_TOO_LONG, code="purpose_too_long", field="purpose")
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ApplicationError(MSG_AUDITOR_IS_MEMBER, code="auditor_is_member", field="auditor_email")
    _validate_window(starts_at, ends_at)
    shipments, dossiers = _validate_scope(organisation=organisation, scope=scope, shipment_ids=shipment_ids,
                                          dossier_ids=dossier_ids)
    # One engagement at a time per auditor and organisation: the resolver never has to choose.
    _lock(f"engagement:{organisation.pk}:{email}")
    if Engagement.objects.filter(organisation=organisation, auditor_email=email, revoked_at__isnull=True,
                                 starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ApplicationError(MSG_OVERLAP, code="engagement_overlaps", field="start_date")
    token = secrets.token_urlsafe(32)
    engagement = Engagement.objects.create(
        organisation=organisation, auditor_email=email, purpose=purpose, scope=scope, shipment_ids=shipments,
        dossier_ids=dossiers, starts_at=starts_at, ends_at=ends_at, token_hash=_hash_token(token),
        granted_by_id=access.user_id or access.api_key_id, granted_by_label=access.label[:254],
    )
    with schema_context(organisation.schema_name):
        activity_record(actor=access.actor, verb="engagement.granted", obj=engagement, data={
            "auditor": email, "scope": scope, "shipments": [str(s) for s in shipments],
            "dossiers": [str(d) for d in dossiers], "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat()})
    transaction.on_commit(lambda: _send_invitation(engagement=engagement, token=token))
    return engagement


def _send_invitation(*, engagement: Engagement, token: str) -> None:
    send_bilingual(
        subject=_("Audit engagement with %(organisation)s on Cellpass"),
        template="audits/emails/engagement_invitation.txt",
        context={"organisation": engagement.organisation, "engagement": engagement,
                 "link": public_url(f"/auditor/invitations/{token}/"), "granted_by": engagement.granted_by_label},
        to=[engagement.auditor_email])


def engagement_by_token(*, token: str) -> Engagement | None:
    """The engagement behind an invitation link, unless revoked, over, or unknown (all alike)."""
    engagement = (Engagement.objects.select_related("organisation")
                  .filter(token_hash=_hash_token(token), revoked_at__isnull=True, ends_at__gt=timezone.now(),
                          organisation__is_active=True).first())
    return engagement


@transaction.atomic
def engagement_accept(*, engagement: Engagement, user: User) -> Engagement:
    """The invited auditor accepts (the view finds the engagement from the invitation link and makes
    sure the session is verified by TOTP)."""
    engagement = Engagement.objects.select_for_update().select_related("organisation").get(pk=engagement.pk)
    if engagement.revoked_at is not None or engagement.ends_at <= timezone.now():
        raise ApplicationError(MSG_INVITATION_INVALID, code="invitation_invalid")
    if engagement.auditor_email != user.email.lower():
        raise ApplicationError(MSG_INVITATION_OTHER_EMAIL % {"email": engagement.auditor_email},
                               code="invitation_other_email")
    if engagement.accepted_at is not None:
        if engagement.auditor_id == user.pk:
            return engagement
        raise ApplicationError(MSG_INVITATION_INVALID, code="invitation_invalid")
    engagement.auditor = user
    engagement.accepted_at = timezone.now()
    engagement.save(update_fields=["auditor", "accepted_at", "updated_at"])
    with schema_context(engagement.organisation.schema_name):
        activity_record(actor=Actor(id=user.pk, label=user.email), verb="engagement.accepted", obj=engagement,
                        data={"auditor": user.email})
    return engagement


@transaction.atomic
def engagement_revoke(*, access: Access, engagement: Engagement) -> Engagement:
    """End the auditor's access at once (idempotent). The next request they make is refused."""
    _require(access, Perm.ENGAGEMENT_MANAGE)
    engagement = Engagement.objects.select_for_update().select_related("organisation").get(pk=engagement.pk)
    if engagement.organisation_id != access.organisation_id:
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")
    if engagement.revoked_at is not None:
        return engagement
    engagement.revoked_at = timezone.now()
    engagement.revoked_by_label = access.label[:254]
    engagement.save(update_fields=["revoked_at", "revoked_by_label", "updated_at"])
    with schema_context(engagement.organisation.schema_name):
        activity_record(actor=access.actor, verb="engagement.revoked", obj=engagement,
                        data={"auditor": engagement.auditor_email})
    transaction.on_commit(lambda: send_bilingual(
        subject=_("Your audit access to %(organisation)s has been revoked"),
        template="audits/emails/engagement_revoked.txt",
        context={"organisation": engagement.organisation, "engagement": engagement},
        to=[engagement.auditor_email]))
    return engagement


def access_log_record(*, engagement_id: uuid.UUID, user_id: uuid.UUID | None, method: str, path: str,
                      view_name: str, object_type: str, object_id: str, status_code: int,
                      is_download: bool) -> AccessLog:
    """One line of an engagement's access log (written for every request the auditor makes)."""
    return AccessLog.objects.create(
        engagement_id=engagement_id, user_id=user_id, method=method[:8], path=path[:500],
        view_name=view_name[:120], object_type=object_type[:60], object_id=object_id[:64],
        status_code=status_code, is_download=is_download)
