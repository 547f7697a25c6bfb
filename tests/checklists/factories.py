"""Rows of the register and the evidence vault, created directly (the register and vault services are
built on other branches). Use inside a tenant schema (`with in_tenant(alpha):`)."""
import hashlib
from datetime import date
from decimal import Decimal

import factory

from apps.evidence.models import Evidence, EvidenceRevision, Review
from apps.traceability.models import (
    BatteryModel,
    BatteryUnit,
    LotElement,
    MaterialLot,
    Shipment,
    ShipmentMass,
    ShipmentUnit,
)


def gbt_code(n: int, level: str = "P") -> str:
    return f"X12{level}EAB0000001631{n:07d}"


class BatteryModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BatteryModel

    code = factory.Sequence(lambda n: f"EV-{n:03d}")
    name = factory.Sequence(lambda n: f"EV pack {n}")
    manufacturer = "Alpha Battery Export Co."
    eu_category = "ev"
    chemistry = "ncm"
    rated_energy_kwh = Decimal("75")
    manufacturing_plant = "Suzhou plant 2"
    plant_country = "CN"


class BatteryUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BatteryUnit

    code = factory.Sequence(lambda n: gbt_code(n + 1))
    scheme = "gbt34014"
    level = "pack"


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    reference = factory.Sequence(lambda n: f"SHP-2026-{n:04d}")
    direction = "outbound"
    status = "dispatched"
    counterparty_name = "Beta Recycling GmbH"
    counterparty_country = "DE"
    un_number = "UN3480"
    special_provision = "377"
    packing_instruction = "P909"
    is_waste = True
    waste_code = "16 06 05"
    hs_code = "8549.14"
    dispatch_date = date(2026, 5, 4)


def add_units(shipment: Shipment, units) -> None:
    ShipmentUnit.objects.bulk_create([ShipmentUnit(shipment=shipment, unit=u) for u in units])


def add_mass(shipment: Shipment, kg, chemistry: str = "ncm") -> ShipmentMass:
    return ShipmentMass.objects.create(shipment=shipment, chemistry=chemistry, net_mass_kg=Decimal(str(kg)))


class MaterialLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaterialLot

    code = factory.Sequence(lambda n: f"BM-{n:04d}")
    kind = "black_mass"
    mass_kg = Decimal("1000")
    produced_on = date(2026, 2, 10)
    custody_model = "mass_balance"


def add_elements(lot: MaterialLot, **percent) -> None:
    LotElement.objects.bulk_create([LotElement(lot=lot, element=el, percent=Decimal(str(v)))
                                    for el, v in percent.items()])


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    doc_type = "contract"
    title = factory.Sequence(lambda n: f"Document {n}")
    reference = factory.Sequence(lambda n: f"DOC-{n:04d}")


def revision(evidence: Evidence, *, number: int = 1, status: str = "accepted", effective: date | None = None,
             expiry: date | None = None, key_fields: dict | None = None, **extra) -> EvidenceRevision:
    content = f"{evidence.pk}:{number}".encode()
    return EvidenceRevision.objects.create(
        evidence=evidence, number=number, storage_name=f"evidence/{evidence.pk}/{number}.pdf",
        original_filename=f"{evidence.reference or 'doc'}.pdf", sha256=hashlib.sha256(content).hexdigest(),
        size=len(content), content_type="application/pdf", effective_date=effective, expiry_date=expiry,
        key_fields=key_fields or {}, status=status,
        rejection_reason="illegible scan" if status == "rejected" else "", **extra)


def document(doc_type: str, *, shipments=(), lots=(), units=(), models=(), status: str = "accepted",
             effective: date | None = None, expiry: date | None = None, reference: str = "", **key_fields):
    """An evidence document with one revision, linked to register objects."""
    evidence = EvidenceFactory(doc_type=doc_type, **({"reference": reference} if reference else {}))
    for name, objects in (("shipments", shipments), ("lots", lots), ("units", units), ("battery_models", models)):
        if objects:
            getattr(evidence, name).add(*objects)
    return evidence, revision(evidence, status=status, effective=effective, expiry=expiry, key_fields=key_fields)


def review(rev: EvidenceRevision, decision: str = "accepted", reason: str = "") -> Review:
    return Review.objects.create(revision=rev, decision=decision, reason=reason,
                                 reviewer_id="00000000-0000-0000-0000-000000000001", reviewer_label="manager")


def export_ready(shipment: Shipment, *, tonnes: int = 20) -> None:
    """Every document the export protocol needs before dispatch (contract, permit, manifest, customs,
    waste movement document), consistent with the shipment."""
    kg = tonnes * 1000
    add_mass(shipment, kg)
    document("contract", shipments=[shipment], effective=date(2026, 1, 1), expiry=date(2026, 12, 31),
             quantity_kg=kg, counterparty=shipment.counterparty_name)
    document("recycler_permit", shipments=[shipment], effective=date(2025, 1, 1), expiry=date(2028, 12, 31),
             holder=shipment.counterparty_name)
    document("transport_manifest", shipments=[shipment], net_mass_kg=kg, gross_mass_kg=kg + 1500)
    document("customs_declaration", shipments=[shipment], hs_code="85491400")
    document("waste_movement_document", shipments=[shipment], waste_code="160605")
