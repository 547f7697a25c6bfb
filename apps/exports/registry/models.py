"""Public index: which organisation holds the passport behind a public identifier.

The public passport page (bare host, no sign-in) receives a GS1 Digital Link path
(/01/{gtin14}/21/{serial}) or a passport identifier scanned from a battery's QR code. Passports live
in the organisations' schemas; without an index the page would have to search every schema. One row
per issued passport maps its public identifiers to the organisation and the unit/passport UUIDs,
so a scan costs one indexed lookup plus the reads inside that organisation's schema.

Only identifiers that are public by design (printed on the battery) are kept here, and tenant rows
are referred to by UUID, never by a foreign key into a tenant schema (docs/architecture.md).
"""
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PassportIndexEntry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    identifier = models.CharField(_("passport identifier"), max_length=80, unique=True)
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.CASCADE,
                                     related_name="passport_index_entries")
    passport_id = models.UUIDField()
    unit_id = models.UUIDField()
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True)
    serial = models.CharField(_("serial number"), max_length=20, blank=True)
    is_current = models.BooleanField(default=True)
    successor_identifier = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("passport index entry")
        verbose_name_plural = _("passport index entries")
        constraints = [
            # One current passport per GS1 item, platform-wide (the GTIN owner's serial is unique).
            models.UniqueConstraint(fields=["gtin", "serial"], condition=Q(is_current=True) & ~Q(gtin=""),
                                    name="registry_current_gtin_serial_unique"),
        ]
        indexes = [models.Index(fields=["gtin", "serial"], name="registry_gtin_serial_idx")]

    def __str__(self) -> str:
        return self.identifier
