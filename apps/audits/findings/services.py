"""Writes for findings (run inside the organisation's schema): raise, answer, reply, resolve,
reopen. Every change appends a message to the thread and an entry to the activity log in the same
transaction; e-mails go out after the commit."""
import re
import uuid
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.access import Access
from apps.accounts.models import Membership
from apps.accounts.roles import Perm, Role
from apps.activity.services import activity_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.evidence.models import EvidenceRevision
from apps.tenants.hosts import organisation_url
from apps.tenants.models import Organisation
from apps.traceability.models import Shipment

from ..models import Engagement
from ..notifications import send_bilingual
from .models import Finding, FindingMessage, FindingStatus, MessageKind, Severity, TargetKind

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_TARGET_NOT_FOUND = _("Nothing with this identifier is within your engagement.")
MSG_REQUIREMENT_INVALID = _("A requirement identifier uses letters, digits, dots, dashes, colons and underscores "
                            "(at most 100).")
MSG_TARGET_KIND_INVALID = _("Choose what the finding is about.")
MSG_SEVERITY_INVALID = _("Choose a severity.")
MSG_TITLE_REQUIRED = _("Give the finding a short title (at most 200 characters).")
MSG_TEXT_REQUIRED = _("Write a message (at most 10,000 characters).")
MSG_FINDING_RESOLVED = _("This finding is resolved; reopen it to continue the thread.")
MSG_FINDING_NOT_RESOLVED = _("Only a resolved finding can be reopened.")

REQUIREMENT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
TEXT_LIMIT = 10_000


class NotFoundError(ApplicationError):
    """Missing, or outside the caller's scope: the same answer for both."""

    status = 404


def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def _require_own_engagement(access: Access, finding: Finding) -> None:
    """An auditor acts only on findings of the engagement they are acting through."""
    _require(access, Perm.FINDING_RAISE)
    if access.engagement_id is None or access.engagement_id != finding.engagement_id:
        raise NotFoundError(MSG_TARGET_NOT_FOUND, code="not_found")


def _text(text: str, *, required: bool = True) -> str:
    text = (text or "").strip()
    if (required and not text) or len(text) > TEXT_LIMIT:
        raise ApplicationError(MSG_TEXT_REQUIRED, code="text_invalid", field="text")
    return text


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError as exc:
        raise NotFoundError(MSG_TARGET_NOT_FOUND, code="target_not_found", field="target_id") from exc


def resolve_target(*, access: Access, kind: str, target_id: str) -> tuple[str, str]:
    """(normalised id, label) of what a finding is about, if it exists and is in the caller's scope."""
    if kind == TargetKind.REQUIREMENT:
        target_id = (target_id or "").strip()
        if not REQUIREMENT_ID.match(target_id):
            raise ApplicationError(MSG_REQUIREMENT_INVALID, code="requirement_invalid", field="target_id")
        return target_id, target_id
    if kind == TargetKind.SHIPMENT:
        pk = _uuid(target_id)
        shipment = Shipment.objects.filter(pk=pk).only("id", "reference").first()
        if shipment is None or not access.sees_shipment(shipment.pk):
            raise NotFoundError(MSG_TARGET_NOT_FOUND, code="target_not_found", field="target_id")
        return str(shipment.pk), shipment.reference
    if kind == TargetKind.EVIDENCE_REVISION:
        pk = _uuid(target_id)
        revision = EvidenceRevision.objects.filter(pk=pk).select_related("evidence").first()
        if revision is None:
            raise NotFoundError(MSG_TARGET_NOT_FOUND, code="target_not_found", field="target_id")
        if access.shipment_scope is not None:
            linked = set(revision.evidence.shipments.values_list("pk", flat=True))
            if not linked & access.shipment_scope:
                raise NotFoundError(MSG_TARGET_NOT_FOUND, code="target_not_found", field="target_id")
        label = f"{revision.evidence.title} · r{revision.number} ({revision.original_filename})"
        return str(revision.pk), label[:300]
    raise ApplicationError(MSG_TARGET_KIND_INVALID, code="target_kind_invalid", field="target_kind")


def _next_number() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"findings:{connection.schema_name}"])
    last = Finding.objects.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _message(finding: Finding, *, access: Access, kind: str, text: str) -> FindingMessage:
    return FindingMessage.objects.create(finding=finding, at=timezone.now(), kind=kind, author_id=access.user_id,
                                         author_label=access.label[:254],
                                         from_auditor=access.engagement_id is not None, text=text)


def _locked(finding: Finding) -> Finding:
    return Finding.objects.select_for_update().get(pk=finding.pk)


@transaction.atomic
def finding_raise(*, access: Access, target_kind: str, target_id: str, severity: str, title: str,
                  text: str) -> Finding:
    _require(access, Perm.FINDING_RAISE)
    if access.engagement_id is None:
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")
    if severity not in Severity.values:
        raise ApplicationError(MSG_SEVERITY_INVALID, code="severity_invalid", field="severity")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ApplicationError(MSG_TITLE_REQUIRED, code="title_invalid", field="title")
    text = _text(text)
    target_id, label = resolve_target(access=access, kind=target_kind, target_id=target_id)
    finding = Finding.objects.create(
        number=_next_number(), engagement_id=access.engagement_id, target_kind=target_kind, target_id=target_id,
        target_label=label, severity=severity, title=title, raised_by_id=access.user_id,
        raised_by_label=access.label[:254])
    _message(finding, access=access, kind=MessageKind.RAISED, text=text)
    activity_record(actor=access.actor, verb="finding.raised", obj=finding, data={
        "number": finding.number, "severity": severity, "target_kind": target_kind, "target_id": target_id})
    _notify(finding, to_auditor=False, event="raised", text=text)
    return finding


@transaction.atomic
def finding_answer(*, access: Access, finding: Finding, text: str) -> Finding:
    _require(access, Perm.FINDING_ANSWER)
    finding = _locked(finding)
    if finding.status == FindingStatus.RESOLVED:
        raise ApplicationError(MSG_FINDING_RESOLVED, code="finding_resolved")
    text = _text(text)
    _message(finding, access=access, kind=MessageKind.ANSWER, text=text)
    finding.status = FindingStatus.ANSWERED
    finding.save(update_fields=["status", "updated_at"])
    activity_record(actor=access.actor, verb="finding.answered", obj=finding, data={"number": finding.number})
    _notify(finding, to_auditor=True, event="answered", text=text)
    return finding


@transaction.atomic
def finding_reply(*, access: Access, finding: Finding, text: str) -> Finding:
    _require_own_engagement(access, finding)
    finding = _locked(finding)
    if finding.status == FindingStatus.RESOLVED:
        raise ApplicationError(MSG_FINDING_RESOLVED, code="finding_resolved")
    text = _text(text)
    _message(finding, access=access, kind=MessageKind.REPLY, text=text)
    finding.status = FindingStatus.OPEN
    finding.save(update_fields=["status", "updated_at"])
    activity_record(actor=access.actor, verb="finding.replied", obj=finding, data={"number": finding.number})
    _notify(finding, to_auditor=False, event="replied", text=text)
    return finding


@transaction.atomic
def finding_resolve(*, access: Access, finding: Finding, text: str = "") -> Finding:
    _require(access, Perm.FINDING_ANSWER)
    finding = _locked(finding)
    if finding.status == FindingStatus.RESOLVED:
        raise ApplicationError(MSG_FINDING_RESOLVED, code="finding_resolved")
    text = _text(text, required=False)
    _message(finding, access=access, kind=MessageKind.RESOLUTION, text=text)
    finding.status = FindingStatus.RESOLVED
    finding.resolved_at = timezone.now()
    finding.resolved_by_label = access.label[:254]
    finding.save(update_fields=["status", "resolved_at", "resolved_by_label", "updated_at"])
    activity_record(actor=access.actor, verb="finding.resolved", obj=finding, data={"number": finding.number})
    _notify(finding, to_auditor=True, event="resolved", text=text)
    return finding


@transaction.atomic
def finding_reopen(*, access: Access, finding: Finding, text: str) -> Finding:
    _require_own_engagement(access, finding)
    finding = _locked(finding)
    if finding.status != FindingStatus.RESOLVED:
        raise ApplicationError(MSG_FINDING_NOT_RESOLVED, code="finding_not_resolved")
    text = _text(text)
    _message(finding, access=access, kind=MessageKind.REOPENING, text=text)
    finding.status = FindingStatus.OPEN
    finding.resolved_at = None
    finding.resolved_by_label = ""
    finding.save(update_fields=["status", "resolved_at", "resolved_by_label", "updated_at"])
    activity_record(actor=access.actor, verb="finding.reopened", obj=finding, data={"number": finding.number})
    _notify(finding, to_auditor=False, event="reopened", text=text)
    return finding


# --- e-mail --------------------------------------------------------------------------------

SUBJECTS: dict[str, Any] = {
    "raised": _("Audit finding %(reference)s raised at %(organisation)s"),
    "replied": _("The auditor replied on finding %(reference)s at %(organisation)s"),
    "reopened": _("The auditor reopened finding %(reference)s at %(organisation)s"),
    "answered": _("%(organisation)s answered finding %(reference)s"),
    "resolved": _("%(organisation)s resolved finding %(reference)s"),
}


def _notify(finding: Finding, *, to_auditor: bool, event: str, text: str) -> None:
    """Auditor → the organisation's owners and compliance managers; organisation → the auditor."""
    organisation = Organisation.objects.get(schema_name=connection.schema_name)
    if to_auditor:
        engagement = Engagement.objects.filter(pk=finding.engagement_id).select_related("auditor").first()
        recipients = [engagement.auditor.email if engagement and engagement.auditor else ""]
    else:
        recipients = list(Membership.objects.filter(
            organisation=organisation, role__in=[Role.OWNER, Role.COMPLIANCE_MANAGER]).values_list(
            "user__email", flat=True))
    context = {"organisation": organisation, "reference": finding.reference, "finding": finding, "event": event,
               "text": text, "link": organisation_url(organisation, f"/audits/findings/{finding.pk}/")}
    transaction.on_commit(lambda: send_bilingual(subject=SUBJECTS[event], template="audits/emails/finding.txt",
                                                 context=context, to=recipients))
