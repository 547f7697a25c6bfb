"""Evidence vault (tenant schema): typed documents linked to register objects, with immutable
revisions (SHA-256, size and sniffed type stored at upload, never recomputed) and a four-eyes review.

A document (`Evidence`) has one or more revisions; each revision carries the file, its validity window
and the structured key fields of its type. A new revision supersedes the previous one.
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel
from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment


class EvidenceType(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    TRANSPORT_MANIFEST = "transport_manifest", _("Transport manifest / CMR / bill of lading")
    WEIGHBRIDGE_TICKET = "weighbridge_ticket", _("Weighbridge ticket")
    DANGEROUS_GOODS_DECLARATION = "dangerous_goods_declaration", _("Dangerous goods declaration")
    CUSTOMS_DECLARATION = "customs_declaration", _("Customs declaration")
    WASTE_MOVEMENT_DOCUMENT = "waste_movement_document", _("Waste movement document")
    RECEIPT = "receipt", _("Goods receipt / proof of delivery")
    ASSAY_REPORT = "assay_report", _("Assay report")
    RECYCLER_PERMIT = "recycler_permit", _("Recycler permit or licence")
    RECYCLING_CERTIFICATE = "recycling_certificate", _("Certificate of recycling")
    MASS_BALANCE_RECORD = "mass_balance_record", _("Mass-balance record")
    CARBON_FOOTPRINT_STUDY = "carbon_footprint_study", _("Carbon-footprint study")
    RECYCLED_CONTENT_DECLARATION = "recycled_content_declaration", _("Recycled-content declaration")
    DUE_DILIGENCE_REPORT = "due_diligence_report", _("Due-diligence report")
    ORIGIN_CERTIFICATE = "origin_certificate", _("Mine / origin certificate")
    SUPPLIER_ATTESTATION = "supplier_attestation", _("Supplier attestation")
    CASCADE_LABEL_PHOTO = "cascade_label_photo", _("Cascade-use label photo")
    RESIDUAL_CAPACITY_REPORT = "residual_capacity_report", _("Residual-capacity test report")
    DECLARATION_OF_CONFORMITY = "declaration_of_conformity", _("EU declaration of conformity")
    TEST_REPORT = "test_report", _("Test report")
    TECHNICAL_DOCUMENTATION = "technical_documentation", _("Technical documentation (passport data sheet)")
    OTHER = "other", _("Other document")


class EvidenceSource(models.TextChoices):
    UPLOAD = "upload", _("Uploaded")
    API = "api", _("Pushed through the API")
    COUNTERPARTY = "counterparty", _("Received from a counterparty on the platform")


class Evidence(BaseModel):
    """One document (a contract, a manifest …) and what it is evidence for."""

    doc_type = models.CharField(_("document type"), max_length=32, choices=EvidenceType.choices)
    title = models.CharField(_("title"), max_length=300)
    reference = models.CharField(_("document number"), max_length=100, blank=True)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=EvidenceSource.choices,
                              default=EvidenceSource.UPLOAD)
    created_by_id = models.UUIDField(_("created by"), null=True, blank=True)
    shipments = models.ManyToManyField(Shipment, blank=True, related_name="evidence", verbose_name=_("shipments"))
    lots = models.ManyToManyField(MaterialLot, blank=True, related_name="evidence", verbose_name=_("material lots"))
    units = models.ManyToManyField(BatteryUnit, blank=True, related_name="evidence", verbose_name=_("battery units"))
    battery_models = models.ManyToManyField(BatteryModel, blank=True, related_name="evidence",
                                            verbose_name=_("battery models"))
    # The newest revision (what lists, checklists and dossiers show); set by the upload services.
    current_revision = models.ForeignKey("EvidenceRevision", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("current revision"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")
        indexes = [models.Index(fields=["doc_type"], name="evidence_type_idx")]

    def __str__(self) -> str:
        return self.title


class RevisionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")
    EXPIRED = "expired", _("Expired")


class EvidenceRevision(BaseModel):
    """One immutable version of a document's file. `sha256`, `size`, `content_type` and
    `storage_name` are written once at upload (a database trigger refuses to change them)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    storage_name = models.CharField(max_length=500)
    original_filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("file type"), max_length=100)
    effective_date = models.DateField(_("effective from"), null=True, blank=True)
    expiry_date = models.DateField(_("expires on"), null=True, blank=True)
    key_fields = models.JSONField(_("key fields"), default=dict, blank=True)
    # Findings of the upload checks that did not refuse the file (e.g. a PDF with embedded files).
    flags = models.JSONField(_("upload flags"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=RevisionStatus.choices,
                              default=RevisionStatus.SUBMITTED)
    uploaded_by_id = models.UUIDField(_("uploaded by"), null=True, blank=True)
    uploaded_by_label = models.CharField(_("uploaded by"), max_length=254, blank=True)
    reviewed_by_id = models.UUIDField(_("reviewed by"), null=True, blank=True)
    reviewed_by_label = models.CharField(_("reviewed by"), max_length=254, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        ordering = ["evidence", "-number"]
        verbose_name = _("evidence revision")
        verbose_name_plural = _("evidence revisions")
        constraints = [
            models.UniqueConstraint(fields=["evidence", "number"], name="revision_number_unique"),
            models.CheckConstraint(condition=Q(size__gte=0), name="revision_size_nonneg"),
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True) | Q(effective_date__isnull=True)
                | Q(expiry_date__gte=models.F("effective_date")),
                name="revision_expiry_after_effective"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                                   name="revision_rejection_has_reason"),
            # Only the newest revision of a document is not superseded.
            models.UniqueConstraint(fields=["evidence"], condition=~Q(status="superseded"),
                                    name="revision_one_current"),
            models.UniqueConstraint(fields=["storage_name"], name="revision_storage_name_unique"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="revision_sha256_hex"),
        ]
        indexes = [models.Index(fields=["status"], name="revision_status_idx"),
                   models.Index(fields=["sha256"], name="revision_sha256_idx"),
                   models.Index(fields=["status", "expiry_date"], name="revision_status_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.evidence_id} r{self.number}"


class ReviewDecision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Review(BaseModel):
    """Every review decision, kept (the revision shows only the latest)."""

    revision = models.ForeignKey(EvidenceRevision, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=10, choices=ReviewDecision.choices)
    reason = models.TextField(_("reason"), blank=True)
    reviewer_id = models.UUIDField(_("reviewer"))
    reviewer_label = models.CharField(_("reviewer"), max_length=254)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.revision_id} {self.decision}"
