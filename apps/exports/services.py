"""Writes: issuing passports and following status changes (with the public index), deriving
traceability-platform reporting events from the register, recording platform submissions."""
import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_tenant_model

from apps.accounts.access import Access
from apps.accounts.roles import Perm
from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from apps.custody import selectors as custody
from apps.custody.facts import ReceiptForReporting
from apps.tenants.models import OrganisationKind
from apps.traceability.models import BatteryUnit, MaterialLot, Shipment, ShipmentDirection, ShipmentStatus, UnitStatus

from . import digitallink, lifecycle
from .models import EventSource, Passport, ReportingEvent, ReportingEventKind
from .passport import PassportScopeError, passport_category
from .registry.models import PassportIndexEntry
from .reporting import deadline_for

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_PASSPORT_EXISTS = _("This unit already has a current battery passport.")
MSG_GS1_TAKEN = _("Another current battery passport already uses this GTIN and serial number.")
MSG_NO_MODEL = _("This unit has no battery model in the register, so it cannot have a passport.")
MSG_NOT_CURRENT = _("Only the current passport of a battery can change status.")
MSG_NEW_UNIT_HAS_PASSPORT = _("The re-coded unit already has a current battery passport.")
MSG_SAME_UNIT = _("The re-coded unit must be another unit than the original.")
MSG_REFERENCE_REQUIRED = _("Enter the submission reference the traceability platform returned.")
MSG_REFERENCE_LONG = _("A submission reference has at most 100 characters.")
MSG_REPORTED_FUTURE = _("The submission date cannot be in the future.")
MSG_REPORTED_BEFORE_EVENT = _("The submission date cannot be before the event.")
MSG_SERVICE_DATE_FUTURE = _("The date of putting into service cannot be in the future.")


def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def _new_identifier() -> str:
    """`urn:cellpass:<32 hex>` — matches the Battery Pass pattern ^urn:[a-z0-9]+:[a-z0-9]+$."""
    return f"urn:cellpass:{uuid.uuid4().hex}"


def _check_service_date(value: date | None) -> None:
    if value is not None and value > timezone.localdate():
        raise ApplicationError(MSG_SERVICE_DATE_FUTURE, code="service_date_future", field="put_into_service_on")


def _check_scope(unit: BatteryUnit) -> None:
    if unit.model is None:
        raise ApplicationError(MSG_NO_MODEL, code="unit_without_model")
    try:
        passport_category(unit.model.eu_category, unit.model.rated_energy_kwh)
    except PassportScopeError as error:
        raise ApplicationError(error.message, code=error.code) from None


def _current_organisation() -> Any:
    return get_tenant_model().objects.get(schema_name=connection.schema_name)


def _index(passport: Passport, unit: BatteryUnit) -> None:
    link = digitallink.link_for(unit.gtin, unit.serial)
    try:
        with transaction.atomic():
            PassportIndexEntry.objects.create(
                identifier=passport.identifier, organisation=_current_organisation(), passport_id=passport.pk,
                unit_id=unit.pk, gtin=link.gtin if link else "", serial=link.serial if link else "")
    except IntegrityError:
        raise ConflictError(MSG_GS1_TAKEN, code="gs1_taken") from None


@transaction.atomic
def passport_issue(*, access: Access, unit: BatteryUnit, put_into_service_on: date | None = None) -> Passport:
    """The first passport of a unit in a passport category; indexed publicly for its QR code."""
    _require(access, Perm.REGISTER_EDIT)
    unit = BatteryUnit.objects.select_for_update(of=("self",)).select_related("model").get(pk=unit.pk)
    _check_scope(unit)
    _check_service_date(put_into_service_on)
    if Passport.objects.filter(unit=unit, is_current=True).exists():
        raise ConflictError(MSG_PASSPORT_EXISTS, code="passport_exists")
    passport = Passport.objects.create(identifier=_new_identifier(), unit=unit, status=unit.status,
                                       put_into_service_on=put_into_service_on, issued_by_label=access.actor.label)
    _index(passport, unit)
    activity_record(actor=access.actor, verb="passport.issued", obj=passport,
                    data={"identifier": passport.identifier, "unit": unit.code, "version": passport.version})
    return passport


@transaction.atomic
def passport_status_change(*, access: Access, passport: Passport, status: str, new_unit: BatteryUnit | None = None,
                           put_into_service_on: date | None = None) -> Passport:
    """Follow a battery-status change (Annex XIII 4(c)). Re-use and waste keep the passport and
    change its status; repurposing and remanufacturing issue a new passport linked to the original
    (Art 77(7)), on the re-coded unit when there is one (it must keep the original code)."""
    _require(access, Perm.REGISTER_EDIT)
    passport = Passport.objects.select_for_update(of=("self",)).select_related("unit__model").get(pk=passport.pk)
    if not passport.is_current:
        raise ConflictError(MSG_NOT_CURRENT, code="passport_not_current")
    change = lifecycle.status_change(passport.status, status)
    if not change.allowed:
        raise ApplicationError(change.message, code="status_transition", field="status")
    _check_service_date(put_into_service_on)
    old_unit = passport.unit
    if change.effect == lifecycle.SAME_PASSPORT:
        previous = passport.status
        passport.status = status
        passport.save(update_fields=["status", "updated_at"])
        BatteryUnit.objects.filter(pk=old_unit.pk).update(status=status)
        activity_record(actor=access.actor, verb="passport.status_changed", obj=passport,
                        data={"identifier": passport.identifier, "from": previous, "to": status})
        return passport

    target = old_unit
    if new_unit is not None:
        target = BatteryUnit.objects.select_for_update(of=("self",)).select_related("model").get(pk=new_unit.pk)
        if target.pk == old_unit.pk:
            raise ApplicationError(MSG_SAME_UNIT, code="same_unit", field="new_unit")
        if not lifecycle.keeps_original_code(old_code=old_unit.code, old_original_code=old_unit.original_code,
                                             new_original_code=target.original_code):
            raise ApplicationError(str(lifecycle.MSG_ORIGINAL_CODE) % {"code": old_unit.original_code or old_unit.code},
                                   code="original_code_lost", field="new_unit")
        if Passport.objects.filter(unit=target, is_current=True).exists():
            raise ConflictError(MSG_NEW_UNIT_HAS_PASSPORT, code="passport_exists", field="new_unit")
        _check_scope(target)
    passport.is_current = False
    passport.save(update_fields=["is_current", "updated_at"])
    successor = Passport.objects.create(
        identifier=_new_identifier(), unit=target, version=passport.version + 1, predecessor=passport,
        predecessor_identifier=passport.identifier, status=status, put_into_service_on=put_into_service_on,
        issued_by_label=access.actor.label)
    PassportIndexEntry.objects.filter(identifier=passport.identifier).update(
        is_current=False, successor_identifier=successor.identifier)
    BatteryUnit.objects.filter(pk__in={old_unit.pk, target.pk}).update(status=status)
    target.status = status
    _index(successor, target)
    activity_record(actor=access.actor, verb="passport.superseded", obj=passport,
                    data={"identifier": passport.identifier, "successor": successor.identifier, "status": status})
    activity_record(actor=access.actor, verb="passport.issued", obj=successor,
                    data={"identifier": successor.identifier, "unit": target.code, "version": successor.version,
                          "predecessor": passport.identifier})
    return successor


# --- traceability-platform reporting -----------------------------------------------------------------

def _codes(units: list[BatteryUnit]) -> tuple[list[str], list[str]]:
    units = sorted(units, key=lambda unit: unit.code)
    return [unit.code for unit in units], [unit.original_code for unit in units]


def _shipment_mass(shipment: Shipment) -> Decimal | None:
    masses = [mass.net_mass_kg for mass in shipment.masses.all()]
    return sum(masses, Decimal(0)) if masses else None


def _event_values(kind: str, occurred_on: date) -> dict[str, Any]:
    deadline = deadline_for(kind, occurred_on)
    return {"occurred_on": occurred_on, "deadline": deadline.due, "deadline_provisional": deadline.provisional}


def _create_event(*, kind: str, source_type: str, source_id: UUID, occurred_on: date, **values: Any) -> bool:
    _event, created = ReportingEvent.objects.get_or_create(
        kind=kind, source_type=source_type, source_id=source_id,
        defaults={**_event_values(kind, occurred_on), **values})
    return created


def _derive_from_register(organisation: Any) -> int:
    """Events the register shows: a recycler's inbound shipments received (waste batteries received)
    and its material lots made from received batteries (recycling completed); anyone's outbound
    shipments carrying repurposed units (cascade-use products leaving the warehouse)."""
    created = 0
    is_recycler = organisation.kind == OrganisationKind.RECYCLER
    shipments = Shipment.objects.prefetch_related("units", "masses")
    if is_recycler:
        # Receipts confirmed through the custody ledger are reported from the transfer (source `custody`);
        # the inbound shipment custody made for each of them is not reported a second time.
        receipts = custody.custody_receipts_for_reporting(organisation=organisation)
        for receipt in receipts:
            created += _create_event(kind=ReportingEventKind.RECYCLER_RECEIPT, source_type=EventSource.CUSTODY,
                                     source_id=receipt.transfer_id, occurred_on=receipt.received_on,
                                     **_custody_receipt_values(receipt))
        from_custody = [receipt.inbound_shipment_id for receipt in receipts if receipt.inbound_shipment_id]
        received = shipments.filter(direction=ShipmentDirection.INBOUND, arrival_date__isnull=False,
                                    status__in=[ShipmentStatus.RECEIVED, ShipmentStatus.CLOSED])
        received = received.exclude(pk__in=from_custody)
        for shipment in received.exclude(pk__in=_known(ReportingEventKind.RECYCLER_RECEIPT)):
            codes, originals = _codes(list(shipment.units.all()))
            created += _create_event(
                kind=ReportingEventKind.RECYCLER_RECEIPT, source_type=EventSource.SHIPMENT, source_id=shipment.pk,
                occurred_on=shipment.arrival_date, source_reference=shipment.reference,
                counterparty=shipment.counterparty_name, mass_kg=_shipment_mass(shipment), unit_codes=codes,
                original_codes=originals, related_shipment_ids=[shipment.pk])
        lots = (MaterialLot.objects.filter(produced_on__isnull=False, source_shipments__isnull=False).distinct()
                .exclude(pk__in=_known(ReportingEventKind.RECYCLING_COMPLETED))
                .prefetch_related("source_shipments__units"))
        for lot in lots:
            sources = list(lot.source_shipments.all())
            codes, originals = _codes([unit for shipment in sources for unit in shipment.units.all()])
            created += _create_event(
                kind=ReportingEventKind.RECYCLING_COMPLETED, source_type=EventSource.MATERIAL_LOT, source_id=lot.pk,
                occurred_on=lot.produced_on, source_reference=lot.code,
                counterparty=", ".join(sorted({s.counterparty_name for s in sources})), mass_kg=lot.mass_kg,
                unit_codes=codes, original_codes=originals, related_shipment_ids=[s.pk for s in sources])
    cascade = (shipments.filter(direction=ShipmentDirection.OUTBOUND, dispatch_date__isnull=False,
                                status__in=[ShipmentStatus.DISPATCHED, ShipmentStatus.RECEIVED, ShipmentStatus.CLOSED],
                                units__status=UnitStatus.REPURPOSED).distinct()
               .exclude(pk__in=_known(ReportingEventKind.CASCADE_PRODUCT_OUT)))
    for shipment in cascade:
        units = [unit for unit in shipment.units.all() if unit.status == UnitStatus.REPURPOSED]
        codes, originals = _codes(units)
        created += _create_event(
            kind=ReportingEventKind.CASCADE_PRODUCT_OUT, source_type=EventSource.SHIPMENT, source_id=shipment.pk,
            occurred_on=shipment.dispatch_date, source_reference=shipment.reference,
            counterparty=shipment.counterparty_name, mass_kg=_shipment_mass(shipment), unit_codes=codes,
            original_codes=originals, related_shipment_ids=[shipment.pk])
    return created


def _known(kind: str):
    return ReportingEvent.objects.filter(kind=kind).values("source_id")


def _refresh_provisional_deadlines() -> int:
    """Recount deadlines that ran into an uncovered year (the calendar package may cover it now)."""
    changed = 0
    for event in ReportingEvent.objects.filter(deadline_provisional=True, platform_reference=""):
        values = _event_values(event.kind, event.occurred_on)
        if (values["deadline"], values["deadline_provisional"]) != (event.deadline, event.deadline_provisional):
            event.deadline, event.deadline_provisional = values["deadline"], values["deadline_provisional"]
            event.save(update_fields=["deadline", "deadline_provisional", "updated_at"])
            changed += 1
    return changed


@transaction.atomic
def reporting_events_sync(*, actor: Actor, organisation: Any = None) -> dict[str, int]:
    """Idempotent: derive the events the register shows that are not recorded yet, and recount
    provisional deadlines. Runs in the organisation's schema (request, task or demo)."""
    organisation = organisation or _current_organisation()
    created = _derive_from_register(organisation)
    recounted = _refresh_provisional_deadlines()
    if created or recounted:
        activity_record(actor=actor, verb="reporting.synced", object_type="exports.reportingevent",
                        data={"created": created, "deadlines_recounted": recounted})
    return {"created": created, "deadlines_recounted": recounted}


# --- custody-ledger receipts -------------------------------------------------------------------------
# A recycler's receipt confirmed through the custody ledger (apps/custody) is a "waste batteries received"
# event in the recycler's schema. Custody announces its steps with `apps.custody.signals.transfer_changed`
# after they commit; `apps.exports.receivers` records the event at once, and the sync above catches up on
# any receipt it missed.

def _custody_receipt_values(receipt: ReceiptForReporting) -> dict[str, Any]:
    return {"counterparty": receipt.sender_name, "mass_kg": receipt.net_mass_kg,
            "unit_codes": sorted(receipt.unit_codes), "original_codes": list(receipt.original_codes),
            "related_shipment_ids": [receipt.inbound_shipment_id] if receipt.inbound_shipment_id else [],
            "source_reference": receipt.shipment_reference[:64]}


@transaction.atomic
def reporting_event_from_custody_receipt(*, actor: Actor, transfer_id: UUID, received_on: date, counterparty: str,
                                         mass_kg: Decimal | None, unit_codes: list[str],
                                         original_codes: list[str] | None = None,
                                         shipment_ids: list[UUID] | None = None,
                                         source_reference: str = "") -> ReportingEvent:
    event, created = ReportingEvent.objects.get_or_create(
        kind=ReportingEventKind.RECYCLER_RECEIPT, source_type=EventSource.CUSTODY, source_id=transfer_id,
        defaults={**_event_values(ReportingEventKind.RECYCLER_RECEIPT, received_on),
                  "counterparty": counterparty, "mass_kg": mass_kg, "unit_codes": sorted(unit_codes),
                  "original_codes": original_codes or [], "related_shipment_ids": shipment_ids or [],
                  "source_reference": (source_reference or str(transfer_id)[:8])[:64]})
    if created:
        activity_record(actor=actor, verb="reporting.event_recorded", obj=event,
                        data={"kind": event.kind, "source": "custody", "deadline": event.deadline.isoformat()})
    return event


def reporting_events_from_custody(*, actor: Actor, organisation: Any, transfer_ids: list[UUID]) -> list[ReportingEvent]:
    """The reporting events of these transfers' confirmed receipts, in the receiving organisation's schema
    (the caller's); idempotent. Transfers the organisation did not receive, or not yet, give none."""
    events = []
    for receipt in custody.custody_receipts_for_reporting(organisation=organisation, transfer_ids=transfer_ids):
        values = _custody_receipt_values(receipt)
        events.append(reporting_event_from_custody_receipt(
            actor=actor, transfer_id=receipt.transfer_id, received_on=receipt.received_on,
            counterparty=values["counterparty"], mass_kg=values["mass_kg"], unit_codes=values["unit_codes"],
            original_codes=values["original_codes"], shipment_ids=values["related_shipment_ids"],
            source_reference=values["source_reference"]))
    return events


@transaction.atomic
def reporting_event_submit(*, access: Access, event: ReportingEvent, platform_reference: str,
                           reported_on: date) -> ReportingEvent:
    """Record the platform's submission reference and date (a correction keeps the old one in the log)."""
    _require(access, Perm.REGISTER_EDIT)
    reference = (platform_reference or "").strip()
    if not reference:
        raise ApplicationError(MSG_REFERENCE_REQUIRED, code="reference_required", field="platform_reference")
    if len(reference) > 100:
        raise ApplicationError(MSG_REFERENCE_LONG, code="reference_too_long", field="platform_reference")
    if reported_on > timezone.localdate():
        raise ApplicationError(MSG_REPORTED_FUTURE, code="reported_in_future", field="reported_on")
    event = ReportingEvent.objects.select_for_update().get(pk=event.pk)
    if reported_on < event.occurred_on:
        raise ApplicationError(MSG_REPORTED_BEFORE_EVENT, code="reported_before_event", field="reported_on")
    previous = event.platform_reference
    event.platform_reference, event.reported_on = reference, reported_on
    event.reported_by_label = access.actor.label
    event.save(update_fields=["platform_reference", "reported_on", "reported_by_label", "updated_at"])
    activity_record(actor=access.actor, verb="reporting.submitted", obj=event,
                    data={"reference": reference, "reported_on": reported_on.isoformat(), "previous": previous,
                          "late": reported_on > event.deadline})
    return event

