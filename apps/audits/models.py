"""Auditor engagements (public schema).

An organisation grants an external auditor read-only access to a scope (the whole organisation,
or chosen shipments and dossiers) for a time window. Tenant objects in the scope are referred to
by UUID only: a public table never holds a foreign key into a tenant schema. Whether an engagement
is in force is decided at request time from its times and `revoked_at`, so access ends on time
without any job having to run.
"""
from datetime import timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel


class EngagementScope(models.TextChoices):
    ORGANISATION = "organisation", _("Whole organisation")
    SELECTION = "selection", _("Chosen shipments and dossiers")


class EngagementStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    SCHEDULED = "scheduled", _("Scheduled")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    EXPIRED = "expired", _("Never accepted")
    REVOKED = "revoked", _("Revoked")


class Engagement(BaseModel):
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.CASCADE, related_name="engagements",
                                     verbose_name=_("organisation"))
    auditor_email = models.EmailField(_("auditor's e-mail address"))
    # Set when the auditor accepts the invitation (signed in with that e-mail address and TOTP).
    auditor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="engagements", verbose_name=_("auditor"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    scope = models.CharField(_("scope"), max_length=16, choices=EngagementScope.choices)
    shipment_ids = ArrayField(models.UUIDField(), default=list, blank=True, verbose_name=_("shipments"))
    dossier_ids = ArrayField(models.UUIDField(), default=list, blank=True, verbose_name=_("dossiers"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))  # exclusive
    token_hash = models.CharField(max_length=64, unique=True)
    granted_by_id = models.UUIDField(null=True, blank=True)
    granted_by_label = models.CharField(_("granted by"), max_length=254)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by_label = models.CharField(_("revoked by"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("auditor engagement")
        verbose_name_plural = _("auditor engagements")
        ordering = ["-starts_at", "-created_at"]
        indexes = [
            models.Index(fields=["auditor", "organisation"], name="engagement_auditor_org_idx"),
            models.Index(fields=["organisation", "auditor_email"], name="engagement_org_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="engagement_window_valid"),
            models.CheckConstraint(
                condition=(Q(scope=EngagementScope.ORGANISATION, shipment_ids__len=0, dossier_ids__len=0)
                           | (Q(scope=EngagementScope.SELECTION) & (Q(shipment_ids__len__gt=0)
                                                                    | Q(dossier_ids__len__gt=0)))),
                name="engagement_scope_consistent"),
            models.CheckConstraint(condition=Q(auditor_email=models.functions.Lower("auditor_email")),
                                   name="engagement_email_lowercase"),
        ]

    def __str__(self) -> str:
        return f"{self.auditor_email} @ {self.organisation_id}"

    @property
    def is_whole_organisation(self) -> bool:
        return self.scope == EngagementScope.ORGANISATION

    @property
    def last_day(self):
        """The last day of access (the window ends at the start of the following day)."""
        return (self.ends_at - timedelta(microseconds=1)).date()

    def status_at(self, now) -> str:
        if self.revoked_at is not None:
            return EngagementStatus.REVOKED
        if now >= self.ends_at:
            return EngagementStatus.ENDED if self.accepted_at else EngagementStatus.EXPIRED
        if self.accepted_at is None:
            return EngagementStatus.INVITED
        return EngagementStatus.ACTIVE if now >= self.starts_at else EngagementStatus.SCHEDULED

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def status_label(self) -> str:
        return str(EngagementStatus(self.status).label)


class AccessLog(models.Model):
    """One request made through an engagement: what the auditor looked at or downloaded, and when.
    Append-only (a trigger refuses UPDATE and DELETE, see migration 0002)."""

    id = models.BigAutoField(primary_key=True)
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="access_log")
    at = models.DateTimeField(_("time"), default=timezone.now)
    user_id = models.UUIDField(null=True, blank=True)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("address"), max_length=500)
    view_name = models.CharField(_("page"), max_length=120, blank=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField(_("answer"))
    is_download = models.BooleanField(_("download"), default=False)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["engagement", "-id"], name="accesslog_engagement_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path}"
