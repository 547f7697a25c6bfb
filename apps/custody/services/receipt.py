"""Receipt of a transfer: confirmed by the receiver, disputed by it, or a paper receipt attached by the sender."""
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.core.errors import ApplicationError, ConflictError
from apps.evidence import services as vault
from apps.evidence.models import EvidenceType
from apps.tenants.models import Organisation
from apps.traceability import services as register
from apps.traceability.models import Shipment, ShipmentDirection, ShipmentStatus

from .. import tolerance
from ..models import (
    Discrepancy,
    DiscrepancyKind,
    LedgerKind,
    PaperReceipt,
    Receipt,
    Transfer,
    TransferStatus,
)
from .common import (
    MSG_ALREADY_DISPUTED,
    MSG_ALREADY_RECEIVED,
    MSG_PAPER_RECEIPT_EXISTS,
    MSG_REASON_REQUIRED,
    MSG_RECEIVED_BEFORE_DISPATCH,
    activity_both,
    announce,
    as_receiver,
    as_sender,
    check_key_fields,
    check_mass,
    check_not_future,
    check_text,
    check_units,
    kg,
    ledger_append,
    lock_chains,
    require_file,
    sender_shipment_locked,
    sender_shipment_status,
    transfer_of,
    transfer_parties,
    vault_upload,
)

# Key fields of the documents (vault names) -> the step's input they come from, for refusals.
TICKET_INPUTS = {"ticket_number": "ticket_number", "gross_kg": "gross_kg", "tare_kg": "tare_kg",
                 "net_kg": "gross_kg", "weighed_on": "received_on", "vehicle_registration": "vehicle_registration"}
PAPER_RECEIPT_INPUTS = {"receipt_number": "receipt_number", "received_on": "received_on",
                        "received_net_mass_kg": "net_mass_kg", "received_unit_count": "unit_count"}


def _receivable(transfer: Transfer) -> None:
    if transfer.status not in (TransferStatus.DISPATCHED, TransferStatus.DISPUTED) \
            or Receipt.objects.filter(transfer=transfer).exists():
        raise ConflictError(MSG_ALREADY_RECEIVED, code="already_received", extra={"transfer": str(transfer.pk)})


def _inbound_shipment_create(access: Access, transfer: Transfer, sender: Organisation, received_on: date) -> Shipment:
    """The receiver's own register row for what arrived (its schema, through the register's service), so
    lots and documents can hang off it: inbound from the sender, received, the declared masses copied."""
    reference = f"{sender.slug.upper()}-{transfer.shipment_reference}"[:64]
    if Shipment.objects.filter(reference=reference).exists():
        reference = f"{reference[:56]}-{transfer.pk.hex[:7]}"
    masses = {chem: Decimal(mass) for chem, mass in transfer.declared_masses.items() if Decimal(mass) > 0}
    return register.shipment_create(
        access=access, reference=reference, status=ShipmentStatus.RECEIVED, direction=ShipmentDirection.INBOUND,
        counterparty_platform=sender.slug, dispatch_date=transfer.dispatched_on, arrival_date=received_on,
        notes=f"custody transfer {transfer.pk}", masses=masses)


def transfer_confirm_receipt(*, access: Access, transfer_id: UUID | str, received_on: date, net_mass_kg: Decimal,
                             unit_count: int, ticket: Any, ticket_number: str = "",
                             gross_kg: Decimal | None = None, tare_kg: Decimal | None = None,
                             vehicle_registration: str = "") -> Receipt:
    """The receiver confirms what arrived, with its weighbridge ticket (gross and tare as the ticket
    states them), which goes into its own vault as a `weighbridge_ticket`. Opens a discrepancy when the
    figures are outside the transfer's tolerance. A second confirmation, concurrent or replayed, is
    refused with a conflict and stores nothing; any failure leaves no row and no file."""
    transfer = transfer_of(access, transfer_id, lock=False)
    as_receiver(access, transfer)
    _receivable(transfer)
    net_mass_kg = check_mass(net_mass_kg, "net_mass_kg")
    unit_count = check_units(unit_count, "unit_count")
    check_not_future(received_on, "received_on")
    if received_on < transfer.dispatched_on:
        raise ApplicationError(MSG_RECEIVED_BEFORE_DISPATCH, code="received_before_dispatch", field="received_on")
    ticket_number = check_text(ticket_number, "ticket_number")[:64]
    ticket_fields = check_key_fields(EvidenceType.WEIGHBRIDGE_TICKET, {
        "ticket_number": ticket_number, "gross_kg": check_mass(gross_kg, "gross_kg", required=False),
        "tare_kg": check_mass(tare_kg, "tare_kg", required=False), "weighed_on": received_on,
        "vehicle_registration": check_text(vehicle_registration, "vehicle_registration")},
        file_field="ticket", inputs=TICKET_INPUTS)
    require_file(ticket, "ticket")

    with vault.atomic_with_uploads():
        locked = transfer_of(access, transfer_id, lock=True)
        _receivable(locked)
        sender, receiver = transfer_parties(locked)
        sender_shipment = sender_shipment_locked(locked, sender)
        lock_chains(sender, receiver)
        actor = access.actor
        deviation = tolerance.compare(
            declared_mass_kg=locked.declared_net_mass_kg, declared_units=locked.declared_unit_count,
            received_mass_kg=net_mass_kg, received_units=unit_count,
            mass_tolerance_percent=locked.mass_tolerance_percent, unit_tolerance=locked.unit_tolerance)
        with schema_context(receiver.schema_name):
            inbound = _inbound_shipment_create(access, locked, sender, received_on)
            revision = vault_upload(
                access=access, doc_type=EvidenceType.WEIGHBRIDGE_TICKET, upload=ticket, file_field="ticket",
                inputs=TICKET_INPUTS, key_fields=ticket_fields, title=f"{locked.shipment_reference} · {sender.name_en}",
                reference=ticket_number, issuer=receiver.name_en, effective_date=received_on,
                links=vault.Links(shipments=[inbound]))
        try:
            with transaction.atomic():
                receipt = Receipt.objects.create(
                    transfer=locked, received_on=received_on, net_mass_kg=net_mass_kg, unit_count=unit_count,
                    ticket_number=ticket_number, ticket_evidence_id=revision.evidence_id,
                    ticket_revision_id=revision.pk, ticket_sha256=revision.sha256, confirmed_by_id=actor.id,
                    confirmed_by_label=actor.label[:254])
        except IntegrityError as exc:  # the lock makes this unreachable; the constraint stays the last word
            raise ConflictError(MSG_ALREADY_RECEIVED, code="already_received") from exc
        discrepancy = None
        if deviation.outside_tolerance:
            discrepancy = Discrepancy.objects.create(
                transfer=locked, kind=DiscrepancyKind.TOLERANCE, opened_by=receiver,
                declared_net_mass_kg=locked.declared_net_mass_kg, received_net_mass_kg=net_mass_kg,
                declared_unit_count=locked.declared_unit_count, received_unit_count=unit_count)
        locked.status = TransferStatus.RECEIVED
        locked.inbound_shipment_id = inbound.pk
        entry = ledger_append(transfer=locked, kind=LedgerKind.RECEIVED, organisation=receiver, actor=actor, payload={
            "received_on": received_on, "net_mass_kg": kg(net_mass_kg), "unit_count": unit_count,
            "ticket_number": ticket_number, "ticket_revision_id": revision.pk, "ticket_sha256": revision.sha256,
            "inbound_shipment_id": inbound.pk, "deviation": deviation.as_payload(),
            "discrepancy_id": discrepancy.pk if discrepancy else None})
        locked.save(update_fields=["status", "inbound_shipment_id", "ledger_length", "ledger_head", "updated_at"])
        sender_shipment_status(access=access, shipment=sender_shipment, acting=receiver, sender=sender,
                               status=ShipmentStatus.RECEIVED,
                               allowed_from=(ShipmentStatus.DISPATCHED, ShipmentStatus.DISPUTED), on=received_on)
        activity_both(transfer=locked, parties=(sender, receiver), acting=receiver, actor=actor,
                      verb="custody.received", entry=entry,
                      data={"net_mass_kg": kg(net_mass_kg), "unit_count": unit_count, "discrepancy": bool(discrepancy)})
        announce(locked, LedgerKind.RECEIVED, sender, receiver)
    return receipt


@transaction.atomic
def transfer_dispute(*, access: Access, transfer_id: UUID | str, reason: str, received_on: date | None = None,
                     net_mass_kg: Decimal | None = None, unit_count: int | None = None) -> Discrepancy:
    """The receiver disputes the transfer instead of confirming it; a discrepancy opens for both parties."""
    transfer = transfer_of(access, transfer_id, lock=True)
    as_receiver(access, transfer)
    if transfer.status == TransferStatus.DISPUTED:
        raise ConflictError(MSG_ALREADY_DISPUTED, code="already_disputed")
    if transfer.status != TransferStatus.DISPATCHED:
        raise ConflictError(MSG_ALREADY_RECEIVED, code="already_received")
    reason = check_text(reason, "reason", required_msg=MSG_REASON_REQUIRED, code="reason_required")
    net_mass_kg = check_mass(net_mass_kg, "net_mass_kg", required=False)
    unit_count = check_units(unit_count, "unit_count", required=False)
    if received_on is not None:
        check_not_future(received_on, "received_on")
        if received_on < transfer.dispatched_on:
            raise ApplicationError(MSG_RECEIVED_BEFORE_DISPATCH, code="received_before_dispatch", field="received_on")
    sender, receiver = transfer_parties(transfer)
    sender_shipment = sender_shipment_locked(transfer, sender)
    lock_chains(sender, receiver)
    actor = access.actor
    discrepancy = Discrepancy.objects.create(
        transfer=transfer, kind=DiscrepancyKind.DISPUTE, opened_by=receiver, reason=reason,
        declared_net_mass_kg=transfer.declared_net_mass_kg, received_net_mass_kg=net_mass_kg,
        declared_unit_count=transfer.declared_unit_count, received_unit_count=unit_count)
    transfer.status = TransferStatus.DISPUTED
    entry = ledger_append(transfer=transfer, kind=LedgerKind.DISPUTED, organisation=receiver, actor=actor, payload={
        "reason": reason, "received_on": received_on, "net_mass_kg": kg(net_mass_kg), "unit_count": unit_count,
        "discrepancy_id": discrepancy.pk})
    transfer.save(update_fields=["status", "ledger_length", "ledger_head", "updated_at"])
    sender_shipment_status(access=access, shipment=sender_shipment, acting=receiver, sender=sender,
                           status=ShipmentStatus.DISPUTED, allowed_from=(ShipmentStatus.DISPATCHED,))
    activity_both(transfer=transfer, parties=(sender, receiver), acting=receiver, actor=actor, verb="custody.disputed",
                  entry=entry, data={"reason": reason[:200]})
    announce(transfer, LedgerKind.DISPUTED, sender, receiver)
    return discrepancy


def transfer_attach_paper_receipt(*, access: Access, transfer_id: UUID | str, received_on: date, document: Any,
                                  net_mass_kg: Decimal | None = None, unit_count: int | None = None,
                                  receipt_number: str = "") -> PaperReceipt:
    """The sender attaches the paper receipt it got from a recycler that has not confirmed on the platform:
    a `receipt` in the sender's own vault (the facts mark it unconfirmed by the counterparty)."""
    transfer = transfer_of(access, transfer_id, lock=False)
    as_sender(access, transfer)
    net_mass_kg = check_mass(net_mass_kg, "net_mass_kg", required=False)
    unit_count = check_units(unit_count, "unit_count", required=False)
    check_not_future(received_on, "received_on")
    if received_on < transfer.dispatched_on:
        raise ApplicationError(MSG_RECEIVED_BEFORE_DISPATCH, code="received_before_dispatch", field="received_on")

    def guard(t: Transfer) -> None:
        if t.status != TransferStatus.DISPATCHED:
            raise ConflictError(MSG_ALREADY_RECEIVED, code="already_received")
        if PaperReceipt.objects.filter(transfer=t).exists():
            raise ConflictError(MSG_PAPER_RECEIPT_EXISTS, code="paper_receipt_exists")

    guard(transfer)
    _sender, receiver = transfer_parties(transfer)
    receipt_fields = check_key_fields(EvidenceType.RECEIPT, {
        "receipt_number": check_text(receipt_number, "receipt_number"), "received_on": received_on,
        "received_net_mass_kg": net_mass_kg, "received_unit_count": unit_count, "receiver": receiver.name_en},
        file_field="document", inputs=PAPER_RECEIPT_INPUTS)
    require_file(document, "document")

    with vault.atomic_with_uploads():
        locked = transfer_of(access, transfer_id, lock=True)
        guard(locked)
        sender, receiver = transfer_parties(locked)
        lock_chains(sender, receiver)
        actor = access.actor
        with schema_context(sender.schema_name):
            revision = vault_upload(
                access=access, doc_type=EvidenceType.RECEIPT, upload=document, file_field="document",
                inputs=PAPER_RECEIPT_INPUTS, key_fields=receipt_fields,
                title=f"{locked.shipment_reference} · {receiver.name_en}", reference=receipt_fields.get(
                    "receipt_number", ""), issuer=receiver.name_en, effective_date=received_on,
                links=vault.Links(shipments=list(Shipment.objects.filter(pk=locked.shipment_id))))
        paper = PaperReceipt.objects.create(
            transfer=locked, received_on=received_on, net_mass_kg=net_mass_kg, unit_count=unit_count,
            evidence_id=revision.evidence_id, revision_id=revision.pk, sha256=revision.sha256,
            uploaded_by_id=actor.id, uploaded_by_label=actor.label[:254])
        entry = ledger_append(transfer=locked, kind=LedgerKind.PAPER_RECEIPT, organisation=sender, actor=actor,
                              payload={
            "received_on": received_on, "net_mass_kg": kg(net_mass_kg), "unit_count": unit_count,
            "revision_id": revision.pk, "sha256": revision.sha256, "confirmed_by_counterparty": False})
        locked.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
        activity_both(transfer=locked, parties=(sender, receiver), acting=sender, actor=actor,
                      verb="custody.paper_receipt", entry=entry, data={"received_on": received_on})
        announce(locked, LedgerKind.PAPER_RECEIPT, sender, receiver)
    return paper
