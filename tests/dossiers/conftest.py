"""Register data for dossier tests, made directly with the register's models, the other apps' data
through their services (checklist evaluations, custody transfers, findings), and helpers to request
and render a dossier in this process."""
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apps.accounts import access as access_module
from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.core.hashing import sha256_hex
from apps.dossiers import services
from apps.dossiers.models import Dossier
from apps.dossiers.tasks import render_dossier_task
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

EVIDENCE_BYTES = b"%PDF-1.4\n% signed recycling contract\n%%EOF\n"


def make_shipment(reference: str = "SHP-0001", units: int = 5, evidence: bool = True,
                  title: str = "回收合同 Recycling contract", missing_file: bool = False) -> Shipment:
    model, _ = BatteryModel.objects.get_or_create(
        code="SE-LFP-280", defaults={"name": "华源 LFP 280Ah", "eu_category": "ev", "chemistry": "lfp",
                                     "manufacturing_plant": "Suzhou 苏州"})
    shipment = Shipment.objects.create(reference=reference, direction="outbound", counterparty_name="贝塔回收",
                                       counterparty_country="DE", origin_country="CN", destination_country="DE",
                                       dispatch_date=date(2026, 4, 1))
    created = BatteryUnit.objects.bulk_create(
        BatteryUnit(code=f"{reference}-U{i:05d}", scheme="gbt34014", level="pack", model=model,
                    status="waste", manufactured_on=date(2020, 1, 1), mass_kg=Decimal("300.000"))
        for i in range(units))
    ShipmentUnit.objects.bulk_create(ShipmentUnit(shipment=shipment, unit=u) for u in created)
    ShipmentMass.objects.create(shipment=shipment, chemistry="lfp", net_mass_kg=Decimal(units * 300))
    black = MaterialLot.objects.create(code=f"BM-{reference}", kind="black_mass", mass_kg=Decimal(units * 100))
    black.source_shipments.add(shipment)
    LotElement.objects.create(lot=black, element="Li", percent=Decimal("4.0"))
    product = MaterialLot.objects.create(code=f"LC-{reference}", kind="lithium_carbonate", mass_kg=Decimal(units * 20))
    product.source_lots.add(black)
    LotElement.objects.create(lot=product, element="Li", percent=Decimal("18.7"))
    if evidence:
        add_evidence(shipment, title=title, missing_file=missing_file)
    return shipment


def add_evidence(shipment: Shipment, *, title: str, missing_file: bool = False, content: bytes = EVIDENCE_BYTES,
                 doc_type: str = "contract"):
    name = f"evidence/tests/{shipment.pk}/{sha256_hex(title.encode())[:8]}.pdf"
    if not missing_file:
        name = default_storage.save(name, ContentFile(content))
    document = Evidence.objects.create(doc_type=doc_type, title=title, reference="C-1", issuer="Beta")
    document.shipments.add(shipment)
    EvidenceRevision.objects.create(evidence=document, number=1, storage_name=name, original_filename="contract.pdf",
                                    sha256=sha256_hex(content), size=len(content), content_type="application/pdf",
                                    status="accepted")
    return document


def request_dossier(access: Access, organisation, shipment: Shipment, language: str = "zh-hans") -> Dossier:
    return services.dossier_request(access=access, organisation=organisation, scope_kind="shipment",
                                    shipment_id=shipment.pk, language=language, enqueue=False)


def render_now(dossier: Dossier) -> Dossier:
    """Run the render task in this process (its body, as the worker would)."""
    render_dossier_task.apply(kwargs={"dossier_id": str(dossier.pk)})
    return Dossier.objects.get(pk=dossier.pk)


@pytest.fixture
def auditor_resolver(settings):
    """Grants users listed in `grants` an auditor Access narrowed to some shipments / dossiers,
    as the audits app's engagement resolver will."""
    grants: dict = {}

    def resolver(*, user, organisation):
        grant = grants.get((user.pk, organisation.pk))
        if grant is None:
            return None
        return Access(organisation_id=organisation.pk, role=Role.AUDITOR, user_id=user.pk, label=user.email,
                      shipment_scope=grant.get("shipments"), dossier_scope=grant.get("dossiers"))

    import tests.dossiers.conftest as here

    here._GRANT_RESOLVER = resolver
    settings.ACCESS_RESOLVERS = [*settings.ACCESS_RESOLVERS, "tests.dossiers.conftest.grant_resolver"]
    access_module._resolvers.cache_clear()
    yield grants
    access_module._resolvers.cache_clear()


_GRANT_RESOLVER = None


def grant_resolver(*, user, organisation):
    return _GRANT_RESOLVER(user=user, organisation=organisation) if _GRANT_RESOLVER else None


# --- the other apps' data, through their services -------------------------------------------------

def pdf_upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.evidence.files import make_pdf

    return SimpleUploadedFile(name, make_pdf(name), content_type="application/pdf")


def evaluate_checklists(owner: Access, shipment: Shipment, protocols=("cn-export-2026", "gbt34014-codes")):
    """Select the protocols and evaluate the shipment now (in the current schema)."""
    from apps.checklists.services import scope_evaluate, selection_set

    selection_set(access=owner, protocol_ids=list(protocols))
    return scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk))


def custody_pathway(sender_access: Access, receiver_access: Access, shipment: Shipment, receiver, *,
                    prefix: str = "", certify: bool = True):
    """Dispatch `shipment` to `receiver`, confirm receipt 0.5 % short, record black mass and nickel
    sulfate, issue the certificate (custody services, as the two parties would)."""
    from apps.custody import services as custody

    transfer = custody.shipment_dispatch(access=sender_access, shipment_id=shipment.pk, receiver_id=receiver.pk)
    received = (transfer.declared_net_mass_kg * Decimal("0.995")).quantize(Decimal("0.001"))
    custody.transfer_confirm_receipt(access=receiver_access, transfer_id=transfer.pk, received_on=date(2026, 4, 20),
                                     net_mass_kg=received, unit_count=transfer.declared_unit_count,
                                     ticket=pdf_upload(f"ticket-{prefix}{shipment.reference}.pdf"),
                                     ticket_number=f"WB-{shipment.reference}", gross_kg=received + Decimal("14380"),
                                     tare_kg=Decimal("14380"))
    custody.transfer_record_processing(
        access=receiver_access, transfer_id=transfer.pk, processed_on=date(2026, 5, 2), lots=[
            custody.LotInput(f"{prefix}BMX-{shipment.reference}", "black_mass", Decimal("420.000"),
                             {"Co": Decimal("8.2"), "Ni": Decimal("21.5")}),
            custody.LotInput(f"{prefix}NSX-{shipment.reference}", "nickel_sulfate", Decimal("300.000"),
                             {"Ni": Decimal("22.0")})])
    if certify:
        custody.transfer_issue_certificate(access=receiver_access, transfer_id=transfer.pk,
                                           number=f"CR-{prefix}{shipment.reference}", issued_on=date(2026, 5, 9),
                                           statement="Recycled in accordance with Annex XII.")
    transfer.refresh_from_db()
    return transfer


def raise_finding(organisation, manager: Access, *, target_kind: str, target_id: str, title: str,
                  answer: str = "We will upload the corrected document."):
    """An auditor's finding (as raised through an engagement) and the organisation's answer."""
    from apps.audits.findings.services import finding_answer, finding_raise

    auditor = Access(organisation_id=organisation.pk, role=Role.AUDITOR, user_id=uuid.uuid4(),
                     label="sophie@audit.test", engagement_id=uuid.uuid4())
    finding = finding_raise(access=auditor, target_kind=target_kind, target_id=target_id, severity="major",
                            title=title, text="The document does not name the processing plant.")
    return finding_answer(access=manager, finding=finding, text=answer)
