"""Battery passports and China traceability-platform reporting events (tenant schema).

A passport belongs to one battery unit; a status change that Art 77(7) treats as a new battery
(repurposing, remanufacturing) issues a new passport linked to its predecessor, while re-use and
waste keep the passport and change its status [REFERENCE §1.7]. Reporting events are the lifecycle
events the 2018 traceability provisions name, each with its upload deadline in Chinese working days
[REFERENCE §2.4].
"""
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel
from apps.traceability.models import BatteryUnit, UnitStatus


class Passport(BaseModel):
    identifier = models.CharField(_("passport identifier"), max_length=80, unique=True)
    unit = models.ForeignKey(BatteryUnit, on_delete=models.PROTECT, related_name="passports",
                             verbose_name=_("battery unit"))
    version = models.PositiveIntegerField(_("version"), default=1)
    predecessor = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="successors", verbose_name=_("predecessor"))
    # Kept as text too: the original passport may have been issued by another organisation.
    predecessor_identifier = models.CharField(_("original passport"), max_length=80, blank=True)
    status = models.CharField(_("battery status"), max_length=16, choices=UnitStatus.choices,
                              default=UnitStatus.ORIGINAL)
    is_current = models.BooleanField(_("current"), default=True)
    put_into_service_on = models.DateField(_("put into service on"), null=True, blank=True)
    issued_by_label = models.CharField(_("issued by"), max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("battery passport")
        verbose_name_plural = _("battery passports")
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(is_current=True),
                                    name="passport_one_current_per_unit"),
            models.CheckConstraint(condition=Q(version__gte=1), name="passport_version_positive"),
            models.CheckConstraint(condition=~Q(predecessor=models.F("id")), name="passport_not_own_predecessor"),
        ]

    def __str__(self) -> str:
        return self.identifier


class ReportingEventKind(models.TextChoices):
    """Events of the 2018 traceability provisions, Arts 9-15 [REFERENCE §2.4, JDCSWW; EGB634]."""

    RECYCLER_RECEIPT = "recycler_receipt", _("Waste batteries received (recycling enterprise)")
    RECYCLING_COMPLETED = "recycling_completed", _("Recycling and final treatment completed")
    CASCADE_PRODUCT_OUT = "cascade_product_out", _("Cascade-use product left the warehouse")
    CASCADE_WASTE_IN = "cascade_waste_in", _("Waste batteries from cascade use taken in")
    CASCADE_WASTE_OUT = "cascade_waste_out", _("Waste batteries from cascade use handed on")
    DISMANTLER_CERTIFICATE = "dismantler_certificate", _("Scrapping certificate issued (dismantler)")
    DISMANTLER_TRANSFER = "dismantler_transfer", _("Battery removed and handed on (dismantler)")
    OEM_REPAIR = "oem_repair", _("Battery repaired or replaced (vehicle manufacturer)")
    OEM_COLLECTION = "oem_collection", _("Waste battery stocked in or handed on at a collection point")
    OEM_CONFORMITY = "oem_conformity", _("Certificate of conformity issued or customs cleared")


class EventSource(models.TextChoices):
    SHIPMENT = "shipment", _("Shipment")
    MATERIAL_LOT = "material_lot", _("Material lot")
    CUSTODY = "custody", _("Custody ledger")
    MANUAL = "manual", _("Recorded by hand")


class ReportingEvent(BaseModel):
    kind = models.CharField(_("event"), max_length=32, choices=ReportingEventKind.choices)
    occurred_on = models.DateField(_("event date"))
    deadline = models.DateField(_("upload deadline"))
    # True when the deadline runs into a year the working-day calendar does not cover yet.
    deadline_provisional = models.BooleanField(_("deadline provisional"), default=False)
    source_type = models.CharField(_("source"), max_length=16, choices=EventSource.choices)
    source_id = models.UUIDField(_("source object"))
    source_reference = models.CharField(_("reference"), max_length=64, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=14, decimal_places=3, null=True, blank=True,
                                  validators=[MinValueValidator(0)])
    unit_codes = models.JSONField(_("battery codes"), default=list, blank=True)
    original_codes = models.JSONField(_("original codes"), default=list, blank=True)
    related_shipment_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    platform_reference = models.CharField(_("platform submission reference"), max_length=100, blank=True)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    reported_by_label = models.CharField(_("reported by"), max_length=254, blank=True)

    class Meta:
        ordering = ["deadline", "occurred_on"]
        verbose_name = _("reporting event")
        verbose_name_plural = _("reporting events")
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_type", "source_id"],
                                    name="reporting_event_once_per_source"),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("occurred_on")),
                                   name="reporting_deadline_after_event"),
            models.CheckConstraint(condition=Q(reported_on__isnull=True) | ~Q(platform_reference=""),
                                   name="reporting_reported_has_reference"),
            models.CheckConstraint(condition=Q(mass_kg__isnull=True) | Q(mass_kg__gte=0),
                                   name="reporting_mass_nonneg"),
        ]
        indexes = [models.Index(fields=["deadline"], name="reporting_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_on}"

    @property
    def is_reported(self) -> bool:
        return bool(self.platform_reference)
