"""Receipt of a transfer: confirmed by the receiver, disputed by it, or a paper receipt attached by the sender."""
from datetime import date
from decimal import Decimal
from uuid import UUID

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.core.errors import ApplicationError, ConflictError
from apps.evidence.doctypes import doctype
from apps.evidence.keyfields import decimal_text
from apps.evidence.models import EvidenceType
from apps.tenants.models import Organisation
from apps.traceability.models import (
    Shipment,
    ShipmentDirection,
    ShipmentMass,
    ShipmentStatus,
)

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
from ..storage import StoredFile
from ..vault import evidence_file_add
from .common import (
    MSG_ALREADY_DISPUTED,
    MSG_ALREADY_RECEIVED,
    MSG_PAPER_RECEIPT_EXISTS,
    MSG_REASON_REQUIRED,
    MSG_RECEIVED_BEFORE_DISPATCH,
    activity_both,
    as_receiver,
    as_sender,
    check_mass,
    check_not_future,
    check_text,
    check_units,
    evidence_source,
    kg,
    ledger_append,
    transfer_of,
    transfer_parties,
    with_file,
)


def vault_key_fields(values: dict) -> dict:
    """Key fields in the vault's canonical form (decimals as plain text, dates ISO), empty ones left out."""
    return {name: (decimal_text(Decimal(value)) if isinstance(value, Decimal) else
                   value.isoformat() if isinstance(value, date) else value)
            for name, value in values.items() if value not in (None, "")}


def _receivable(transfer: Transfer) -> None:
    if transfer.status not in (TransferStatus.DISPATCHED, TransferStatus.DISPUTED) \
            or Receipt.objects.filter(transfer=transfer).exists():
        raise ConflictError(MSG_ALREADY_RECEIVED, code="already_received", extra={"transfer": str(transfer.pk)})


def _inbound_shipment_create(transfer: Transfer, sender: Organisation, received_on: date) -> Shipment:
    """The receiver's own register row for what arrived (its schema), so lots and documents can hang off it."""
    reference = f"{sender.slug.upper()}-{transfer.shipment_reference}"[:64]
    if Shipment.objects.filter(reference=reference).exists():
        reference = f"{reference[:56]}-{transfer.pk.hex[:7]}"
    shipment = Shipment.objects.create(
        reference=reference, direction=ShipmentDirection.INBOUND, status=ShipmentStatus.RECEIVED,
        counterparty_organisation_id=sender.pk, counterparty_name=sender.name_en[:200],
        counterparty_country=sender.country, dispatch_date=transfer.dispatched_on, arrival_date=received_on,
        notes=f"custody transfer {transfer.pk}")
    ShipmentMass.objects.bulk_create(ShipmentMass(shipment=shipment, chemistry=chem, net_mass_kg=Decimal(mass))
                                     for chem, mass in transfer.declared_masses.items())
    return shipment


def transfer_confirm_receipt(*, access: Access, transfer_id: UUID | str, received_on: date, net_mass_kg: Decimal,
                             unit_count: int, ticket: UploadedFile | None, ticket_number: str = "") -> Receipt:
    """The receiver confirms what arrived, with the weighbridge ticket (stored in its own vault). Opens a
    discrepancy when the figures are outside the transfer's tolerance. A second confirmation, concurrent
    or replayed, is refused with a conflict and stores nothing."""
    transfer = transfer_of(access, transfer_id, lock=False)
    as_receiver(access, transfer)
    _receivable(transfer)
    net_mass_kg = check_mass(net_mass_kg, "net_mass_kg")
    unit_count = check_units(unit_count, "unit_count")
    check_not_future(received_on, "received_on")
    if received_on < transfer.dispatched_on:
        raise ApplicationError(MSG_RECEIVED_BEFORE_DISPATCH, code="received_before_dispatch", field="received_on")
    ticket_number = check_text(ticket_number, "ticket_number")[:64]
    _sender, receiver = transfer_parties(transfer)

    @transaction.atomic
    def step(stored: StoredFile | None) -> Receipt:
        locked = transfer_of(access, transfer_id, lock=True)
        _receivable(locked)
        sender, receiver = transfer_parties(locked)
        actor = access.actor
        deviation = tolerance.compare(
            declared_mass_kg=locked.declared_net_mass_kg, declared_units=locked.declared_unit_count,
            received_mass_kg=net_mass_kg, received_units=unit_count,
            mass_tolerance_percent=locked.mass_tolerance_percent, unit_tolerance=locked.unit_tolerance)
        with schema_context(receiver.schema_name):
            inbound = _inbound_shipment_create(locked, sender, received_on)
            revision = evidence_file_add(
                doc_type=EvidenceType.WEIGHBRIDGE_TICKET, title=f"{locked.shipment_reference} · {sender.name_en}",
                stored=stored, actor=actor, source=evidence_source(actor), reference=ticket_number,
                issuer=receiver.name_en, effective_date=received_on, shipments=[inbound],
                # The vault's names (apps.evidence.doctypes); gross and tare are not asked for at receipt.
                key_fields=vault_key_fields({"ticket_number": ticket_number, "net_kg": net_mass_kg,
                                             "weighed_on": received_on}))
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
        with schema_context(sender.schema_name):
            Shipment.objects.filter(pk=locked.shipment_id, status__in=[ShipmentStatus.DISPATCHED,
                                                                      ShipmentStatus.DISPUTED]) \
                .update(status=ShipmentStatus.RECEIVED, updated_at=timezone.now())
        activity_both(transfer=locked, parties=(sender, receiver), acting=receiver, actor=actor,
                      verb="custody.received", entry=entry,
                      data={"net_mass_kg": kg(net_mass_kg), "unit_count": unit_count, "discrepancy": bool(discrepancy)})
        return receipt

    return with_file(ticket, receiver.schema_name, "ticket", required=True, step=step)


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
    with schema_context(sender.schema_name):
        Shipment.objects.filter(pk=transfer.shipment_id, status=ShipmentStatus.DISPATCHED) \
            .update(status=ShipmentStatus.DISPUTED, updated_at=timezone.now())
    activity_both(transfer=transfer, parties=(sender, receiver), acting=receiver, actor=actor, verb="custody.disputed",
                  entry=entry, data={"reason": reason[:200]})
    return discrepancy


def transfer_attach_paper_receipt(*, access: Access, transfer_id: UUID | str, received_on: date,
                                  document: UploadedFile | None, net_mass_kg: Decimal | None = None,
                                  unit_count: int | None = None) -> PaperReceipt:
    """The sender attaches the paper receipt it got from a recycler that has not confirmed on the platform
    (stored in the sender's vault as a receipt; the facts mark it unconfirmed by the counterparty)."""
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
    sender, _receiver = transfer_parties(transfer)

    @transaction.atomic
    def step(stored: StoredFile | None) -> PaperReceipt:
        locked = transfer_of(access, transfer_id, lock=True)
        guard(locked)
        sender, receiver = transfer_parties(locked)
        actor = access.actor
        with schema_context(sender.schema_name):
            shipments = list(Shipment.objects.filter(pk=locked.shipment_id))
            revision = evidence_file_add(
                doc_type=EvidenceType.RECEIPT, title=f"{locked.shipment_reference} · {receiver.name_en}",
                stored=stored, actor=actor, source=evidence_source(actor), issuer=receiver.name_en,
                effective_date=received_on, shipments=shipments,
                # The vault's names (apps.evidence.doctypes); the PaperReceipt row ties it to the transfer.
                key_fields=doctype(EvidenceType.RECEIPT).validate(
                    {"received_on": received_on, "received_net_mass_kg": net_mass_kg,
                     "received_unit_count": unit_count, "receiver": receiver.name_en}))
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
        return paper

    return with_file(document, sender.schema_name, "document", required=True, step=step)
