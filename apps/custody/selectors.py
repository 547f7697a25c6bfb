"""Reads of the custody ledger. Transfers live in the public schema, so every read takes the organisation
and answers the same None for "missing" and "not yours": only the two parties ever see a transfer.

`shipment_scope` (from an auditor's engagement, `Access.shipment_scope`) narrows what is visible further:
outgoing transfers by the sender's shipment id, incoming ones by the receiver's inbound shipment id.
"""
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django_tenants.utils import schema_context

from apps.accounts.models import Membership
from apps.evidence.models import EvidenceRevision, EvidenceType, RevisionStatus
from apps.tenants.models import Organisation, OrganisationKind
from apps.traceability.models import Shipment, ShipmentDirection, ShipmentStatus, ShipmentUnit

from . import ledger
from .facts import CustodyFacts, DiscrepancyFact, LotFact, ReceiptForReporting, ReceiptSource, TimelineEntry
from .models import Discrepancy, DiscrepancyComment, DiscrepancyStatus, LedgerEntry, Transfer, TransferStatus

Direction = Literal["outgoing", "incoming"]


def _scoped(qs: QuerySet[Transfer], organisation: Organisation,
            shipment_scope: frozenset[UUID] | None) -> QuerySet[Transfer]:
    if shipment_scope is None:
        return qs.filter(Q(sender=organisation) | Q(receiver=organisation))
    return qs.filter(Q(sender=organisation, shipment_id__in=shipment_scope)
                     | Q(receiver=organisation, inbound_shipment_id__in=shipment_scope))


def _with_parties(qs: QuerySet[Transfer]) -> QuerySet[Transfer]:
    joined = Membership.objects.filter(organisation_id=OuterRef("receiver_id"))
    return (qs.select_related("sender", "receiver", "receipt", "paper_receipt", "processing", "certificate")
            .annotate(receiver_joined=Exists(joined),
                      open_discrepancies=Count("discrepancies", filter=Q(discrepancies__status=DiscrepancyStatus.OPEN),
                                               distinct=True)))


def transfer_list(*, organisation: Organisation, direction: Direction,
                  shipment_scope: frozenset[UUID] | None = None) -> QuerySet[Transfer]:
    qs = _scoped(Transfer.objects.all(), organisation, shipment_scope)
    qs = qs.filter(sender=organisation) if direction == "outgoing" else qs.filter(receiver=organisation)
    return _with_parties(qs).order_by("-dispatched_at", "-id")


def transfer_get(*, organisation: Organisation, transfer_id: UUID | str,
                 shipment_scope: frozenset[UUID] | None = None) -> Transfer | None:
    """The transfer with everything its page shows, or None when it is missing or not a party's."""
    comments = DiscrepancyComment.objects.select_related("organisation").order_by("created_at")
    discrepancies = (Discrepancy.objects.select_related("opened_by", "resolved_by")
                     .prefetch_related(Prefetch("comments", queryset=comments)).order_by("created_at"))
    entries = LedgerEntry.objects.select_related("organisation").order_by("seq")
    qs = _with_parties(_scoped(Transfer.objects.filter(pk=transfer_id), organisation, shipment_scope))
    return qs.prefetch_related(Prefetch("discrepancies", queryset=discrepancies),
                               Prefetch("ledger", queryset=entries)).first()


def discrepancy_get(*, organisation: Organisation, discrepancy_id: UUID | str) -> Discrepancy | None:
    return (Discrepancy.objects.filter(pk=discrepancy_id)
            .filter(Q(transfer__sender=organisation) | Q(transfer__receiver=organisation))
            .select_related("transfer").first())


def recycler_choices(*, organisation: Organisation) -> QuerySet[Organisation]:
    """Recyclers a transfer may be dispatched to: active, not the sender; `joined` says whether anyone
    has accepted an invitation yet (an invited recycler sees its transfers once it joins)."""
    joined = Membership.objects.filter(organisation_id=OuterRef("pk"))
    return (Organisation.objects.filter(kind=OrganisationKind.RECYCLER, is_active=True)
            .exclude(pk=organisation.pk).annotate(joined=Exists(joined)).order_by("name_en"))


def dispatchable_shipments(*, organisation: Organisation,
                           shipment_scope: frozenset[UUID] | None = None) -> list[Shipment]:
    """The sender's outbound shipments still in draft and never dispatched (read in its schema)."""
    dispatched = set(Transfer.objects.filter(sender=organisation).values_list("shipment_id", flat=True))
    with schema_context(organisation.schema_name):
        qs = Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND, status=ShipmentStatus.DRAFT)
        if shipment_scope is not None:
            qs = qs.filter(pk__in=shipment_scope)
        return [s for s in qs.order_by("reference") if s.pk not in dispatched]


def manifest_revisions(*, organisation: Organisation, shipment_id: UUID | str) -> list[EvidenceRevision]:
    """Transport manifest revisions of the shipment that may be bound to a dispatch (not rejected or
    superseded): accepted ones first, then newest first (the first is the default of a dispatch)."""
    with schema_context(organisation.schema_name):
        return list(EvidenceRevision.objects.filter(
            evidence__doc_type=EvidenceType.TRANSPORT_MANIFEST, evidence__shipments=shipment_id,
            status__in=[RevisionStatus.SUBMITTED, RevisionStatus.ACCEPTED],
        ).select_related("evidence").order_by(
            Case(When(status=RevisionStatus.ACCEPTED, then=Value(0)), default=Value(1)), "-created_at", "-number"))


def custody_counts(*, organisation: Organisation) -> dict[str, int]:
    """Figures of the dashboard panel, in one query."""
    return Transfer.objects.aggregate(
        incoming_waiting=Count("pk", distinct=True,
                               filter=Q(receiver=organisation, status=TransferStatus.DISPATCHED)),
        outgoing_waiting=Count("pk", distinct=True, filter=Q(sender=organisation, status=TransferStatus.DISPATCHED)),
        open_discrepancies=Count("discrepancies", filter=(Q(sender=organisation) | Q(receiver=organisation))
                                 & Q(discrepancies__status=DiscrepancyStatus.OPEN)),
    )


# --- facts for other capabilities -------------------------------------------------------------

def _facts(transfer: Transfer, organisation: Organisation, shipment_id: UUID) -> CustodyFacts:
    receipt = getattr(transfer, "receipt", None)
    paper = getattr(transfer, "paper_receipt", None)
    processing = getattr(transfer, "processing", None)
    certificate = getattr(transfer, "certificate", None)
    if receipt is not None:
        source, received_on, mass, units, document = (ReceiptSource.COUNTERPARTY, receipt.received_on,
                                                      receipt.net_mass_kg, receipt.unit_count, receipt.ticket_sha256)
    elif paper is not None:
        source, received_on, mass, units, document = (ReceiptSource.PAPER, paper.received_on, paper.net_mass_kg,
                                                      paper.unit_count, paper.sha256)
    else:
        source, received_on, mass, units, document = None, None, None, None, ""
    lots = tuple(
        LotFact(code=lot["code"], kind=lot["kind"], mass_kg=Decimal(lot["mass_kg"]),
                elements=tuple(sorted((el, Decimal(pct)) for el, pct in lot["elements"].items())))
        for lot in (processing.lots if processing else []))
    return CustodyFacts(
        shipment_id=shipment_id, transfer_id=transfer.pk,
        role="sender" if transfer.sender_id == organisation.pk else "receiver",
        status=transfer.status, sender_id=transfer.sender_id, sender_name=transfer.sender.name_en,
        receiver_id=transfer.receiver_id, receiver_name=transfer.receiver.name_en,
        receiver_joined=transfer.receiver_joined, dispatched_on=transfer.dispatched_on,
        declared_net_mass_kg=transfer.declared_net_mass_kg,
        declared_masses=tuple(sorted((chem, Decimal(kg)) for chem, kg in transfer.declared_masses.items())),
        declared_unit_count=transfer.declared_unit_count, unit_codes_sha256=transfer.unit_codes_sha256,
        manifest_sha256=transfer.manifest_sha256, declaration_sha256=transfer.declaration_sha256,
        confirmed_by_counterparty=receipt is not None, receipt_source=source, received_on=received_on,
        received_net_mass_kg=mass, received_unit_count=units, receipt_document_sha256=document,
        discrepancies=tuple(
            DiscrepancyFact(id=d.pk, kind=d.kind, status=d.status, reason=d.reason,
                            declared_net_mass_kg=d.declared_net_mass_kg, received_net_mass_kg=d.received_net_mass_kg,
                            declared_unit_count=d.declared_unit_count, received_unit_count=d.received_unit_count,
                            opened_at=d.created_at, resolution=d.resolution, resolved_at=d.resolved_at)
            for d in transfer.discrepancies.all()),
        processed_on=processing.processed_on if processing else None,
        black_mass_kg=processing.black_mass_kg if processing else None,
        lots=lots, lots_sha256=processing.lots_sha256 if processing else "",
        certificate_number=certificate.number if certificate else "",
        certificate_issued_on=certificate.issued_on if certificate else None,
        certificate_sha256=certificate.content_sha256 if certificate else "",
        ledger_length=transfer.ledger_length, ledger_head=transfer.ledger_head,
    )


def _party_filter(organisation: Organisation, shipment_ids: Iterable[UUID | str]) -> Q | None:
    ids = {UUID(str(i)) for i in shipment_ids}
    if not ids:
        return None
    return Q(sender=organisation, shipment_id__in=ids) | Q(receiver=organisation, inbound_shipment_id__in=ids)


def _own_shipment_id(transfer_sender_id: UUID, organisation: Organisation, shipment_id: UUID,
                     inbound_shipment_id: UUID | None) -> UUID | None:
    return shipment_id if transfer_sender_id == organisation.pk else inbound_shipment_id


def _transfers_for_shipments(organisation: Organisation, shipment_ids: Iterable[UUID | str]) -> dict[UUID, Transfer]:
    condition = _party_filter(organisation, shipment_ids)
    if condition is None:
        return {}
    qs = _with_parties(Transfer.objects.filter(condition))
    qs = qs.prefetch_related(Prefetch("discrepancies", queryset=Discrepancy.objects.order_by("created_at")))
    return {_own_shipment_id(t.sender_id, organisation, t.shipment_id, t.inbound_shipment_id): t for t in qs}


def custody_facts_for_shipments(*, organisation: Organisation,
                                shipment_ids: Iterable[UUID | str]) -> dict[UUID, CustodyFacts]:
    """Custody facts of the organisation's shipments, keyed by shipment id (outbound shipments it sent,
    or inbound shipments it received through a transfer). Shipments without a transfer are absent.
    Three queries whatever the number of shipments."""
    return {shipment_id: _facts(transfer, organisation, shipment_id)
            for shipment_id, transfer in _transfers_for_shipments(organisation, shipment_ids).items()}


def custody_timeline_for_shipments(*, organisation: Organisation,
                                   shipment_ids: Iterable[UUID | str]) -> dict[UUID, tuple[TimelineEntry, ...]]:
    """The ledger entries of each shipment's transfer, in order, keyed by shipment id. Two queries."""
    condition = _party_filter(organisation, shipment_ids)
    if condition is None:
        return {}
    shipment_of = {pk: _own_shipment_id(sender_id, organisation, shipment_id, inbound_id)
                   for pk, sender_id, shipment_id, inbound_id in Transfer.objects.filter(condition).values_list(
                       "pk", "sender_id", "shipment_id", "inbound_shipment_id")}
    by_transfer: dict[UUID, list[TimelineEntry]] = {pk: [] for pk in shipment_of}
    entries = (LedgerEntry.objects.filter(transfer_id__in=list(shipment_of))
               .select_related("organisation").order_by("transfer_id", "seq"))
    for e in entries:
        by_transfer[e.transfer_id].append(TimelineEntry(
            transfer_id=e.transfer_id, seq=e.seq, kind=e.kind, at=e.at, organisation_id=e.organisation_id,
            organisation_name=e.organisation.name_en, actor_label=e.actor_label, payload=e.payload,
            payload_sha256=e.payload_sha256, prev_hash=e.prev_hash, hash=e.hash))
    return {shipment_of[pk]: tuple(rows) for pk, rows in by_transfer.items()}


def custody_receipts_for_reporting(*, organisation: Organisation,
                                   transfer_ids: Iterable[UUID | str] | None = None) -> list[ReceiptForReporting]:
    """The receipts the organisation confirmed as receiver (optionally only these transfers), with the unit
    codes of the sender's shipment read from the sender's schema. One query, plus one per sender."""
    qs = (Transfer.objects.filter(receiver=organisation, receipt__isnull=False)
          .select_related("sender", "receipt").order_by("dispatched_at", "id"))
    if transfer_ids is not None:
        qs = qs.filter(pk__in=[UUID(str(i)) for i in transfer_ids])
    transfers = list(qs)
    codes: dict[UUID, list[tuple[str, str]]] = {t.pk: [] for t in transfers}
    by_sender: dict[str, dict[UUID, UUID]] = {}
    for t in transfers:
        by_sender.setdefault(t.sender.schema_name, {})[t.shipment_id] = t.pk
    for schema_name, transfer_of in by_sender.items():
        with schema_context(schema_name):
            rows = (ShipmentUnit.objects.filter(shipment_id__in=list(transfer_of))
                    .values_list("shipment_id", "unit__code", "unit__original_code").order_by("unit__code"))
            for shipment_id, code, original in rows:
                codes[transfer_of[shipment_id]].append((code, original))
    return [ReceiptForReporting(
        transfer_id=t.pk, shipment_reference=t.shipment_reference, received_on=t.receipt.received_on,
        sender_name=t.sender.name_en, net_mass_kg=t.receipt.net_mass_kg, unit_codes=tuple(c for c, _o in codes[t.pk]),
        original_codes=tuple(o for _c, o in codes[t.pk]), inbound_shipment_id=t.inbound_shipment_id)
        for t in transfers]


# --- verification -------------------------------------------------------------------------------

ROW_FIELDS = ("id", "transfer_id", "seq", "kind", "at", "organisation_id", "actor_id", "actor_label", "channel",
              "payload", "payload_sha256", "prev_hash", "hash", "transfer__ledger_length", "transfer__ledger_head")


def ledger_rows(qs: QuerySet[LedgerEntry], chunk_size: int) -> Iterator[ledger.Row]:
    # A server-side cursor (iterator) streams the entries: memory stays flat however long the ledger.
    for values in qs.order_by("transfer_id", "seq").values_list(*ROW_FIELDS).iterator(chunk_size=chunk_size):
        yield ledger.Row(*values)


def ledger_verify(*, organisation: Organisation | None = None, transfer_id: UUID | str | None = None,
                  chunk_size: int = 2000) -> ledger.Verification:
    """Verify the chains of every transfer (organisation None: the whole ledger, for the command), of the
    organisation's transfers, or of one transfer; name the first broken entry."""
    transfers = Transfer.objects.all()
    if organisation is not None:
        transfers = transfers.filter(Q(sender=organisation) | Q(receiver=organisation))
    if transfer_id is not None:
        transfers = transfers.filter(pk=transfer_id)
    result = ledger.verify(ledger_rows(LedgerEntry.objects.filter(transfer__in=transfers), chunk_size))
    if result.intact:
        # A transfer whose entries were all removed leaves no row to walk: compare the counts.
        emptied = (transfers.filter(ledger_length__gt=0).annotate(n=Count("ledger")).filter(n=0)
                   .order_by("dispatched_at").values_list("pk", flat=True).first())
        if emptied is not None:
            return ledger.Verification(result.entries, result.transfers,
                                       ledger.Break(None, emptied, None, ledger.BreakReason.TRUNCATED))
    return result
