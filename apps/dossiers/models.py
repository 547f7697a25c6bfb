"""Dossiers (tenant schema): one row per requested dossier, from the frozen snapshot to the issued PDF.

The snapshot (gzip JSON) and the PDF live in private storage under the organisation's prefix; the
row says which file is the issued one. Only a `done` row with a `file_name` is ever served, and it is
set in the same transaction that records the file's SHA-256 in the public registry.
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel


class ScopeKind(models.TextChoices):
    SHIPMENT = "shipment", _("Shipment")
    MODEL_YEAR_PLANT = "model_year_plant", _("Battery model, year and plant")
    ORGANISATION_PERIOD = "organisation_period", _("Organisation and period")


class DossierLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", _("Chinese (simplified)")
    EN = "en", _("English")
    BILINGUAL = "bilingual", _("Bilingual (Chinese and English side by side)")


class DossierStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Dossier(BaseModel):
    scope_kind = models.CharField(_("scope"), max_length=24, choices=ScopeKind.choices)
    # The shipment or battery model (tenant UUIDs, kept without a foreign key: the dossier outlives edits).
    scope_id = models.UUIDField(_("scope object"), null=True, blank=True)
    scope_year = models.PositiveIntegerField(_("year"), null=True, blank=True)
    scope_plant = models.CharField(_("manufacturing plant"), max_length=200, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    scope_label = models.CharField(_("scope"), max_length=300)
    language = models.CharField(_("language"), max_length=10, choices=DossierLanguage.choices)
    status = models.CharField(_("status"), max_length=10, choices=DossierStatus.choices,
                              default=DossierStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    snapshot_name = models.CharField(max_length=500)
    snapshot_digest = models.CharField(_("snapshot digest"), max_length=64)
    unit_count = models.PositiveIntegerField(_("units"), default=0)
    part_pages = models.PositiveSmallIntegerField(default=40)
    front_pages = models.PositiveIntegerField(null=True, blank=True)
    parts_total = models.PositiveIntegerField(default=0)
    parts_done = models.PositiveIntegerField(default=0)
    # A new token per render attempt: parts of an abandoned attempt are ignored.
    render_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    requested_by_id = models.UUIDField(_("requested by"), null=True, blank=True)
    requested_by_label = models.CharField(_("requested by"), max_length=254, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    superseded_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="supersedes", verbose_name=_("superseded by"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="dossier_progress_range"),
            models.CheckConstraint(condition=~Q(status="done") | (~Q(file_name="") & ~Q(sha256="")),
                                   name="dossier_done_has_file"),
        ]
        indexes = [models.Index(fields=["scope_kind", "scope_id"], name="dossier_scope_idx"),
                   models.Index(fields=["sha256"], name="dossier_sha256_idx")]

    def __str__(self) -> str:
        return self.scope_label

    @property
    def is_done(self) -> bool:
        return self.status == DossierStatus.DONE and bool(self.file_name)

    @property
    def is_active(self) -> bool:
        return self.status in (DossierStatus.QUEUED, DossierStatus.RENDERING)
