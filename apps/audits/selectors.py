"""Reads for auditor engagements. Public tables: every organisation-side read takes the
organisation and answers None alike for "missing" and "not yours"."""
import uuid
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.tenants.models import Organisation
from apps.traceability.models import Shipment

from .models import AccessLog, Engagement


def engagement_list(*, organisation: Organisation) -> QuerySet[Engagement]:
    return (Engagement.objects.filter(organisation=organisation).select_related("auditor")
            .annotate(log_count=Count("access_log")).order_by("-created_at"))


def engagement_get(*, organisation: Organisation, engagement_id) -> Engagement | None:
    return (Engagement.objects.filter(organisation=organisation, pk=engagement_id)
            .select_related("auditor", "organisation").first())


def engagement_in_force(*, user, organisation: Organisation) -> Engagement | None:
    """The engagement through which `user` may read `organisation` right now: accepted, started,
    not ended, not revoked. Decided at request time, so nothing has to run when a window closes."""
    now = timezone.now()
    return (Engagement.objects.filter(organisation=organisation, auditor_id=user.pk, accepted_at__isnull=False,
                                      revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
            .only("id", "scope", "shipment_ids", "dossier_ids").order_by("-starts_at").first())


def access_log_list(*, engagement: Engagement) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(engagement=engagement).order_by("-id")


def auditor_engagements(*, user: User) -> list[Engagement]:
    """An auditor's hub: engagements they accepted, and invitations addressed to them still open."""
    now = timezone.now()
    pending = Q(auditor__isnull=True, auditor_email=user.email.lower(), revoked_at__isnull=True, ends_at__gt=now)
    return list(Engagement.objects.filter(Q(auditor=user) | pending, organisation__is_active=True)
                .select_related("organisation").order_by("-starts_at"))


def user_is_auditor(*, user: User) -> bool:
    return Engagement.objects.filter(auditor=user, revoked_at__isnull=True).exists()


def shipment_labels(*, organisation: Organisation, shipment_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Shipment references by id, read in the organisation's schema (for showing a scope)."""
    ids = list(shipment_ids)
    if not ids:
        return {}
    with schema_context(organisation.schema_name):
        return dict(Shipment.objects.filter(pk__in=ids).values_list("pk", "reference"))


def shipment_ids_for_references(*, references: Iterable[str]) -> tuple[list[uuid.UUID], list[str]]:
    """In the current organisation's schema: (ids of the shipments with these references or ids,
    entries that match none)."""
    wanted = [r.strip() for r in references if r.strip()]
    as_ids = []
    for item in wanted:
        try:
            as_ids.append(uuid.UUID(item))
        except ValueError:
            continue
    rows = Shipment.objects.filter(Q(reference__in=wanted) | Q(pk__in=as_ids)).values_list("pk", "reference")
    by_key = {}
    for pk, reference in rows:
        by_key[reference] = pk
        by_key[str(pk)] = pk
    found, missing = [], []
    for item in wanted:
        pk = by_key.get(item) or by_key.get(item.lower())
        if pk is None:
            missing.append(item)
        elif pk not in found:
            found.append(pk)
    return found, missing
