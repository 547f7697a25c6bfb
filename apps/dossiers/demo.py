"""Demo: an issued dossier for sinoev's richest demo shipment (idempotent; rendered synchronously, it is small).

Runs after the other seeders (last in DEMO_SEEDERS), so the register, the vault, the custody pathway,
the checklist evaluations and the auditors' findings are there. The richest shipment is the one with
the most to show: custody ledger entries, evidence documents, checklist results and findings (then
the most units). One dossier is issued, in both languages, requested by the compliance manager; a
second run finds it (any shipment dossier that manager requested, not failed) and adds nothing.
"""
from typing import Any
from uuid import UUID

from django.db.models import Count
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.audits.findings.models import Finding, TargetKind
from apps.checklists.models import ScopeKind as ChecklistScope
from apps.checklists.models import ScopeStatus
from apps.custody.models import Transfer
from apps.traceability.models import Shipment

from .models import Dossier, DossierLanguage, DossierStatus, ScopeKind

MANAGER = "manager@sinoev.demo"


def richness(*, ledger: int, evidence: int, results: int, findings: int, units: int) -> tuple[int, int]:
    """What a shipment's dossier would show: its sections' contents first, then its unit list."""
    return ledger + evidence + results + findings, units


def richest_shipment(organisation) -> Shipment | None:
    """The organisation's shipment whose dossier shows the most (current schema; a fixed number of queries)."""
    shipments = list(Shipment.objects.annotate(n_evidence=Count("evidence", distinct=True),
                                               n_units=Count("shipment_units", distinct=True))
                     .order_by("reference"))
    if not shipments:
        return None
    ledger: dict[UUID, int] = {}
    for shipment_id, length in Transfer.objects.filter(sender_id=organisation.pk).values_list("shipment_id",
                                                                                               "ledger_length"):
        ledger[shipment_id] = ledger.get(shipment_id, 0) + length
    results = dict(ScopeStatus.objects.filter(scope_kind=ChecklistScope.SHIPMENT).values("scope_id")
                   .annotate(n=Count("evaluation__results")).values_list("scope_id", "n"))
    findings = dict(Finding.objects.filter(target_kind=TargetKind.SHIPMENT).values("target_id")
                    .annotate(n=Count("pk")).values_list("target_id", "n"))
    return max(shipments, key=lambda s: richness(ledger=ledger.get(s.pk, 0), evidence=s.n_evidence,
                                                 results=results.get(str(s.pk), 0),
                                                 findings=findings.get(str(s.pk), 0), units=s.n_units))


def seed(context: dict[str, Any]) -> None:
    from . import services
    from .tasks import render_dossier_task

    organisation = context.get("organisations", {}).get("sinoev")
    manager = context.get("users", {}).get(MANAGER)
    if organisation is None or manager is None:
        return
    with schema_context(organisation.schema_name):
        if (Dossier.objects.filter(scope_kind=ScopeKind.SHIPMENT, requested_by_label=manager.email)
                .exclude(status=DossierStatus.FAILED).exists()):
            return
        shipment = richest_shipment(organisation)
        if shipment is None:
            return
        access = Access(organisation_id=organisation.pk, role=Role.COMPLIANCE_MANAGER, user_id=manager.pk,
                        label=manager.email)
        dossier = services.dossier_request(access=access, organisation=organisation, scope_kind=ScopeKind.SHIPMENT,
                                           shipment_id=shipment.pk, language=DossierLanguage.BILINGUAL,
                                           enqueue=False)
        render_dossier_task.apply(kwargs={"dossier_id": str(dossier.pk)})
