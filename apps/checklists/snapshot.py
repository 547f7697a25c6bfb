"""Build the frozen facts of a scope from the database (register + evidence vault + custody ledger).

The number of queries per scope is constant: it does not grow with the number of units, lots or
documents (asserted in tests/checklists/test_snapshot.py; timed in benchmarks/bench_checklists.py).
Rows are read with `values_list` and ordered, so the canonical form (and the inputs digest) of the
same data is always the same.

Sources: `register_*` (apps.traceability), `evidence_docs` (apps.evidence), `custody_facts`
(apps.custody, public schema: one batch of three queries per shipment evaluated, whatever its size) and
the facts providers other apps register (`extensions.py`).

Key fields read here (besides the checks' own, declared on each check): `SNAPSHOT_READS`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, F, Func, Q, Subquery, Value
from django.db.models.functions import Cast, Upper
from django.utils import timezone

from apps.custody.selectors import custody_facts_for_shipments
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType, RevisionStatus
from apps.tenants.models import Organisation
from apps.traceability.models import (
    BatteryModel,
    BatteryUnit,
    LotElement,
    MaterialLot,
    Shipment,
    ShipmentMass,
    ShipmentStatus,
    ShipmentUnit,
)

from .extensions import facts_providers
from .facts import (
    CustodyFacts,
    Doc,
    LotFacts,
    MassBalanceClaim,
    ModelFacts,
    ModelYearFacts,
    ScopeFacts,
    ShipmentFacts,
    Unit,
    split_model_year,
)

# Evidence key fields the snapshot itself reads (vault names, apps/evidence/doctypes.py).
SNAPSHOT_READS = {
    EvidenceType.RECYCLED_CONTENT_DECLARATION: ("year", "lot_codes"),
    EvidenceType.MASS_BALANCE_RECORD: ("outputs.reference",),
}


def _norm(field: str) -> Upper:
    """SQL twin of checks.codes.normalise(): upper case, no spaces, tabs or line breaks."""
    return Upper(Func(F(field), Value(" \t\r\n"), Value(""), function="TRANSLATE"))


# --- evidence --------------------------------------------------------------------------------------

def evidence_docs(links: dict[Any, set[str]]) -> tuple[Doc, ...]:
    """The current (highest-numbered, not superseded) revision of each linked document."""
    if not links:
        return ()
    rows = (EvidenceRevision.objects.filter(evidence_id__in=list(links))
            .exclude(status=RevisionStatus.SUPERSEDED)
            .order_by("evidence_id", "-number").distinct("evidence_id")
            .values_list("id", "evidence_id", "evidence__doc_type", "evidence__title", "evidence__reference",
                         "evidence__issuer", "number", "status", "effective_date", "expiry_date", "key_fields",
                         "evidence__source", "rejection_reason"))
    docs = [Doc(revision_id=str(rid), evidence_id=str(eid), doc_type=doc_type, title=title, reference=reference,
                issuer=issuer, number=number, status=status, effective_date=effective, expiry_date=expiry,
                key_fields=key_fields if isinstance(key_fields, dict) else {}, source=source,
                rejection_reason=rejection, links=tuple(sorted(links[eid])))
            for (rid, eid, doc_type, title, reference, issuer, number, status, effective, expiry, key_fields, source,
                 rejection) in rows]
    return tuple(sorted(docs, key=lambda d: (d.doc_type, d.effective_date or date.min, d.evidence_id)))


def _add_links(links: dict[Any, set[str]], evidence_ids, kind: str) -> None:
    for evidence_id in evidence_ids:
        links[evidence_id].add(kind)


# --- lots --------------------------------------------------------------------------------------------

def register_lots(lots_qs) -> tuple:
    from .facts import Lot

    rows = list(lots_qs.order_by("id").values_list("id", "code", "kind", "mass_kg", "produced_on", "origin",
                                                   "custody_model"))
    if not rows:
        return ()
    ids = [row[0] for row in rows]
    elements: dict[Any, dict[str, Decimal]] = defaultdict(dict)
    for lot_id, element, percent in (LotElement.objects.filter(lot_id__in=ids).order_by("element")
                                     .values_list("lot_id", "element", "percent")):
        elements[lot_id][element] = percent
    sources: dict[Any, list[str]] = defaultdict(list)
    for lot_id, source_id in (MaterialLot.source_lots.through.objects.filter(from_materiallot_id__in=ids)
                              .order_by("to_materiallot_id").values_list("from_materiallot_id", "to_materiallot_id")):
        sources[lot_id].append(str(source_id))
    shipments: dict[Any, list[str]] = defaultdict(list)
    for lot_id, shipment_id in (MaterialLot.source_shipments.through.objects.filter(materiallot_id__in=ids)
                                .order_by("shipment_id").values_list("materiallot_id", "shipment_id")):
        shipments[lot_id].append(str(shipment_id))
    return tuple(Lot(id=str(lot_id), code=code, kind=kind, mass_kg=mass, produced_on=produced, origin=origin,
                     custody_model=custody_model, elements=dict(elements[lot_id]),
                     source_lot_ids=tuple(sources[lot_id]), source_shipment_ids=tuple(shipments[lot_id]))
                 for lot_id, code, kind, mass, produced, origin, custody_model in rows)


# --- custody (apps.custody, public schema) -----------------------------------------------------------

def current_organisation() -> Organisation | None:
    """The organisation whose schema is active (the worker and the pages run in it)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Organisation) and tenant.schema_name == connection.schema_name:
        return tenant
    return Organisation.objects.filter(schema_name=connection.schema_name).first()


def custody_facts(shipment: Shipment) -> CustodyFacts | None:
    """What the custody ledger says about this shipment (the organisation's own outbound shipment it
    dispatched, or an inbound one it received through a transfer): receipt confirmed by the counterparty
    or only on paper, discrepancies and disputes, processing lots, the certificate. None when the
    shipment never went through the ledger. One batch of queries (apps.custody.selectors)."""
    organisation = current_organisation()
    if organisation is None:
        return None
    facts = custody_facts_for_shipments(organisation=organisation, shipment_ids=[shipment.pk])
    return facts.get(shipment.pk)


def with_extensions(facts: ScopeFacts) -> ScopeFacts:
    """Add what other apps' facts providers contribute for this kind of scope (extensions.py)."""
    providers = facts_providers(facts.kind)
    if not providers or not hasattr(facts, "extensions"):
        return facts
    return replace(facts, extensions={name: provider(facts) for name, provider in providers.items()})


# --- shipment --------------------------------------------------------------------------------------

# UUIDs come back as text from PostgreSQL: building 100,000 uuid.UUID objects only to turn them into
# strings again costs more than the query itself.
UNIT_TEXT = {"id_text": Cast("id", output_field=CharField()),
             "parent_text": Cast("parent_id", output_field=CharField()),
             "model_text": Cast("model_id", output_field=CharField())}
UNIT_FIELDS = ("id_text", "code", "scheme", "level", "parent_text", "status", "original_code", "model_text", "gtin",
               "serial")


def _units(queryset) -> tuple[Unit, ...]:
    """Sorted here rather than by PostgreSQL: sorting 100,000 UUIDs there spills to disk."""
    rows = list(queryset.annotate(**UNIT_TEXT).order_by().values_list(*UNIT_FIELDS))
    rows.sort()
    return tuple(map(Unit._make, rows))


def shipment_facts(shipment_id: Any) -> ShipmentFacts | None:
    shipment = Shipment.objects.filter(pk=shipment_id).first()
    if shipment is None:
        return None
    sid = shipment.pk
    masses = {chemistry: mass for chemistry, mass in ShipmentMass.objects.filter(shipment_id=sid)
              .order_by("chemistry").values_list("chemistry", "net_mass_kg")}
    shipped = ShipmentUnit.objects.filter(shipment_id=sid).values("unit_id")
    units = _units(BatteryUnit.objects.filter(shipment_units__shipment_id=sid))
    model_ids = {u.model_id for u in units if u.model_id}
    chemistries = tuple(BatteryModel.objects.filter(id__in=model_ids).order_by("chemistry")
                        .values_list("chemistry", flat=True).distinct()) if model_ids else ()
    descendants = _units(
        BatteryUnit.objects.filter(Q(parent_id__in=Subquery(shipped)) | Q(parent__parent_id__in=Subquery(shipped)))
        .exclude(id__in=Subquery(shipped)))

    clashes: dict[str, list[str]] = defaultdict(list)
    shipped_norms = BatteryUnit.objects.filter(id__in=Subquery(shipped)).annotate(n=_norm("code")).values("n")
    for norm, code in (BatteryUnit.objects.annotate(n=_norm("code")).filter(n__in=Subquery(shipped_norms))
                       .exclude(id__in=Subquery(shipped)).order_by("code").values_list("n", "code")):
        clashes[norm].append(code)
    original_clashes: dict[str, list[str]] = defaultdict(list)
    originals = sorted({u.original_code for u in units if u.original_code.strip()})
    if originals:  # cascade-use units only: no query for a shipment without any
        shipped_originals = (BatteryUnit.objects.filter(id__in=Subquery(shipped)).exclude(original_code="")
                             .annotate(n=_norm("original_code")).values("n"))
        for norm, code in (BatteryUnit.objects.exclude(original_code="").annotate(n=_norm("original_code"))
                           .filter(n__in=Subquery(shipped_originals)).exclude(id__in=Subquery(shipped))
                           .order_by("code").values_list("n", "code")):
            original_clashes[norm].append(code)
    elsewhere: dict[str, list[str]] = defaultdict(list)
    for unit_id, reference in (ShipmentUnit.objects.filter(unit_id__in=Subquery(shipped))
                               .exclude(shipment_id=sid).exclude(shipment__status=ShipmentStatus.CANCELLED)
                               .filter(shipment__direction=shipment.direction)
                               .order_by("shipment__reference").values_list("unit_id", "shipment__reference")):
        elsewhere[str(unit_id)].append(reference)

    made_here = MaterialLot.objects.filter(source_shipments=sid).values("id")
    lots = register_lots(MaterialLot.objects.filter(
        Q(source_shipments=sid) | Q(source_lots__in=Subquery(made_here))
        | Q(derived_lots__source_lots__in=Subquery(made_here))).distinct())

    links: dict[Any, set[str]] = defaultdict(set)
    _add_links(links, Evidence.shipments.through.objects.filter(shipment_id=sid)
               .values_list("evidence_id", flat=True), "shipment")
    _add_links(links, Evidence.units.through.objects.filter(batteryunit_id__in=Subquery(shipped))
               .values_list("evidence_id", flat=True).distinct(), "unit")
    if lots:
        _add_links(links, Evidence.lots.through.objects.filter(materiallot_id__in=[lot.id for lot in lots])
                   .values_list("evidence_id", flat=True), "lot")

    return ShipmentFacts(
        id=str(sid), reference=shipment.reference, direction=shipment.direction, status=shipment.status,
        counterparty_name=shipment.counterparty_name, counterparty_country=shipment.counterparty_country,
        counterparty_organisation_id=str(shipment.counterparty_organisation_id)
        if shipment.counterparty_organisation_id else None,
        origin_country=shipment.origin_country, destination_country=shipment.destination_country,
        hs_code=shipment.hs_code, un_number=shipment.un_number, special_provision=shipment.special_provision,
        packing_instruction=shipment.packing_instruction, is_waste=shipment.is_waste, waste_code=shipment.waste_code,
        dispatch_date=shipment.dispatch_date, arrival_date=shipment.arrival_date, declared_masses=masses,
        unit_chemistries=chemistries, units=units, descendants=descendants,
        code_clashes={k: tuple(v) for k, v in clashes.items()},
        original_code_clashes={k: tuple(v) for k, v in original_clashes.items()},
        other_shipments={k: tuple(v) for k, v in elsewhere.items()},
        lots=lots, docs=evidence_docs(links), custody=custody_facts(shipment))


# --- models ------------------------------------------------------------------------------------------

def model_facts(model_id: Any) -> ModelFacts | None:
    model = BatteryModel.objects.filter(pk=model_id).first()
    if model is None:
        return None
    links: dict[Any, set[str]] = defaultdict(set)
    _add_links(links, Evidence.battery_models.through.objects.filter(batterymodel_id=model.pk)
               .values_list("evidence_id", flat=True), "model")
    return ModelFacts(id=str(model.pk), code=model.code, name=model.name, manufacturer=model.manufacturer,
                      eu_category=model.eu_category, chemistry=model.chemistry,
                      rated_energy_kwh=model.rated_energy_kwh, manufacturing_plant=model.manufacturing_plant,
                      plant_country=model.plant_country, external_storage_only=model.external_storage_only,
                      docs=evidence_docs(links))


def declared_year(doc: Doc) -> int | None:
    value = doc.key_fields.get("year")
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def model_year_facts(model_id: Any, year: int) -> ModelYearFacts | None:
    model = model_facts(model_id)
    if model is None:
        return None
    # Key fields: SNAPSHOT_READS
    declarations = [d for d in model.docs if d.doc_type == EvidenceType.RECYCLED_CONTENT_DECLARATION
                    and declared_year(d) == year]
    codes = sorted({str(code) for d in declarations for code in (d.key_fields.get("lot_codes") or [])
                    if isinstance(d.key_fields.get("lot_codes"), list)})
    linked = Evidence.lots.through.objects.filter(evidence_id__in=[d.evidence_id for d in declarations]) \
        .values("materiallot_id")
    lots = register_lots(MaterialLot.objects.filter(Q(code__in=codes) | Q(id__in=Subquery(linked))).distinct()) \
        if declarations else ()
    return ModelYearFacts(model=model, year=year, lots=lots)


# --- lots -------------------------------------------------------------------------------------------

def lot_facts(lot_id: Any) -> LotFacts | None:
    lots = register_lots(MaterialLot.objects.filter(pk=lot_id))
    if not lots:
        return None
    lot = lots[0]
    links: dict[Any, set[str]] = defaultdict(set)
    _add_links(links, Evidence.lots.through.objects.filter(materiallot_id=lot.id)
               .values_list("evidence_id", flat=True), "lot")
    claims = tuple(MassBalanceClaim(revision_id=str(rid), evidence_id=str(eid), reference=reference or title)
                   for rid, eid, reference, title in EvidenceRevision.objects
                   .filter(evidence__doc_type=EvidenceType.MASS_BALANCE_RECORD,
                           key_fields__outputs__contains=[{"reference": lot.code}])
                   .exclude(status__in=[RevisionStatus.SUPERSEDED, RevisionStatus.REJECTED])
                   .order_by("evidence_id", "-number").distinct("evidence_id")
                   .values_list("id", "evidence_id", "evidence__reference", "evidence__title"))
    return LotFacts(lot=lot, docs=evidence_docs(links), claims=claims)


# --- any scope ---------------------------------------------------------------------------------------

def scope_facts(scope_kind: str, scope_id: str) -> ScopeFacts | None:
    """The facts of a scope, or None when it does not exist (any more)."""
    try:
        facts: ScopeFacts | None = None
        if scope_kind == "shipment":
            facts = shipment_facts(scope_id)
        elif scope_kind == "material_lot":
            facts = lot_facts(scope_id)
        elif scope_kind == "battery_model":
            facts = model_facts(scope_id)
        elif scope_kind == "model_year":
            parts = split_model_year(scope_id)
            facts = model_year_facts(*parts) if parts else None
    except (ValueError, TypeError, ValidationError):  # not a UUID
        return None
    return with_extensions(facts) if facts is not None else None


def today() -> date:
    return timezone.localdate()
