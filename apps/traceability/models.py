"""Traceability register (tenant schema): battery models, battery units with their codes,
shipments (consignments) and material lots with their element content.

Facts and code formats: ../shared/REFERENCE.md §1.1 (EU categories), §1.7 (passport scope,
battery status), §2.1 (GB/T 34014), §3 (GS1), §5.1 (chain-of-custody models), §6 (HS, UN, waste codes).
Public rows (organisations, users) are referred to by UUID, never by a database foreign key.
"""
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel


class EuCategory(models.TextChoices):
    """Regulation (EU) 2023/1542 Art 3(9)-(14) [REFERENCE §1.1]."""

    PORTABLE = "portable", _("Portable")
    PORTABLE_GENERAL_USE = "portable_general_use", _("Portable of general use")
    LMT = "lmt", _("Light means of transport (LMT)")
    SLI = "sli", _("Starting, lighting, ignition (SLI)")
    INDUSTRIAL = "industrial", _("Industrial")
    EV = "ev", _("Electric vehicle (EV)")


class Chemistry(models.TextChoices):
    LFP = "lfp", _("Lithium iron phosphate (LFP)")
    NCM = "ncm", _("Nickel cobalt manganese (NCM, ternary)")
    NCA = "nca", _("Nickel cobalt aluminium (NCA)")
    LMO = "lmo", _("Lithium manganese oxide (LMO)")
    LCO = "lco", _("Lithium cobalt oxide (LCO)")
    LTO = "lto", _("Lithium titanate (LTO)")
    SODIUM_ION = "sodium_ion", _("Sodium-ion")
    LEAD_ACID = "lead_acid", _("Lead-acid")
    NIMH = "nimh", _("Nickel-metal hydride")
    NICD = "nicd", _("Nickel-cadmium")
    OTHER = "other", _("Other")


class BatteryModel(BaseModel):
    """A battery model as placed on the market (carbon footprint and recycled content are
    declared per model, per year and per manufacturing plant)."""

    code = models.CharField(_("model code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    eu_category = models.CharField(_("EU category"), max_length=24, choices=EuCategory.choices)
    chemistry = models.CharField(_("chemistry"), max_length=16, choices=Chemistry.choices)
    rated_capacity_ah = models.DecimalField(_("rated capacity (Ah)"), max_digits=10, decimal_places=2,
                                            null=True, blank=True, validators=[MinValueValidator(Decimal(0))])
    rated_energy_kwh = models.DecimalField(_("rated energy (kWh)"), max_digits=10, decimal_places=3,
                                           null=True, blank=True, validators=[MinValueValidator(Decimal(0))])
    nominal_voltage_v = models.DecimalField(_("nominal voltage (V)"), max_digits=8, decimal_places=2,
                                            null=True, blank=True, validators=[MinValueValidator(Decimal(0))])
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=10, decimal_places=3, null=True, blank=True,
                                  validators=[MinValueValidator(Decimal(0))])
    manufacturing_plant = models.CharField(_("manufacturing plant"), max_length=200, blank=True)
    plant_country = models.CharField(_("plant country"), max_length=2, blank=True)
    # Art 7 dates differ for industrial batteries with exclusively external storage [REFERENCE §1.2].
    external_storage_only = models.BooleanField(_("exclusively external storage"), default=False)
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("battery model")
        verbose_name_plural = _("battery models")
        constraints = [
            models.CheckConstraint(condition=Q(mass_kg__isnull=True) | Q(mass_kg__gte=0), name="model_mass_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def needs_passport(self) -> bool:
        """Art 77: LMT, EV and industrial batteries above 2 kWh [REFERENCE §1.7]."""
        if self.eu_category in (EuCategory.LMT, EuCategory.EV):
            return True
        return self.eu_category == EuCategory.INDUSTRIAL and (self.rated_energy_kwh or 0) > 2


class CodeScheme(models.TextChoices):
    GBT34014 = "gbt34014", _("GB/T 34014 (24 characters)")
    GS1 = "gs1", _("GS1 GTIN + serial")
    EU_PASSPORT = "eu_passport", _("EU battery passport identifier")


class UnitLevel(models.TextChoices):
    PACK = "pack", _("Pack")
    MODULE = "module", _("Module")
    CELL = "cell", _("Cell")


class UnitStatus(models.TextChoices):
    """Annex XIII 4(c) battery status [REFERENCE §1.7]."""

    ORIGINAL = "original", _("Original")
    REPURPOSED = "repurposed", _("Repurposed")
    REUSED = "reused", _("Re-used")
    REMANUFACTURED = "remanufactured", _("Remanufactured")
    WASTE = "waste", _("Waste")


class BatteryUnit(BaseModel):
    """One pack, module or cell with its code. A cascade-use product is re-coded and keeps the
    code it had before (`original_code`) [REFERENCE §2.1]."""

    code = models.CharField(_("code"), max_length=64)
    scheme = models.CharField(_("code scheme"), max_length=16, choices=CodeScheme.choices)
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True)
    serial = models.CharField(_("serial number"), max_length=20, blank=True)
    level = models.CharField(_("level"), max_length=8, choices=UnitLevel.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent"))
    model = models.ForeignKey(BatteryModel, on_delete=models.PROTECT, null=True, blank=True, related_name="units",
                              verbose_name=_("battery model"))
    status = models.CharField(_("status"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.ORIGINAL)
    manufactured_on = models.DateField(_("manufacture date"), null=True, blank=True)
    original_code = models.CharField(_("original code"), max_length=64, blank=True)
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=10, decimal_places=3, null=True, blank=True,
                                  validators=[MinValueValidator(Decimal(0))])

    class Meta:
        ordering = ["code"]
        verbose_name = _("battery unit")
        verbose_name_plural = _("battery units")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="unit_code_unique"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="unit_not_own_parent"),
            models.CheckConstraint(condition=Q(mass_kg__isnull=True) | Q(mass_kg__gte=0), name="unit_mass_nonneg"),
        ]
        # Partial indexes: only cascade-use products keep an original code, and the units worth finding by
        # status are those that left it (a status filter on second-life units is read in code order). Most units
        # are original, so a bulk import of new units adds no entry to either.
        indexes = [models.Index(fields=["original_code"], name="unit_original_code_idx",
                                condition=~Q(original_code="")),
                   models.Index(fields=["status", "code"], name="unit_second_life_idx",
                                condition=~Q(status=UnitStatus.ORIGINAL))]

    def __str__(self) -> str:
        return self.code


class ShipmentDirection(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class ShipmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPATCHED = "dispatched", _("Dispatched")
    RECEIVED = "received", _("Received")
    DISPUTED = "disputed", _("Disputed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Shipment(BaseModel):
    """A consignment of battery units (and/or their declared masses) to or from a counterparty.

    The counterparty is either an organisation on the platform (`counterparty_organisation_id`,
    a public-schema UUID) or an external party described by name, country and registration id.
    """

    reference = models.CharField(_("reference"), max_length=64, unique=True)
    direction = models.CharField(_("direction"), max_length=8, choices=ShipmentDirection.choices)
    status = models.CharField(_("status"), max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.DRAFT)
    counterparty_organisation_id = models.UUIDField(_("counterparty on the platform"), null=True, blank=True)
    counterparty_name = models.CharField(_("counterparty"), max_length=200)
    counterparty_country = models.CharField(_("counterparty country"), max_length=2, blank=True)
    counterparty_registration_id = models.CharField(_("counterparty registration id"), max_length=40, blank=True)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    destination_country = models.CharField(_("country of destination"), max_length=2, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=12, blank=True)
    un_number = models.CharField(_("UN number"), max_length=6, blank=True)
    special_provision = models.CharField(_("transport special provision"), max_length=20, blank=True)
    packing_instruction = models.CharField(_("packing instruction"), max_length=10, blank=True)
    is_waste = models.BooleanField(_("shipped as waste"), default=False)
    waste_code = models.CharField(_("waste code"), max_length=20, blank=True)
    dispatch_date = models.DateField(_("dispatch date"), null=True, blank=True)
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    units = models.ManyToManyField(BatteryUnit, through="ShipmentUnit", related_name="shipments",
                                   verbose_name=_("units"))

    class Meta:
        ordering = ["-dispatch_date", "reference"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.CheckConstraint(
                condition=Q(arrival_date__isnull=True) | Q(dispatch_date__isnull=True)
                | Q(arrival_date__gte=models.F("dispatch_date")),
                name="shipment_arrival_after_dispatch"),
        ]

    def __str__(self) -> str:
        return self.reference


class ShipmentUnit(models.Model):
    id = models.BigAutoField(primary_key=True)
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="shipment_units")
    unit = models.ForeignKey(BatteryUnit, on_delete=models.PROTECT, related_name="shipment_units")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shipment", "unit"], name="shipment_unit_unique")]

    def __str__(self) -> str:
        return f"{self.shipment_id}:{self.unit_id}"


class ShipmentMass(models.Model):
    """Declared net mass of one chemistry in a shipment."""

    id = models.BigAutoField(primary_key=True)
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="masses")
    chemistry = models.CharField(_("chemistry"), max_length=16, choices=Chemistry.choices)
    net_mass_kg = models.DecimalField(_("net mass (kg)"), max_digits=14, decimal_places=3,
                                      validators=[MinValueValidator(Decimal(0))])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "chemistry"], name="shipment_mass_chemistry_unique"),
            models.CheckConstraint(condition=Q(net_mass_kg__gte=0), name="shipment_mass_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.chemistry}: {self.net_mass_kg} kg"


class LotKind(models.TextChoices):
    BLACK_MASS = "black_mass", _("Black mass")
    COBALT_SULFATE = "cobalt_sulfate", _("Cobalt sulfate")
    COBALT_HYDROXIDE = "cobalt_hydroxide", _("Cobalt hydroxide")
    NICKEL_SULFATE = "nickel_sulfate", _("Nickel sulfate")
    LITHIUM_CARBONATE = "lithium_carbonate", _("Lithium carbonate")
    LITHIUM_HYDROXIDE = "lithium_hydroxide", _("Lithium hydroxide")
    MANGANESE_SULFATE = "manganese_sulfate", _("Manganese sulfate")
    COPPER = "copper", _("Copper")
    ALUMINIUM = "aluminium", _("Aluminium")
    LEAD = "lead", _("Lead")
    OTHER = "other", _("Other")


class MaterialOrigin(models.TextChoices):
    """Art 3(51) battery manufacturing waste (pre-consumer) vs post-consumer [REFERENCE §1.3]."""

    PRE_CONSUMER = "pre_consumer", _("Pre-consumer (battery manufacturing waste)")
    POST_CONSUMER = "post_consumer", _("Post-consumer")
    MIXED = "mixed", _("Mixed")
    PRIMARY = "primary", _("Primary (not recycled)")


class CustodyModel(models.TextChoices):
    """ISO 22095:2020 chain-of-custody models [REFERENCE §5.1]."""

    IDENTITY_PRESERVED = "identity_preserved", _("Identity preserved")
    SEGREGATED = "segregated", _("Segregated")
    CONTROLLED_BLENDING = "controlled_blending", _("Controlled blending")
    MASS_BALANCE = "mass_balance", _("Mass balance")
    BOOK_AND_CLAIM = "book_and_claim", _("Book and claim")


class Element(models.TextChoices):
    COBALT = "Co", _("Cobalt")
    NICKEL = "Ni", _("Nickel")
    LITHIUM = "Li", _("Lithium")
    MANGANESE = "Mn", _("Manganese")
    COPPER = "Cu", _("Copper")
    ALUMINIUM = "Al", _("Aluminium")
    IRON = "Fe", _("Iron")
    PHOSPHORUS = "P", _("Phosphorus")
    LEAD = "Pb", _("Lead")
    FLUORINE = "F", _("Fluorine")
    GRAPHITE = "C", _("Carbon (graphite)")


class MaterialLot(BaseModel):
    """Black mass or a recovered product, with its sources (shipments it was made from, lots it
    was refined from) and its element content from assays."""

    code = models.CharField(_("lot code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=LotKind.choices)
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=14, decimal_places=3,
                                  validators=[MinValueValidator(Decimal(0))])
    produced_on = models.DateField(_("production date"), null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=16, choices=MaterialOrigin.choices,
                              default=MaterialOrigin.POST_CONSUMER)
    custody_model = models.CharField(_("chain-of-custody model"), max_length=24, choices=CustodyModel.choices,
                                     blank=True)
    source_shipments = models.ManyToManyField(Shipment, blank=True, related_name="lots",
                                              verbose_name=_("source shipments"))
    source_lots = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="derived_lots",
                                         verbose_name=_("source lots"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-produced_on", "code"]
        verbose_name = _("material lot")
        verbose_name_plural = _("material lots")
        constraints = [models.CheckConstraint(condition=Q(mass_kg__gte=0), name="lot_mass_nonneg")]

    def __str__(self) -> str:
        return self.code


class LotElement(models.Model):
    """Mass fraction of one element in a lot, as an assay reported it (percent of lot mass)."""

    id = models.BigAutoField(primary_key=True)
    lot = models.ForeignKey(MaterialLot, on_delete=models.CASCADE, related_name="elements")
    element = models.CharField(_("element"), max_length=2, choices=Element.choices)
    percent = models.DecimalField(_("content (%)"), max_digits=7, decimal_places=4,
                                  validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    # The evidence revision (assay report) the figure comes from, when known (tenant UUID, no FK:
    # the evidence app sits above this one).
    assay_revision_id = models.UUIDField(_("assay report"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lot", "element"], name="lot_element_unique"),
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100), name="lot_element_pct_range"),
        ]

    def __str__(self) -> str:
        return f"{self.element} {self.percent} %"


class ImportKind(models.TextChoices):
    UNITS = "units", _("Battery units")
    SHIPMENTS = "shipments", _("Shipments")


class ImportStatus(models.TextChoices):
    VALIDATED = "validated", _("Checked, ready to commit")
    REJECTED = "rejected", _("Checked, has errors")
    COMMITTING = "committing", _("Committing")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("Commit refused")


class ImportBatch(BaseModel):
    """One uploaded CSV/XLSX file of units or shipments, its dry-run report and, once committed, what it
    added. The file is kept (private storage, per-tenant prefix) only while the batch can still be
    committed or after it was; a rejected file is not kept. `report` holds issues as codes and params
    (rendered in the reader's language), capped; the counts are complete."""

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices)
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), max_length=300, blank=True)
    file_format = models.CharField(_("format"), max_length=8)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"))
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    records_new = models.PositiveIntegerField(_("new records"), default=0)
    records_unchanged = models.PositiveIntegerField(_("unchanged records"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    report = models.JSONField(_("report"), default=list, blank=True)
    created_by_id = models.UUIDField(_("created by"), null=True, blank=True)
    created_by_label = models.CharField(_("created by"), max_length=254, blank=True)
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def can_commit(self) -> bool:
        return self.status == ImportStatus.VALIDATED
