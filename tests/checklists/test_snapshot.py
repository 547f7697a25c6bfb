"""Building the facts of a scope from the register and the evidence vault: what goes in, and a number
of queries that does not grow with the number of units."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.checklists.snapshot import lot_facts, model_year_facts, scope_facts, shipment_facts
from apps.traceability.models import BatteryUnit, MaterialLot

from .factories import (
    BatteryModelFactory,
    BatteryUnitFactory,
    MaterialLotFactory,
    ShipmentFactory,
    add_elements,
    add_mass,
    add_units,
    document,
    gbt_code,
    revision,
)

pytestmark = pytest.mark.django_db


def build_shipment(n_packs: int, *, start: int = 1):
    """A shipment of n packs, each with one module of two cells (4 units per pack), plus evidence."""
    model = BatteryModelFactory()
    shipment = ShipmentFactory()
    packs, children = [], []
    number = start
    for _ in range(n_packs):
        packs.append(BatteryUnit(code=gbt_code(number, "P"), scheme="gbt34014", level="pack", model=model))
        number += 1
    BatteryUnit.objects.bulk_create(packs)
    modules = [BatteryUnit(code=gbt_code(number + i, "M"), scheme="gbt34014", level="module", parent=p, model=model)
               for i, p in enumerate(packs)]
    number += len(packs)
    BatteryUnit.objects.bulk_create(modules)
    for module in modules:
        for _ in range(2):
            children.append(BatteryUnit(code=gbt_code(number, "C"), scheme="gbt34014", level="cell", parent=module,
                                        model=model))
            number += 1
    BatteryUnit.objects.bulk_create(children)
    add_units(shipment, packs)
    add_mass(shipment, 20000)
    document("contract", shipments=[shipment], effective=date(2026, 1, 1), quantity_kg=20000)
    document("cascade_label_photo", units=packs[:3])
    return shipment, packs


def test_shipment_facts_hold_units_descendants_documents_and_lots(in_tenant, alpha):
    with in_tenant(alpha):
        shipment, packs = build_shipment(3)
        other = ShipmentFactory()
        add_units(other, packs[:1])  # the same pack in another outbound shipment
        BatteryUnitFactory(code=gbt_code(2, "P").lower())  # a case variant of the second pack's code
        evidence, first = document("transport_manifest", shipments=[shipment], net_mass_kg=19000)
        first.status = "superseded"
        first.save(update_fields=["status"])
        revision(evidence, number=2, key_fields={"net_mass_kg": 20000})
        black_mass = MaterialLotFactory()
        black_mass.source_shipments.add(shipment)
        add_elements(black_mass, Co=Decimal("8.5"), Ni=20)
        sulfate = MaterialLotFactory(kind="cobalt_sulfate")
        sulfate.source_lots.add(black_mass)
        document("assay_report", lots=[black_mass], lot_code=black_mass.code)

        facts = shipment_facts(shipment.pk)
    assert facts.reference == shipment.reference and facts.declared_mass_kg == Decimal(20000)
    assert len(facts.units) == 3 and len(facts.descendants) == 9
    assert facts.unit_chemistries == ("ncm",)
    assert facts.other_shipments == {str(packs[0].pk): (other.reference,)}
    assert facts.code_clashes == {gbt_code(2, "P"): (gbt_code(2, "P").lower(),)}
    types = sorted(d.doc_type for d in facts.docs)
    assert types == ["assay_report", "cascade_label_photo", "contract", "transport_manifest"]
    manifest = next(d for d in facts.docs if d.doc_type == "transport_manifest")
    assert manifest.number == 2 and manifest.key_fields == {"net_mass_kg": 20000}  # the current revision only
    assert next(d for d in facts.docs if d.doc_type == "cascade_label_photo").links == ("unit",)
    assert {lot.code for lot in facts.lots} == {black_mass.code, sulfate.code}
    bm = next(lot for lot in facts.lots if lot.code == black_mass.code)
    assert bm.elements == {"Co": Decimal("8.5000"), "Ni": Decimal("20.0000")}
    assert next(lot for lot in facts.lots if lot.code == sulfate.code).source_lot_ids == (str(black_mass.pk),)
    assert facts.custody is None


def count_queries(func) -> int:
    """Queries sent, leaving out django-tenants' `SET search_path` before each one."""
    with CaptureQueriesContext(connection) as captured:
        func()
    return sum(1 for q in captured.captured_queries if not q["sql"].startswith("SET search_path"))


def test_the_number_of_queries_does_not_grow_with_the_units(in_tenant, alpha):
    with in_tenant(alpha):
        small, _ = build_shipment(10 // 4 + 1)
        large, _ = build_shipment(1000 // 4, start=100_000)
        small_queries = count_queries(lambda: shipment_facts(small.pk))
        large_queries = count_queries(lambda: shipment_facts(large.pk))
        facts = shipment_facts(large.pk)
    assert len(facts.units) + len(facts.descendants) == 1000
    assert small_queries == large_queries <= 15


def test_lot_facts_find_every_record_claiming_the_lot(in_tenant, alpha):
    with in_tenant(alpha):
        lot = MaterialLotFactory(code="BM-77")
        document("mass_balance_record", lots=[lot], outputs=[{"reference": "BM-77", "mass_kg": 1000}])
        document("mass_balance_record", reference="MB-OTHER", outputs=[{"reference": "BM-77"}, {"reference": "X"}])
        document("mass_balance_record", reference="MB-REJECTED", status="rejected", outputs=[{"reference": "BM-77"}])
        facts = lot_facts(lot.pk)
    assert len(facts.docs) == 1 and len(facts.claims) == 2
    assert "MB-OTHER" in {c.reference for c in facts.claims}


def test_model_year_facts_gather_the_lots_behind_the_declaration(in_tenant, alpha):
    with in_tenant(alpha):
        model = BatteryModelFactory()
        named = MaterialLotFactory(code="RC-1")
        linked = MaterialLotFactory(code="RC-2")
        MaterialLotFactory(code="RC-3")
        document("recycled_content_declaration", models=[model], lots=[linked], year=2026, lot_codes=["RC-1"])
        document("recycled_content_declaration", models=[model], year=2025, lot_codes=["RC-3"])
        facts = model_year_facts(model.pk, 2026)
    assert {lot.code for lot in facts.lots} == {named.code, linked.code}
    assert len(facts.docs) == 2 and facts.label == f"{model.code} · 2026"


@pytest.mark.parametrize("kind, scope_id", [("shipment", "not-a-uuid"), ("shipment", "00000000-0000-0000-0000-0000"
                                                                                  "00000000"),
                                            ("material_lot", "x"), ("battery_model", ""), ("model_year", "abc:"),
                                            ("model_year", "x:2026"), ("planet", "x")])
def test_missing_or_malformed_scopes_have_no_facts(in_tenant, alpha, kind, scope_id):
    with in_tenant(alpha):
        assert scope_facts(kind, scope_id) is None
    assert MaterialLot is not None
