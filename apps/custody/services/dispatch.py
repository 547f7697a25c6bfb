"""Dispatching a shipment to a recycler, and inviting a recycler that is not on the platform yet."""
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.text import slugify
from django_tenants.utils import get_public_schema_name, schema_context

from apps.accounts.access import Access
from apps.accounts.models import Invitation, User
from apps.accounts.roles import Perm, Role
from apps.accounts.services import invitation_create
from apps.activity.services import activity_record
from apps.core.errors import ApplicationError, ConflictError
from apps.core.hashing import canonical_json, sha256_hex
from apps.evidence.models import EvidenceRevision, EvidenceType, RevisionStatus
from apps.tenants.identifiers import is_valid_slug
from apps.tenants.models import Organisation, OrganisationKind
from apps.tenants.services import organisation_create
from apps.traceability import selectors as register_selectors
from apps.traceability import services as register
from apps.traceability.models import (
    Shipment,
    ShipmentDirection,
    ShipmentStatus,
)

from .. import ledger
from ..models import (
    LedgerKind,
    RecyclerInvitation,
    Transfer,
)
from .common import (
    MSG_ALREADY_DISPATCHED,
    MSG_ALREADY_INVITED,
    MSG_MANIFEST_MISSING,
    MSG_NOTHING_DECLARED,
    MSG_RECEIVER_INVALID,
    MSG_RECEIVER_MISMATCH,
    MSG_SHIPMENT_NOT_DRAFT,
    MSG_SHIPMENT_NOT_FOUND,
    MSG_SHIPMENT_NOT_OUTBOUND,
    TransferNotFoundError,
    activity_both,
    announce,
    json_native,
    kg,
    ledger_append,
    lock_chains,
    require,
)


def _manifest(shipment: Shipment, revision_id: UUID | str | None) -> EvidenceRevision:
    """The transport manifest in the sender's vault: the one chosen, else the accepted revision (reviewed in the
    vault), else the newest one still waiting for review; never a rejected or superseded one."""
    qs = EvidenceRevision.objects.filter(evidence__doc_type=EvidenceType.TRANSPORT_MANIFEST,
                                         evidence__shipments=shipment,
                                         status__in=[RevisionStatus.SUBMITTED, RevisionStatus.ACCEPTED])
    if revision_id:
        qs = qs.filter(pk=revision_id)
    accepted_first = Case(When(status=RevisionStatus.ACCEPTED, then=Value(0)), default=Value(1))
    revision = qs.order_by(accepted_first, "-created_at", "-number").first()
    if revision is None:
        raise ApplicationError(MSG_MANIFEST_MISSING, code="manifest_missing", field="manifest")
    return revision


def _receiver_for_dispatch(sender: Organisation, receiver_id: UUID | str | None) -> Organisation:
    receiver = Organisation.objects.filter(pk=receiver_id, kind=OrganisationKind.RECYCLER, is_active=True) \
        .exclude(pk=sender.pk).first() if receiver_id else None
    if receiver is None:
        raise ApplicationError(MSG_RECEIVER_INVALID, code="receiver_invalid", field="receiver")
    return receiver


@transaction.atomic
def shipment_dispatch(*, access: Access, shipment_id: UUID | str, receiver_id: UUID | str | None,
                      manifest_revision_id: UUID | str | None = None) -> Transfer:
    """Dispatch one of the sender's outbound shipments to a recycler: copy the declared figures, the digest of
    the unit codes and the transport manifest's SHA-256 into a new transfer and its first ledger entry, and
    mark the shipment dispatched in the sender's schema."""
    require(access, Perm.CUSTODY_DISPATCH)
    sender = Organisation.objects.get(pk=access.organisation_id)
    receiver = _receiver_for_dispatch(sender, receiver_id)
    actor = access.actor
    with schema_context(sender.schema_name):
        # The shipment as the register shows it to this person (its selector: scope, masses joined), read again
        # once its row is locked so that the declaration copies what is dispatched.
        shipment = register_selectors.shipment_get(access=access, shipment_id=shipment_id)
        if shipment is not None:
            Shipment.objects.select_for_update().filter(pk=shipment.pk).values_list("pk").first()
            shipment = register_selectors.shipment_get(access=access, shipment_id=shipment.pk)
        if shipment is None:
            raise TransferNotFoundError(MSG_SHIPMENT_NOT_FOUND, code="shipment_not_found", field="shipment")
        if shipment.direction != ShipmentDirection.OUTBOUND:
            raise ApplicationError(MSG_SHIPMENT_NOT_OUTBOUND, code="shipment_not_outbound", field="shipment")
        if Transfer.objects.filter(sender=sender, shipment_id=shipment.pk).exists():
            raise ConflictError(MSG_ALREADY_DISPATCHED, code="already_dispatched", field="shipment")
        if shipment.status != ShipmentStatus.DRAFT:
            raise ConflictError(MSG_SHIPMENT_NOT_DRAFT, code="shipment_not_draft", field="shipment")
        if shipment.counterparty_organisation_id and shipment.counterparty_organisation_id != receiver.pk:
            raise ApplicationError(MSG_RECEIVER_MISMATCH, code="receiver_mismatch", field="receiver")
        masses = {mass.chemistry: mass.net_mass_kg for mass in sorted(shipment.masses.all(), key=lambda m: m.chemistry)}
        codes = list(register_selectors.shipment_units(access=access, shipment=shipment).values_list("code", flat=True))
        total = sum(masses.values(), Decimal(0))
        if not codes and total <= 0:
            raise ApplicationError(MSG_NOTHING_DECLARED, code="nothing_declared", field="shipment")
        manifest = _manifest(shipment, manifest_revision_id)
        today = timezone.localdate()
        dispatched_on = shipment.dispatch_date or min(today, shipment.arrival_date or today)
        declaration = json_native({
            "shipment_id": shipment.pk, "reference": shipment.reference, "dispatched_on": dispatched_on,
            "declared_masses": {chem: kg(mass) for chem, mass in masses.items()}, "declared_net_mass_kg": kg(total),
            "declared_unit_count": len(codes), "unit_codes_sha256": ledger.unit_codes_digest(codes),
            "manifest_revision_id": manifest.pk, "manifest_sha256": manifest.sha256,
            "hs_code": shipment.hs_code, "un_number": shipment.un_number, "is_waste": shipment.is_waste,
            "waste_code": shipment.waste_code, "origin_country": shipment.origin_country,
            "destination_country": shipment.destination_country,
        })
        transfer = Transfer.objects.create(
            sender=sender, receiver=receiver, shipment_id=shipment.pk, shipment_reference=shipment.reference,
            declaration_sha256=sha256_hex(canonical_json(declaration)),
            declared_masses=declaration["declared_masses"], declared_net_mass_kg=total,
            declared_unit_count=len(codes), unit_codes_sha256=declaration["unit_codes_sha256"],
            manifest_revision_id=manifest.pk, manifest_sha256=manifest.sha256, dispatched_on=dispatched_on,
            dispatched_at=timezone.now(), mass_tolerance_percent=Decimal(str(settings.CUSTODY_MASS_TOLERANCE_PERCENT)),
            unit_tolerance=settings.CUSTODY_UNIT_TOLERANCE)
        lock_chains(sender, receiver)
        # The shipment becomes dispatched to this recycler through the register (its rules, its log).
        if shipment.counterparty_organisation_id is None:
            shipment = register.shipment_update(access=access, shipment=shipment,
                                                data={"counterparty_platform": receiver.slug})
        register.shipment_status_change(access=access, shipment=shipment, status=ShipmentStatus.DISPATCHED,
                                        on=dispatched_on)
    entry = ledger_append(transfer=transfer, kind=LedgerKind.DISPATCHED, organisation=sender, actor=actor, payload={
        "declaration": declaration, "declaration_sha256": transfer.declaration_sha256, "sender": sender.pk,
        "receiver": receiver.pk, "mass_tolerance_percent": transfer.mass_tolerance_percent,
        "unit_tolerance": transfer.unit_tolerance})
    transfer.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
    activity_both(transfer=transfer, parties=(sender, receiver), acting=sender, actor=actor, verb="custody.dispatched",
                  entry=entry, data={"receiver": receiver.name_en, "declared_net_mass_kg": kg(total),
                                     "declared_unit_count": len(codes)})
    announce(transfer, LedgerKind.DISPATCHED, sender, receiver)
    return transfer


def _free_slug(name: str) -> str:
    base = slugify(name)[:34].strip("-") or "recycler"
    if not base[0].isalpha():
        base = f"r-{base}"[:34]
    if len(base) < 3:
        base = f"{base}-recycler"
    candidate, n = base, 2
    while not is_valid_slug(candidate) or Organisation.objects.filter(slug=candidate).exists():
        candidate = f"{base}-{n}"
        n += 1
    return candidate


@transaction.atomic
def recycler_invite(*, access: Access, name_en: str, country: str, email: str, name_zh: str = "",
                    inviter: User | None = None) -> RecyclerInvitation:
    """Invite a recycler that is not on the platform: create its organisation (kind recycler) and invite its
    first owner by e-mail. Transfers can be dispatched to it at once; it sees them when it joins."""
    require(access, Perm.CUSTODY_DISPATCH)
    sender = Organisation.objects.get(pk=access.organisation_id)
    email = (email or "").strip().lower()
    pending = RecyclerInvitation.objects.filter(
        invited_by=sender, email=email, invitation__accepted_at__isnull=True, invitation__revoked_at__isnull=True,
        invitation__expires_at__gt=timezone.now())
    if pending.exists():
        raise ConflictError(MSG_ALREADY_INVITED, code="already_invited", field="email")
    actor = access.actor
    with schema_context(get_public_schema_name()):  # django-tenants creates schemas only from the public one
        recycler = organisation_create(slug=_free_slug(name_en), name_en=name_en, name_zh=name_zh,
                                       kind=OrganisationKind.RECYCLER, country=country, actor=actor)
    # The new organisation has no member yet: the invitation is sent on its behalf, as its owner would.
    on_behalf = Access(organisation_id=recycler.pk, role=Role.OWNER, user_id=actor.id,
                       label=f"{actor.label} ({sender.name_en})"[:254])
    invitation: Invitation = invitation_create(access=on_behalf, organisation=recycler, email=email, role=Role.OWNER,
                                               inviter=inviter)
    record = RecyclerInvitation.objects.create(invited_by=sender, organisation=recycler, invitation=invitation,
                                               email=email, invited_by_user_id=actor.id,
                                               invited_by_label=actor.label[:254])
    with schema_context(sender.schema_name):
        activity_record(actor=actor, verb="custody.recycler_invited", obj=record,
                        data={"organisation": recycler.name_en, "slug": recycler.slug, "email": email})
    return record
