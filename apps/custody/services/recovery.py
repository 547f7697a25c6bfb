"""What the receiver made of the transfer: the processing outcome and the certificate of recycling."""
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.core.errors import ApplicationError, ConflictError
from apps.core.hashing import canonical_json, sha256_hex
from apps.evidence import services as vault
from apps.evidence.models import EvidenceType
from apps.traceability import services as register
from apps.traceability.models import (
    Element,
    LotKind,
    MaterialLot,
    MaterialOrigin,
    Shipment,
)

from ..models import (
    LedgerKind,
    ProcessingRecord,
    Receipt,
    RecyclingCertificate,
    Transfer,
    TransferStatus,
)
from .common import (
    MSG_ALREADY_CERTIFIED,
    MSG_ALREADY_PROCESSED,
    MSG_ASSAY_LOT_UNKNOWN,
    MSG_BLACK_MASS_EXCEEDS,
    MSG_CERTIFICATE_NUMBER_REQUIRED,
    MSG_CERTIFICATE_NUMBER_TAKEN,
    MSG_ISSUED_BEFORE_PROCESSING,
    MSG_LOT_CODE_DUPLICATE,
    MSG_LOT_CODE_REQUIRED,
    MSG_LOT_CODE_TAKEN,
    MSG_LOT_ELEMENT,
    MSG_LOT_KIND,
    MSG_LOT_MASS,
    MSG_LOT_PERCENT,
    MSG_LOTS_REQUIRED,
    MSG_NOT_PROCESSED,
    MSG_NOT_RECEIVED,
    MSG_PROCESSED_BEFORE_RECEIPT,
    activity_both,
    announce,
    as_receiver,
    check_key_fields,
    check_mass,
    check_not_future,
    check_text,
    json_native,
    kg,
    ledger_append,
    lock_chains,
    transfer_of,
    transfer_parties,
    vault_upload,
)

# Key fields of the documents (vault names) -> the step's input they come from, for refusals.
ASSAY_INPUTS = {"report_number": "assay_report_number", "lot_code": "assay_lot", "laboratory": "assay_laboratory",
                "sample_date": "assay_sample_date", "elements": "lots"}
CERTIFICATE_INPUTS = {"certificate_number": "number", "shipment_reference": "number", "recycler": "number",
                      "treated_mass_kg": "number", "treated_on": "issued_on"}


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
        mass = check_mass(lot.mass_kg, "lots")
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


def _assayed_lot(lots: Sequence[LotInput], code: str) -> LotInput | None:
    """The lot the assay report is for: the one named, else the first black mass lot with an assay,
    else the first lot with one."""
    code = (code or "").strip()
    if code:
        return next((lot for lot in lots if lot.code == code), None)
    assayed = [lot for lot in lots if lot.elements]
    return next((lot for lot in assayed if lot.kind == LotKind.BLACK_MASS), assayed[0] if assayed else None)


def _register_lots(access: Access, clean: Sequence[LotInput], *, processed_on: date, notes: str,
                   inbound: Shipment | None, assay_revision_id: UUID | None) -> dict[str, MaterialLot]:
    """The lots in the receiver's register through the register's service (validation, activity entry):
    made from its inbound shipment; recovered materials refined from the black mass lots, so those first."""
    created: dict[str, MaterialLot] = {}
    black = [lot.code for lot in clean if lot.kind == LotKind.BLACK_MASS]
    for lot in sorted(clean, key=lambda item: item.kind != LotKind.BLACK_MASS):
        try:
            created[lot.code] = register.lot_create(
                access=access, code=lot.code, kind=lot.kind, mass_kg=lot.mass_kg, produced_on=processed_on,
                origin=MaterialOrigin.POST_CONSUMER, notes=notes,
                elements=[{"element": element, "percent": percent, "assay_revision_id": assay_revision_id}
                          for element, percent in lot.elements.items()],
                source_shipments=[inbound.reference] if inbound is not None else [],
                source_lots=black if lot.kind != LotKind.BLACK_MASS else [])
        except ApplicationError as error:  # e.g. a lot with the same code registered meanwhile
            raise type(error)(error.message, code=error.code, field="lots", extra=error.extra) from None
    return created


def transfer_record_processing(*, access: Access, transfer_id: UUID | str, processed_on: date,
                               lots: Sequence[LotInput], notes: str = "", assay_report: Any = None,
                               assay_laboratory: str = "", assay_sample_date: date | None = None,
                               assay_report_number: str = "", assay_lot: str = "") -> ProcessingRecord:
    """The receiver records what it recovered: lots (black mass, recovered materials) with their assays,
    created in its own register (through the register's service) and made from its inbound shipment. An
    assay report, when attached, goes into its vault as an `assay_report` for one lot (named, or the
    first black mass lot) with that lot's element contents; the lots' assays refer to it."""
    transfer = transfer_of(access, transfer_id, lock=False)
    as_receiver(access, transfer)
    _processable(transfer)
    clean = _check_lots(lots)
    notes = check_text(notes, "notes")
    check_not_future(processed_on, "processed_on")
    receipt = Receipt.objects.get(transfer=transfer)
    if processed_on < receipt.received_on:
        raise ApplicationError(MSG_PROCESSED_BEFORE_RECEIPT, code="processed_before_receipt", field="processed_on")
    black = sum((lot.mass_kg for lot in clean if lot.kind == LotKind.BLACK_MASS), Decimal(0))
    if black > receipt.net_mass_kg:
        raise ApplicationError(MSG_BLACK_MASS_EXCEEDS % {"black": kg(black), "received": kg(receipt.net_mass_kg)},
                               code="black_mass_exceeds_receipt", field="lots")
    _sender, receiver = transfer_parties(transfer)
    with schema_context(receiver.schema_name):
        taken = MaterialLot.objects.filter(code__in=[lot.code for lot in clean]).values_list("code", flat=True).first()
    if taken:
        raise ApplicationError(MSG_LOT_CODE_TAKEN % {"code": taken}, code="lot_code_taken", field="lots")
    assay_fields = None
    if assay_report is not None:
        assayed = _assayed_lot(clean, assay_lot)
        if assayed is None and (assay_lot or "").strip():
            raise ApplicationError(MSG_ASSAY_LOT_UNKNOWN, code="assay_lot_unknown", field="assay_lot")
        assay_fields = check_key_fields(EvidenceType.ASSAY_REPORT, {
            "report_number": check_text(assay_report_number, "assay_report_number"),
            "lot_code": assayed.code if assayed else "", "laboratory": check_text(assay_laboratory, "assay_laboratory"),
            "sample_date": assay_sample_date, "elements": dict(assayed.elements) if assayed else {}},
            file_field="assay_report", inputs=ASSAY_INPUTS)

    with vault.atomic_with_uploads():
        locked = transfer_of(access, transfer_id, lock=True)
        _processable(locked)
        sender, receiver = transfer_parties(locked)
        lock_chains(sender, receiver)
        actor = access.actor
        with schema_context(receiver.schema_name):
            inbound = Shipment.objects.filter(pk=locked.inbound_shipment_id).first()
            revision = None
            if assay_fields is not None:
                revision = vault_upload(
                    access=access, doc_type=EvidenceType.ASSAY_REPORT, upload=assay_report, file_field="assay_report",
                    inputs=ASSAY_INPUTS, key_fields=assay_fields, title=f"{locked.shipment_reference} · assay",
                    reference=assay_fields.get("report_number", ""), issuer=assay_fields["laboratory"],
                    links=vault.Links(shipments=[inbound] if inbound else []))
            created = _register_lots(access, clean, processed_on=processed_on, notes=f"custody transfer {locked.pk}",
                                     inbound=inbound, assay_revision_id=revision.pk if revision else None)
        summary = json_native({"lots": sorted(
            ({"id": created[lot.code].pk, "code": lot.code, "kind": lot.kind, "mass_kg": kg(lot.mass_kg),
              "elements": {el: str(pct) for el, pct in sorted(lot.elements.items())}}
             for lot in clean), key=lambda x: x["code"])})["lots"]
        lots_sha256 = sha256_hex(canonical_json(summary))
        record = ProcessingRecord.objects.create(
            transfer=locked, processed_on=processed_on, lots=summary, lots_sha256=lots_sha256, black_mass_kg=black,
            recovered_mass_kg=sum((lot.mass_kg for lot in clean if lot.kind != LotKind.BLACK_MASS), Decimal(0)),
            assay_revision_id=revision.pk if revision else None, assay_sha256=revision.sha256 if revision else "",
            notes=notes, recorded_by_id=actor.id, recorded_by_label=actor.label[:254])
        locked.status = TransferStatus.PROCESSED
        entry = ledger_append(transfer=locked, kind=LedgerKind.PROCESSED, organisation=receiver, actor=actor, payload={
            "processed_on": processed_on, "lots": summary, "lots_sha256": lots_sha256, "black_mass_kg": kg(black),
            "assay_revision_id": record.assay_revision_id, "assay_sha256": record.assay_sha256})
        locked.save(update_fields=["status", "ledger_length", "ledger_head", "updated_at"])
        activity_both(transfer=locked, parties=(sender, receiver), acting=receiver, actor=actor,
                      verb="custody.processed", entry=entry, data={"lots": len(summary), "black_mass_kg": kg(black)})
        announce(locked, LedgerKind.PROCESSED, sender, receiver)
    return record


def _certifiable(transfer: Transfer) -> None:
    if transfer.status == TransferStatus.CERTIFIED:
        raise ConflictError(MSG_ALREADY_CERTIFIED, code="already_certified")
    if transfer.status != TransferStatus.PROCESSED:
        raise ConflictError(MSG_NOT_PROCESSED, code="not_processed")


def transfer_issue_certificate(*, access: Access, transfer_id: UUID | str, number: str, issued_on: date,
                               statement: str = "", signed_file: Any = None) -> RecyclingCertificate:
    """The receiver issues its certificate of recycling for the transfer. Its content (parties, shipment,
    receipt, lots digest, statement, signed file's SHA-256) is hashed into the ledger; the signed file,
    when attached, goes into the receiver's vault as a `recycling_certificate` (treated mass: the received
    net mass; treated on: the processing date)."""
    transfer = transfer_of(access, transfer_id, lock=False)
    as_receiver(access, transfer)
    _certifiable(transfer)
    number = check_text(number, "number", required_msg=MSG_CERTIFICATE_NUMBER_REQUIRED,
                        code="certificate_number_required")[:64]
    statement = check_text(statement, "statement")
    check_not_future(issued_on, "issued_on")
    processing = ProcessingRecord.objects.get(transfer=transfer)
    if issued_on < processing.processed_on:
        raise ApplicationError(MSG_ISSUED_BEFORE_PROCESSING, code="issued_before_processing", field="issued_on")
    if RecyclingCertificate.objects.filter(issuer_id=transfer.receiver_id, number=number).exists():
        raise ApplicationError(MSG_CERTIFICATE_NUMBER_TAKEN, code="certificate_number_taken", field="number")
    _sender, receiver = transfer_parties(transfer)
    certificate_fields = None
    if signed_file is not None:
        receipt = Receipt.objects.get(transfer=transfer)
        certificate_fields = check_key_fields(EvidenceType.RECYCLING_CERTIFICATE, {
            "certificate_number": number, "shipment_reference": transfer.shipment_reference,
            "recycler": receiver.name_en, "treated_mass_kg": receipt.net_mass_kg,
            "treated_on": processing.processed_on}, file_field="signed_file", inputs=CERTIFICATE_INPUTS)

    with vault.atomic_with_uploads():
        locked = transfer_of(access, transfer_id, lock=True)
        _certifiable(locked)
        sender, receiver = transfer_parties(locked)
        lock_chains(sender, receiver)
        actor = access.actor
        receipt = Receipt.objects.get(transfer=locked)
        revision = None
        if certificate_fields is not None:
            with schema_context(receiver.schema_name):
                lots = list(MaterialLot.objects.filter(pk__in=[lot["id"] for lot in processing.lots]))
                inbound = list(Shipment.objects.filter(pk=locked.inbound_shipment_id))
                revision = vault_upload(
                    access=access, doc_type=EvidenceType.RECYCLING_CERTIFICATE, upload=signed_file,
                    file_field="signed_file", inputs=CERTIFICATE_INPUTS, key_fields=certificate_fields,
                    title=f"{number} · {locked.shipment_reference}", reference=number, issuer=receiver.name_en,
                    effective_date=issued_on, links=vault.Links(shipments=inbound, lots=lots))
        content = json_native({
            "number": number, "issued_on": issued_on, "issuer": receiver.pk, "issuer_name": receiver.name_en,
            "sender": sender.pk, "sender_name": sender.name_en, "transfer": locked.pk,
            "shipment_reference": locked.shipment_reference, "declaration_sha256": locked.declaration_sha256,
            "received_on": receipt.received_on, "received_net_mass_kg": kg(receipt.net_mass_kg),
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
        entry = ledger_append(transfer=locked, kind=LedgerKind.CERTIFIED, organisation=receiver, actor=actor, payload={
            "certificate_id": certificate.pk, "content": content, "content_sha256": certificate.content_sha256,
            "file_revision_id": certificate.file_revision_id})
        locked.save(update_fields=["status", "ledger_length", "ledger_head", "updated_at"])
        activity_both(transfer=locked, parties=(sender, receiver), acting=receiver, actor=actor,
                      verb="custody.certified", entry=entry, data={"number": number})
        announce(locked, LedgerKind.CERTIFIED, sender, receiver)
    return certificate
