"""Reads for checklists: selected protocols, scopes (which exist, which a change touches), statuses,
evaluations and notifications. Querysets come back joined; an auditor restricted to some shipments
(`access.shipment_scope`) sees those shipments and the lots made from them, nothing else."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.accounts.access import Access
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from apps.traceability.models import BatteryModel, MaterialLot, Shipment, ShipmentUnit

from .facts import model_year_scope_id, split_model_year
from .models import Evaluation, Notification, ProtocolSelection, RequirementResult, ScopeKind, ScopeStatus
from .protocol import Protocol, registry

Scope = tuple[str, str]  # (scope kind, scope id)


# --- protocols --------------------------------------------------------------------------------------

def selected_protocol_ids() -> list[str]:
    return list(ProtocolSelection.objects.order_by("protocol_id").values_list("protocol_id", flat=True))


def protocols_selected(scope_kind: str | None = None) -> list[Protocol]:
    """Latest version of every protocol the organisation follows (unknown ids are ignored)."""
    reg = registry()
    protocols = [p for pid in selected_protocol_ids() if (p := reg.latest(pid)) is not None]
    return [p for p in protocols if scope_kind is None or p.scope == scope_kind]


# --- scopes -----------------------------------------------------------------------------------------

def _uuids(values: Iterable[str]) -> list[UUID]:
    result = []
    for value in values:
        try:
            result.append(UUID(value))
        except (ValueError, TypeError):
            continue
    return result


def model_years(model_ids: Iterable[Any], *, current_year: int | None = None) -> dict[str, set[int]]:
    """Years to evaluate per model: the current year and every year a recycled-content declaration names."""
    current_year = current_year or timezone.localdate().year
    years: dict[str, set[int]] = {str(m): {current_year} for m in model_ids}
    rows = (EvidenceRevision.objects.filter(evidence__doc_type=EvidenceType.RECYCLED_CONTENT_DECLARATION,
                                            evidence__battery_models__in=list(years))
            .values_list("evidence__battery_models", "key_fields__year"))
    for model_id, year in rows:
        try:
            years.setdefault(str(model_id), {current_year}).add(int(str(year)))
        except (TypeError, ValueError):
            continue
    return years


def _model_scopes(model_ids: Iterable[Any]) -> set[Scope]:
    scopes: set[Scope] = set()
    for model_id, years in model_years(model_ids).items():
        scopes.add((ScopeKind.BATTERY_MODEL, model_id))
        scopes.update((ScopeKind.MODEL_YEAR, model_year_scope_id(model_id, year)) for year in years)
    return scopes


def scopes_for_changes(members: Iterable[str]) -> set[Scope]:
    """Dirty objects ("unit:<uuid>", "evidence:<uuid>" …) -> the scopes whose evaluation they feed.

    A fixed number of queries, whatever the number of members."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for member in members:
        kind, _sep, object_id = member.partition(":")
        by_kind[kind].append(object_id)
    shipments = set(_uuids(by_kind["shipment"]))
    lots = set(_uuids(by_kind["lot"]))
    models = set(_uuids(by_kind["model"]))
    units = set(_uuids(by_kind["unit"]))
    evidence = set(_uuids(by_kind["evidence"]))
    revisions = _uuids(by_kind["revision"])
    if revisions:
        evidence.update(EvidenceRevision.objects.filter(id__in=revisions).values_list("evidence_id", flat=True))
    if evidence:
        through = Evidence.shipments.through.objects.filter(evidence_id__in=evidence)
        shipments.update(through.values_list("shipment_id", flat=True))
        units.update(Evidence.units.through.objects.filter(evidence_id__in=evidence)
                     .values_list("batteryunit_id", flat=True))
        lots.update(Evidence.lots.through.objects.filter(evidence_id__in=evidence)
                    .values_list("materiallot_id", flat=True))
        models.update(Evidence.battery_models.through.objects.filter(evidence_id__in=evidence)
                      .values_list("batterymodel_id", flat=True))
    if units:
        # The shipments holding the unit itself or the pack/module it belongs to.
        shipments.update(ShipmentUnit.objects.filter(Q(unit_id__in=units) | Q(unit__children__in=units)
                                                     | Q(unit__children__children__in=units))
                         .values_list("shipment_id", flat=True).distinct())
    if lots:
        related = MaterialLot.objects.filter(Q(id__in=lots) | Q(source_lots__in=lots) | Q(derived_lots__in=lots))
        lots.update(related.values_list("id", flat=True).distinct())
        shipments.update(MaterialLot.source_shipments.through.objects.filter(materiallot_id__in=lots)
                         .values_list("shipment_id", flat=True).distinct())
    scopes: set[Scope] = {(ScopeKind.SHIPMENT, str(s)) for s in shipments}
    scopes.update((ScopeKind.MATERIAL_LOT, str(lot)) for lot in lots)
    if models:
        scopes.update(_model_scopes(models))
    return scopes


def all_scopes(kinds: Iterable[str]) -> list[Scope]:
    """Every scope of these kinds in the organisation (the nightly run)."""
    kinds = set(kinds)
    scopes: list[Scope] = []
    if ScopeKind.SHIPMENT in kinds:
        scopes.extend((ScopeKind.SHIPMENT, str(pk)) for pk in Shipment.objects.order_by("reference")
                      .values_list("id", flat=True))
    if ScopeKind.MATERIAL_LOT in kinds:
        scopes.extend((ScopeKind.MATERIAL_LOT, str(pk)) for pk in MaterialLot.objects.order_by("code")
                      .values_list("id", flat=True))
    model_ids = list(BatteryModel.objects.order_by("code").values_list("id", flat=True))
    if ScopeKind.BATTERY_MODEL in kinds:
        scopes.extend((ScopeKind.BATTERY_MODEL, str(pk)) for pk in model_ids)
    if ScopeKind.MODEL_YEAR in kinds and model_ids:
        for model_id, years in sorted(model_years(model_ids).items()):
            scopes.extend((ScopeKind.MODEL_YEAR, model_year_scope_id(model_id, y)) for y in sorted(years))
    return scopes


@dataclass(frozen=True)
class ScopeRef:
    kind: str
    id: str
    label: str
    # The register object the scope hangs off, for links (evidence upload, register pages).
    shipment_id: str | None = None
    lot_id: str | None = None
    model_id: str | None = None
    year: int | None = None


def scope_get(*, access: Access, scope_kind: str, scope_id: str) -> ScopeRef | None:
    """The scope if it exists and this access may see it (else None: 404 for "missing" and "not yours")."""
    try:
        if scope_kind == ScopeKind.SHIPMENT:
            shipment = Shipment.objects.filter(pk=scope_id).only("id", "reference").first()
            if shipment is None or not access.sees_shipment(shipment.pk):
                return None
            return ScopeRef(scope_kind, str(shipment.pk), shipment.reference, shipment_id=str(shipment.pk))
        if scope_kind == ScopeKind.MATERIAL_LOT:
            lot = MaterialLot.objects.filter(pk=scope_id).only("id", "code").first()
            if lot is None or (access.shipment_scope is not None and not MaterialLot.objects.filter(
                    pk=lot.pk, source_shipments__in=access.shipment_scope).exists()):
                return None
            return ScopeRef(scope_kind, str(lot.pk), lot.code, lot_id=str(lot.pk))
        if scope_kind in (ScopeKind.BATTERY_MODEL, ScopeKind.MODEL_YEAR):
            if access.shipment_scope is not None:
                return None
            parts = split_model_year(scope_id) if scope_kind == ScopeKind.MODEL_YEAR else (scope_id, None)
            if parts is None or (parts[1] is not None and not 1990 <= parts[1] <= 2100):
                return None
            model = BatteryModel.objects.filter(pk=parts[0]).only("id", "code").first()
            if model is None:
                return None
            if scope_kind == ScopeKind.BATTERY_MODEL:
                return ScopeRef(scope_kind, str(model.pk), model.code, model_id=str(model.pk))
            return ScopeRef(scope_kind, model_year_scope_id(str(model.pk), parts[1]), f"{model.code} · {parts[1]}",
                            model_id=str(model.pk), year=parts[1])
    except (ValueError, ValidationError):
        return None
    return None


def visible_scope_q(access: Access) -> Q:
    """Filter for ScopeStatus / Evaluation rows an access may see."""
    if access.shipment_scope is None:
        return Q()
    shipments = [str(s) for s in access.shipment_scope]
    lots = [str(pk) for pk in MaterialLot.objects.filter(source_shipments__in=access.shipment_scope)
            .values_list("id", flat=True).distinct()]
    return Q(scope_kind=ScopeKind.SHIPMENT, scope_id__in=shipments) | \
        Q(scope_kind=ScopeKind.MATERIAL_LOT, scope_id__in=lots)


# --- statuses and evaluations -----------------------------------------------------------------------

def status_list(*, access: Access, scope_kind: str = "", status: str = "", protocol_id: str = "") \
        -> QuerySet[ScopeStatus]:
    qs = ScopeStatus.objects.filter(visible_scope_q(access)).order_by("scope_kind", "scope_label", "protocol_id")
    if scope_kind:
        qs = qs.filter(scope_kind=scope_kind)
    if status:
        qs = qs.filter(status=status)
    if protocol_id:
        qs = qs.filter(protocol_id=protocol_id)
    return qs


def scope_statuses(*, scope_kind: str, scope_id: str) -> list[ScopeStatus]:
    return list(ScopeStatus.objects.filter(scope_kind=scope_kind, scope_id=scope_id)
                .select_related("evaluation")
                .prefetch_related(Prefetch("evaluation__results",
                                           queryset=RequirementResult.objects.order_by("position")))
                .order_by("protocol_id"))


def evaluation_list(*, access: Access, scope_kind: str = "", scope_id: str = "", protocol_id: str = "",
                    latest: bool = False) -> QuerySet[Evaluation]:
    qs = Evaluation.objects.filter(visible_scope_q(access))
    if scope_kind:
        qs = qs.filter(scope_kind=scope_kind)
    if scope_id:
        qs = qs.filter(scope_id=scope_id)
    if protocol_id:
        qs = qs.filter(protocol_id=protocol_id)
    if latest:
        qs = qs.filter(id__in=ScopeStatus.objects.values("evaluation_id"))
    return qs.order_by("-created_at")


def evaluation_get(*, access: Access, evaluation_id: Any) -> Evaluation | None:
    try:
        return (evaluation_list(access=access).filter(pk=evaluation_id)
                .prefetch_related(Prefetch("results", queryset=RequirementResult.objects.order_by("position")))
                .first())
    except (ValueError, ValidationError):
        return None


def result_list(*, access: Access, status: str = "", protocol_id: str = "", scope_kind: str = "",
                latest: bool = True) -> QuerySet[RequirementResult]:
    qs = RequirementResult.objects.filter(
        evaluation__in=evaluation_list(access=access, protocol_id=protocol_id, scope_kind=scope_kind, latest=latest))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("evaluation").order_by("-id")


def revisions_by_id(ids: Iterable[str]) -> dict[str, EvidenceRevision]:
    ids = _uuids(ids)
    if not ids:
        return {}
    return {str(r.pk): r for r in EvidenceRevision.objects.filter(pk__in=ids).select_related("evidence")}


# --- dashboard --------------------------------------------------------------------------------------

@dataclass
class CompletenessRow:
    protocol_id: str
    title: Any
    scope_kind: str
    counts: dict[str, int] = field(default_factory=dict)
    met: int = 0
    applicable: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.applicable) if self.applicable else None


def completeness(*, access: Access) -> list[CompletenessRow]:
    """Per protocol: how many scopes are in each status, and requirements met / applicable (one query)."""
    from django.db.models import Sum

    reg = registry()
    rows: dict[str, CompletenessRow] = {}
    for protocol_id, scope_kind, status, count, met, applicable in (
            ScopeStatus.objects.filter(visible_scope_q(access))
            .values_list("protocol_id", "scope_kind", "status")
            .annotate(n=Count("id"), met=Sum("met_count"), applicable=Sum("applicable_count"))
            .order_by("protocol_id", "status")):
        protocol = reg.latest(protocol_id)
        row = rows.setdefault(protocol_id, CompletenessRow(protocol_id=protocol_id,
                                                           title=protocol.title if protocol else protocol_id,
                                                           scope_kind=scope_kind))
        row.counts[status] = row.counts.get(status, 0) + count
        row.met += met or 0
        row.applicable += applicable or 0
    return list(rows.values())


# --- notifications ----------------------------------------------------------------------------------

def notification_list(*, user_id: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user_id).select_related("evaluation").order_by("-created_at")


def notification_unread_count(*, user_id: Any) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
