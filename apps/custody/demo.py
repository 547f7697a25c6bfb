"""Demo custody pathway between SinoEV (exporter) and EcoCycle (recycler), through the real services.

- An older shipment (SEV-2025-0117) went the whole way: dispatched, received within the tolerance, processed
  into black mass and recovered materials with assays, and certified.
- The current demo shipment (the register's outbound shipment to EcoCycle when there is one, else
  SEV-2026-0042) was dispatched and received with a small shortfall beyond the tolerance: a discrepancy is
  open, with a first question from EcoCycle.

Idempotent: what exists is left alone; a second run adds nothing.
"""
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.evidence import services as vault
from apps.evidence.models import EvidenceRevision, EvidenceType, RevisionStatus
from apps.traceability.models import (
    BatteryUnit,
    CodeScheme,
    Shipment,
    ShipmentDirection,
    ShipmentMass,
    ShipmentStatus,
    ShipmentUnit,
    UnitLevel,
)

from . import services
from .models import Discrepancy, Transfer

OLDER = "SEV-2025-0117"
CURRENT = "SEV-2026-0042"


def _pdf(title: str) -> bytes:
    """A small but well-formed one-page PDF naming the document (enough for the demo vault)."""
    text = title.replace("(", "[").replace(")", "]")
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _upload(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _pdf(title), content_type="application/pdf")


def _access(user, organisation) -> Access:
    return Access(organisation_id=organisation.pk, role=Role.STAFF, user_id=user.pk, label=user.email)


def _manifest_key_fields(shipment: Shipment) -> dict[str, Any]:
    """The consignment note's key fields under the vault's names, so the checklist compares them with the
    shipment like any uploaded manifest."""
    net = sum((m.net_mass_kg for m in shipment.masses.all()), Decimal(0))
    raw = {"document_number": f"CMR-{shipment.reference}", "carrier": "Sino-Euro Rail Logistics",
           "transport_mode": "rail", "net_mass_kg": net, "unit_count": shipment.shipment_units.count(),
           "un_number": shipment.un_number or "UN3480", "special_provision": "377", "packing_instruction": "P909",
           "dispatch_date": shipment.dispatch_date}
    return {k: v for k, v in raw.items() if v not in (None, "")}


def _ensure_manifest(sinoev, shipment: Shipment, exporter: Access, reviewer: Access | None = None) -> None:
    """The shipment's manifest (once); accepted by SinoEV's compliance manager when `reviewer` is given."""
    with schema_context(sinoev.schema_name):
        if EvidenceRevision.objects.filter(evidence__doc_type=EvidenceType.TRANSPORT_MANIFEST,
                                           evidence__shipments=shipment,
                                           status__in=[RevisionStatus.SUBMITTED, RevisionStatus.ACCEPTED]).exists():
            return
        revision = vault.evidence_upload(
            access=exporter, doc_type=EvidenceType.TRANSPORT_MANIFEST, title=f"CMR {shipment.reference}",
            upload=_upload(f"cmr-{shipment.reference}.pdf", f"CMR {shipment.reference}"),
            reference=f"CMR-{shipment.reference}", issuer="Sino-Euro Rail Logistics",
            effective_date=shipment.dispatch_date, links=vault.Links(shipments=[shipment]),
            key_fields=_manifest_key_fields(shipment))
        if reviewer is not None:
            vault.revision_accept(access=reviewer, revision=revision)


def _own_shipment(sinoev, ecocycle, exporter: Access, *, reference: str, dispatch_date: date,
                  masses: dict[str, str], units: int, reviewer: Access | None = None) -> Shipment:
    with schema_context(sinoev.schema_name):
        shipment = Shipment.objects.filter(reference=reference).first()
        if shipment is None:
            shipment = Shipment.objects.create(
                reference=reference, direction=ShipmentDirection.OUTBOUND, counterparty_organisation_id=ecocycle.pk,
                counterparty_name=ecocycle.name_en, counterparty_country=ecocycle.country, origin_country="CN",
                destination_country=ecocycle.country, hs_code="854913", un_number="UN3480", special_provision="377",
                packing_instruction="P909", is_waste=True,
                waste_code="16 06 05", dispatch_date=dispatch_date)
            for chemistry, kg in masses.items():
                ShipmentMass.objects.create(shipment=shipment, chemistry=chemistry, net_mass_kg=Decimal(kg))
            for n in range(units):
                code = f"03HPB{reference[-4:]}{n:015d}"[:24]
                unit, _created = BatteryUnit.objects.get_or_create(
                    code=code, defaults={"scheme": CodeScheme.GBT34014, "level": UnitLevel.PACK, "status": "waste"})
                ShipmentUnit.objects.get_or_create(shipment=shipment, unit=unit)
    _ensure_manifest(sinoev, shipment, exporter, reviewer)
    return shipment


def _register_demo_shipment(sinoev, ecocycle, exporter: Access) -> Shipment | None:
    """The register's own demo shipment to EcoCycle, when its seeder made one that can be dispatched."""
    with schema_context(sinoev.schema_name):
        for shipment in (Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND, status=ShipmentStatus.DRAFT)
                         .exclude(reference__in=[OLDER, CURRENT]).order_by("-dispatch_date", "reference")):
            addressed = shipment.counterparty_organisation_id == ecocycle.pk or (
                shipment.counterparty_organisation_id is None and "ecocycle" in shipment.counterparty_name.lower())
            declared = shipment.masses.exists() or shipment.shipment_units.exists()
            if addressed and declared:
                break
        else:
            return None
    _ensure_manifest(sinoev, shipment, exporter)
    return shipment


def _older_pathway(sinoev, ecocycle, exporter: Access, recycler: Access, reviewer: Access) -> None:
    # Its manifest was reviewed long ago: accepted (the current one still waits for review).
    shipment = _own_shipment(sinoev, ecocycle, exporter, reference=OLDER, dispatch_date=date(2025, 11, 3),
                             masses={"ncm": "8420.000"}, units=12, reviewer=reviewer)
    if Transfer.objects.filter(sender=sinoev, shipment_id=shipment.pk).exists():
        return
    transfer = services.shipment_dispatch(access=exporter, shipment_id=shipment.pk, receiver_id=ecocycle.pk)
    services.transfer_confirm_receipt(access=recycler, transfer_id=transfer.pk, received_on=date(2025, 11, 19),
                                      net_mass_kg=Decimal("8404.500"), unit_count=12, ticket_number="WB-25-1187",
                                      gross_kg=Decimal("23130"), tare_kg=Decimal("14420"),
                                      vehicle_registration="MD-EC 117",
                                      ticket=_upload("wb-25-1187.pdf", "Weighbridge ticket WB-25-1187 8404.5 kg"))
    lot = services.LotInput
    services.transfer_record_processing(
        access=recycler, transfer_id=transfer.pk, processed_on=date(2025, 12, 8),
        notes="Discharge, shredding and sieving at line 2; hydrometallurgical refining.",
        assay_report=_upload("assay-bm-2512-04.pdf", "Assay report BM-2512-04"), assay_laboratory="SGS Germany",
        assay_sample_date=date(2025, 12, 5), assay_report_number="SGS-25-88412", lots=[
            lot("BM-2512-04", "black_mass", Decimal("3790.000"),
                {"Ni": Decimal("19.8"), "Co": Decimal("6.1"), "Mn": Decimal("5.9"), "Li": Decimal("3.9")}),
            lot("NS-2512-11", "nickel_sulfate", Decimal("2960.000"), {"Ni": Decimal("22.1")}),
            lot("CS-2512-11", "cobalt_sulfate", Decimal("860.000"), {"Co": Decimal("20.4")}),
            lot("LC-2512-11", "lithium_carbonate", Decimal("710.000"), {"Li": Decimal("18.7")}),
        ])
    services.transfer_issue_certificate(
        access=recycler, transfer_id=transfer.pk, number="ECO-CR-2025-0117", issued_on=date(2025, 12, 15),
        statement="The waste batteries of consignment SEV-2025-0117 were recycled at EcoCycle's Magdeburg plant "
                  "in accordance with Annex XII of Regulation (EU) 2023/1542.",
        signed_file=_upload("eco-cr-2025-0117.pdf", "Certificate of recycling ECO-CR-2025-0117"))


def _current_pathway(sinoev, ecocycle, exporter: Access, recycler: Access) -> None:
    today = date.today()
    shipment = _register_demo_shipment(sinoev, ecocycle, exporter) or _own_shipment(
        sinoev, ecocycle, exporter, reference=CURRENT, dispatch_date=today - timedelta(days=12),
        masses={"ncm": "9850.000", "lfp": "2750.000"}, units=18)
    if Transfer.objects.filter(sender=sinoev, shipment_id=shipment.pk).exists():
        return
    transfer = services.shipment_dispatch(access=exporter, shipment_id=shipment.pk, receiver_id=ecocycle.pk)
    declared = transfer.declared_net_mass_kg
    received = (declared * Decimal("0.9905")).quantize(Decimal("0.5"))  # about -0.95 %: beyond the 0.5 % tolerance
    services.transfer_confirm_receipt(
        access=recycler, transfer_id=transfer.pk, received_on=max(transfer.dispatched_on, today - timedelta(days=2)),
        net_mass_kg=received, unit_count=transfer.declared_unit_count, ticket_number="WB-26-0311",
        gross_kg=received + Decimal("14380"), tare_kg=Decimal("14380"), vehicle_registration="MD-EC 311",
        ticket=_upload("wb-26-0311.pdf", f"Weighbridge ticket WB-26-0311 {received} kg"))
    discrepancy = Discrepancy.objects.filter(transfer=transfer).first()
    if discrepancy is not None:
        services.discrepancy_comment(
            access=recycler, discrepancy_id=discrepancy.pk,
            body=f"Our weighbridge shows {received} kg against {declared} kg declared. Was the pallet weight "
                 "deducted twice on the CMR? Please check your loading ticket.")


def seed(context: dict[str, Any]) -> None:
    organisations, users = context["organisations"], context["users"]
    sinoev, ecocycle = organisations["sinoev"], organisations["ecocycle"]
    exporter = _access(users["staff@sinoev.demo"], sinoev)
    recycler = _access(users["staff@ecocycle.demo"], ecocycle)
    manager = users["manager@sinoev.demo"]
    reviewer = Access(organisation_id=sinoev.pk, role=Role.COMPLIANCE_MANAGER, user_id=manager.pk, label=manager.email)
    _older_pathway(sinoev, ecocycle, exporter, recycler, reviewer)
    _current_pathway(sinoev, ecocycle, exporter, recycler)
