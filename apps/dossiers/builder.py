"""Taking the snapshot: database -> frozen `Snapshot` (reads only; the one place dossiers query
other apps). Each section has its own builder function, so the sections of apps that land later
(checklists, custody ledger, findings) are wired by replacing one function body each.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet, Sum

from apps.evidence.models import Evidence, EvidenceRevision
from apps.traceability.models import BatteryModel, BatteryUnit, LotKind, MaterialLot, Shipment

from . import sections
from .snapshot import (
    ChecklistSection,
    Cover,
    CustodySection,
    EvidenceItem,
    FindingsSection,
    FlowLot,
    FlowShipment,
    MaterialFlow,
    Scope,
    ScopeKind,
    Snapshot,
    UnitRow,
)

MAX_LOT_DEPTH = 4  # black mass -> intermediate -> refined product: deeper chains are cut here


@dataclass(frozen=True)
class ScopeRef:
    """What the requester chose; resolved against the register by `resolve_scope`."""

    kind: str
    shipment: Shipment | None = None
    model: BatteryModel | None = None
    year: int | None = None
    plant: str = ""
    period_start: date | None = None
    period_end: date | None = None

    @property
    def object_id(self) -> UUID | None:
        if self.shipment is not None:
            return self.shipment.pk
        if self.model is not None:
            return self.model.pk
        return None

    @property
    def label(self) -> str:
        if self.kind == ScopeKind.SHIPMENT:
            return self.shipment.reference
        if self.kind == ScopeKind.MODEL_YEAR_PLANT:
            plant = f" · {self.plant}" if self.plant else ""
            return f"{self.model.code} · {self.year}{plant}"
        return f"{self.period_start.isoformat()} – {self.period_end.isoformat()}"


def _iso(value) -> str:
    if value is None:
        return ""
    return value.isoformat()


def _dec(value) -> str:
    return "" if value is None else str(value)


# --- what is in scope -----------------------------------------------------------------------

def scope_shipments(scope: ScopeRef) -> QuerySet[Shipment]:
    if scope.kind == ScopeKind.SHIPMENT:
        return Shipment.objects.filter(pk=scope.shipment.pk)
    if scope.kind == ScopeKind.MODEL_YEAR_PLANT:
        return Shipment.objects.filter(units__in=scope_units(scope)).distinct()
    return Shipment.objects.filter(dispatch_date__gte=scope.period_start, dispatch_date__lte=scope.period_end)


def scope_units(scope: ScopeRef) -> QuerySet[BatteryUnit]:
    if scope.kind == ScopeKind.SHIPMENT:
        return BatteryUnit.objects.filter(shipment_units__shipment=scope.shipment)
    if scope.kind == ScopeKind.MODEL_YEAR_PLANT:
        return BatteryUnit.objects.filter(model=scope.model, manufactured_on__year=scope.year)
    return BatteryUnit.objects.filter(shipment_units__shipment__in=scope_shipments(scope)).distinct()


def scope_lots(shipment_ids: list[UUID]) -> tuple[list[MaterialLot], list[MaterialLot]]:
    """(lots made from the shipments, lots refined from those, recursively), each joined."""
    first = list(MaterialLot.objects.filter(source_shipments__in=shipment_ids).distinct()
                 .prefetch_related("elements", "source_shipments", "source_lots").order_by("code"))
    seen = {lot.pk for lot in first}
    derived: list[MaterialLot] = []
    frontier = list(seen)
    for _depth in range(MAX_LOT_DEPTH):
        if not frontier:
            break
        batch = list(MaterialLot.objects.filter(source_lots__in=frontier).exclude(pk__in=seen).distinct()
                     .prefetch_related("elements", "source_shipments", "source_lots").order_by("code"))
        derived.extend(batch)
        seen.update(lot.pk for lot in batch)
        frontier = [lot.pk for lot in batch]
    return first, derived


# --- sections ---------------------------------------------------------------------------------

def units_section(scope: ScopeRef) -> tuple[UnitRow, ...]:
    rows = (scope_units(scope).order_by("code")
            .values_list("code", "scheme", "level", "status", "model__code", "manufactured_on", "mass_kg",
                         "original_code"))
    return tuple(UnitRow(code, scheme, level, status, model_code or "", _iso(made), _dec(mass), original or "")
                 for code, scheme, level, status, model_code, made, mass, original in rows.iterator(chunk_size=5000))


def evidence_section(scope: ScopeRef, shipment_ids: list[UUID], lot_ids: list[UUID]) -> tuple[EvidenceItem, ...]:
    links = Q(shipments__in=shipment_ids) | Q(lots__in=lot_ids)
    if scope.kind == ScopeKind.MODEL_YEAR_PLANT:
        links |= Q(battery_models=scope.model) | Q(units__in=scope_units(scope))
    elif scope.kind == ScopeKind.SHIPMENT:
        links |= Q(units__shipment_units__shipment=scope.shipment)
    evidence_ids = Evidence.objects.filter(links).values("pk").distinct()
    # The current (highest-numbered) revision of each document: DISTINCT ON (evidence_id).
    latest = (EvidenceRevision.objects.filter(evidence__in=evidence_ids).select_related("evidence")
              .order_by("evidence_id", "-number").distinct("evidence_id"))
    revisions = sorted(latest, key=lambda r: (r.evidence.doc_type, r.evidence.title, str(r.evidence_id)))
    items = []
    for revision in revisions:
        evidence = revision.evidence
        present = bool(revision.storage_name) and default_storage.exists(revision.storage_name)
        items.append(EvidenceItem(
            evidence_id=str(evidence.pk), revision_id=str(revision.pk), doc_type=evidence.doc_type,
            title=evidence.title, reference=evidence.reference, issuer=evidence.issuer, revision=revision.number,
            status=revision.status, effective_date=_iso(revision.effective_date),
            expiry_date=_iso(revision.expiry_date), uploaded_at=_iso(revision.created_at),
            uploaded_by=revision.uploaded_by_label, reviewed_by=revision.reviewed_by_label,
            reviewed_at=_iso(revision.reviewed_at), sha256=revision.sha256, size=revision.size,
            content_type=revision.content_type, original_filename=revision.original_filename,
            storage_name=revision.storage_name, file_present=present))
    return tuple(items)


def _flow_lot(lot: MaterialLot) -> FlowLot:
    sources = sorted([s.reference for s in lot.source_shipments.all()] + [s.code for s in lot.source_lots.all()])
    elements = tuple(sorted((e.element, str(e.percent)) for e in lot.elements.all()))
    return FlowLot(code=lot.code, kind=lot.kind, mass_kg=str(lot.mass_kg), origin=lot.origin,
                   custody_model=lot.custody_model, produced_on=_iso(lot.produced_on), sources=tuple(sources),
                   elements=elements)


def material_flow_section(shipments: list[Shipment], first: list[MaterialLot],
                          derived: list[MaterialLot]) -> MaterialFlow:
    masses = {row["pk"]: row["total"] for row in
              Shipment.objects.filter(pk__in=[s.pk for s in shipments]).values("pk")
              .annotate(total=Sum("masses__net_mass_kg"))}
    black = [lot for lot in first if lot.kind == LotKind.BLACK_MASS]
    recovered = [lot for lot in first if lot.kind != LotKind.BLACK_MASS] + derived
    return MaterialFlow(
        shipments=tuple(FlowShipment(s.reference, str(masses.get(s.pk) or Decimal("0.000")))
                        for s in sorted(shipments, key=lambda s: s.reference)),
        black_mass=tuple(_flow_lot(lot) for lot in black),
        recovered=tuple(_flow_lot(lot) for lot in sorted(recovered, key=lambda lot: lot.code)))


def checklist_section(scope: ScopeRef) -> ChecklistSection:
    """Wire after the checklists branch merges: read the latest evaluation of this scope
    (apps.checklists selectors) and map each requirement result to `RequirementResult`
    (code, titles zh/en, status, reasons zh/en, evidence ids). Until then: not available."""
    return sections.checklist_unavailable()


def custody_section(scope: ScopeRef) -> CustodySection:
    """Wire after the custody branch merges: the ledger entries of the transfers of the shipments
    in scope, in chain order, mapped to `LedgerEntry` (sequence, at, kind, party, summaries, hashes),
    with the ledger head. Until then: not available."""
    return sections.custody_unavailable()


def findings_section(scope: ScopeRef) -> FindingsSection:
    """Wire after the audits branch merges: findings raised on requirements/evidence of this scope
    with their answers, mapped to `Finding` / `Answer`. Until then: not available."""
    return sections.findings_unavailable()


def protocol_versions(scope: ScopeRef) -> tuple:
    """Wire with the checklists: the protocol files (id, version) the evaluation used."""
    return ()


def cover_facts(scope: ScopeRef, shipments: list[Shipment]) -> tuple[tuple[str, str], ...]:
    if scope.kind == ScopeKind.SHIPMENT:
        s = scope.shipment
        facts = [("fact_reference", s.reference), ("fact_direction", s.get_direction_display()),
                 ("fact_counterparty", " ".join(p for p in (s.counterparty_name, s.counterparty_country) if p)),
                 ("fact_route", f"{s.origin_country or '?'} → {s.destination_country or '?'}"),
                 ("fact_dates", f"{_iso(s.dispatch_date) or '–'} / {_iso(s.arrival_date) or '–'}")]
        if s.hs_code or s.un_number:
            facts.append(("fact_hs_un", f"{s.hs_code or '–'} / {s.un_number or '–'}"))
        if s.waste_code:
            facts.append(("fact_waste_code", s.waste_code))
        return tuple((k, str(v)) for k, v in facts)
    if scope.kind == ScopeKind.MODEL_YEAR_PLANT:
        return (("fact_model", f"{scope.model.code} {scope.model.name}"), ("fact_year", str(scope.year)),
                ("fact_plant", scope.plant or scope.model.manufacturing_plant or "–"))
    return (("fact_period", scope.label), ("fact_shipments", str(len(shipments))))


def build_snapshot(*, scope: ScopeRef, dossier_id: UUID, organisation, language: str, issuer_label: str,
                   issued_at: datetime) -> Snapshot:
    shipments = list(scope_shipments(scope).order_by("reference"))
    shipment_ids = [s.pk for s in shipments]
    first, derived = scope_lots(shipment_ids)
    lot_ids = [lot.pk for lot in first + derived]
    cover = Cover(
        dossier_id=str(dossier_id), organisation_id=str(organisation.pk),
        organisation_name_en=organisation.name_en, organisation_name_zh=organisation.name_zh,
        organisation_country=organisation.country, organisation_uscc=organisation.uscc,
        organisation_eori=organisation.eori,
        scope=Scope(kind=scope.kind, label=scope.label,
                    shipment_id=str(scope.shipment.pk) if scope.shipment else "",
                    model_id=str(scope.model.pk) if scope.model else "", year=scope.year or 0, plant=scope.plant,
                    period_start=_iso(scope.period_start), period_end=_iso(scope.period_end)),
        facts=cover_facts(scope, shipments), protocol_versions=protocol_versions(scope),
        issued_at=issued_at.isoformat(timespec="seconds"), issuer_label=issuer_label, language=language)
    return Snapshot(cover=cover, checklist=checklist_section(scope),
                    evidence=evidence_section(scope, shipment_ids, lot_ids), custody=custody_section(scope),
                    material_flow=material_flow_section(shipments, first, derived), units=units_section(scope),
                    findings=findings_section(scope))
