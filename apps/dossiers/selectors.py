"""Reads for dossiers. Inside an organisation the schema scopes the data; an auditor's engagement
narrows it further: a restricted access sees the dossiers granted to it (`dossier_scope`) and the
dossiers of the shipments granted to it (`shipment_scope`), nothing else."""
from uuid import UUID

from django.db.models import Q, QuerySet
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.traceability.models import BatteryModel, Shipment

from .models import Dossier, ScopeKind
from .registry.models import IssuedDossier


def _visible(queryset: QuerySet[Dossier], access: Access) -> QuerySet[Dossier]:
    if not access.is_restricted:
        return queryset
    granted = Q(pk__in=[])
    if access.dossier_scope:
        granted |= Q(pk__in=list(access.dossier_scope))
    if access.shipment_scope:
        granted |= Q(scope_kind=ScopeKind.SHIPMENT, scope_id__in=list(access.shipment_scope))
    return queryset.filter(granted)


def dossier_list(*, access: Access) -> QuerySet[Dossier]:
    return _visible(Dossier.objects.select_related("superseded_by").order_by("-created_at"), access)


def dossier_get(*, access: Access, dossier_id: UUID | str) -> Dossier | None:
    try:
        return dossier_list(access=access).filter(pk=dossier_id).first()
    except (ValueError, TypeError):
        return None


def shipment_choices(*, access: Access) -> QuerySet[Shipment]:
    shipments = Shipment.objects.only("id", "reference", "counterparty_name").order_by("-dispatch_date", "reference")
    if access.shipment_scope is not None:
        shipments = shipments.filter(pk__in=list(access.shipment_scope))
    return shipments


def model_choices() -> QuerySet[BatteryModel]:
    return BatteryModel.objects.only("id", "code", "name", "manufacturing_plant").order_by("code")


def registry_lookup(*, sha256: str) -> IssuedDossier | None:
    """Public: the registry row of an issued file, by its SHA-256 (lower-case hex)."""
    with schema_context("public"):
        return IssuedDossier.objects.filter(sha256=sha256).first()


def registry_by_dossier(*, dossier_id: str) -> IssuedDossier | None:
    try:
        UUID(str(dossier_id))
    except ValueError:
        return None
    with schema_context("public"):
        return IssuedDossier.objects.filter(dossier_id=dossier_id).first()
