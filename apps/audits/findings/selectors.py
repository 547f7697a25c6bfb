"""Reads for findings (inside the organisation's schema). Members see every finding; an auditor
sees only those of the engagement they act through."""
from django.db.models import Count, Prefetch, Q, QuerySet

from apps.accounts.access import Access
from apps.traceability.models import Shipment

from .models import Finding, FindingMessage, FindingStatus, TargetKind


def finding_list(*, access: Access, status: str = "") -> QuerySet[Finding]:
    findings = Finding.objects.annotate(message_count=Count("messages")).order_by("-number")
    if access.engagement_id is not None:
        findings = findings.filter(engagement_id=access.engagement_id)
    if status in FindingStatus.values:
        findings = findings.filter(status=status)
    return findings


def finding_get(*, access: Access, finding_id) -> Finding | None:
    findings = Finding.objects.prefetch_related(Prefetch("messages", queryset=FindingMessage.objects.order_by("id")))
    if access.engagement_id is not None:
        findings = findings.filter(engagement_id=access.engagement_id)
    return findings.filter(pk=finding_id).first()


def finding_counts(*, access: Access) -> dict[str, int]:
    findings = Finding.objects.all()
    if access.engagement_id is not None:
        findings = findings.filter(engagement_id=access.engagement_id)
    return findings.aggregate(open=Count("id", filter=~Q(status=FindingStatus.RESOLVED)), total=Count("id"))


def shipments_in_scope(*, access: Access, limit: int = 500) -> list[tuple[str, str]]:
    """(id, reference) of the shipments an auditor may raise findings on (for the form)."""
    shipments = Shipment.objects.order_by("-created_at")
    if access.shipment_scope is not None:
        shipments = shipments.filter(pk__in=access.shipment_scope)
    return [(str(pk), reference) for pk, reference in shipments.values_list("pk", "reference")[:limit]]


def requirement_key(requirement_id: str) -> str:
    """A requirement id as findings and checklists may spell it ("recycling-certificate",
    "cn-export-2026:recycling_certificate") reduced to the protocol's form ("recycling_certificate")."""
    return requirement_id.strip().rsplit(":", 1)[-1].lower().replace("-", "_")


def finding_threads(*, shipment_ids=(), revision_ids=(), requirement_ids=()) -> list[Finding]:
    """Every finding (of any engagement) about these shipments, evidence revisions or checklist
    requirements, with its thread, oldest first: what a dossier of that scope reports. A finding on a
    requirement names the requirement only, so it belongs to every scope whose checklist has it.
    Two queries, whatever the number of targets."""
    targets = Q(target_kind=TargetKind.SHIPMENT, target_id__in=[str(i) for i in shipment_ids]) \
        | Q(target_kind=TargetKind.EVIDENCE_REVISION, target_id__in=[str(i) for i in revision_ids])
    wanted = {requirement_key(r) for r in requirement_ids}
    if wanted:
        targets |= Q(target_kind=TargetKind.REQUIREMENT)
    findings = (Finding.objects.filter(targets)
                .prefetch_related(Prefetch("messages", queryset=FindingMessage.objects.order_by("id")))
                .order_by("number"))
    return [f for f in findings
            if f.target_kind != TargetKind.REQUIREMENT or requirement_key(f.target_id) in wanted]
