"""Writes of the custody ledger: dispatch, receipt, dispute, discrepancy thread, processing, certificate,
paper receipt, invitation of an off-platform recycler.

Every step, in one transaction: guarded transition on the locked transfer row, the rows it touches in the
tenant schemas, one ledger entry, and one activity entry in each party's schema.

Lock order (fixed, so two steps never wait on each other in a cycle): the row that decides the transition
first (the transfer; for a dispatch, the sender's shipment), then the discrepancy, then tenant rows, then
the activity chains of the two schemas in schema-name order.

Files (weighbridge tickets, receipts, assay reports, signed certificates) are stored before the transaction
opens (their SHA-256 goes into the ledger) and removed again when the step is refused or fails.
"""
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name, schema_context

from apps.accounts.access import Access
from apps.accounts.models import Invitation, User
from apps.accounts.roles import Perm, Role
from apps.accounts.services import invitation_create
from apps.activity.models import Channel
from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from apps.core.hashing import GENESIS, canonical_json, sha256_hex
from apps.evidence.models import EvidenceRevision, EvidenceSource, EvidenceType, RevisionStatus
from apps.tenants.identifiers import is_valid_slug
from apps.tenants.models import Organisation, OrganisationKind
from apps.tenants.services import organisation_create
from apps.traceability.models import (
    Element,
    LotElement,
    LotKind,
    MaterialLot,
    MaterialOrigin,
    Shipment,
    ShipmentDirection,
    ShipmentMass,
    ShipmentStatus,
    ShipmentUnit,
)

from . import ledger, tolerance
from .models import (
    Discrepancy,
    DiscrepancyComment,
    DiscrepancyKind,
    DiscrepancyStatus,
    LedgerEntry,
    LedgerKind,
    PaperReceipt,
    ProcessingRecord,
    Receipt,
    RecyclerInvitation,
    RecyclingCertificate,
    Transfer,
    TransferStatus,
)
from .storage import StoredFile, file_discard, file_store
from .vault import evidence_file_add

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_NOT_FOUND = _("This transfer does not exist.")
MSG_DISCREPANCY_NOT_FOUND = _("This discrepancy does not exist.")
MSG_SHIPMENT_NOT_FOUND = _("This shipment does not exist.")
MSG_SHIPMENT_NOT_OUTBOUND = _("Only outbound shipments can be dispatched.")
MSG_SHIPMENT_NOT_DRAFT = _("This shipment is not a draft any more; it cannot be dispatched again.")
MSG_ALREADY_DISPATCHED = _("This shipment was already dispatched.")
MSG_NOTHING_DECLARED = _("Declare the shipment's units or its net mass per chemistry before dispatching it.")
MSG_MANIFEST_MISSING = _("Attach the transport manifest to the shipment before dispatching it.")
MSG_RECEIVER_INVALID = _("Choose a recycler on the platform as the receiver.")
MSG_RECEIVER_MISMATCH = _("This shipment is addressed to another organisation.")
MSG_NOT_RECEIVER = _("Only the receiving organisation can do this.")
MSG_NOT_SENDER = _("Only the sending organisation can do this.")
MSG_ALREADY_RECEIVED = _("Receipt of this transfer was already confirmed.")
MSG_ALREADY_DISPUTED = _("This transfer is already disputed.")
MSG_NOT_RECEIVED = _("Confirm receipt of the transfer first.")
MSG_ALREADY_PROCESSED = _("The processing of this transfer was already recorded.")
MSG_NOT_PROCESSED = _("Record the processing outcome first.")
MSG_ALREADY_CERTIFIED = _("A certificate of recycling was already issued for this transfer.")
MSG_PAPER_RECEIPT_EXISTS = _("A paper receipt was already attached to this transfer.")
MSG_DATE_FUTURE = _("The date cannot be in the future.")
MSG_RECEIVED_BEFORE_DISPATCH = _("The goods cannot have been received before they were dispatched.")
MSG_PROCESSED_BEFORE_RECEIPT = _("Processing cannot be earlier than the receipt.")
MSG_ISSUED_BEFORE_PROCESSING = _("The certificate cannot be issued before the processing.")
MSG_MASS_INVALID = _("Enter a mass of zero or more, in kilograms.")
MSG_UNITS_INVALID = _("Enter a number of units of zero or more.")
MSG_REASON_REQUIRED = _("Say why you dispute the receipt.")
MSG_COMMENT_REQUIRED = _("Write a comment.")
MSG_RESOLUTION_REQUIRED = _("Say how the discrepancy was resolved.")
MSG_DISCREPANCY_RESOLVED = _("This discrepancy is already resolved.")
MSG_LOTS_REQUIRED = _("Record at least one lot.")
MSG_LOT_KIND = _("Unknown kind of lot.")
MSG_LOT_MASS = _("A lot's mass must be more than zero.")
MSG_LOT_CODE_REQUIRED = _("Each lot needs a code.")
MSG_LOT_CODE_DUPLICATE = _("Lot code %(code)s is used twice.")
MSG_LOT_CODE_TAKEN = _("Lot code %(code)s already exists in your register.")
MSG_LOT_ELEMENT = _("Unknown element %(element)s.")
MSG_LOT_PERCENT = _("Element contents must be between 0 and 100 %, and add up to at most 100 %.")
MSG_BLACK_MASS_EXCEEDS = _("The black mass (%(black)s kg) exceeds the received net mass (%(received)s kg).")
MSG_CERTIFICATE_NUMBER_REQUIRED = _("Enter the certificate number.")
MSG_CERTIFICATE_NUMBER_TAKEN = _("You already issued a certificate with this number.")
MSG_ALREADY_INVITED = _("You already invited this address; the invitation is still pending.")
MSG_TEXT_TOO_LONG = _("The text is too long (at most %(limit)s characters).")

TEXT_LIMIT = 4000
KG = Decimal("0.001")


class TransferNotFoundError(ApplicationError):
    """Missing and not-yours look the same (404)."""

    status = 404


T = TypeVar("T")


# --- helpers ------------------------------------------------------------------------------------

def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def _json_native(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals, dates and UUIDs as strings, exactly as the canonical form hashes them."""
    return json.loads(canonical_json(data))


def _kg(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(KG))


def _check_mass(value: Decimal | None, field_name: str, *, required: bool = True) -> Decimal | None:
    if value is None and not required:
        return None
    if value is None or not isinstance(value, Decimal) or not value.is_finite() or value < 0 \
            or value >= Decimal("1e11"):
        raise ApplicationError(MSG_MASS_INVALID, code="mass_invalid", field=field_name)
    return value.quantize(KG)


def _check_units(value: int | None, field_name: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise ApplicationError(MSG_UNITS_INVALID, code="units_invalid", field=field_name)
    return value


def _check_not_future(value: date, field_name: str) -> None:
    if value > timezone.localdate():
        raise ApplicationError(MSG_DATE_FUTURE, code="date_future", field=field_name)


def _check_text(value: str, field_name: str, *, required_msg=None, code: str = "text_required") -> str:
    value = (value or "").strip()
    if required_msg is not None and not value:
        raise ApplicationError(required_msg, code=code, field=field_name)
    if len(value) > TEXT_LIMIT:
        raise ApplicationError(MSG_TEXT_TOO_LONG % {"limit": TEXT_LIMIT}, code="text_too_long", field=field_name)
    return value


def _transfer_of(access: Access, transfer_id: UUID | str, *, lock: bool) -> Transfer:
    qs = Transfer.objects.filter(pk=transfer_id).filter(
        Q(sender_id=access.organisation_id) | Q(receiver_id=access.organisation_id))
    if lock:
        qs = qs.select_for_update(of=("self",))
    transfer = qs.first()
    if transfer is None:
        raise TransferNotFoundError(MSG_NOT_FOUND, code="not_found")
    return transfer


def _parties(transfer: Transfer) -> tuple[Organisation, Organisation]:
    orgs = Organisation.objects.in_bulk([transfer.sender_id, transfer.receiver_id])
    return orgs[transfer.sender_id], orgs[transfer.receiver_id]


def _as_receiver(access: Access, transfer: Transfer) -> None:
    if transfer.receiver_id != access.organisation_id:
        raise PermissionDeniedError(MSG_NOT_RECEIVER, code="not_receiver")
    _require(access, Perm.CUSTODY_RECEIVE)


def _as_sender(access: Access, transfer: Transfer) -> None:
    if transfer.sender_id != access.organisation_id:
        raise PermissionDeniedError(MSG_NOT_SENDER, code="not_sender")
    _require(access, Perm.CUSTODY_DISPATCH)


def _as_party(access: Access, transfer: Transfer) -> None:
    _require(access, Perm.CUSTODY_DISPATCH if transfer.sender_id == access.organisation_id else Perm.CUSTODY_RECEIVE)


def _source(actor: Actor) -> str:
    return EvidenceSource.API if actor.channel == Channel.API else EvidenceSource.UPLOAD


def _with_file(upload: UploadedFile | None, schema_name: str, field_name: str, *, required: bool,
               step: Callable[[StoredFile | None], T]) -> T:
    """Store the file, run the step (its own transaction); remove the file if the step does not commit."""
    if upload is None and not required:
        return step(None)
    stored = file_store(upload=upload, schema_name=schema_name, field=field_name)
    try:
        return step(stored)
    except BaseException:
        file_discard(stored)
        raise


def _append(*, transfer: Transfer, kind: str, organisation: Organisation, actor: Actor,
            payload: dict[str, Any]) -> LedgerEntry:
    """Append the next entry of the transfer's chain. The caller holds the transfer row lock (or has
    just created the transfer) and saves the transfer's `ledger_length` and `ledger_head` afterwards."""
    payload = _json_native(payload)
    seq = transfer.ledger_length + 1
    prev_hash = transfer.ledger_head or GENESIS
    at = timezone.now()
    digest = ledger.payload_digest(payload)
    link = ledger.link_of(transfer_id=transfer.pk, seq=seq, kind=kind, at=at, organisation_id=organisation.pk,
                          actor_id=actor.id, actor_label=actor.label[:254], channel=actor.channel,
                          payload_sha256=digest)
    entry = LedgerEntry.objects.create(
        transfer=transfer, seq=seq, kind=kind, at=at, organisation=organisation, actor_id=actor.id,
        actor_label=actor.label[:254], channel=actor.channel, payload=payload, payload_sha256=digest,
        prev_hash=prev_hash, hash=ledger.entry_hash(prev_hash, link))
    transfer.ledger_length, transfer.ledger_head = seq, entry.hash
    return entry


def _record(*, transfer: Transfer, parties: Sequence[Organisation], acting: Organisation, actor: Actor, verb: str,
            entry: LedgerEntry, data: dict[str, Any] | None = None) -> None:
    """One activity entry in each party's schema (schema-name order), carrying the ledger entry's hash:
    each party's own chain then anchors the shared ledger."""
    details = _json_native({**(data or {}), "transfer": transfer.pk, "shipment_reference": transfer.shipment_reference,
                            "ledger_seq": entry.seq, "ledger_hash": entry.hash})
    for org in sorted(parties, key=lambda o: o.schema_name):
        who = actor if org.pk == acting.pk else Actor(id=actor.id, label=f"{actor.label} ({acting.name_en})"[:254],
                                                       channel=actor.channel)
        with schema_context(org.schema_name):
            activity_record(actor=who, verb=verb, object_type="custody.transfer", object_id=str(transfer.pk),
                            data=details)


# --- dispatch -----------------------------------------------------------------------------------

def _manifest(shipment: Shipment, revision_id: UUID | str | None) -> EvidenceRevision:
    qs = EvidenceRevision.objects.filter(evidence__doc_type=EvidenceType.TRANSPORT_MANIFEST,
                                         evidence__shipments=shipment,
                                         status__in=[RevisionStatus.SUBMITTED, RevisionStatus.ACCEPTED])
    if revision_id:
        qs = qs.filter(pk=revision_id)
    revision = qs.order_by("-created_at", "-number").first()
    if revision is None:
        raise ApplicationError(MSG_MANIFEST_MISSING, code="manifest_missing", field="manifest")
    return revision


def _receiver_for_dispatch(sender: Organisation, receiver_id: UUID | str | None) -> Organisation:
    receiver = Organisation.objects.filter(pk=receiver_id, kind=OrganisationKind.RECYCLER, is_active=True) \
        .exclude(pk=sender.pk).first() if receiver_id else None
    if receiver is None:
        raise ApplicationError(MSG_RECEIVER_INVALID, code="receiver_invalid", field="receiver")
    return receiver


@transaction.atomic
def shipment_dispatch(*, access: Access, shipment_id: UUID | str, receiver_id: UUID | str | None,
                      manifest_revision_id: UUID | str | None = None) -> Transfer:
    """Dispatch one of the sender's outbound shipments to a recycler: copy the declared figures, the digest of
    the unit codes and the transport manifest's SHA-256 into a new transfer and its first ledger entry, and
    mark the shipment dispatched in the sender's schema."""
    _require(access, Perm.CUSTODY_DISPATCH)
    sender = Organisation.objects.get(pk=access.organisation_id)
    receiver = _receiver_for_dispatch(sender, receiver_id)
    actor = access.actor
    with schema_context(sender.schema_name):
        shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first() if shipment_id else None
        if shipment is None or not access.sees_shipment(shipment.pk):
            raise TransferNotFoundError(MSG_SHIPMENT_NOT_FOUND, code="shipment_not_found", field="shipment")
        if shipment.direction != ShipmentDirection.OUTBOUND:
            raise ApplicationError(MSG_SHIPMENT_NOT_OUTBOUND, code="shipment_not_outbound", field="shipment")
        if Transfer.objects.filter(sender=sender, shipment_id=shipment.pk).exists():
            raise ConflictError(MSG_ALREADY_DISPATCHED, code="already_dispatched", field="shipment")
        if shipment.status != ShipmentStatus.DRAFT:
            raise ConflictError(MSG_SHIPMENT_NOT_DRAFT, code="shipment_not_draft", field="shipment")
        if shipment.counterparty_organisation_id and shipment.counterparty_organisation_id != receiver.pk:
            raise ApplicationError(MSG_RECEIVER_MISMATCH, code="receiver_mismatch", field="receiver")
        masses = dict(ShipmentMass.objects.filter(shipment=shipment).order_by("chemistry")
                      .values_list("chemistry", "net_mass_kg"))
        codes = list(ShipmentUnit.objects.filter(shipment=shipment).values_list("unit__code", flat=True))
        total = sum(masses.values(), Decimal(0))
        if not codes and total <= 0:
            raise ApplicationError(MSG_NOTHING_DECLARED, code="nothing_declared", field="shipment")
        manifest = _manifest(shipment, manifest_revision_id)
        today = timezone.localdate()
        dispatched_on = shipment.dispatch_date or min(today, shipment.arrival_date or today)
        declaration = _json_native({
            "shipment_id": shipment.pk, "reference": shipment.reference, "dispatched_on": dispatched_on,
            "declared_masses": {chem: _kg(kg) for chem, kg in masses.items()}, "declared_net_mass_kg": _kg(total),
            "declared_unit_count": len(codes), "unit_codes_sha256": ledger.unit_codes_digest(codes),
            "manifest_revision_id": manifest.pk, "manifest_sha256": manifest.sha256,
            "hs_code": shipment.hs_code, "un_number": shipment.un_number, "is_waste": shipment.is_waste,
            "waste_code": shipment.waste_code, "origin_country": shipment.origin_country,
            "destination_country": shipment.destination_country,
        })
        transfer = Transfer.objects.create(
            sender=sender, receiver=receiver, shipment_id=shipment.pk, shipment_reference=shipment.reference,
            declaration_sha256=sha256_hex(canonical_json(declaration)),
            declared_masses=declaration["declared_masses"], declared_net_mass_kg=total,
            declared_unit_count=len(codes), unit_codes_sha256=declaration["unit_codes_sha256"],
            manifest_revision_id=manifest.pk, manifest_sha256=manifest.sha256, dispatched_on=dispatched_on,
            dispatched_at=timezone.now(), mass_tolerance_percent=Decimal(str(settings.CUSTODY_MASS_TOLERANCE_PERCENT)),
            unit_tolerance=settings.CUSTODY_UNIT_TOLERANCE)
        shipment.status = ShipmentStatus.DISPATCHED
        shipment.dispatch_date = dispatched_on
        shipment.counterparty_organisation_id = receiver.pk
        shipment.save(update_fields=["status", "dispatch_date", "counterparty_organisation_id", "updated_at"])
    entry = _append(transfer=transfer, kind=LedgerKind.DISPATCHED, organisation=sender, actor=actor, payload={
        "declaration": declaration, "declaration_sha256": transfer.declaration_sha256, "sender": sender.pk,
        "receiver": receiver.pk, "mass_tolerance_percent": transfer.mass_tolerance_percent,
        "unit_tolerance": transfer.unit_tolerance})
    transfer.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
    _record(transfer=transfer, parties=(sender, receiver), acting=sender, actor=actor, verb="custody.dispatched",
            entry=entry, data={"receiver": receiver.name_en, "declared_net_mass_kg": _kg(total),
                               "declared_unit_count": len(codes)})
    return transfer


# --- receipt ------------------------------------------------------------------------------------

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
    ShipmentMass.objects.bulk_create(ShipmentMass(shipment=shipment, chemistry=chem, net_mass_kg=Decimal(kg))
                                     for chem, kg in transfer.declared_masses.items())
    return shipment


def transfer_confirm_receipt(*, access: Access, transfer_id: UUID | str, received_on: date, net_mass_kg: Decimal,
                             unit_count: int, ticket: UploadedFile | None, ticket_number: str = "") -> Receipt:
    """The receiver confirms what arrived, with the weighbridge ticket (stored in its own vault). Opens a
    discrepancy when the figures are outside the transfer's tolerance. A second confirmation, concurrent
    or replayed, is refused with a conflict and stores nothing."""
    transfer = _transfer_of(access, transfer_id, lock=False)
    _as_receiver(access, transfer)
    _receivable(transfer)
    net_mass_kg = _check_mass(net_mass_kg, "net_mass_kg")
    unit_count = _check_units(unit_count, "unit_count")
    _check_not_future(received_on, "received_on")
    if received_on < transfer.dispatched_on:
        raise ApplicationError(MSG_RECEIVED_BEFORE_DISPATCH, code="received_before_dispatch", field="received_on")
    ticket_number = _check_text(ticket_number, "ticket_number")[:64]
    _sender, receiver = _parties(transfer)

    @transaction.atomic
    def step(stored: StoredFile | None) -> Receipt:
        locked = _transfer_of(access, transfer_id, lock=True)
        _receivable(locked)
        sender, receiver = _parties(locked)
        actor = access.actor
        deviation = tolerance.compare(
            declared_mass_kg=locked.declared_net_mass_kg, declared_units=locked.declared_unit_count,
            received_mass_kg=net_mass_kg, received_units=unit_count,
            mass_tolerance_percent=locked.mass_tolerance_percent, unit_tolerance=locked.unit_tolerance)
        with schema_context(receiver.schema_name):
            inbound = _inbound_shipment_create(locked, sender, received_on)
            revision = evidence_file_add(
                doc_type=EvidenceType.WEIGHBRIDGE_TICKET, title=f"{locked.shipment_reference} · {sender.name_en}",
                stored=stored, actor=actor, source=_source(actor), reference=ticket_number,
                issuer=receiver.name_en, effective_date=received_on, shipments=[inbound],
                key_fields=_json_native({"net_mass_kg": _kg(net_mass_kg), "unit_count": unit_count,
                                         "transfer": locked.pk}))
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
        entry = _append(transfer=locked, kind=LedgerKind.RECEIVED, organisation=receiver, actor=actor, payload={
            "received_on": received_on, "net_mass_kg": _kg(net_mass_kg), "unit_count": unit_count,
            "ticket_number": ticket_number, "ticket_revision_id": revision.pk, "ticket_sha256": revision.sha256,
            "inbound_shipment_id": inbound.pk, "deviation": deviation.as_payload(),
            "discrepancy_id": discrepancy.pk if discrepancy else None})
        locked.save(update_fields=["status", "inbound_shipment_id", "ledger_length", "ledger_head", "updated_at"])
        with schema_context(sender.schema_name):
            Shipment.objects.filter(pk=locked.shipment_id, status__in=[ShipmentStatus.DISPATCHED,
                                                                      ShipmentStatus.DISPUTED]) \
                .update(status=ShipmentStatus.RECEIVED, updated_at=timezone.now())
        _record(transfer=locked, parties=(sender, receiver), acting=receiver, actor=actor, verb="custody.received",
                entry=entry, data={"net_mass_kg": _kg(net_mass_kg), "unit_count": unit_count,
                                   "discrepancy": bool(discrepancy)})
        return receipt

    return _with_file(ticket, receiver.schema_name, "ticket", required=True, step=step)


@transaction.atomic
def transfer_dispute(*, access: Access, transfer_id: UUID | str, reason: str, received_on: date | None = None,
                     net_mass_kg: Decimal | None = None, unit_count: int | None = None) -> Discrepancy:
    """The receiver disputes the transfer instead of confirming it; a discrepancy opens for both parties."""
    transfer = _transfer_of(access, transfer_id, lock=True)
    _as_receiver(access, transfer)
    if transfer.status == TransferStatus.DISPUTED:
        raise ConflictError(MSG_ALREADY_DISPUTED, code="already_disputed")
    if transfer.status != TransferStatus.DISPATCHED:
        raise ConflictError(MSG_ALREADY_RECEIVED, code="already_received")
    reason = _check_text(reason, "reason", required_msg=MSG_REASON_REQUIRED, code="reason_required")
    net_mass_kg = _check_mass(net_mass_kg, "net_mass_kg", required=False)
    unit_count = _check_units(unit_count, "unit_count", required=False)
    if received_on is not None:
        _check_not_future(received_on, "received_on")
        if received_on < transfer.dispatched_on:
            raise ApplicationError(MSG_RECEIVED_BEFORE_DISPATCH, code="received_before_dispatch", field="received_on")
    sender, receiver = _parties(transfer)
    actor = access.actor
    discrepancy = Discrepancy.objects.create(
        transfer=transfer, kind=DiscrepancyKind.DISPUTE, opened_by=receiver, reason=reason,
        declared_net_mass_kg=transfer.declared_net_mass_kg, received_net_mass_kg=net_mass_kg,
        declared_unit_count=transfer.declared_unit_count, received_unit_count=unit_count)
    transfer.status = TransferStatus.DISPUTED
    entry = _append(transfer=transfer, kind=LedgerKind.DISPUTED, organisation=receiver, actor=actor, payload={
        "reason": reason, "received_on": received_on, "net_mass_kg": _kg(net_mass_kg), "unit_count": unit_count,
        "discrepancy_id": discrepancy.pk})
    transfer.save(update_fields=["status", "ledger_length", "ledger_head", "updated_at"])
    with schema_context(sender.schema_name):
        Shipment.objects.filter(pk=transfer.shipment_id, status=ShipmentStatus.DISPATCHED) \
            .update(status=ShipmentStatus.DISPUTED, updated_at=timezone.now())
    _record(transfer=transfer, parties=(sender, receiver), acting=receiver, actor=actor, verb="custody.disputed",
            entry=entry, data={"reason": reason[:200]})
    return discrepancy


def transfer_attach_paper_receipt(*, access: Access, transfer_id: UUID | str, received_on: date,
                                  document: UploadedFile | None, net_mass_kg: Decimal | None = None,
                                  unit_count: int | None = None) -> PaperReceipt:
    """The sender attaches the paper receipt it got from a recycler that has not confirmed on the platform
    (stored in the sender's vault as a receipt; the facts mark it unconfirmed by the counterparty)."""
    transfer = _transfer_of(access, transfer_id, lock=False)
    _as_sender(access, transfer)
    net_mass_kg = _check_mass(net_mass_kg, "net_mass_kg", required=False)
    unit_count = _check_units(unit_count, "unit_count", required=False)
    _check_not_future(received_on, "received_on")
    if received_on < transfer.dispatched_on:
        raise ApplicationError(MSG_RECEIVED_BEFORE_DISPATCH, code="received_before_dispatch", field="received_on")

    def guard(t: Transfer) -> None:
        if t.status != TransferStatus.DISPATCHED:
            raise ConflictError(MSG_ALREADY_RECEIVED, code="already_received")
        if PaperReceipt.objects.filter(transfer=t).exists():
            raise ConflictError(MSG_PAPER_RECEIPT_EXISTS, code="paper_receipt_exists")

    guard(transfer)
    sender, _receiver = _parties(transfer)

    @transaction.atomic
    def step(stored: StoredFile | None) -> PaperReceipt:
        locked = _transfer_of(access, transfer_id, lock=True)
        guard(locked)
        sender, receiver = _parties(locked)
        actor = access.actor
        with schema_context(sender.schema_name):
            shipments = list(Shipment.objects.filter(pk=locked.shipment_id))
            revision = evidence_file_add(
                doc_type=EvidenceType.RECEIPT, title=f"{locked.shipment_reference} · {receiver.name_en}",
                stored=stored, actor=actor, source=_source(actor), issuer=receiver.name_en,
                effective_date=received_on, shipments=shipments,
                key_fields=_json_native({"received_on": received_on, "net_mass_kg": _kg(net_mass_kg),
                                         "unit_count": unit_count, "transfer": locked.pk,
                                         "confirmed_by_counterparty": False}))
        paper = PaperReceipt.objects.create(
            transfer=locked, received_on=received_on, net_mass_kg=net_mass_kg, unit_count=unit_count,
            evidence_id=revision.evidence_id, revision_id=revision.pk, sha256=revision.sha256,
            uploaded_by_id=actor.id, uploaded_by_label=actor.label[:254])
        entry = _append(transfer=locked, kind=LedgerKind.PAPER_RECEIPT, organisation=sender, actor=actor, payload={
            "received_on": received_on, "net_mass_kg": _kg(net_mass_kg), "unit_count": unit_count,
            "revision_id": revision.pk, "sha256": revision.sha256, "confirmed_by_counterparty": False})
        locked.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
        _record(transfer=locked, parties=(sender, receiver), acting=sender, actor=actor,
                verb="custody.paper_receipt", entry=entry, data={"received_on": received_on})
        return paper

    return _with_file(document, sender.schema_name, "document", required=True, step=step)


# --- discrepancy thread -------------------------------------------------------------------------

def _discrepancy_locked(access: Access, discrepancy_id: UUID | str) -> tuple[Transfer, Discrepancy]:
    transfer_id = (Discrepancy.objects.filter(pk=discrepancy_id).filter(
        Q(transfer__sender_id=access.organisation_id) | Q(transfer__receiver_id=access.organisation_id))
        .values_list("transfer_id", flat=True).first())
    if transfer_id is None:
        raise TransferNotFoundError(MSG_DISCREPANCY_NOT_FOUND, code="not_found")
    transfer = _transfer_of(access, transfer_id, lock=True)
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy_id)
    _as_party(access, transfer)
    if discrepancy.status != DiscrepancyStatus.OPEN:
        raise ConflictError(MSG_DISCREPANCY_RESOLVED, code="discrepancy_resolved")
    return transfer, discrepancy


@transaction.atomic
def discrepancy_comment(*, access: Access, discrepancy_id: UUID | str, body: str) -> DiscrepancyComment:
    transfer, discrepancy = _discrepancy_locked(access, discrepancy_id)
    body = _check_text(body, "body", required_msg=MSG_COMMENT_REQUIRED, code="comment_required")
    sender, receiver = _parties(transfer)
    acting = sender if access.organisation_id == sender.pk else receiver
    actor = access.actor
    comment = DiscrepancyComment.objects.create(discrepancy=discrepancy, organisation=acting, author_id=actor.id,
                                                author_label=actor.label[:254], body=body)
    entry = _append(transfer=transfer, kind=LedgerKind.DISCREPANCY_COMMENT, organisation=acting, actor=actor,
                    payload={"discrepancy_id": discrepancy.pk, "comment_id": comment.pk, "body": body})
    transfer.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
    _record(transfer=transfer, parties=(sender, receiver), acting=acting, actor=actor,
            verb="custody.discrepancy_comment", entry=entry, data={"discrepancy": discrepancy.pk})
    return comment


@transaction.atomic
def discrepancy_resolve(*, access: Access, discrepancy_id: UUID | str, resolution: str) -> Discrepancy:
    transfer, discrepancy = _discrepancy_locked(access, discrepancy_id)
    resolution = _check_text(resolution, "resolution", required_msg=MSG_RESOLUTION_REQUIRED,
                             code="resolution_required")
    sender, receiver = _parties(transfer)
    acting = sender if access.organisation_id == sender.pk else receiver
    actor = access.actor
    discrepancy.status = DiscrepancyStatus.RESOLVED
    discrepancy.resolution = resolution
    discrepancy.resolved_at = timezone.now()
    discrepancy.resolved_by = acting
    discrepancy.resolved_by_label = actor.label[:254]
    discrepancy.save(update_fields=["status", "resolution", "resolved_at", "resolved_by", "resolved_by_label",
                                    "updated_at"])
    entry = _append(transfer=transfer, kind=LedgerKind.DISCREPANCY_RESOLVED, organisation=acting, actor=actor,
                    payload={"discrepancy_id": discrepancy.pk, "resolution": resolution})
    transfer.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
    _record(transfer=transfer, parties=(sender, receiver), acting=acting, actor=actor,
            verb="custody.discrepancy_resolved", entry=entry, data={"discrepancy": discrepancy.pk})
    return discrepancy


# --- processing and certificate -----------------------------------------------------------------

@dataclass(frozen=True)
class LotInput:
    code: str
    kind: str
    mass_kg: Decimal
    elements: dict[str, Decimal] = field(default_factory=dict)


def _check_lots(lots: Sequence[LotInput]) -> list[LotInput]:
    if not lots:
        raise ApplicationError(MSG_LOTS_REQUIRED, code="lots_required", field="lots")
    seen: set[str] = set()
    clean = []
    for lot in lots:
        code = (lot.code or "").strip()
        if not code or len(code) > 64:
            raise ApplicationError(MSG_LOT_CODE_REQUIRED, code="lot_code_required", field="lots")
        if code in seen:
            raise ApplicationError(MSG_LOT_CODE_DUPLICATE % {"code": code}, code="lot_code_duplicate", field="lots")
        seen.add(code)
        if lot.kind not in LotKind.values:
            raise ApplicationError(MSG_LOT_KIND, code="lot_kind_invalid", field="lots")
        mass = _check_mass(lot.mass_kg, "lots")
        if mass <= 0:
            raise ApplicationError(MSG_LOT_MASS, code="lot_mass_invalid", field="lots")
        elements = {}
        for element, percent in lot.elements.items():
            if element not in Element.values:
                raise ApplicationError(MSG_LOT_ELEMENT % {"element": element}, code="lot_element_invalid",
                                       field="lots")
            if not isinstance(percent, Decimal) or not percent.is_finite() or not 0 <= percent <= 100:
                raise ApplicationError(MSG_LOT_PERCENT, code="lot_percent_invalid", field="lots")
            elements[element] = percent.quantize(Decimal("0.0001"))
        if sum(elements.values(), Decimal(0)) > 100:
            raise ApplicationError(MSG_LOT_PERCENT, code="lot_percent_invalid", field="lots")
        clean.append(LotInput(code=code, kind=lot.kind, mass_kg=mass, elements=elements))
    return clean


def _processable(transfer: Transfer) -> None:
    if transfer.status in (TransferStatus.PROCESSED, TransferStatus.CERTIFIED):
        raise ConflictError(MSG_ALREADY_PROCESSED, code="already_processed")
    if transfer.status != TransferStatus.RECEIVED:
        raise ConflictError(MSG_NOT_RECEIVED, code="not_received")


def transfer_record_processing(*, access: Access, transfer_id: UUID | str, processed_on: date,
                               lots: Sequence[LotInput], notes: str = "",
                               assay_report: UploadedFile | None = None) -> ProcessingRecord:
    """The receiver records what it recovered: lots (black mass, recovered materials) with their assays,
    created in its own register and linked to its inbound shipment; the optional assay report goes into
    its vault. Recovered-material lots are recorded as refined from the transfer's black mass lots."""
    transfer = _transfer_of(access, transfer_id, lock=False)
    _as_receiver(access, transfer)
    _processable(transfer)
    clean = _check_lots(lots)
    notes = _check_text(notes, "notes")
    _check_not_future(processed_on, "processed_on")
    receipt = Receipt.objects.get(transfer=transfer)
    if processed_on < receipt.received_on:
        raise ApplicationError(MSG_PROCESSED_BEFORE_RECEIPT, code="processed_before_receipt", field="processed_on")
    black = sum((lot.mass_kg for lot in clean if lot.kind == LotKind.BLACK_MASS), Decimal(0))
    if black > receipt.net_mass_kg:
        raise ApplicationError(MSG_BLACK_MASS_EXCEEDS % {"black": _kg(black), "received": _kg(receipt.net_mass_kg)},
                               code="black_mass_exceeds_receipt", field="lots")
    _sender, receiver = _parties(transfer)
    with schema_context(receiver.schema_name):
        taken = MaterialLot.objects.filter(code__in=[lot.code for lot in clean]).values_list("code", flat=True).first()
    if taken:
        raise ApplicationError(MSG_LOT_CODE_TAKEN % {"code": taken}, code="lot_code_taken", field="lots")

    @transaction.atomic
    def step(stored: StoredFile | None) -> ProcessingRecord:
        locked = _transfer_of(access, transfer_id, lock=True)
        _processable(locked)
        sender, receiver = _parties(locked)
        actor = access.actor
        with schema_context(receiver.schema_name):
            inbound = Shipment.objects.filter(pk=locked.inbound_shipment_id).first()
            created = []
            try:
                with transaction.atomic():
                    for lot in clean:
                        created.append(MaterialLot.objects.create(
                            code=lot.code, kind=lot.kind, mass_kg=lot.mass_kg, produced_on=processed_on,
                            origin=MaterialOrigin.POST_CONSUMER, notes=f"custody transfer {locked.pk}"))
            except IntegrityError as exc:  # a lot with the same code was registered meanwhile
                raise ApplicationError(MSG_LOT_CODE_TAKEN % {"code": ", ".join(lot.code for lot in clean)},
                                       code="lot_code_taken", field="lots") from exc
            black_lots = [m for m in created if m.kind == LotKind.BLACK_MASS]
            for material in created:
                if inbound is not None:
                    material.source_shipments.add(inbound)
                if material.kind != LotKind.BLACK_MASS and black_lots:
                    material.source_lots.add(*black_lots)
            revision = None
            if stored is not None:
                revision = evidence_file_add(
                    doc_type=EvidenceType.ASSAY_REPORT, title=f"{locked.shipment_reference} · assay", stored=stored,
                    actor=actor, source=_source(actor), issuer=receiver.name_en, effective_date=processed_on,
                    shipments=[inbound] if inbound else [], lots=created)
            LotElement.objects.bulk_create(
                LotElement(lot=material, element=element, percent=percent,
                           assay_revision_id=revision.pk if revision else None)
                for material, lot in zip(created, clean, strict=True) for element, percent in lot.elements.items())
        summary = _json_native({"lots": sorted(
            ({"id": m.pk, "code": lot.code, "kind": lot.kind, "mass_kg": _kg(lot.mass_kg),
              "elements": {el: str(pct) for el, pct in sorted(lot.elements.items())}}
             for m, lot in zip(created, clean, strict=True)), key=lambda x: x["code"])})["lots"]
        lots_sha256 = sha256_hex(canonical_json(summary))
        record = ProcessingRecord.objects.create(
            transfer=locked, processed_on=processed_on, lots=summary, lots_sha256=lots_sha256, black_mass_kg=black,
            recovered_mass_kg=sum((lot.mass_kg for lot in clean if lot.kind != LotKind.BLACK_MASS), Decimal(0)),
            assay_revision_id=revision.pk if revision else None, assay_sha256=revision.sha256 if revision else "",
            notes=notes, recorded_by_id=actor.id, recorded_by_label=actor.label[:254])
        locked.status = TransferStatus.PROCESSED
        entry = _append(transfer=locked, kind=LedgerKind.PROCESSED, organisation=receiver, actor=actor, payload={
            "processed_on": processed_on, "lots": summary, "lots_sha256": lots_sha256, "black_mass_kg": _kg(black),
            "assay_revision_id": record.assay_revision_id, "assay_sha256": record.assay_sha256})
        locked.save(update_fields=["status", "ledger_length", "ledger_head", "updated_at"])
        _record(transfer=locked, parties=(sender, receiver), acting=receiver, actor=actor, verb="custody.processed",
                entry=entry, data={"lots": len(summary), "black_mass_kg": _kg(black)})
        return record

    return _with_file(assay_report, receiver.schema_name, "assay_report", required=False, step=step)


def _certifiable(transfer: Transfer) -> None:
    if transfer.status == TransferStatus.CERTIFIED:
        raise ConflictError(MSG_ALREADY_CERTIFIED, code="already_certified")
    if transfer.status != TransferStatus.PROCESSED:
        raise ConflictError(MSG_NOT_PROCESSED, code="not_processed")


def transfer_issue_certificate(*, access: Access, transfer_id: UUID | str, number: str, issued_on: date,
                               statement: str = "", signed_file: UploadedFile | None = None) -> RecyclingCertificate:
    """The receiver issues its certificate of recycling for the transfer. Its content (parties, shipment,
    receipt, lots digest, statement, signed file's SHA-256) is hashed into the ledger."""
    transfer = _transfer_of(access, transfer_id, lock=False)
    _as_receiver(access, transfer)
    _certifiable(transfer)
    number = _check_text(number, "number", required_msg=MSG_CERTIFICATE_NUMBER_REQUIRED,
                         code="certificate_number_required")[:64]
    statement = _check_text(statement, "statement")
    _check_not_future(issued_on, "issued_on")
    processing = ProcessingRecord.objects.get(transfer=transfer)
    if issued_on < processing.processed_on:
        raise ApplicationError(MSG_ISSUED_BEFORE_PROCESSING, code="issued_before_processing", field="issued_on")
    if RecyclingCertificate.objects.filter(issuer_id=transfer.receiver_id, number=number).exists():
        raise ApplicationError(MSG_CERTIFICATE_NUMBER_TAKEN, code="certificate_number_taken", field="number")
    _sender, receiver = _parties(transfer)

    @transaction.atomic
    def step(stored: StoredFile | None) -> RecyclingCertificate:
        locked = _transfer_of(access, transfer_id, lock=True)
        _certifiable(locked)
        sender, receiver = _parties(locked)
        actor = access.actor
        receipt = Receipt.objects.get(transfer=locked)
        revision = None
        if stored is not None:
            with schema_context(receiver.schema_name):
                lots = list(MaterialLot.objects.filter(pk__in=[lot["id"] for lot in processing.lots]))
                inbound = list(Shipment.objects.filter(pk=locked.inbound_shipment_id))
                revision = evidence_file_add(
                    doc_type=EvidenceType.RECYCLING_CERTIFICATE, title=f"{number} · {locked.shipment_reference}",
                    stored=stored, actor=actor, source=_source(actor), reference=number, issuer=receiver.name_en,
                    effective_date=issued_on, shipments=inbound, lots=lots)
        content = _json_native({
            "number": number, "issued_on": issued_on, "issuer": receiver.pk, "issuer_name": receiver.name_en,
            "sender": sender.pk, "sender_name": sender.name_en, "transfer": locked.pk,
            "shipment_reference": locked.shipment_reference, "declaration_sha256": locked.declaration_sha256,
            "received_on": receipt.received_on, "received_net_mass_kg": _kg(receipt.net_mass_kg),
            "processed_on": processing.processed_on, "lots_sha256": processing.lots_sha256,
            "statement": statement, "file_sha256": revision.sha256 if revision else ""})
        try:
            with transaction.atomic():
                certificate = RecyclingCertificate.objects.create(
                    transfer=locked, issuer=receiver, number=number, issued_on=issued_on, statement=statement,
                    content_sha256=sha256_hex(canonical_json(content)),
                    file_revision_id=revision.pk if revision else None, file_sha256=revision.sha256 if revision else "",
                    issued_by_id=actor.id, issued_by_label=actor.label[:254])
        except IntegrityError as exc:
            raise ApplicationError(MSG_CERTIFICATE_NUMBER_TAKEN, code="certificate_number_taken",
                                   field="number") from exc
        locked.status = TransferStatus.CERTIFIED
        entry = _append(transfer=locked, kind=LedgerKind.CERTIFIED, organisation=receiver, actor=actor, payload={
            "certificate_id": certificate.pk, "content": content, "content_sha256": certificate.content_sha256,
            "file_revision_id": certificate.file_revision_id})
        locked.save(update_fields=["status", "ledger_length", "ledger_head", "updated_at"])
        _record(transfer=locked, parties=(sender, receiver), acting=receiver, actor=actor, verb="custody.certified",
                entry=entry, data={"number": number})
        return certificate

    return _with_file(signed_file, receiver.schema_name, "signed_file", required=False, step=step)


# --- recyclers not on the platform --------------------------------------------------------------

def _free_slug(name: str) -> str:
    base = slugify(name)[:34].strip("-") or "recycler"
    if not base[0].isalpha():
        base = f"r-{base}"[:34]
    if len(base) < 3:
        base = f"{base}-recycler"
    candidate, n = base, 2
    while not is_valid_slug(candidate) or Organisation.objects.filter(slug=candidate).exists():
        candidate = f"{base}-{n}"
        n += 1
    return candidate


@transaction.atomic
def recycler_invite(*, access: Access, name_en: str, country: str, email: str, name_zh: str = "",
                    inviter: User | None = None) -> RecyclerInvitation:
    """Invite a recycler that is not on the platform: create its organisation (kind recycler) and invite its
    first owner by e-mail. Transfers can be dispatched to it at once; it sees them when it joins."""
    _require(access, Perm.CUSTODY_DISPATCH)
    sender = Organisation.objects.get(pk=access.organisation_id)
    email = (email or "").strip().lower()
    pending = RecyclerInvitation.objects.filter(
        invited_by=sender, email=email, invitation__accepted_at__isnull=True, invitation__revoked_at__isnull=True,
        invitation__expires_at__gt=timezone.now())
    if pending.exists():
        raise ConflictError(MSG_ALREADY_INVITED, code="already_invited", field="email")
    actor = access.actor
    with schema_context(get_public_schema_name()):  # django-tenants creates schemas only from the public one
        recycler = organisation_create(slug=_free_slug(name_en), name_en=name_en, name_zh=name_zh,
                                       kind=OrganisationKind.RECYCLER, country=country, actor=actor)
    # The new organisation has no member yet: the invitation is sent on its behalf, as its owner would.
    on_behalf = Access(organisation_id=recycler.pk, role=Role.OWNER, user_id=actor.id,
                       label=f"{actor.label} ({sender.name_en})"[:254])
    invitation: Invitation = invitation_create(access=on_behalf, organisation=recycler, email=email, role=Role.OWNER,
                                               inviter=inviter)
    record = RecyclerInvitation.objects.create(invited_by=sender, organisation=recycler, invitation=invitation,
                                               email=email, invited_by_user_id=actor.id,
                                               invited_by_label=actor.label[:254])
    with schema_context(sender.schema_name):
        activity_record(actor=actor, verb="custody.recycler_invited", obj=record,
                        data={"organisation": recycler.name_en, "slug": recycler.slug, "email": email})
    return record
