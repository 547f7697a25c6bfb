"""Evaluating every shipment protocol for one shipment of 10,000 and of 100,000 units with 200 evidence
documents: snapshot (database → facts), the pure engine, the inputs and results digests.

Baseline, measured in the same run: just fetching the same rows (the shipment, its units, its
evidence revisions) with `values_list`. Targets: under 1 s for 10,000 units, under 10 s for 100,000;
the ratio to the fetch shows what the evaluation adds on top of reading the data. The number of SQL
queries is the same for 10 and 1,000 units (tests/checklists/test_snapshot.py).
"""
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from apps.checklists import services
from apps.checklists.engine import evaluate, overall_status
from apps.checklists.facts import facts_digest, facts_hash
from apps.checklists.models import ProtocolSelection
from apps.checklists.selectors import protocols_selected
from apps.checklists.snapshot import scope_facts
from apps.evidence.models import Evidence, EvidenceRevision
from apps.tenants.services import organisation_create, public_organisation_ensure
from apps.traceability.models import BatteryModel, BatteryUnit, Shipment, ShipmentMass, ShipmentUnit
from benchmarks.common import Result, timed

DOC_TYPES = ["contract", "recycler_permit", "transport_manifest", "customs_declaration", "waste_movement_document",
             "weighbridge_ticket", "receipt", "assay_report", "cascade_label_photo", "other"]
TODAY = date(2026, 6, 1)
ROUNDS = 3


def _code(n: int, level: str) -> str:
    return f"X12{level}EAB0000001631{n:07d}"


def build(units: int, prefix: str, offset: int) -> Shipment:
    """A shipment of `units` units (packs of one module and two cells, all listed) and 200 documents."""
    model = BatteryModel.objects.create(code=f"{prefix}-M", name="bench", eu_category="ev", chemistry="ncm")
    shipment = Shipment.objects.create(reference=f"{prefix}-SHP", direction="outbound", status="dispatched",
                                       counterparty_name="Bench Recycling GmbH", counterparty_country="DE",
                                       un_number="UN3480", special_provision="377", packing_instruction="P909",
                                       is_waste=True, waste_code="160605", hs_code="85491400",
                                       dispatch_date=date(2026, 5, 4))
    ShipmentMass.objects.create(shipment=shipment, chemistry="ncm", net_mass_kg=Decimal(units * 50))
    packs = BatteryUnit.objects.bulk_create(
        [BatteryUnit(code=_code(offset + i, "P"), scheme="gbt34014", level="pack", model=model)
         for i in range(units // 4)],
        batch_size=5000)
    modules = BatteryUnit.objects.bulk_create(
        [BatteryUnit(code=_code(offset + i, "M"), scheme="gbt34014", level="module", parent=p, model=model)
         for i, p in enumerate(packs)], batch_size=5000)
    cells = BatteryUnit.objects.bulk_create(
        [BatteryUnit(code=_code(offset + 2 * i + k, "C"), scheme="gbt34014", level="cell", parent=m, model=model)
         for i, m in enumerate(modules) for k in range(2)], batch_size=5000)
    ShipmentUnit.objects.bulk_create([ShipmentUnit(shipment=shipment, unit=u) for u in packs + modules + cells],
                                     batch_size=5000)
    evidence = Evidence.objects.bulk_create(
        [Evidence(doc_type=DOC_TYPES[i % len(DOC_TYPES)], title=f"doc {i}", reference=f"{prefix}-D{i}")
         for i in range(200)])
    Evidence.shipments.through.objects.bulk_create(
        [Evidence.shipments.through(evidence_id=e.pk, shipment_id=shipment.pk) for e in evidence])
    EvidenceRevision.objects.bulk_create(
        [EvidenceRevision(evidence=e, number=1, storage_name=f"x/{e.pk}", original_filename="d.pdf", sha256="0" * 64,
                          size=1, content_type="application/pdf", status="accepted", effective_date=date(2026, 1, 1),
                          key_fields={"net_mass_kg": units * 50 / 20, "quantity_kg": units * 50,
                                      "counterparty": "Bench Recycling GmbH", "holder": "Bench Recycling GmbH",
                                      "hs_code": "85491400", "waste_code": "160605"})
         for e in evidence])
    return shipment


def fetch(shipment: Shipment) -> int:
    """The baseline: the same rows, fetched and nothing else."""
    row = list(Shipment.objects.filter(pk=shipment.pk).values_list())
    units = list(BatteryUnit.objects.filter(shipment_units__shipment=shipment)
                 .values_list("id", "code", "scheme", "level", "parent_id", "status", "original_code", "model_id"))
    revisions = list(EvidenceRevision.objects.filter(evidence__shipments=shipment)
                     .values_list("id", "evidence_id", "status", "effective_date", "expiry_date", "key_fields"))
    return len(row) + len(units) + len(revisions)


def evaluate_all(shipment: Shipment) -> str:
    """Snapshot + every shipment protocol + digests: what a worker does before writing the result."""
    facts = scope_facts("shipment", str(shipment.pk))
    sha = facts_hash(facts)
    statuses = []
    for protocol in protocols_selected("shipment"):
        results = evaluate(protocol, facts, TODAY)
        facts_digest(facts, protocol_digest=protocol.digest, facts_sha=sha)
        services.results_digest(overall_status(results), results)
        statuses.append(overall_status(results))
    return ",".join(statuses)


def measure(units: int, budget_s: float, offset: int) -> list[Result]:
    shipment = build(units, f"B{units}", offset)
    evaluate_all(shipment)  # warm-up (imports, regex compilation, plans)
    ours = timed(lambda: evaluate_all(shipment), repeat=ROUNDS)
    baseline = timed(lambda: fetch(shipment), repeat=ROUNDS)
    first = timed(lambda: services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=TODAY))
    label = f"{units:,} units, 200 documents"
    return [
        Result(f"checklists: evaluate all protocols, {label}", ours, baseline, "s", ratio=ours / baseline,
               target=5.0, higher_is_better=False,
               note=f"median of {ROUNDS}; ratio = evaluation / fetching the same rows; with the evaluation and its "
                    f"results written: {first:.3f} s"),
        Result(f"checklists: {label}, against the {budget_s:g} s budget", ours, budget_s, "s", ratio=ours / budget_s,
               target=1.0, higher_is_better=False, note="ratio = evaluation time / budget (issue target)"),
    ]


def run() -> list[Result]:
    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    organisation = organisation_create(slug="bench-checklists", name_en="Bench checklists", kind="exporter",
                                       country="CN")
    connection.set_schema_to_public()
    with schema_context(organisation.schema_name):
        for protocol_id in ("cn-export-2026", "gbt34014-codes"):
            ProtocolSelection.objects.create(protocol_id=protocol_id)
        results = measure(10_000, 1.0, offset=0)
        results += measure(100_000, 10.0, offset=1_000_000)
    connection.set_schema_to_public()
    return results
