"""Shipments (consignments): fields, units, declared masses and status."""
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.access import Access
from apps.activity.services import activity_record
from apps.tenants.models import Organisation
from apps.tenants.selectors import organisation_get

from .. import conf
from ..importing import (
    SHIPMENT_HEAD_KEYS,
    Counterparty,
    Found,
    check_shipment_header,
    normalise_reference_code,
)
from ..issues import error
from ..models import (
    BatteryUnit,
    Chemistry,
    Shipment,
    ShipmentDirection,
    ShipmentMass,
    ShipmentStatus,
    ShipmentUnit,
)
from .common import apply_changes, check, choice, refuse_one, require, save_guarded, to_date, to_decimal

SHIPMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ShipmentStatus.DRAFT: (ShipmentStatus.DISPATCHED, ShipmentStatus.CANCELLED),
    ShipmentStatus.DISPATCHED: (ShipmentStatus.RECEIVED, ShipmentStatus.DISPUTED, ShipmentStatus.CANCELLED),
    ShipmentStatus.RECEIVED: (ShipmentStatus.DISPUTED, ShipmentStatus.CLOSED),
    ShipmentStatus.DISPUTED: (ShipmentStatus.RECEIVED, ShipmentStatus.CLOSED, ShipmentStatus.CANCELLED),
    ShipmentStatus.CLOSED: (),
    ShipmentStatus.CANCELLED: (),
}
INITIAL_SHIPMENT_STATUSES = (ShipmentStatus.DRAFT, ShipmentStatus.DISPATCHED, ShipmentStatus.RECEIVED)
FINAL_SHIPMENT_STATUSES = (ShipmentStatus.CLOSED, ShipmentStatus.CANCELLED)


def counterparty_lookup(slug: str) -> Counterparty | None:
    organisation = organisation_get(slug=slug.strip().lower()) if slug else None
    if organisation is None:
        return None
    return Counterparty(id=organisation.pk, name=organisation.name_en, country=organisation.country)


def counterparty_slug(organisation_id: Any) -> str:
    return (Organisation.objects.filter(pk=organisation_id).values_list("slug", flat=True).first() or ""
            ) if organisation_id else ""


def _clean_shipment(access: Access, values: Mapping[str, Any]) -> dict[str, Any]:
    found: Found = []
    head = {key: values.get(key) for key in SHIPMENT_HEAD_KEYS}
    choice(found, "direction", head.get("direction") or "", ShipmentDirection)
    for key in ("dispatch_date", "arrival_date"):
        head[key] = to_date(found, key, head.get(key))
    clean, issues = check_shipment_header(head, own_organisation_id=access.organisation_id,
                                          counterparty=counterparty_lookup(head.get("counterparty_platform") or ""),
                                          waste_rules=conf.waste_rules())
    found.extend(issues)
    check(found)
    clean.pop("counterparty_platform")
    clean.pop("status")
    return clean


def _units_by_code(unit_codes: Iterable[str]) -> list[BatteryUnit]:
    wanted = list(dict.fromkeys(normalise_reference_code(c) for c in unit_codes if c and c.strip()))
    units = list(BatteryUnit.objects.filter(code__in=wanted).only("id", "code"))
    missing = sorted(set(wanted) - {u.code for u in units})
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        refuse_one("unit_codes", error("unit_codes_unknown", codes=shown))
    return units


def _clean_masses(masses: Mapping[str, Any]) -> dict[str, Decimal]:
    found: Found = []
    clean: dict[str, Decimal] = {}
    for chemistry, mass in masses.items():
        choice(found, "masses", chemistry, Chemistry)
        value = to_decimal(found, "masses", mass, positive=True)
        if value is not None:
            clean[chemistry] = value
    check(found)
    return clean


def _set_units(shipment: Shipment, units: Sequence[BatteryUnit]) -> None:
    ids = {u.pk for u in units}
    ShipmentUnit.objects.filter(shipment=shipment).exclude(unit_id__in=ids).delete()
    ShipmentUnit.objects.bulk_create([ShipmentUnit(shipment=shipment, unit=u) for u in units],
                                     ignore_conflicts=True, batch_size=2000)


def _set_masses(shipment: Shipment, masses: Mapping[str, Decimal]) -> None:
    ShipmentMass.objects.filter(shipment=shipment).delete()
    ShipmentMass.objects.bulk_create([ShipmentMass(shipment=shipment, chemistry=c, net_mass_kg=m)
                                      for c, m in masses.items()])


@transaction.atomic
def shipment_create(*, access: Access, reference: str, status: str = ShipmentStatus.DRAFT,
                    unit_codes: Sequence[str] = (), masses: Mapping[str, Any] | None = None,
                    **values: Any) -> Shipment:
    """Register a consignment: its own fields (see `check_shipment_header`), its units (by code) and the
    declared net mass per chemistry. A shipment recorded after the fact may start as dispatched or received."""
    require(access)
    reference = (reference or "").strip()
    found: Found = []
    if not reference:
        found.append(("reference", error("value_required")))
    elif len(reference) > 64:
        found.append(("reference", error("text_too_long", max=64)))
    if status not in INITIAL_SHIPMENT_STATUSES:
        found.append(("status", error("status_transition")))
    check(found)
    clean = _clean_shipment(access, values)
    units = _units_by_code(unit_codes)
    clean_masses = _clean_masses(masses or {})
    if Shipment.objects.filter(reference=reference).exists():
        refuse_one("reference", error("reference_taken", reference=reference))
    shipment = Shipment(reference=reference, status=status, **clean)
    save_guarded(shipment, (), taken=error("reference_taken", reference=reference), field="reference")
    _set_units(shipment, units)
    _set_masses(shipment, clean_masses)
    activity_record(actor=access.actor, verb="shipment.created", obj=shipment,
                    data={"reference": reference, "direction": shipment.direction, "status": status,
                          "counterparty": shipment.counterparty_name, "units": len(units),
                          "masses": {c: str(m) for c, m in clean_masses.items()}})
    return shipment


def _content_locked(shipment: Shipment) -> bool:
    return shipment.direction == ShipmentDirection.OUTBOUND and shipment.status != ShipmentStatus.DRAFT


@transaction.atomic
def shipment_update(*, access: Access, shipment: Shipment, data: Mapping[str, Any],
                    unit_codes: Sequence[str] | None = None, masses: Mapping[str, Any] | None = None) -> Shipment:
    """Change a shipment's fields, and (None = leave as is) its units and masses. Closed or cancelled
    shipments are frozen; the units and masses of an outbound shipment are frozen once dispatched."""
    require(access)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status in FINAL_SHIPMENT_STATUSES:
        refuse_one("", error("shipment_closed"))
    current = {key: getattr(shipment, key, None) for key in SHIPMENT_HEAD_KEYS if hasattr(shipment, key)}
    current["counterparty_platform"] = ""
    if shipment.counterparty_organisation_id and "counterparty_platform" not in data:
        current["counterparty_platform"] = counterparty_slug(shipment.counterparty_organisation_id)
    merged = {**current, **{k: v for k, v in data.items() if k in SHIPMENT_HEAD_KEYS}}
    clean = _clean_shipment(access, merged)
    reference = (data.get("reference") or shipment.reference).strip()
    if reference != shipment.reference and Shipment.objects.filter(reference=reference).exists():
        refuse_one("reference", error("reference_taken", reference=reference))
    clean["reference"] = reference
    content_changes: dict[str, Any] = {}
    if unit_codes is not None or masses is not None:
        units = _units_by_code(unit_codes) if unit_codes is not None else None
        clean_masses = _clean_masses(masses) if masses is not None else None
        old_units = set(shipment.units.values_list("code", flat=True)) if units is not None else set()
        old_masses = {m.chemistry: m.net_mass_kg for m in shipment.masses.all()} if clean_masses is not None else {}
        units_differ = units is not None and {u.code for u in units} != old_units
        masses_differ = clean_masses is not None and clean_masses != old_masses
        if (units_differ or masses_differ) and _content_locked(shipment):
            refuse_one("unit_codes", error("shipment_content_locked"))
        if units_differ:
            _set_units(shipment, units)
            content_changes["units"] = len(units)
        if masses_differ:
            _set_masses(shipment, clean_masses)
            content_changes["masses"] = {c: str(m) for c, m in clean_masses.items()}
    changes = apply_changes(shipment, clean)
    if changes:
        save_guarded(shipment, changes, taken=error("reference_taken", reference=reference), field="reference")
    if changes or content_changes:
        activity_record(actor=access.actor, verb="shipment.updated", obj=shipment,
                        data={"reference": shipment.reference, "changes": changes, **content_changes})
    return shipment


@transaction.atomic
def shipment_status_change(*, access: Access, shipment: Shipment, status: str, on: date | None = None) -> Shipment:
    """draft -> dispatched -> received -> closed, with disputed and cancelled on the way. Dispatching sets the
    dispatch date and receiving the arrival date (today unless given) when they are empty."""
    require(access)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if status not in SHIPMENT_TRANSITIONS.get(shipment.status, ()):
        refuse_one("status", error("status_transition"))
    old = shipment.status
    shipment.status = status
    fields = ["status"]
    day = on or timezone.localdate()
    if status == ShipmentStatus.DISPATCHED and shipment.dispatch_date is None:
        shipment.dispatch_date = day
        fields.append("dispatch_date")
    if status == ShipmentStatus.RECEIVED and shipment.arrival_date is None:
        if shipment.dispatch_date and day < shipment.dispatch_date:
            refuse_one("arrival_date", error("arrival_before_dispatch"))
        shipment.arrival_date = day
        fields.append("arrival_date")
    shipment.save(update_fields=[*fields, "updated_at"])
    activity_record(actor=access.actor, verb="shipment.status_changed", obj=shipment,
                    data={"reference": shipment.reference, "from": old, "to": status})
    return shipment
