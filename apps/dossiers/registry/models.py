"""Public registry of issued dossiers (public schema): what the verification page may reveal.

One row per issued file: its SHA-256, the organisation, the scope label, when, and whether a newer
dossier superseded it. Tenant rows are referred to by UUID (no foreign key into a tenant schema).
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class IssuedDossier(models.Model):
    id = models.BigAutoField(primary_key=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    dossier_id = models.UUIDField(_("dossier"), unique=True)
    organisation_id = models.UUIDField(_("organisation"))
    organisation_name_en = models.CharField(_("organisation"), max_length=200)
    organisation_name_zh = models.CharField(_("organisation (Chinese)"), max_length=200, blank=True)
    scope_label = models.CharField(_("scope"), max_length=300)
    snapshot_digest = models.CharField(_("snapshot digest"), max_length=64)
    issued_at = models.DateTimeField(_("issued"))
    superseded = models.BooleanField(_("superseded"), default=False)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("issued dossier")
        verbose_name_plural = _("issued dossiers")
        indexes = [models.Index(fields=["organisation_id"], name="issued_dossier_org_idx")]

    def __str__(self) -> str:
        return self.sha256
