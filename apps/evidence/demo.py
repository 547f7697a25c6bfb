"""Demo evidence for sinoev's outbound shipment of waste EV batteries to ecocycle (idempotent).

The shipment is found or created by its reference (the register's seeder may create it first, or later
with get_or_create on the same reference). Files are small real PDFs rendered with WeasyPrint and go
through the same upload service as any user's file; reviews are made by the compliance manager, never
by the uploader.
"""
from __future__ import annotations

import io
import logging
from datetime import date
from typing import Any

from django.utils.html import escape
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.models import Membership, User
from apps.traceability.models import Shipment, ShipmentDirection, ShipmentStatus

from . import services
from .doctypes import doctype
from .models import Evidence, EvidenceType

SHIPMENT_REFERENCE = "SINOEV-EXP-2026-001"
UPLOADER = "staff@sinoev.demo"
REVIEWER = "manager@sinoev.demo"

DOCUMENTS: list[dict[str, Any]] = [
    {"doc_type": EvidenceType.CONTRACT, "reference": "SE-EC-2026-01", "issuer": "SinoEV / EcoCycle",
     "title": "Recycling service contract SinoEV – EcoCycle 2026 / 回收服务合同",
     "effective_date": date(2026, 1, 1), "expiry_date": date(2027, 12, 31),
     "key_fields": {"contract_number": "SE-EC-2026-01",
                    "parties": ["SinoEV Battery Export Co., Ltd.", "EcoCycle Batterierecycling GmbH"],
                    "counterparty": "EcoCycle Batterierecycling GmbH",
                    "material": "Waste Li-ion EV battery packs (NCM)",
                    # the consignment this call-off covers, so the checklist compares it with the manifest
                    "quantity": "18.64", "quantity_unit": "t"},
     "review": ("accept", "")},
    {"doc_type": EvidenceType.TRANSPORT_MANIFEST, "reference": "CMR-2026-0415", "issuer": "Trans-Eurasia Logistics",
     "title": "CMR consignment note CMR-2026-0415 / 国际货运单",
     "key_fields": {"document_number": "CMR-2026-0415", "carrier": "Trans-Eurasia Logistics",
                    "transport_mode": "multimodal", "net_mass_kg": "18640", "gross_mass_kg": "21310",
                    "unit_count": 48, "package_count": 12, "un_number": "UN3480", "special_provision": "377",
                    "packing_instruction": "P909", "dispatch_date": "2026-04-15",
                    "place_of_loading": "Suzhou, CN", "place_of_delivery": "Darmstadt, DE"},
     "review": ("accept", "")},
    {"doc_type": EvidenceType.CUSTOMS_DECLARATION, "reference": "223120260000415367", "issuer": "Shanghai Customs",
     "title": "Export customs declaration 223120260000415367 / 出口报关单",
     "key_fields": {"declaration_number": "223120260000415367", "direction": "export", "hs_code": "8549.13",
                    "net_mass_kg": "18640", "gross_mass_kg": "21310", "declared_on": "2026-04-14",
                    "customs_office": "Shanghai Customs (2200)", "country_of_destination": "DE"},
     "review": None},
    {"doc_type": EvidenceType.DANGEROUS_GOODS_DECLARATION, "reference": "DGD-2026-0415", "issuer": "SinoEV",
     "title": "Dangerous goods declaration DGD-2026-0415 / 危险品申报单",
     "key_fields": {"document_number": "DGD-2026-0415", "un_number": "UN3480",
                    "proper_shipping_name": "LITHIUM ION BATTERIES", "hazard_class": "9", "special_provision": "377",
                    "packing_instruction": "P909", "net_mass_kg": "18640", "package_count": 12},
     "review": ("reject", "The declaration is not signed by the shipper. Upload the signed version. "
                          "/ 申报单缺少发货人签字，请上传签字版本。")},
    {"doc_type": EvidenceType.RECYCLER_PERMIT, "reference": "DA-IV/2025-1187",
     "issuer": "Regierungspräsidium Darmstadt",
     "title": "EcoCycle treatment permit DA-IV/2025-1187 / 回收企业许可证",
     "effective_date": date(2025, 3, 1), "expiry_date": date(2030, 2, 28),
     "key_fields": {"holder": "EcoCycle Batterierecycling GmbH", "authority": "Regierungspräsidium Darmstadt",
                    "permit_number": "DA-IV/2025-1187",
                    "scope": "Treatment of waste lithium batteries (16 06 05), R4/R12",
                    "capacity_t_per_year": "25000", "whitelist_qualification": "not_listed"},
     "review": ("accept", "")},
]


def demo_pdf(title: str, rows: list[tuple[str, str]]) -> bytes:
    """A one-page PDF with the document's title and its key fields (WeasyPrint)."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress log would drown the seed output
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    html = f"""<html><head><meta charset="utf-8"><style>
      @page {{ size: A4; margin: 2cm; }}
      body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 11pt; }}
      h1 {{ font-size: 16pt; }} th {{ text-align: left; padding-right: 1em; }}
      .demo {{ color: #888; font-size: 9pt; margin-top: 2em; }}
    </style></head><body><h1>{escape(title)}</h1><table>{body}</table>
    <p class="demo">Cellpass demo document / 演示文件</p></body></html>"""
    return HTML(string=html).write_pdf()


def _access(organisation: Any, email: str) -> Access:
    user = User.objects.get(email=email)
    membership = Membership.objects.get(user=user, organisation=organisation)
    return Access(organisation_id=organisation.pk, role=membership.role, user_id=user.pk, label=user.email,
                  membership_id=membership.pk)


def _shipment(ecocycle: Any) -> Shipment:
    shipment, _created = Shipment.objects.get_or_create(reference=SHIPMENT_REFERENCE, defaults={
        "direction": ShipmentDirection.OUTBOUND, "status": ShipmentStatus.DISPATCHED,
        "counterparty_organisation_id": ecocycle.pk if ecocycle else None,
        "counterparty_name": "EcoCycle Batterierecycling GmbH", "counterparty_country": "DE",
        "origin_country": "CN", "destination_country": "DE", "hs_code": "854913", "un_number": "UN3480",
        "special_provision": "377", "packing_instruction": "P909", "is_waste": True, "waste_code": "16 06 05",
        "dispatch_date": date(2026, 4, 15), "arrival_date": date(2026, 5, 20)})
    return shipment


def seed(context: dict[str, Any]) -> None:
    organisations = context.get("organisations", {})
    sinoev, ecocycle = organisations.get("sinoev"), organisations.get("ecocycle")
    if sinoev is None:
        return
    uploader, reviewer = _access(sinoev, UPLOADER), _access(sinoev, REVIEWER)
    with schema_context(sinoev.schema_name):
        shipment = _shipment(ecocycle)
        for spec in DOCUMENTS:
            if Evidence.objects.filter(doc_type=spec["doc_type"], reference=spec["reference"]).exists():
                continue
            rows = [(str(f.label), str(spec["key_fields"][f.name])) for f in doctype(spec["doc_type"]).fields
                    if f.name in spec["key_fields"]]
            pdf = demo_pdf(spec["title"], [("Shipment / 货运", SHIPMENT_REFERENCE), *rows])
            revision = services.evidence_upload(
                access=uploader, doc_type=spec["doc_type"], title=spec["title"], upload=io.BytesIO(pdf),
                filename=f"{spec['doc_type']}-{spec['reference'].replace('/', '-')}.pdf",
                key_fields=spec["key_fields"], effective_date=spec.get("effective_date"),
                expiry_date=spec.get("expiry_date"), reference=spec["reference"], issuer=spec["issuer"],
                links=services.Links(shipments=[shipment]))
            if spec["review"] is None:
                continue
            decision, reason = spec["review"]
            if decision == "accept":
                services.revision_accept(access=reviewer, revision=revision)
            else:
                services.revision_reject(access=reviewer, revision=revision, reason=reason)
