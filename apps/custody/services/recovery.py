"""What the receiver made of the transfer: the processing outcome and the certificate of recycling."""
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.core.errors import ApplicationError, ConflictError
from apps.core.hashing import canonical_json, sha256_hex
from apps.evidence.models import EvidenceType
from apps.traceability.models import (
    Element,
    LotElement,
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
from ..storage import StoredFile
from ..vault import evidence_file_add
from .common import (
    MSG_ALREADY_CERTIFIED,
    MSG_ALREADY_PROCESSED,
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
    as_receiver,
    check_mass,
    check_not_future,
    check_text,
    evidence_source,
    json_native,
    kg,
    ledger_append,
    transfer_of,
    transfer_parties,
    with_file,
)


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


def transfer_record_processing(*, access: Access, transfer_id: UUID | str, processed_on: date,
                               lots: Sequence[LotInput], notes: str = "",
                               assay_report: UploadedFile | None = None) -> ProcessingRecord:
    """The receiver records what it recovered: lots (black mass, recovered materials) with their assays,
    created in its own register and linked to its inbound shipment; the optional assay report goes into
    its vault. Recovered-material lots are recorded as refined from the transfer's black mass lots."""
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

    @transaction.atomic
    def step(stored: StoredFile | None) -> ProcessingRecord:
        locked = transfer_of(access, transfer_id, lock=True)
        _processable(locked)
        sender, receiver = transfer_parties(locked)
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
                    actor=actor, source=evidence_source(actor), issuer=receiver.name_en, effective_date=processed_on,
                    shipments=[inbound] if inbound else [], lots=created)
            LotElement.objects.bulk_create(
                LotElement(lot=material, element=element, percent=percent,
                           assay_revision_id=revision.pk if revision else None)
                for material, lot in zip(created, clean, strict=True) for element, percent in lot.elements.items())
        summary = json_native({"lots": sorted(
            ({"id": m.pk, "code": lot.code, "kind": lot.kind, "mass_kg": kg(lot.mass_kg),
              "elements": {el: str(pct) for el, pct in sorted(lot.elements.items())}}
             for m, lot in zip(created, clean, strict=True)), key=lambda x: x["code"])})["lots"]
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
        return record

    return with_file(assay_report, receiver.schema_name, "assay_report", required=False, step=step)


def _certifiable(transfer: Transfer) -> None:
    if transfer.status == TransferStatus.CERTIFIED:
        raise ConflictError(MSG_ALREADY_CERTIFIED, code="already_certified")
    if transfer.status != TransferStatus.PROCESSED:
        raise ConflictError(MSG_NOT_PROCESSED, code="not_processed")


def transfer_issue_certificate(*, access: Access, transfer_id: UUID | str, number: str, issued_on: date,
                               statement: str = "", signed_file: UploadedFile | None = None) -> RecyclingCertificate:
    """The receiver issues its certificate of recycling for the transfer. Its content (parties, shipment,
    receipt, lots digest, statement, signed file's SHA-256) is hashed into the ledger."""
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

    @transaction.atomic
    def step(stored: StoredFile | None) -> RecyclingCertificate:
        locked = transfer_of(access, transfer_id, lock=True)
        _certifiable(locked)
        sender, receiver = transfer_parties(locked)
        actor = access.actor
        receipt = Receipt.objects.get(transfer=locked)
        revision = None
        if stored is not None:
            with schema_context(receiver.schema_name):
                lots = list(MaterialLot.objects.filter(pk__in=[lot["id"] for lot in processing.lots]))
                inbound = list(Shipment.objects.filter(pk=locked.inbound_shipment_id))
                revision = evidence_file_add(
                    doc_type=EvidenceType.RECYCLING_CERTIFICATE, title=f"{number} · {locked.shipment_reference}",
                    stored=stored, actor=actor, source=evidence_source(actor), reference=number,
                    issuer=receiver.name_en, effective_date=issued_on, shipments=inbound, lots=lots)
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
        return certificate

    return with_file(signed_file, receiver.schema_name, "signed_file", required=False, step=step)
