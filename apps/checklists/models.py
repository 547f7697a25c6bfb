"""Checklist evaluations (tenant schema): which protocols the organisation follows, every evaluation
kept with its protocol version and inputs digest (history, so a status can be explained later),
the current status per scope and protocol, and notifications of status changes.

Evaluations and their requirement results are append-only (a trigger refuses UPDATE and DELETE):
a new protocol version or new evidence adds a new evaluation and never rewrites an old one.
Scopes are referred to by kind + id (a UUID, or "<model uuid>:<year>"), never by a foreign key:
a shipment can go, its history stays.
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel


class ScopeKind(models.TextChoices):
    SHIPMENT = "shipment", _("Shipment")
    MATERIAL_LOT = "material_lot", _("Material lot")
    BATTERY_MODEL = "battery_model", _("Battery model")
    MODEL_YEAR = "model_year", _("Battery model, year and plant")


class Status(models.TextChoices):
    MET = "met", _("Met")
    MISSING = "missing", _("Missing")
    FAILED = "failed", _("Failed")
    EXPIRING_SOON = "expiring_soon", _("Expiring soon")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class Trigger(models.TextChoices):
    CHANGE = "change", _("A change to the data")
    NIGHTLY = "nightly", _("Nightly run")
    MANUAL = "manual", _("Requested on the board")
    API = "api", _("Requested through the API")
    SETUP = "setup", _("Protocol selection or demo")


class ProtocolSelection(BaseModel):
    """A protocol this organisation follows (the latest version in the repository is used)."""

    protocol_id = models.CharField(_("protocol"), max_length=64, unique=True)
    selected_by_label = models.CharField(_("selected by"), max_length=254, blank=True)

    class Meta:
        ordering = ["protocol_id"]
        verbose_name = _("protocol selection")
        verbose_name_plural = _("protocol selections")

    def __str__(self) -> str:
        return self.protocol_id


class Evaluation(BaseModel):
    """One run of one protocol version on one scope. `inputs_digest` is the SHA-256 of the canonical
    facts and the protocol file: same digest, same inputs."""

    scope_kind = models.CharField(_("scope"), max_length=16, choices=ScopeKind.choices)
    scope_id = models.CharField(_("scope id"), max_length=80)
    scope_label = models.CharField(_("scope name"), max_length=200)
    protocol_id = models.CharField(_("protocol"), max_length=64)
    protocol_version = models.PositiveIntegerField(_("protocol version"))
    protocol_digest = models.CharField(max_length=64)
    inputs_digest = models.CharField(_("inputs digest"), max_length=64)
    results_digest = models.CharField(max_length=64)
    evaluated_on = models.DateField(_("evaluated for"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    met_count = models.PositiveIntegerField(_("met"))
    applicable_count = models.PositiveIntegerField(_("applicable"))
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        indexes = [models.Index(fields=["scope_kind", "scope_id", "protocol_id", "-created_at"],
                                name="evaluation_scope_idx")]
        constraints = [models.CheckConstraint(condition=Q(met_count__lte=models.F("applicable_count")),
                                              name="evaluation_met_le_applicable")]

    def __str__(self) -> str:
        return f"{self.protocol_id}@{self.protocol_version} {self.scope_kind}:{self.scope_label} {self.status}"

    @property
    def percent(self) -> int | None:
        """Share of applicable requirements met; None when nothing applies."""
        return round(100 * self.met_count / self.applicable_count) if self.applicable_count else None


class RequirementResult(models.Model):
    """One requirement of one evaluation: status, reasons in en and zh, the evidence revisions used.
    Titles are copied from the protocol file so that the explanation outlives the file's version."""

    id = models.BigAutoField(primary_key=True)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="results")
    position = models.PositiveSmallIntegerField()
    requirement_id = models.CharField(_("requirement"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    title_en = models.CharField(max_length=300)
    title_zh = models.CharField(max_length=300)
    reasons = models.JSONField(_("reasons"), default=list)  # [{"en": ..., "zh": ...}]
    revision_ids = models.JSONField(_("evidence revisions"), default=list)
    upload_types = models.JSONField(default=list)
    qualifier = models.CharField(max_length=20, blank=True)
    sources = models.JSONField(default=list)

    class Meta:
        ordering = ["evaluation", "position"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "requirement_id"],
                                               name="result_requirement_unique")]

    def __str__(self) -> str:
        return f"{self.requirement_id}: {self.status}"


class ScopeStatus(BaseModel):
    """The latest evaluation of a scope under a protocol (the board and lists read this)."""

    scope_kind = models.CharField(_("scope"), max_length=16, choices=ScopeKind.choices)
    scope_id = models.CharField(_("scope id"), max_length=80)
    scope_label = models.CharField(_("scope name"), max_length=200)
    protocol_id = models.CharField(_("protocol"), max_length=64)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    met_count = models.PositiveIntegerField(_("met"))
    applicable_count = models.PositiveIntegerField(_("applicable"))
    checked_at = models.DateTimeField(_("last checked"))

    class Meta:
        ordering = ["scope_kind", "scope_label", "protocol_id"]
        verbose_name = _("checklist status")
        verbose_name_plural = _("checklist statuses")
        constraints = [models.UniqueConstraint(fields=["scope_kind", "scope_id", "protocol_id"],
                                               name="scope_status_unique")]
        indexes = [models.Index(fields=["status"], name="scope_status_status_idx")]

    def __str__(self) -> str:
        return f"{self.scope_kind}:{self.scope_label} {self.protocol_id} {self.status}"

    @property
    def percent(self) -> int | None:
        """Share of applicable requirements met; None when nothing applies."""
        return round(100 * self.met_count / self.applicable_count) if self.applicable_count else None


class Notification(BaseModel):
    """In-app notice of a scope's status change, one per change and recipient (no duplicates even
    when a task runs twice: the pair is unique). The e-mail copy is marked once sent."""

    recipient_id = models.UUIDField(_("recipient"))
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="notifications")
    scope_kind = models.CharField(_("scope"), max_length=16, choices=ScopeKind.choices)
    scope_id = models.CharField(_("scope id"), max_length=80)
    scope_label = models.CharField(_("scope name"), max_length=200)
    protocol_id = models.CharField(_("protocol"), max_length=64)
    previous_status = models.CharField(_("previous status"), max_length=16, choices=Status.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["evaluation", "recipient_id"],
                                               name="notification_once_per_change")]
        indexes = [models.Index(fields=["recipient_id", "read_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.scope_label}: {self.previous_status} → {self.status}"
