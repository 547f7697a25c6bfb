"""Reads for people and access. Public tables: every read takes the organisation."""
from django.db.models import QuerySet
from django.utils import timezone

from apps.tenants.models import Organisation

from .models import ApiKey, Invitation, Membership, User


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return (Membership.objects.filter(user=user, organisation__is_active=True)
            .select_related("organisation").order_by("organisation__name_en"))


def membership_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


def membership_get(*, organisation: Organisation, membership_id) -> Membership | None:
    return membership_list(organisation=organisation).filter(pk=membership_id).first()


def invitation_pending_list(*, organisation: Organisation) -> QuerySet[Invitation]:
    return (Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True,
                                      revoked_at__isnull=True, expires_at__gt=timezone.now())
            .select_related("invited_by").order_by("-created_at"))


def invitation_get(*, organisation: Organisation, invitation_id) -> Invitation | None:
    return Invitation.objects.filter(organisation=organisation, pk=invitation_id).select_related("organisation").first()


def apikey_list(*, organisation: Organisation) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organisation=organisation).select_related("created_by").order_by("-created_at")


def apikey_get(*, organisation: Organisation, key_id) -> ApiKey | None:
    return ApiKey.objects.filter(organisation=organisation, pk=key_id).select_related("organisation").first()
