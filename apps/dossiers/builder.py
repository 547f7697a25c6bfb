"""Taking the snapshot: database -> frozen `Snapshot` (reads only; the one place dossiers query
other apps). Each section has its own builder function reading the app that owns the data: the
register and the vault, the checklist evaluations (apps.checklists), the custody ledger
(apps.custody) and the auditors' findings (apps.audits). What is in scope (shipments, lots, the
organisation) is resolved once (`scope_contents`) and shared by the sections; the number of queries
does not grow with the number of units, shipments, transfers or findings.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Sum

from apps.audits.findings.models import MessageKind
from apps.audits.findings.selectors import finding_threads
from apps.checklists.facts import facts_digest, model_year_scope_id
from apps.checklists.models import RequirementResult as ChecklistResult
from apps.checklists.models import ScopeKind as ChecklistScope
from apps.checklists.models import ScopeStatus
from apps.checklists.protocol import registry as checklist_registry
from apps.checklists.snapshot import declared_year, model_year_facts
from apps.core.hashing import sha256_hex
from apps.custody import ledger
from apps.custody.facts import CustodyFacts, TimelineEntry
from apps.custody.ledger import Verification
from apps.custody.models import LedgerEntry as CustodyLedgerEntry
from apps.custody.selectors import custody_facts_for_shipments, custody_timeline_for_shipments, ledger_rows
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType, RevisionStatus
from apps.tenants.models import Organisation
from apps.traceability.models import BatteryModel, BatteryUnit, LotKind, MaterialLot, MaterialOrigin, Shipment

from . import ledger_text, sections
from .snapshot import (
    Answer,
    ChecklistSection,
    Cover,
    CustodySection,
    CustodyTransfer,
    DeclaredShare,
    EvaluationSummary,
    EvidenceItem,
    Finding,
    FindingsSection,
    FlowLot,
    FlowShipment,
    LedgerEntry,
    MaterialFlow,
    ProtocolVersion,
    RecycledDeclaration,
    RecycledSection,
    RequirementResult,
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


@dataclass(frozen=True)
class ScopeContents:
    """What a scope holds, resolved once and shared by the section builders."""

    organisation: Any
    shipments: tuple[Shipment, ...]
    first: tuple[MaterialLot, ...]  # lots made from the shipments
    derived: tuple[MaterialLot, ...]  # lots refined from those

    @property
    def shipment_ids(self) -> list[UUID]:
        return [s.pk for s in self.shipments]

    @property
    def lot_ids(self) -> list[UUID]:
        return [lot.pk for lot in self.first + self.derived]


def scope_contents(scope: ScopeRef, organisation: Any = None) -> ScopeContents:
    if organisation is None:
        organisation = Organisation.objects.get(schema_name=connection.schema_name)
    shipments = tuple(scope_shipments(scope).order_by("reference"))
    first, derived = scope_lots([s.pk for s in shipments])
    return ScopeContents(organisation=organisation, shipments=shipments, first=tuple(first), derived=tuple(derived))


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


def _custody_lots(shipment: Shipment, facts: CustodyFacts, known: set[str]) -> list[FlowLot]:
    """Lots the recycler recorded in custody for this shipment and that are not in this organisation's
    register (the sender's view: the lots live in the recycler's register)."""
    black_codes = tuple(sorted(lot.code for lot in facts.lots if lot.kind == LotKind.BLACK_MASS))
    recorded_by = facts.receiver_name if facts.role == "sender" else ""
    lots = []
    for lot in facts.lots:
        if lot.code in known:
            continue
        black = lot.kind == LotKind.BLACK_MASS
        lots.append(FlowLot(
            code=lot.code, kind=lot.kind, mass_kg=_dec(lot.mass_kg), origin=MaterialOrigin.POST_CONSUMER.value,
            custody_model="", produced_on=_iso(facts.processed_on),
            sources=(shipment.reference,) if black or not black_codes else black_codes,
            elements=tuple((element, _dec(percent)) for element, percent in lot.elements), recorded_by=recorded_by))
    return lots


def material_flow_section(shipments: list[Shipment], first: list[MaterialLot], derived: list[MaterialLot],
                          custody: dict[UUID, CustodyFacts] | None = None) -> MaterialFlow:
    """Used batteries (declared, and received per the custody ledger) -> black mass -> recovered
    materials, from the register's lots and the lots recorded in custody for the shipments."""
    custody = custody or {}
    masses = {row["pk"]: row["total"] for row in
              Shipment.objects.filter(pk__in=[s.pk for s in shipments]).values("pk")
              .annotate(total=Sum("masses__net_mass_kg"))}
    lots = [_flow_lot(lot) for lot in list(first) + list(derived)]
    known = {lot.code for lot in lots}
    for shipment in sorted(shipments, key=lambda s: s.reference):
        facts = custody.get(shipment.pk)
        if facts is not None:
            added = _custody_lots(shipment, facts, known)
            known.update(lot.code for lot in added)
            lots.extend(added)
    flow_shipments = []
    for s in sorted(shipments, key=lambda s: s.reference):
        facts = custody.get(s.pk)
        received = facts.received_net_mass_kg if facts is not None else None
        flow_shipments.append(FlowShipment(s.reference, str(masses.get(s.pk) or Decimal("0.000")), _dec(received)))
    return MaterialFlow(
        shipments=tuple(flow_shipments),
        black_mass=tuple(sorted((lot for lot in lots if lot.kind == LotKind.BLACK_MASS), key=lambda lot: lot.code)),
        recovered=tuple(sorted((lot for lot in lots if lot.kind != LotKind.BLACK_MASS), key=lambda lot: lot.code)))


# --- checklists ------------------------------------------------------------------------------

CHECKLIST_KIND_ORDER = {ChecklistScope.SHIPMENT: 0, ChecklistScope.MATERIAL_LOT: 1, ChecklistScope.BATTERY_MODEL: 2,
                        ChecklistScope.MODEL_YEAR: 3}
ART8_PROTOCOL = "eu-art8-recycled-content"


def checklist_scopes(scope: ScopeRef, contents: "ScopeContents") -> list[tuple[str, str]]:
    """The checklist scopes a dossier scope covers: its shipments and the lots made from them, or the
    battery model and its model-year."""
    if scope.kind == ScopeKind.MODEL_YEAR_PLANT:
        return [(ChecklistScope.BATTERY_MODEL, str(scope.model.pk)),
                (ChecklistScope.MODEL_YEAR, model_year_scope_id(str(scope.model.pk), scope.year))]
    return ([(ChecklistScope.SHIPMENT, str(pk)) for pk in contents.shipment_ids]
            + [(ChecklistScope.MATERIAL_LOT, str(pk)) for pk in contents.lot_ids])


def latest_evaluations(scopes: list[tuple[str, str]]) -> list[ScopeStatus]:
    """The latest evaluation of every protocol on these scopes, with their results (two queries)."""
    if not scopes:
        return []
    by_kind: dict[str, list[str]] = {}
    for kind, scope_id in scopes:
        by_kind.setdefault(kind, []).append(scope_id)
    condition = Q(pk__in=[])
    for kind, ids in by_kind.items():
        condition |= Q(scope_kind=kind, scope_id__in=ids)
    statuses = (ScopeStatus.objects.filter(condition).select_related("evaluation")
                .prefetch_related(Prefetch("evaluation__results",
                                           queryset=ChecklistResult.objects.order_by("position"))))
    return sorted(statuses, key=lambda s: (CHECKLIST_KIND_ORDER.get(s.scope_kind, 9), s.scope_label, s.scope_id,
                                           s.protocol_id))


def _protocol_titles(protocol_id: str, version: int) -> tuple[str, str]:
    protocol = checklist_registry().get(protocol_id, version)
    if protocol is None:
        return protocol_id, protocol_id
    return protocol.title.en, protocol.title.zh


def _reasons(reasons, language: str) -> str:
    return "\n".join(str(r.get(language) or r.get("en") or "") for r in reasons if isinstance(r, dict))


def checklist_section(scope: ScopeRef, contents: "ScopeContents | None" = None) -> ChecklistSection:
    """The latest evaluation of each protocol on the scope (apps.checklists), every requirement with its
    status as the engine gave it, its reasons in en and zh and the evidence revisions it used."""
    contents = contents or scope_contents(scope)
    statuses = latest_evaluations(checklist_scopes(scope, contents))
    if not statuses:
        return sections.checklist_unavailable()
    evaluations, results = [], []
    for status in statuses:
        evaluation = status.evaluation
        title_en, title_zh = _protocol_titles(evaluation.protocol_id, evaluation.protocol_version)
        evaluations.append(EvaluationSummary(
            evaluation_id=str(evaluation.pk), protocol=evaluation.protocol_id, version=str(evaluation.protocol_version),
            title_en=title_en, title_zh=title_zh, scope_kind=evaluation.scope_kind, scope_id=evaluation.scope_id,
            scope_label=evaluation.scope_label, status=evaluation.status, met=evaluation.met_count,
            applicable=evaluation.applicable_count,
            evaluated_at=evaluation.created_at.isoformat(timespec="seconds"),
            inputs_digest=evaluation.inputs_digest, protocol_digest=evaluation.protocol_digest))
        results.extend(RequirementResult(
            code=r.requirement_id, title_en=r.title_en, title_zh=r.title_zh, status=r.status,
            reason_en=_reasons(r.reasons, "en"), reason_zh=_reasons(r.reasons, "zh"),
            evidence_ids=tuple(str(i) for i in r.revision_ids), protocol=evaluation.protocol_id, severity=r.severity,
            qualifier=r.qualifier, evaluation_id=str(evaluation.pk)) for r in evaluation.results.all())
    return ChecklistSection(available=True, evaluated_at=max(e.evaluated_at for e in evaluations),
                            results=tuple(results), evaluations=tuple(evaluations))


def protocol_versions(scope: ScopeRef, checklist: ChecklistSection | None = None) -> tuple[ProtocolVersion, ...]:
    """The protocol files (id, version, titles) the evaluations in the dossier used."""
    checklist = checklist if checklist is not None else checklist_section(scope)
    seen = {(e.protocol, e.version): (e.title_en, e.title_zh) for e in checklist.evaluations}
    return tuple(ProtocolVersion(protocol, version, en, zh)
                 for (protocol, version), (en, zh) in sorted(seen.items(), key=lambda item: (item[0][0],
                                                                                                int(item[0][1]))))


# --- custody ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CustodyData:
    """What the custody app says about the shipments in scope (keyed by this organisation's shipment ids)."""

    facts: dict[UUID, CustodyFacts]
    timeline: dict[UUID, tuple[TimelineEntry, ...]]
    verification: Verification | None


def custody_data(contents: "ScopeContents") -> CustodyData:
    """Facts, timelines and a recomputation of every chain in scope (a fixed number of queries)."""
    ids = contents.shipment_ids
    if not ids:
        return CustodyData({}, {}, None)
    facts = custody_facts_for_shipments(organisation=contents.organisation, shipment_ids=ids)
    timeline = custody_timeline_for_shipments(organisation=contents.organisation, shipment_ids=ids)
    transfer_ids = sorted(f.transfer_id for f in facts.values())
    verification = (ledger.verify(ledger_rows(CustodyLedgerEntry.objects.filter(transfer_id__in=transfer_ids), 2000))
                    if transfer_ids else None)
    return CustodyData(facts, timeline, verification)


def _transfer(facts: CustodyFacts, reference: str) -> CustodyTransfer:
    return CustodyTransfer(
        transfer_id=str(facts.transfer_id), shipment=reference, role=facts.role, status=facts.status,
        sender=facts.sender_name, receiver=facts.receiver_name, dispatched_on=_iso(facts.dispatched_on),
        declared_kg=_dec(facts.declared_net_mass_kg), declared_units=facts.declared_unit_count,
        received_on=_iso(facts.received_on), received_kg=_dec(facts.received_net_mass_kg),
        received_units=_dec(facts.received_unit_count), receipt_source=facts.receipt_source or "",
        open_discrepancies=sum(1 for d in facts.discrepancies if d.status == "open"),
        processed_on=_iso(facts.processed_on), black_mass_kg=_dec(facts.black_mass_kg),
        lots_sha256=facts.lots_sha256, certificate_number=facts.certificate_number,
        certificate_issued_on=_iso(facts.certificate_issued_on), certificate_sha256=facts.certificate_sha256,
        ledger_length=facts.ledger_length, ledger_head=facts.ledger_head)


def combined_head(transfers: tuple[CustodyTransfer, ...]) -> str:
    if len(transfers) == 1:
        return transfers[0].ledger_head
    lines = "\n".join(f"{t.transfer_id}:{t.ledger_head}" for t in sorted(transfers, key=lambda t: t.transfer_id))
    return sha256_hex(lines.encode("ascii"))


def custody_section(scope: ScopeRef, contents: "ScopeContents | None" = None,
                    data: CustodyData | None = None) -> CustodySection:
    """The custody transfers of the shipments in scope (apps.custody): figures, certificate, every ledger
    entry in chain order, the ledger head, and whether every chain recomputed intact."""
    contents = contents or scope_contents(scope)
    data = data if data is not None else custody_data(contents)
    if not data.facts:
        return sections.custody_unavailable()
    references = {s.pk: s.reference for s in contents.shipments}
    ordered = sorted(data.facts.items(), key=lambda item: (references.get(item[0], ""), str(item[1].transfer_id)))
    transfers, entries, problems = [], [], []
    for shipment_id, facts in ordered:
        transfer = _transfer(facts, references.get(shipment_id, ""))
        transfers.append(transfer)
        timeline = data.timeline.get(shipment_id, ())
        for entry in timeline:
            en, zh = ledger_text.summary(entry.kind, entry.payload)
            entries.append(LedgerEntry(
                sequence=entry.seq, at=entry.at.isoformat(), kind=entry.kind, party=entry.organisation_name,
                summary_en=en, summary_zh=zh, prev_hash=entry.prev_hash, hash=entry.hash,
                transfer_id=str(entry.transfer_id), actor=entry.actor_label, payload_sha256=entry.payload_sha256))
        if len(timeline) != facts.ledger_length or (timeline and timeline[-1].hash != facts.ledger_head):
            problems.append(sections.ledger_problem(transfer.shipment, "truncated"))
    broken = data.verification.first_break if data.verification is not None else None
    if broken is not None:
        shipment = next((t.shipment for t in transfers if t.transfer_id == str(broken.transfer_id)), "")
        problems.append(sections.ledger_problem(shipment, broken.reason))
    transfers = tuple(transfers)
    return CustodySection(available=True, entries=tuple(entries), head_hash=combined_head(transfers),
                          transfers=transfers, verified=not problems, problems=tuple(problems))


# --- findings --------------------------------------------------------------------------------

def _message_time(value) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def findings_section(scope: ScopeRef, contents: "ScopeContents | None" = None,
                     checklist: ChecklistSection | None = None,
                     evidence: tuple[EvidenceItem, ...] | None = None) -> FindingsSection:
    """Auditors' findings (apps.audits) on the scope's shipments, on any revision of its evidence
    documents and on the requirements of its checklists, each with its whole thread."""
    contents = contents or scope_contents(scope)
    checklist = checklist if checklist is not None else checklist_section(scope, contents)
    if evidence is None:
        evidence = evidence_section(scope, contents.shipment_ids, contents.lot_ids)
    evidence_ids = sorted({e.evidence_id for e in evidence})
    revision_ids = (list(EvidenceRevision.objects.filter(evidence_id__in=evidence_ids).values_list("pk", flat=True))
                    if evidence_ids else [])
    threads = finding_threads(shipment_ids=contents.shipment_ids, revision_ids=revision_ids,
                              requirement_ids={r.code for r in checklist.results})
    findings = []
    for finding in threads:
        messages = list(finding.messages.all())
        opening = messages[0] if messages and messages[0].kind == MessageKind.RAISED else None
        answers = messages[1:] if opening is not None else messages
        findings.append(Finding(
            reference=finding.reference, subject=finding.title, severity=finding.severity, status=finding.status,
            raised_by=finding.raised_by_label, raised_at=_message_time(opening.at if opening else finding.created_at),
            text=opening.text if opening else "",
            answers=tuple(Answer(author=m.author_label, at=_message_time(m.at), text=m.text, kind=m.kind,
                                 from_auditor=m.from_auditor) for m in answers),
            target_kind=finding.target_kind, target_id=finding.target_id, target_label=finding.target_label,
            resolved_at=_message_time(finding.resolved_at)))
    return FindingsSection(available=True, findings=tuple(findings))


# --- Art 8 recycled content ------------------------------------------------------------------

def _shares(value) -> tuple[DeclaredShare, ...]:
    if not isinstance(value, dict):
        return ()
    rows = []
    for element, parts in sorted(value.items()):
        parts = parts if isinstance(parts, dict) else {}
        rows.append(DeclaredShare(str(element), _dec(parts.get("pre_consumer_pct")),
                                  _dec(parts.get("post_consumer_pct"))))
    return tuple(rows)


def _declaration(doc) -> RecycledDeclaration:
    fields = doc.key_fields or {}
    codes = fields.get("lot_codes")
    return RecycledDeclaration(
        evidence_id=doc.evidence_id, revision_id=doc.revision_id, title=doc.title, reference=doc.reference,
        revision=doc.number, year=_dec(fields.get("year")), plant=_dec(fields.get("plant")),
        custody_model=_dec(fields.get("custody_model")),
        lot_codes=tuple(sorted(str(c) for c in codes)) if isinstance(codes, list) else (),
        shares=_shares(fields.get("shares")))


def recycled_section(scope: ScopeRef, checklist: ChecklistSection) -> RecycledSection:
    """For a battery model, year and plant: the latest Art 8 evaluation, the accepted recycled-content
    declarations for the year and the lots behind them (the inputs that evaluation reads). Whether
    these are exactly the inputs it saw is answered by recomputing its inputs digest."""
    if scope.kind != ScopeKind.MODEL_YEAR_PLANT:
        return RecycledSection()
    facts = model_year_facts(scope.model.pk, scope.year)
    art8 = next((e for e in checklist.evaluations
                 if e.protocol == ART8_PROTOCOL and e.scope_kind == ChecklistScope.MODEL_YEAR), None)
    declarations = sorted(
        (_declaration(d) for d in (facts.docs if facts else ())
         if d.doc_type == EvidenceType.RECYCLED_CONTENT_DECLARATION and declared_year(d) == scope.year
         and d.status == RevisionStatus.ACCEPTED),
        key=lambda d: (d.reference, d.title, d.evidence_id))
    if art8 is None and not declarations:
        return RecycledSection(available=False, note=sections.recycled_unavailable())
    codes = {lot.id: lot.code for lot in (facts.lots if facts else ())}
    lots = tuple(sorted((FlowLot(
        code=lot.code, kind=lot.kind, mass_kg=_dec(lot.mass_kg), origin=lot.origin, custody_model=lot.custody_model,
        produced_on=_iso(lot.produced_on), sources=tuple(sorted(codes[i] for i in lot.source_lot_ids if i in codes)),
        elements=tuple(sorted((element, _dec(percent)) for element, percent in lot.elements.items())))
        for lot in (facts.lots if facts else ())), key=lambda lot: lot.code))
    current = bool(art8 and facts and facts_digest(facts, protocol_digest=art8.protocol_digest) == art8.inputs_digest)
    return RecycledSection(
        available=True, evaluation_id=art8.evaluation_id if art8 else "", protocol=art8.protocol if art8 else "",
        version=art8.version if art8 else "", status=art8.status if art8 else "",
        evaluated_at=art8.evaluated_at if art8 else "", inputs_digest=art8.inputs_digest if art8 else "",
        inputs_current=current, declarations=tuple(declarations), lots=lots)


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
    contents = scope_contents(scope, organisation)
    shipments, shipment_ids, lot_ids = list(contents.shipments), contents.shipment_ids, contents.lot_ids
    checklist = checklist_section(scope, contents)
    evidence = evidence_section(scope, shipment_ids, lot_ids)
    custody = custody_data(contents)
    cover = Cover(
        dossier_id=str(dossier_id), organisation_id=str(organisation.pk),
        organisation_name_en=organisation.name_en, organisation_name_zh=organisation.name_zh,
        organisation_country=organisation.country, organisation_uscc=organisation.uscc,
        organisation_eori=organisation.eori,
        scope=Scope(kind=scope.kind, label=scope.label,
                    shipment_id=str(scope.shipment.pk) if scope.shipment else "",
                    model_id=str(scope.model.pk) if scope.model else "", year=scope.year or 0, plant=scope.plant,
                    period_start=_iso(scope.period_start), period_end=_iso(scope.period_end)),
        facts=cover_facts(scope, shipments), protocol_versions=protocol_versions(scope, checklist),
        issued_at=issued_at.isoformat(timespec="seconds"), issuer_label=issuer_label, language=language)
    return Snapshot(cover=cover, checklist=checklist, evidence=evidence,
                    custody=custody_section(scope, contents, custody),
                    material_flow=material_flow_section(shipments, list(contents.first), list(contents.derived),
                                                        custody.facts),
                    units=units_section(scope), findings=findings_section(scope, contents, checklist, evidence),
                    recycled=recycled_section(scope, checklist))
