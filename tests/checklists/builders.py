"""Frozen facts for the engine tests (no database): small builders with sensible defaults."""
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import count

from apps.checklists.facts import CustodyFacts, Doc, Lot, LotFacts, ModelFacts, ModelYearFacts, ShipmentFacts, Unit

_ids = count(1)
VALID_CODE = "X12MCPM27KLPCLX2M2382320"  # REFERENCE §2.1 example (Catena-X)


def doc(doc_type: str, *, status: str = "accepted", effective: date | None = None, expiry: date | None = None,
        reference: str = "", **key_fields) -> Doc:
    n = next(_ids)
    return Doc(revision_id=f"rev-{n:04d}", evidence_id=f"ev-{n:04d}", doc_type=doc_type,
               reference=reference or f"{doc_type.upper()[:3]}-{n}", status=status, effective_date=effective,
               expiry_date=expiry, key_fields=key_fields,
               rejection_reason="not legible" if status == "rejected" else "")


def code(n: int, level: str = "P", serial_letters: bool = False) -> str:
    """A valid GB/T 34014 code: manufacturer X12, level P/M/C, type E, spec AB, trace 0000001, date 6 3 1."""
    serial = f"{n:07d}" if not serial_letters else f"A{n:06d}"
    return f"X12{level}EAB0000001631{serial}"


def unit(n: int, *, level: str = "pack", parent: str | None = None, **fields) -> Unit:
    letter = {"pack": "P", "module": "M", "cell": "C"}[level]
    return Unit(id=f"u{n:06d}", code=fields.pop("code", code(n, letter)), level=level, parent_id=parent, **fields)


def pack_with_cells(n: int, *, modules: int = 1, cells: int = 2) -> tuple[Unit, list[Unit]]:
    """A pack with its modules and cells (ids and codes numbered from n)."""
    pack = unit(n)
    children = []
    k = n
    for _m in range(modules):
        k += 1
        module = unit(k, level="module", parent=pack.id)
        children.append(module)
        for _c in range(cells):
            k += 1
            children.append(unit(k, level="cell", parent=module.id))
    return pack, children


def shipment(**fields) -> ShipmentFacts:
    base = dict(id="ship-1", reference="SHP-2026-001", direction="outbound", status="dispatched",
                counterparty_name="EcoCycle Batterierecycling GmbH", counterparty_country="DE",
                un_number="UN 3480", special_provision="SP 377", packing_instruction="P909", is_waste=True,
                waste_code="16 06 05", hs_code="8549.14.00", dispatch_date=date(2026, 5, 4),
                declared_masses={"ncm": Decimal("20000")})
    base.update(fields)
    return ShipmentFacts(**base)


def complete_export_docs(**overrides) -> list[Doc]:
    """Documents that meet every requirement of the export protocol for `shipment()`."""
    docs = {
        "contract": doc("contract", effective=date(2026, 1, 1), expiry=date(2026, 12, 31), quantity_kg=20000,
                        counterparty="EcoCycle Batterierecycling GmbH"),
        "permit": doc("recycler_permit", effective=date(2025, 1, 1), expiry=date(2027, 12, 31),
                      holder="EcoCycle Batterierecycling GmbH"),
        "manifest": doc("transport_manifest", net_mass_kg=20000, gross_mass_kg=21500, unit_count=0),
        "customs": doc("customs_declaration", hs_code="854914"),
        "movement": doc("waste_movement_document", waste_code="160605"),
        "receipt": doc("receipt", net_mass_kg=19950),
        "assay": doc("assay_report", lot_code="BM-1", lot_mass_kg=7000, elements={"Co": 8, "Ni": 20, "Li": 4}),
        "certificate": doc("recycling_certificate", shipment_reference="SHP-2026-001", treated_mass_kg=19950,
                           recovered_kg={"Co": 500, "Ni": 1300, "Li": 250}),
    }
    docs.update(overrides)
    return [d for d in docs.values() if d is not None]


def model(**fields) -> ModelFacts:
    base = dict(id="model-1", code="EV-75", name="EV pack 75 kWh", manufacturer="SinoEV", eu_category="ev",
                chemistry="ncm", rated_energy_kwh=Decimal("75"), manufacturing_plant="Suzhou plant 2",
                plant_country="CN")
    base.update(fields)
    return ModelFacts(**base)


def model_year(year: int = 2026, *, lots=(), **fields) -> ModelYearFacts:
    return ModelYearFacts(model=model(**fields), year=year, lots=tuple(lots))


def lot(code_: str = "BM-1", **fields) -> Lot:
    base = dict(id=f"lot-{code_}", code=code_, kind="black_mass", mass_kg=Decimal("1000"),
                produced_on=date(2026, 2, 10), origin="post_consumer", custody_model="mass_balance")
    base.update(fields)
    return Lot(**base)


def lot_facts(the_lot: Lot | None = None, docs=(), claims=()) -> LotFacts:
    return LotFacts(lot=the_lot or lot(), docs=tuple(docs), claims=tuple(claims))


def custody(**fields) -> CustodyFacts:
    return CustodyFacts(**fields)


def with_docs(facts, docs):
    if isinstance(facts, ModelYearFacts):
        return replace(facts, model=replace(facts.model, docs=tuple(docs)))
    return replace(facts, docs=tuple(docs))
