"""Reads of the evidence vault, already joined for their callers, honouring `access.shipment_scope`:
an auditor restricted to some shipments sees only evidence linked to those shipments, to units shipped
in them, or to lots made from them. Another organisation's ids simply do not exist here (schemas)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.accounts.access import Access
from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment, ShipmentUnit

from .models import Evidence, EvidenceRevision, Review, RevisionStatus

LINK_KINDS = ("shipment", "lot", "unit", "model")


def _scoped(qs: QuerySet[Evidence], access: Access | None) -> QuerySet[Evidence]:
    scope = access.shipment_scope if access is not None else None
    if scope is None:
        return qs
    through = Evidence.shipments.through.objects.filter(shipment_id__in=scope).values("evidence_id")
    via_units = Evidence.units.through.objects.filter(
        batteryunit_id__in=ShipmentUnit.objects.filter(shipment_id__in=scope).values("unit_id")).values("evidence_id")
    via_lots = Evidence.lots.through.objects.filter(
        materiallot_id__in=MaterialLot.source_shipments.through.objects.filter(shipment_id__in=scope)
        .values("materiallot_id")).values("evidence_id")
    return qs.filter(Q(id__in=through) | Q(id__in=via_units) | Q(id__in=via_lots))


def evidence_visible(*, access: Access | None) -> QuerySet[Evidence]:
    return _scoped(Evidence.objects.all(), access)


def evidence_list(*, access: Access | None, doc_type: str = "", status: str = "", q: str = "",
                  linked: str = "", shipment: UUID | None = None, lot: UUID | None = None, unit: UUID | None = None,
                  model: UUID | None = None) -> QuerySet[Evidence]:
    """Documents with their current revision and linked shipments (one query each, whatever the count).
    `status` filters on the current revision; `linked` matches a shipment reference, lot, unit or model
    code exactly; `q` searches title, document number, issuer and file name."""
    qs = evidence_visible(access=access)
    if doc_type:
        qs = qs.filter(doc_type=doc_type)
    if status:
        qs = qs.filter(current_revision__status=status)
    if shipment:
        qs = qs.filter(shipments__id=shipment)
    if lot:
        qs = qs.filter(lots__id=lot)
    if unit:
        qs = qs.filter(units__id=unit)
    if model:
        qs = qs.filter(battery_models__id=model)
    if linked:
        linked = linked.strip()
        qs = qs.filter(Q(id__in=Evidence.shipments.through.objects.filter(shipment__reference=linked)
                         .values("evidence_id"))
                       | Q(id__in=Evidence.lots.through.objects.filter(materiallot__code=linked).values("evidence_id"))
                       | Q(id__in=Evidence.units.through.objects.filter(batteryunit__code=linked)
                           .values("evidence_id"))
                       | Q(id__in=Evidence.battery_models.through.objects.filter(batterymodel__code=linked)
                           .values("evidence_id")))
    if q:
        q = q.strip()
        qs = qs.filter(Q(title__icontains=q) | Q(reference__icontains=q) | Q(issuer__icontains=q)
                       | Q(current_revision__original_filename__icontains=q))
    return (qs.select_related("current_revision")
            .prefetch_related(Prefetch("shipments", queryset=Shipment.objects.only("id", "reference")))
            .order_by("-created_at", "id"))


def evidence_get(*, access: Access | None, evidence_id: UUID | str) -> Evidence | None:
    """One document with all its revisions (newest first), their reviews and every link."""
    revisions = (EvidenceRevision.objects.order_by("-number")
                 .prefetch_related(Prefetch("reviews", queryset=Review.objects.order_by("-created_at"))))
    return (evidence_visible(access=access).filter(pk=evidence_id).select_related("current_revision")
            .prefetch_related(Prefetch("revisions", queryset=revisions), "shipments", "lots", "units",
                              "battery_models")
            .first())


def revision_get(*, access: Access | None, revision_id: UUID | str) -> EvidenceRevision | None:
    return (EvidenceRevision.objects.filter(pk=revision_id, evidence__in=evidence_visible(access=access))
            .select_related("evidence").first())


def review_queue(*, access: Access | None) -> QuerySet[EvidenceRevision]:
    """Revisions awaiting review, oldest first (the current revision of each document)."""
    return (EvidenceRevision.objects.filter(status=RevisionStatus.SUBMITTED,
                                            evidence__in=evidence_visible(access=access))
            .select_related("evidence").order_by("created_at", "id"))


def evidence_for(obj: Shipment | MaterialLot | BatteryUnit | BatteryModel, *,
                 access: Access | None = None) -> QuerySet[Evidence]:
    """Evidence linked directly to a shipment, lot, unit or battery model, with its current revision —
    for the register's detail pages (render with `evidence/_linked_list.html`)."""
    relation = {Shipment: "shipments", MaterialLot: "lots", BatteryUnit: "units", BatteryModel: "battery_models"}
    key = relation.get(type(obj))
    if key is None:
        raise TypeError(f"no evidence links for {type(obj).__name__}")
    return (evidence_visible(access=access).filter(**{key: obj}).select_related("current_revision")
            .order_by("doc_type", "-created_at"))


def link_kind_of(obj: Any) -> str:
    return {Shipment: "shipment", MaterialLot: "lot", BatteryUnit: "unit", BatteryModel: "model"}[type(obj)]


def link_object(kind: str, object_id: UUID | str) -> Any | None:
    """The register object an "attach evidence" link preselects (None when missing or malformed)."""
    model = {"shipment": Shipment, "lot": MaterialLot, "unit": BatteryUnit, "model": BatteryModel}.get(kind)
    if model is None:
        return None
    try:
        return model.objects.filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id is just "not found"
        return None


def resolve_codes(kind: str, codes: Iterable[str]) -> tuple[list[Any], list[str]]:
    """Register objects by shipment reference / lot, unit or model code: (found, unknown codes)."""
    model, key = {"shipment": (Shipment, "reference"), "lot": (MaterialLot, "code"), "unit": (BatteryUnit, "code"),
                  "model": (BatteryModel, "code")}[kind]
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": wanted})}
    return [found[c] for c in wanted if c in found], [c for c in wanted if c not in found]


def evidence_summary(*, access: Access | None) -> dict[str, int]:
    """Counts for the dashboard panel: documents per current status, and expiring within 30 days."""
    qs = evidence_visible(access=access)
    counts = dict(qs.values_list("current_revision__status").annotate(n=Count("id")).order_by())
    today = timezone.localdate()
    expiring = qs.filter(current_revision__status=RevisionStatus.ACCEPTED,
                         current_revision__expiry_date__gte=today,
                         current_revision__expiry_date__lte=today + timedelta(days=30)).count()
    return {"total": sum(counts.values()), "submitted": counts.get(RevisionStatus.SUBMITTED, 0),
            "accepted": counts.get(RevisionStatus.ACCEPTED, 0), "rejected": counts.get(RevisionStatus.REJECTED, 0),
            "expired": counts.get(RevisionStatus.EXPIRED, 0), "expiring": expiring}
