"""Material lots: black mass and recovered products with assays and sources."""
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.access import Access
from apps.activity.services import activity_record

from ..importing import (
    Found,
)
from ..issues import error
from ..models import (
    CustodyModel,
    Element,
    LotElement,
    LotKind,
    MaterialLot,
    MaterialOrigin,
    Shipment,
)
from .common import apply_changes, check, choice, refuse_one, require, save_guarded, to_date, to_decimal

LOT_FIELDS = ("code", "kind", "mass_kg", "produced_on", "origin", "custody_model", "notes")


def _clean_lot(values: Mapping[str, Any]) -> dict[str, Any]:
    found: Found = []
    clean = {"code": (values.get("code") or "").strip(), "kind": values.get("kind") or "",
             "origin": values.get("origin") or MaterialOrigin.POST_CONSUMER,
             "custody_model": values.get("custody_model") or "", "notes": (values.get("notes") or "").strip()}
    if not clean["code"]:
        found.append(("code", error("value_required")))
    elif len(clean["code"]) > 64:
        found.append(("code", error("text_too_long", max=64)))
    choice(found, "kind", clean["kind"], LotKind)
    choice(found, "origin", clean["origin"], MaterialOrigin)
    choice(found, "custody_model", clean["custody_model"], CustodyModel, required=False)
    clean["mass_kg"] = to_decimal(found, "mass_kg", values.get("mass_kg"), positive=True)
    if clean["mass_kg"] is None and not any(f == "mass_kg" for f, _i in found):
        found.append(("mass_kg", error("value_required")))
    clean["produced_on"] = to_date(found, "produced_on", values.get("produced_on"))
    if clean["produced_on"] and clean["produced_on"] > timezone.localdate():
        found.append(("produced_on", error("date_future", value=clean["produced_on"].isoformat())))
    check(found)
    return clean


def _clean_elements(elements: Iterable[Mapping[str, Any]]) -> list[LotElement]:
    """Assay figures: each 0-100 % of the lot mass, one per element, together at most 100 %."""
    found: Found = []
    rows: dict[str, LotElement] = {}
    for item in elements:
        element = item.get("element") or ""
        if element not in Element.values:
            found.append(("elements", error("element_unknown", element=str(element)[:10])))
            continue
        percent = to_decimal(found, "elements", item.get("percent"))
        if percent is None:
            continue
        if not 0 <= percent <= 100:
            found.append(("elements", error("element_range")))
            continue
        rows[element] = LotElement(element=element, percent=percent,
                                   assay_revision_id=item.get("assay_revision_id") or None)
    total = sum((r.percent for r in rows.values()), Decimal(0))
    if total > 100:
        found.append(("elements", error("elements_sum", total=f"{total.normalize():f}")))
    check(found)
    return list(rows.values())


def _lot_sources(lot: MaterialLot | None, shipment_refs: Iterable[str] | None,
                 lot_codes: Iterable[str] | None) -> tuple[list[Shipment] | None, list[MaterialLot] | None]:
    shipments = lots = None
    if shipment_refs is not None:
        wanted = list(dict.fromkeys(r.strip() for r in shipment_refs if r and r.strip()))
        shipments = list(Shipment.objects.filter(reference__in=wanted))
        missing = sorted(set(wanted) - {s.reference for s in shipments})
        if missing:
            refuse_one("source_shipments", error("source_shipments_unknown", references=", ".join(missing[:5])))
    if lot_codes is not None:
        wanted = list(dict.fromkeys(c.strip() for c in lot_codes if c and c.strip()))
        lots = list(MaterialLot.objects.filter(code__in=wanted))
        missing = sorted(set(wanted) - {m.code for m in lots})
        if missing:
            refuse_one("source_lots", error("source_lots_unknown", codes=", ".join(missing[:5])))
        if lot is not None and lots and lot.pk in _ancestor_lot_ids([m.pk for m in lots]) | {m.pk for m in lots}:
            refuse_one("source_lots", error("lot_source_cycle"))
    return shipments, lots


# MaterialLot.source_lots (symmetrical=False): from = the derived lot, to = its source
ANCESTOR_LOTS_SQL = (
    "WITH RECURSIVE up(id) AS ("
    " SELECT to_materiallot_id FROM traceability_materiallot_source_lots WHERE from_materiallot_id = ANY(%s)"
    " UNION SELECT s.to_materiallot_id FROM traceability_materiallot_source_lots s"
    " JOIN up ON s.from_materiallot_id = up.id) SELECT id FROM up"
)


def _ancestor_lot_ids(lot_ids: list[Any]) -> set[Any]:
    """Every lot the given lots were (transitively) made from: one recursive query."""
    if not lot_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(ANCESTOR_LOTS_SQL, [lot_ids])
        return {row[0] for row in cursor.fetchall()}


@transaction.atomic
def lot_create(*, access: Access, elements: Iterable[Mapping[str, Any]] = (), source_shipments: Iterable[str] = (),
               source_lots: Iterable[str] = (), **values: Any) -> MaterialLot:
    """Register black mass or a recovered product with its assays (element %), what it was made from
    (shipment references, lot codes) and its origin and chain-of-custody model [REFERENCE §1.3, §5.1]."""
    require(access)
    clean = _clean_lot(values)
    element_rows = _clean_elements(elements)
    shipments, lots = _lot_sources(None, source_shipments, source_lots)
    if MaterialLot.objects.filter(code=clean["code"]).exists():
        refuse_one("code", error("lot_code_taken", code=clean["code"]))
    lot = MaterialLot(**clean)
    save_guarded(lot, (), taken=error("lot_code_taken", code=clean["code"]), field="code")
    for row in element_rows:
        row.lot = lot
    LotElement.objects.bulk_create(element_rows)
    lot.source_shipments.set(shipments or [])
    lot.source_lots.set(lots or [])
    activity_record(actor=access.actor, verb="lot.created", obj=lot,
                    data={"code": lot.code, "kind": lot.kind, "mass_kg": str(lot.mass_kg),
                          "elements": {r.element: str(r.percent) for r in element_rows},
                          "source_shipments": [s.reference for s in shipments or []],
                          "source_lots": [m.code for m in lots or []]})
    return lot


@transaction.atomic
def lot_update(*, access: Access, lot: MaterialLot, data: Mapping[str, Any],
               elements: Iterable[Mapping[str, Any]] | None = None, source_shipments: Iterable[str] | None = None,
               source_lots: Iterable[str] | None = None) -> MaterialLot:
    """Change a lot; `elements` and sources replace the current ones when given (None = unchanged)."""
    require(access)
    lot = MaterialLot.objects.select_for_update().get(pk=lot.pk)
    merged = {field: data.get(field, getattr(lot, field)) for field in LOT_FIELDS}
    clean = _clean_lot(merged)
    if clean["code"] != lot.code and MaterialLot.objects.filter(code=clean["code"]).exists():
        refuse_one("code", error("lot_code_taken", code=clean["code"]))
    element_rows = _clean_elements(elements) if elements is not None else None
    shipments, lots = _lot_sources(lot, source_shipments, source_lots)
    changes = apply_changes(lot, clean)
    if changes:
        save_guarded(lot, changes, taken=error("lot_code_taken", code=clean["code"]), field="code")
    detail: dict[str, Any] = {}
    if element_rows is not None:
        before = {e.element: e.percent for e in lot.elements.all()}
        after = {r.element: r.percent for r in element_rows}
        if before != after or any(r.assay_revision_id for r in element_rows):
            lot.elements.all().delete()
            for row in element_rows:
                row.lot = lot
            LotElement.objects.bulk_create(element_rows)
            detail["elements"] = {e: str(p) for e, p in after.items()}
    if shipments is not None and {s.pk for s in shipments} != set(lot.source_shipments.values_list("pk", flat=True)):
        lot.source_shipments.set(shipments)
        detail["source_shipments"] = [s.reference for s in shipments]
    if lots is not None and {m.pk for m in lots} != set(lot.source_lots.values_list("pk", flat=True)):
        lot.source_lots.set(lots)
        detail["source_lots"] = [m.code for m in lots]
    if changes or detail:
        activity_record(actor=access.actor, verb="lot.updated", obj=lot,
                        data={"code": lot.code, "changes": changes, **detail})
    return lot
