"""Custody ledger between organisations (public schema).

A `Transfer` is one shipment handed from a sender (an exporter) to a receiver (a recycler). Its state
lives in ordinary rows (`Transfer`, `Receipt`, `Discrepancy`, `ProcessingRecord`, `RecyclingCertificate`)
so that pages and checklists can query it; its history lives in `LedgerEntry`, one append-only,
hash-chained entry per step, which both parties (and their auditors) can verify.

Public tables never hold a foreign key into a tenant schema: the sender's shipment, the receiver's
inbound shipment, lots and evidence revisions are referred to by UUID plus SHA-256.

One chain per transfer (not one global chain): each party verifies the history of its transfers from
those transfers' entries alone, without reading other organisations' entries; appends serialise on the
transfer row the step locks anyway, so unrelated transfers never wait for each other; a dossier can carry
a transfer's whole chain and be verified offline. Tail truncation is caught by the head hash and length
kept on the transfer, and every entry's hash is also written into both parties' own activity chains.
"""
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.activity.models import Channel
from apps.core.models import BaseModel


class TransferStatus(models.TextChoices):
    DISPATCHED = "dispatched", _("Dispatched")
    RECEIVED = "received", _("Received")
    DISPUTED = "disputed", _("Disputed")
    PROCESSED = "processed", _("Processed")
    CERTIFIED = "certified", _("Certified")


class Transfer(BaseModel):
    """One outbound shipment of the sender, dispatched to a recycler, with the figures declared at dispatch."""

    sender = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="custody_outgoing",
                               verbose_name=_("sender"))
    receiver = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="custody_incoming",
                                 verbose_name=_("receiver"))
    status = models.CharField(_("status"), max_length=12, choices=TransferStatus.choices,
                              default=TransferStatus.DISPATCHED)
    # The sender's shipment (sender schema), by UUID and the SHA-256 of the declaration copied from it.
    shipment_id = models.UUIDField(_("shipment"))
    shipment_reference = models.CharField(_("shipment reference"), max_length=64)
    declaration_sha256 = models.CharField(_("declaration SHA-256"), max_length=64)
    declared_masses = models.JSONField(_("declared net mass per chemistry"), default=dict)
    declared_net_mass_kg = models.DecimalField(_("declared net mass (kg)"), max_digits=14, decimal_places=3,
                                               validators=[MinValueValidator(Decimal(0))])
    declared_unit_count = models.PositiveIntegerField(_("declared units"))
    unit_codes_sha256 = models.CharField(_("unit codes SHA-256"), max_length=64)
    manifest_revision_id = models.UUIDField(_("transport manifest revision"))
    manifest_sha256 = models.CharField(_("transport manifest SHA-256"), max_length=64)
    dispatched_on = models.DateField(_("dispatch date"))
    dispatched_at = models.DateTimeField(_("dispatched"))
    # Copied from the settings at dispatch, so a later change of the setting never rewrites history.
    mass_tolerance_percent = models.DecimalField(_("mass tolerance (%)"), max_digits=5, decimal_places=2)
    unit_tolerance = models.PositiveIntegerField(_("unit tolerance"), default=0)
    # The receiver's inbound shipment (receiver schema), created when receipt is confirmed.
    inbound_shipment_id = models.UUIDField(_("inbound shipment"), null=True, blank=True)
    # Head of the transfer's ledger chain (checked by the verifier, so a truncated tail is detected).
    ledger_length = models.PositiveIntegerField(default=0)
    ledger_head = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-dispatched_at"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(condition=~Q(sender=F("receiver")), name="transfer_parties_differ"),
            models.UniqueConstraint(fields=["sender", "shipment_id"], name="transfer_shipment_once"),
            models.CheckConstraint(condition=Q(declared_net_mass_kg__gte=0), name="transfer_mass_nonneg"),
        ]
        indexes = [models.Index(fields=["receiver", "status"], name="transfer_receiver_status_idx"),
                   models.Index(fields=["sender", "status"], name="transfer_sender_status_idx")]

    def __str__(self) -> str:
        return self.shipment_reference


class LedgerKind(models.TextChoices):
    DISPATCHED = "dispatched", _("Dispatched")
    RECEIVED = "received", _("Receipt confirmed")
    DISPUTED = "disputed", _("Receipt disputed")
    PAPER_RECEIPT = "paper_receipt", _("Paper receipt attached")
    DISCREPANCY_COMMENT = "discrepancy_comment", _("Discrepancy comment")
    DISCREPANCY_RESOLVED = "discrepancy_resolved", _("Discrepancy resolved")
    PROCESSED = "processed", _("Processing recorded")
    CERTIFIED = "certified", _("Certificate of recycling issued")


class LedgerEntry(models.Model):
    """One step of a transfer: append-only (a trigger refuses UPDATE and DELETE), hash-chained per transfer.

    `payload_sha256` = SHA-256 of the canonical JSON of `payload`; `hash` = SHA-256 of `prev_hash` and the
    canonical JSON of the link (transfer, seq, kind, time, organisation, actor, payload digest).
    """

    id = models.BigAutoField(primary_key=True)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="ledger")
    seq = models.PositiveIntegerField(_("step"))
    kind = models.CharField(_("kind"), max_length=24, choices=LedgerKind.choices)
    at = models.DateTimeField(_("time"))
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    actor_id = models.UUIDField(_("actor"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=254)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    payload = models.JSONField(_("payload"), default=dict)
    payload_sha256 = models.CharField(_("payload SHA-256"), max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["transfer", "seq"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.UniqueConstraint(fields=["transfer", "seq"], name="ledger_transfer_seq_unique")]

    def __str__(self) -> str:
        return f"{self.transfer_id}#{self.seq} {self.kind}"


class Receipt(BaseModel):
    """The receiver's confirmation: what arrived, when, and the weighbridge ticket in its own vault.
    One per transfer, enforced by the database."""

    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="receipt")
    received_on = models.DateField(_("received on"))
    net_mass_kg = models.DecimalField(_("received net mass (kg)"), max_digits=14, decimal_places=3,
                                      validators=[MinValueValidator(Decimal(0))])
    unit_count = models.PositiveIntegerField(_("received units"))
    ticket_number = models.CharField(_("weighbridge ticket number"), max_length=64, blank=True)
    ticket_evidence_id = models.UUIDField(_("weighbridge ticket"))
    ticket_revision_id = models.UUIDField(_("weighbridge ticket revision"))
    ticket_sha256 = models.CharField(_("weighbridge ticket SHA-256"), max_length=64)
    confirmed_by_id = models.UUIDField(null=True, blank=True)
    confirmed_by_label = models.CharField(_("confirmed by"), max_length=254)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [models.CheckConstraint(condition=Q(net_mass_kg__gte=0), name="receipt_mass_nonneg")]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.received_on}"


class PaperReceipt(BaseModel):
    """A receipt the sender uploaded itself (the recycler is not on the platform yet, or has not answered).
    Weaker than a `Receipt`: it is not confirmed by the counterparty."""

    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="paper_receipt")
    received_on = models.DateField(_("received on"))
    net_mass_kg = models.DecimalField(_("received net mass (kg)"), max_digits=14, decimal_places=3, null=True,
                                      blank=True, validators=[MinValueValidator(Decimal(0))])
    unit_count = models.PositiveIntegerField(_("received units"), null=True, blank=True)
    evidence_id = models.UUIDField(_("receipt document"))
    revision_id = models.UUIDField(_("receipt revision"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by_id = models.UUIDField(null=True, blank=True)
    uploaded_by_label = models.CharField(_("uploaded by"), max_length=254)

    class Meta:
        verbose_name = _("paper receipt")
        verbose_name_plural = _("paper receipts")

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.received_on} (paper)"


class DiscrepancyKind(models.TextChoices):
    TOLERANCE = "tolerance", _("Received figures outside the tolerance")
    DISPUTE = "dispute", _("Receipt disputed")


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("discrepancy status", "Open")
    RESOLVED = "resolved", _("Resolved")


class Discrepancy(BaseModel):
    """Declared and received figures disagree (opened automatically beyond the tolerance, or by a dispute).
    Both parties see it, comment on it, and either may record its resolution."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="discrepancies")
    kind = models.CharField(_("kind"), max_length=12, choices=DiscrepancyKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=DiscrepancyStatus.choices,
                              default=DiscrepancyStatus.OPEN)
    opened_by = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("opened by"))
    reason = models.TextField(_("reason"), blank=True)
    declared_net_mass_kg = models.DecimalField(_("declared net mass (kg)"), max_digits=14, decimal_places=3)
    received_net_mass_kg = models.DecimalField(_("received net mass (kg)"), max_digits=14, decimal_places=3,
                                               null=True, blank=True)
    declared_unit_count = models.PositiveIntegerField(_("declared units"))
    received_unit_count = models.PositiveIntegerField(_("received units"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_by_label = models.CharField(_("resolved by"), max_length=254, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (Q(status="resolved", resolved_at__isnull=False) & ~Q(resolution="")),
                name="discrepancy_resolution_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.kind} {self.status}"

    @property
    def mass_difference_kg(self) -> Decimal | None:
        if self.received_net_mass_kg is None:
            return None
        return self.received_net_mass_kg - self.declared_net_mass_kg

    @property
    def unit_difference(self) -> int | None:
        if self.received_unit_count is None:
            return None
        return self.received_unit_count - self.declared_unit_count


class DiscrepancyComment(BaseModel):
    """One message of a discrepancy thread (append-only: the thread is kept)."""

    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.PROTECT, related_name="comments")
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    author_id = models.UUIDField(null=True, blank=True)
    author_label = models.CharField(_("author"), max_length=254)
    body = models.TextField(_("comment"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("discrepancy comment")
        verbose_name_plural = _("discrepancy comments")

    def __str__(self) -> str:
        return f"{self.discrepancy_id} {self.author_label}"


class ProcessingRecord(BaseModel):
    """What the receiver made of the transfer: black mass and recovered material lots (created in its
    schema, linked to its inbound shipment), summarised here with their assays and a digest."""

    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="processing")
    processed_on = models.DateField(_("processed on"))
    lots = models.JSONField(_("lots"), default=list)
    lots_sha256 = models.CharField(_("lots SHA-256"), max_length=64)
    black_mass_kg = models.DecimalField(_("black mass (kg)"), max_digits=14, decimal_places=3)
    recovered_mass_kg = models.DecimalField(_("recovered materials (kg)"), max_digits=14, decimal_places=3)
    assay_revision_id = models.UUIDField(_("assay report"), null=True, blank=True)
    assay_sha256 = models.CharField(_("assay report SHA-256"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by_id = models.UUIDField(null=True, blank=True)
    recorded_by_label = models.CharField(_("recorded by"), max_length=254)

    class Meta:
        verbose_name = _("processing record")
        verbose_name_plural = _("processing records")

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.processed_on}"


class RecyclingCertificate(BaseModel):
    """The receiver's certificate of recycling for the transfer; `content_sha256` covers its content
    (and the signed file's SHA-256 when one was uploaded into the receiver's vault)."""

    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="certificate")
    issuer = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("issuer"))
    number = models.CharField(_("certificate number"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    statement = models.TextField(_("statement"))
    content_sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_revision_id = models.UUIDField(_("signed certificate"), null=True, blank=True)
    file_sha256 = models.CharField(_("signed certificate SHA-256"), max_length=64, blank=True)
    issued_by_id = models.UUIDField(null=True, blank=True)
    issued_by_label = models.CharField(_("issued by"), max_length=254)

    class Meta:
        verbose_name = _("certificate of recycling")
        verbose_name_plural = _("certificates of recycling")
        constraints = [models.UniqueConstraint(fields=["issuer", "number"], name="certificate_number_unique")]

    def __str__(self) -> str:
        return self.number


class RecyclerInvitation(BaseModel):
    """An exporter invited a recycler that was not on the platform: a new organisation (kind recycler) and
    an invitation for its first owner. Transfers can be dispatched to it at once; it sees them when it joins."""

    invited_by = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("invited by"))
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT,
                                     related_name="custody_invitations", verbose_name=_("recycler"))
    invitation = models.ForeignKey("accounts.Invitation", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    email = models.EmailField(_("e-mail address"))
    invited_by_user_id = models.UUIDField(null=True, blank=True)
    invited_by_label = models.CharField(_("invited by"), max_length=254)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recycler invitation")
        verbose_name_plural = _("recycler invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation_id}"
