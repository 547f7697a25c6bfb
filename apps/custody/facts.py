"""What the custody ledger tells other capabilities about a shipment, as frozen dataclasses.

Checklists (receipt and certificate requirements) and dossiers (custody timeline) consume these through
`apps.custody.selectors.custody_facts_for_shipments` and `custody_timeline_for_shipments`; they are plain
values, so pure evaluation and snapshot code can use them without a database.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID


class ReceiptSource:
    COUNTERPARTY = "counterparty"  # confirmed by the receiving organisation on the platform (strong)
    PAPER = "paper"  # a paper receipt uploaded by the sender: unconfirmed by the counterparty (weaker)


@dataclass(frozen=True)
class DiscrepancyFact:
    id: UUID
    kind: str  # "tolerance" (opened automatically) or "dispute"
    status: str  # "open" or "resolved"
    reason: str
    declared_net_mass_kg: Decimal
    received_net_mass_kg: Decimal | None
    declared_unit_count: int
    received_unit_count: int | None
    opened_at: datetime
    resolution: str
    resolved_at: datetime | None


@dataclass(frozen=True)
class LotFact:
    code: str
    kind: str  # apps.traceability.models.LotKind value
    mass_kg: Decimal
    elements: tuple[tuple[str, Decimal], ...]  # (element symbol, percent), sorted by symbol


@dataclass(frozen=True)
class CustodyFacts:
    """The custody state of one shipment, seen by `organisation` (its sender or its receiver)."""

    shipment_id: UUID  # the id the facts were asked for (sender's shipment or receiver's inbound shipment)
    transfer_id: UUID
    role: str  # "sender" or "receiver": which side the asking organisation is on
    status: str  # apps.custody.models.TransferStatus value
    sender_id: UUID
    sender_name: str
    receiver_id: UUID
    receiver_name: str
    receiver_joined: bool  # the receiving organisation has at least one member
    dispatched_on: date
    declared_net_mass_kg: Decimal
    declared_masses: tuple[tuple[str, Decimal], ...]  # (chemistry, kg), sorted by chemistry
    declared_unit_count: int
    unit_codes_sha256: str
    manifest_sha256: str
    declaration_sha256: str
    # Receipt: confirmed by the counterparty, or only a paper receipt uploaded by the sender.
    confirmed_by_counterparty: bool
    receipt_source: str | None  # ReceiptSource value, None when nothing was received yet
    received_on: date | None
    received_net_mass_kg: Decimal | None
    received_unit_count: int | None
    receipt_document_sha256: str  # weighbridge ticket (counterparty) or paper receipt (sender); "" if none
    discrepancies: tuple[DiscrepancyFact, ...]
    processed_on: date | None
    black_mass_kg: Decimal | None
    lots: tuple[LotFact, ...]
    lots_sha256: str
    certificate_number: str
    certificate_issued_on: date | None
    certificate_sha256: str
    ledger_length: int
    ledger_head: str

    @property
    def has_discrepancy(self) -> bool:
        return bool(self.discrepancies)

    @property
    def has_open_discrepancy(self) -> bool:
        return any(d.status == "open" for d in self.discrepancies)

    @property
    def certified(self) -> bool:
        return bool(self.certificate_number)


@dataclass(frozen=True)
class TimelineEntry:
    """One ledger entry of a transfer, for timelines (pages, dossiers)."""

    transfer_id: UUID
    seq: int
    kind: str  # apps.custody.models.LedgerKind value
    at: datetime
    organisation_id: UUID
    organisation_name: str
    actor_label: str
    payload: dict
    payload_sha256: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ReceiptForReporting:
    """A receipt confirmed by the recycler on the platform, as the recycler reports it to the traceability
    platform ("waste batteries received"): exports turns it into a reporting event in the recycler's schema."""
    transfer_id: UUID
    shipment_reference: str  # the sender's reference
    received_on: date
    sender_name: str
    net_mass_kg: Decimal
    unit_codes: tuple[str, ...]  # the codes of the sender's shipment (what the digest in the ledger covers)
    original_codes: tuple[str, ...]
    inbound_shipment_id: UUID | None  # the recycler's own register row for what arrived
