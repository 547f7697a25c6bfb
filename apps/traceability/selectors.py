"""Reads of the register, already joined for their callers (templates and serializers never query).

Every selector takes the caller's `Access` and honours `access.shipment_scope`: an auditor restricted
to some shipments sees those shipments, the units in them with their hierarchy (the packs/modules they sit
in and the modules/cells they hold), the lots made from them (and lots refined from those), and the battery
models of the units they see. "Not visible" and "missing" look the same: None.
"""
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from apps.accounts.access import Access

from .importing import normalise_reference_code
from .models import (
    BatteryModel,
    BatteryUnit,
    ImportBatch,
    MaterialLot,
    Shipment,
    ShipmentUnit,
)


def _scope(access: Access | None) -> frozenset[UUID] | None:
    return access.shipment_scope if access is not None else None


def _visible_units(scope: frozenset[UUID]) -> Q:
    """Units in the scoped shipments, their descendants and their ancestors. The hierarchy is at most three
    levels deep (pack -> module -> cell), so two steps each way reach everything."""
    direct = ShipmentUnit.objects.filter(shipment_id__in=scope).values("unit_id")
    parents = BatteryUnit.objects.filter(id__in=direct, parent__isnull=False).values("parent_id")
    grandparents = BatteryUnit.objects.filter(id__in=direct, parent__parent__isnull=False).values("parent__parent_id")
    return (Q(id__in=direct) | Q(parent_id__in=direct) | Q(parent__parent_id__in=direct)
            | Q(id__in=parents) | Q(id__in=grandparents))


# MaterialLot.source_shipments and .source_lots (from = the derived lot, to = its source)
LOTS_FROM_SHIPMENTS_SQL = (
    "WITH RECURSIVE down(id) AS ("
    " SELECT materiallot_id FROM traceability_materiallot_source_shipments WHERE shipment_id = ANY(%s)"
    " UNION SELECT s.from_materiallot_id FROM traceability_materiallot_source_lots s"
    " JOIN down ON s.to_materiallot_id = down.id) SELECT id FROM down"
)


def _visible_lots(scope: frozenset[UUID]) -> Q:
    return Q(id__in=RawSQL(LOTS_FROM_SHIPMENTS_SQL, [list(scope)]))  # noqa: S611 - constant SQL, values as params


def _units(access: Access | None) -> QuerySet[BatteryUnit]:
    scope = _scope(access)
    units = BatteryUnit.objects.all()
    return units.filter(_visible_units(scope)) if scope is not None else units


def _shipments(access: Access | None) -> QuerySet[Shipment]:
    scope = _scope(access)
    return Shipment.objects.filter(id__in=scope) if scope is not None else Shipment.objects.all()


def _lots(access: Access | None) -> QuerySet[MaterialLot]:
    scope = _scope(access)
    return MaterialLot.objects.filter(_visible_lots(scope)) if scope is not None else MaterialLot.objects.all()


def _models(access: Access | None) -> QuerySet[BatteryModel]:
    scope = _scope(access)
    if scope is None:
        return BatteryModel.objects.all()
    return BatteryModel.objects.filter(id__in=_units(access).filter(model__isnull=False).values("model_id"))


def _uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


# --- battery models ---------------------------------------------------------------------------

def battery_model_list(*, access: Access | None, search: str = "", eu_category: str = "",
                       chemistry: str = "") -> QuerySet[BatteryModel]:
    models = _models(access)
    if search:
        models = models.filter(Q(code__istartswith=search.strip()) | Q(name__icontains=search.strip()))
    if eu_category:
        models = models.filter(eu_category=eu_category)
    if chemistry:
        models = models.filter(chemistry=chemistry)
    return models.order_by("code")


def battery_model_get(*, access: Access | None, model_id: Any) -> BatteryModel | None:
    pk = _uuid(model_id)
    return _models(access).filter(pk=pk).first() if pk else None


def battery_model_unit_count(*, access: Access | None, battery_model: BatteryModel) -> int:
    return _units(access).filter(model=battery_model).count()


# --- units ------------------------------------------------------------------------------------

def unit_list(*, access: Access | None, search: str = "", level: str = "", status: str = "", scheme: str = "",
              model_code: str = "") -> QuerySet[BatteryUnit]:
    """Ordered by code (unique: a stable key for keyset and cursor pages); parent and model joined. The search
    matches the start of the code or of the original code, or a whole normalised code (GS1, passport URI)."""
    units = _units(access).select_related("parent", "model")
    search = (search or "").strip()
    if search:
        normalised = normalise_reference_code(search)
        prefix = normalised.upper() if normalised.isalnum() else normalised
        # both conditions are prefix matches on indexed columns: the page stays an index scan at any size (the
        # original code's index holds only the units that have one, hence the redundant `<> ''` for the planner)
        units = units.filter(Q(code__startswith=prefix) | (Q(original_code__startswith=prefix) & ~Q(original_code=""))
                             | Q(code=normalised))
    if level:
        units = units.filter(level=level)
    if status:
        units = units.filter(status=status)
    if scheme:
        units = units.filter(scheme=scheme)
    if model_code:
        units = units.filter(model__code=model_code)
    return units.order_by("code")


def unit_get(*, access: Access | None, unit_id: Any) -> BatteryUnit | None:
    pk = _uuid(unit_id)
    if pk is None:
        return None
    return _units(access).select_related("parent__parent", "model").filter(pk=pk).first()


def unit_children(*, access: Access | None, unit: BatteryUnit) -> QuerySet[BatteryUnit]:
    return (_units(access).filter(parent=unit).select_related("model")
            .annotate(child_count=Count("children")).order_by("code"))


def unit_shipments(*, access: Access | None, unit: BatteryUnit) -> QuerySet[Shipment]:
    return _shipments(access).filter(shipment_units__unit=unit).order_by("-dispatch_date", "reference")


# --- shipments --------------------------------------------------------------------------------

def shipment_list(*, access: Access | None, search: str = "", direction: str = "",
                  status: str = "") -> QuerySet[Shipment]:
    shipments = _shipments(access)
    if search:
        term = search.strip()
        shipments = shipments.filter(Q(reference__istartswith=term) | Q(counterparty_name__icontains=term))
    if direction:
        shipments = shipments.filter(direction=direction)
    if status:
        shipments = shipments.filter(status=status)
    return shipments.annotate(unit_count=Count("shipment_units")).order_by("reference")


def shipment_get(*, access: Access | None, shipment_id: Any) -> Shipment | None:
    pk = _uuid(shipment_id)
    if pk is None:
        return None
    return _shipments(access).prefetch_related("masses").filter(pk=pk).first()


def shipment_units(*, access: Access | None, shipment: Shipment) -> QuerySet[BatteryUnit]:
    return _units(access).filter(shipment_units__shipment=shipment).select_related("parent", "model").order_by("code")


def shipment_lots(*, access: Access | None, shipment: Shipment) -> QuerySet[MaterialLot]:
    return _lots(access).filter(source_shipments=shipment).order_by("code")


# --- lots -------------------------------------------------------------------------------------

def lot_list(*, access: Access | None, search: str = "", kind: str = "", origin: str = "") -> QuerySet[MaterialLot]:
    lots = _lots(access).prefetch_related("elements")
    if search:
        lots = lots.filter(code__istartswith=search.strip())
    if kind:
        lots = lots.filter(kind=kind)
    if origin:
        lots = lots.filter(origin=origin)
    return lots.order_by("code")


def lot_get(*, access: Access | None, lot_id: Any) -> MaterialLot | None:
    pk = _uuid(lot_id)
    if pk is None:
        return None
    return _lots(access).prefetch_related("elements").filter(pk=pk).first()


def lot_sources(*, access: Access | None, lot: MaterialLot) -> tuple[list[Shipment], list[MaterialLot]]:
    return (list(_shipments(access).filter(lots=lot).order_by("reference")),
            list(_lots(access).filter(derived_lots=lot).order_by("code")))


def lot_derived(*, access: Access | None, lot: MaterialLot) -> list[MaterialLot]:
    return list(_lots(access).filter(source_lots=lot).order_by("code"))


# --- imports and counts -------------------------------------------------------------------------

def import_batch_list(*, access: Access | None) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.defer("report").order_by("-created_at")


def import_batch_get(*, access: Access | None, batch_id: Any) -> ImportBatch | None:
    pk = _uuid(batch_id)
    return ImportBatch.objects.filter(pk=pk).first() if pk else None


def register_counts(*, access: Access | None) -> dict[str, int]:
    return {"units": _units(access).count(), "shipments": _shipments(access).count(), "lots": _lots(access).count(),
            "models": _models(access).count()}
