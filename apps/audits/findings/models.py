"""Findings raised by an auditor inside an engagement, and their threads (tenant schema).

A finding names its target by kind and identifier (a checklist requirement id, an evidence
revision UUID or a shipment UUID) with a label captured when it was raised, so the thread stays
readable whatever later happens to the target. Messages are append-only (a trigger refuses UPDATE
and DELETE, see migration 0002): the thread is the record.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.models import BaseModel


class Severity(models.TextChoices):
    OBSERVATION = "observation", _("Observation")
    MINOR = "minor", _("Minor non-conformity")
    MAJOR = "major", _("Major non-conformity")
    CRITICAL = "critical", _("Critical non-conformity")


class TargetKind(models.TextChoices):
    REQUIREMENT = "requirement", _("Checklist requirement")
    EVIDENCE_REVISION = "evidence_revision", _("Evidence revision")
    SHIPMENT = "shipment", _("Shipment")


class FindingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("finding status", "Open")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")


class MessageKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ANSWER = "answer", _("Answer")
    REPLY = "reply", _("Auditor's reply")
    RESOLUTION = "resolution", _("Resolved")
    REOPENING = "reopening", _("Reopened")


class Finding(BaseModel):
    number = models.PositiveIntegerField(_("number"), unique=True)
    # The public engagement it was raised in (by UUID: no foreign key out of the tenant schema).
    engagement_id = models.UUIDField(_("engagement"), db_index=True)
    target_kind = models.CharField(_("about"), max_length=24, choices=TargetKind.choices)
    target_id = models.CharField(_("target"), max_length=100)
    target_label = models.CharField(_("target"), max_length=300)
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    raised_by_id = models.UUIDField(null=True, blank=True)
    raised_by_label = models.CharField(_("raised by"), max_length=254)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by_label = models.CharField(_("resolved by"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-number"]
        indexes = [models.Index(fields=["target_kind", "target_id"], name="finding_target_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=FindingStatus.values), name="finding_status_valid"),
            models.CheckConstraint(condition=models.Q(severity__in=Severity.values), name="finding_severity_valid"),
            models.CheckConstraint(condition=models.Q(target_kind__in=TargetKind.values),
                                   name="finding_target_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"F-{self.number} {self.title}"

    @property
    def reference(self) -> str:
        return f"F-{self.number}"


class FindingMessage(models.Model):
    id = models.BigAutoField(primary_key=True)
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="messages")
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=12, choices=MessageKind.choices)
    author_id = models.UUIDField(null=True, blank=True)
    author_label = models.CharField(_("author"), max_length=254)
    from_auditor = models.BooleanField(_("from the auditor"))
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("finding message")
        verbose_name_plural = _("finding messages")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
