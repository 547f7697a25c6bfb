"""Frozen facts for the engine tests (no database): small builders with sensible defaults."""
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from uuid import UUID

from apps.checklists.facts import CustodyFacts, Doc, Lot, LotFacts, ModelFacts, ModelYearFacts, ShipmentFacts, Unit
from apps.custody.facts import DiscrepancyFact, LotFact

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
        "receipt": doc("receipt", received_on="2026-05-09", received_net_mass_kg=19950),
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
    """Custody facts of `shipment()` as the sender sees them: dispatched to EcoCycle on 4 May, nothing
    received yet (override what the case needs)."""
    base = dict(shipment_id=UUID(int=1), transfer_id=UUID(int=2), role="sender", status="dispatched",
                sender_id=UUID(int=3), sender_name="SinoEV", receiver_id=UUID(int=4),
                receiver_name="EcoCycle Batterierecycling GmbH", receiver_joined=True, dispatched_on=date(2026, 5, 4),
                declared_net_mass_kg=Decimal(20000), declared_masses=(("ncm", Decimal(20000)),),
                declared_unit_count=0, unit_codes_sha256="u" * 64, manifest_sha256="m" * 64,
                declaration_sha256="d" * 64, confirmed_by_counterparty=False, receipt_source=None, received_on=None,
                received_net_mass_kg=None, received_unit_count=None, receipt_document_sha256="", discrepancies=(),
                processed_on=None, black_mass_kg=None, lots=(), lots_sha256="", certificate_number="",
                certificate_issued_on=None, certificate_sha256="", ledger_length=1, ledger_head="h" * 64)
    base.update(fields)
    return CustodyFacts(**base)


def confirmed(received_kg=19900, units=None, on=date(2026, 5, 9), **fields) -> CustodyFacts:
    """Received and confirmed by EcoCycle on the platform."""
    base = dict(status="received", confirmed_by_counterparty=True, receipt_source="counterparty", received_on=on,
                received_net_mass_kg=Decimal(str(received_kg)), received_unit_count=units)
    return custody(**{**base, **fields})


def discrepancy(kind="tolerance", status="open", reason="", declared=20000, received=19800, resolution=""):
    return DiscrepancyFact(id=UUID(int=9), kind=kind, status=status, reason=reason,
                           declared_net_mass_kg=Decimal(declared),
                           received_net_mass_kg=Decimal(received) if received is not None else None,
                           declared_unit_count=0, received_unit_count=None,
                           opened_at=datetime(2026, 5, 9, 10, 0, tzinfo=UTC), resolution=resolution,
                           resolved_at=datetime(2026, 5, 12, 9, 0, tzinfo=UTC) if status == "resolved" else None)


def processing_lot(code_: str, kind: str, mass_kg, **elements) -> LotFact:
    return LotFact(code=code_, kind=kind, mass_kg=Decimal(str(mass_kg)),
                   elements=tuple(sorted((el, Decimal(str(pct))) for el, pct in elements.items())))


def with_docs(facts, docs):
    if isinstance(facts, ModelYearFacts):
        return replace(facts, model=replace(facts.model, docs=tuple(docs)))
    return replace(facts, docs=tuple(docs))
