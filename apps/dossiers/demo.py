"""Demo: an issued dossier for sinoev's demo shipment (idempotent; rendered synchronously, it is small).

It uses the shipment the register's demo seeder made for sinoev. While that seeder is not there
(the register lands separately), a small shipment with units, declared masses, a black-mass lot, a
recovered lot and one evidence document is created here so that `make run` shows a real dossier.
"""
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.core.hashing import sha256_hex
from apps.evidence.models import Evidence, EvidenceRevision
from apps.traceability.models import (
    BatteryModel,
    BatteryUnit,
    LotElement,
    MaterialLot,
    Shipment,
    ShipmentMass,
    ShipmentUnit,
)

from .models import Dossier, DossierLanguage, ScopeKind

DEMO_REFERENCE = "SE-2026-DEMO-001"
DEMO_UNITS = 24


def _fallback_shipment() -> Shipment:
    with transaction.atomic():
        model, _created = BatteryModel.objects.get_or_create(
            code="SE-LFP-280", defaults={"name": "华源 LFP 280Ah 储能电池包", "manufacturer": "SinoEV",
                                         "eu_category": "ev", "chemistry": "lfp", "mass_kg": Decimal("310.000"),
                                         "manufacturing_plant": "Suzhou 苏州"})
        shipment = Shipment.objects.create(
            reference=DEMO_REFERENCE, direction="outbound", status="dispatched",
            counterparty_name="EcoCycle Batterierecycling GmbH", counterparty_country="DE", origin_country="CN",
            destination_country="DE", hs_code="854911", un_number="UN3480", is_waste=True, waste_code="16 06 01*",
            dispatch_date=date(2026, 4, 20), arrival_date=date(2026, 5, 28))
        units = BatteryUnit.objects.bulk_create(
            BatteryUnit(code=f"03HPB0DK0A0BCS4C0000{i:04d}", scheme="gbt34014", level="pack", model=model,
                        status="waste", manufactured_on=date(2019, 6, 1), mass_kg=Decimal("310.000"))
            for i in range(1, DEMO_UNITS + 1))
        ShipmentUnit.objects.bulk_create(ShipmentUnit(shipment=shipment, unit=u) for u in units)
        ShipmentMass.objects.create(shipment=shipment, chemistry="lfp", net_mass_kg=Decimal(DEMO_UNITS * 310))
        black = MaterialLot.objects.create(code="BM-2026-0611", kind="black_mass", mass_kg=Decimal("2600.000"),
                                           produced_on=date(2026, 6, 11), custody_model="mass_balance")
        black.source_shipments.add(shipment)
        LotElement.objects.bulk_create([LotElement(lot=black, element="Li", percent=Decimal("3.9000")),
                                        LotElement(lot=black, element="Fe", percent=Decimal("24.0000"))])
        carbonate = MaterialLot.objects.create(code="LC-2026-0702", kind="lithium_carbonate",
                                               mass_kg=Decimal("480.000"), produced_on=date(2026, 7, 2),
                                               custody_model="mass_balance")
        carbonate.source_lots.add(black)
        LotElement.objects.create(lot=carbonate, element="Li", percent=Decimal("18.7000"))
        content = b"%PDF-1.4\n% demo recycling contract between SinoEV and EcoCycle\n%%EOF\n"
        name = default_storage.save(f"evidence/demo/{shipment.pk}/contract.pdf", ContentFile(content))
        evidence = Evidence.objects.create(doc_type="contract", title="回收服务合同 Recycling service contract",
                                           reference="SE-EC-2026-07", issuer="EcoCycle Batterierecycling GmbH")
        evidence.shipments.add(shipment)
        EvidenceRevision.objects.create(evidence=evidence, number=1, storage_name=name,
                                        original_filename="contract.pdf", sha256=sha256_hex(content),
                                        size=len(content), content_type="application/pdf",
                                        effective_date=date(2026, 1, 1), expiry_date=date(2027, 12, 31),
                                        status="accepted", uploaded_by_label="staff@sinoev.demo",
                                        reviewed_by_label="manager@sinoev.demo")
    return shipment


def seed(context: dict[str, Any]) -> None:
    from . import services
    from .tasks import render_dossier_task

    organisation = context.get("organisations", {}).get("sinoev")
    manager = context.get("users", {}).get("manager@sinoev.demo")
    if organisation is None or manager is None:
        return
    with schema_context(organisation.schema_name):
        shipment = Shipment.objects.order_by("dispatch_date", "reference").first() or _fallback_shipment()
        if Dossier.objects.filter(scope_kind=ScopeKind.SHIPMENT, scope_id=shipment.pk).exists():
            return
        access = Access(organisation_id=organisation.pk, role=Role.COMPLIANCE_MANAGER, user_id=manager.pk,
                        label=manager.email)
        dossier = services.dossier_request(access=access, organisation=organisation, scope_kind=ScopeKind.SHIPMENT,
                                           shipment_id=shipment.pk, language=DossierLanguage.BILINGUAL,
                                           enqueue=False)
        render_dossier_task.apply(kwargs={"dossier_id": str(dossier.pk)})
