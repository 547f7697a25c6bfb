"""What every custody step shares: refusal messages, input checks, locking the transfer, appending to its
ledger chain, and writing the activity entry in both parties' schemas."""
import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Perm, Role
from apps.activity.services import Actor, activity_chains_lock, activity_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.hashing import GENESIS, canonical_json
from apps.evidence import services as vault
from apps.evidence.doctypes import doctype
from apps.evidence.models import EvidenceRevision
from apps.tenants.models import Organisation
from apps.traceability import services as register
from apps.traceability.models import Shipment

from .. import ledger
from ..models import (
    LedgerEntry,
    Transfer,
)
from ..signals import transfer_changed

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_NOT_FOUND = _("This transfer does not exist.")
MSG_DISCREPANCY_NOT_FOUND = _("This discrepancy does not exist.")
MSG_SHIPMENT_NOT_FOUND = _("This shipment does not exist.")
MSG_SHIPMENT_NOT_OUTBOUND = _("Only outbound shipments can be dispatched.")
MSG_SHIPMENT_NOT_DRAFT = _("This shipment is not a draft any more; it cannot be dispatched again.")
MSG_ALREADY_DISPATCHED = _("This shipment was already dispatched.")
MSG_NOTHING_DECLARED = _("Declare the shipment's units or its net mass per chemistry before dispatching it.")
MSG_MANIFEST_MISSING = _("Attach the transport manifest to the shipment before dispatching it.")
MSG_RECEIVER_INVALID = _("Choose a recycler on the platform as the receiver.")
MSG_RECEIVER_MISMATCH = _("This shipment is addressed to another organisation.")
MSG_NOT_RECEIVER = _("Only the receiving organisation can do this.")
MSG_NOT_SENDER = _("Only the sending organisation can do this.")
MSG_ALREADY_RECEIVED = _("Receipt of this transfer was already confirmed.")
MSG_ALREADY_DISPUTED = _("This transfer is already disputed.")
MSG_NOT_RECEIVED = _("Confirm receipt of the transfer first.")
MSG_ALREADY_PROCESSED = _("The processing of this transfer was already recorded.")
MSG_NOT_PROCESSED = _("Record the processing outcome first.")
MSG_ALREADY_CERTIFIED = _("A certificate of recycling was already issued for this transfer.")
MSG_PAPER_RECEIPT_EXISTS = _("A paper receipt was already attached to this transfer.")
MSG_DATE_FUTURE = _("The date cannot be in the future.")
MSG_RECEIVED_BEFORE_DISPATCH = _("The goods cannot have been received before they were dispatched.")
MSG_PROCESSED_BEFORE_RECEIPT = _("Processing cannot be earlier than the receipt.")
MSG_ISSUED_BEFORE_PROCESSING = _("The certificate cannot be issued before the processing.")
MSG_MASS_INVALID = _("Enter a mass of zero or more, in kilograms.")
MSG_UNITS_INVALID = _("Enter a number of units of zero or more.")
MSG_REASON_REQUIRED = _("Say why you dispute the receipt.")
MSG_COMMENT_REQUIRED = _("Write a comment.")
MSG_RESOLUTION_REQUIRED = _("Say how the discrepancy was resolved.")
MSG_DISCREPANCY_RESOLVED = _("This discrepancy is already resolved.")
MSG_LOTS_REQUIRED = _("Record at least one lot.")
MSG_LOT_KIND = _("Unknown kind of lot.")
MSG_LOT_MASS = _("A lot's mass must be more than zero.")
MSG_LOT_CODE_REQUIRED = _("Each lot needs a code.")
MSG_LOT_CODE_DUPLICATE = _("Lot code %(code)s is used twice.")
MSG_LOT_CODE_TAKEN = _("Lot code %(code)s already exists in your register.")
MSG_LOT_ELEMENT = _("Unknown element %(element)s.")
MSG_LOT_PERCENT = _("Element contents must be between 0 and 100 %, and add up to at most 100 %.")
MSG_ASSAY_LOT_UNKNOWN = _("The assay report names a lot that is not among the lots recorded.")
MSG_BLACK_MASS_EXCEEDS = _("The black mass (%(black)s kg) exceeds the received net mass (%(received)s kg).")
MSG_CERTIFICATE_NUMBER_REQUIRED = _("Enter the certificate number.")
MSG_CERTIFICATE_NUMBER_TAKEN = _("You already issued a certificate with this number.")
MSG_ALREADY_INVITED = _("You already invited this address; the invitation is still pending.")
MSG_TEXT_TOO_LONG = _("The text is too long (at most %(limit)s characters).")

TEXT_LIMIT = 4000
KG = Decimal("0.001")


class TransferNotFoundError(ApplicationError):
    """Missing and not-yours look the same (404)."""

    status = 404



# --- helpers ------------------------------------------------------------------------------------

def require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def json_native(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals, dates and UUIDs as strings, exactly as the canonical form hashes them."""
    return json.loads(canonical_json(data))


def kg(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(KG))


def check_mass(value: Decimal | None, field_name: str, *, required: bool = True) -> Decimal | None:
    if value is None and not required:
        return None
    if value is None or not isinstance(value, Decimal) or not value.is_finite() or value < 0 \
            or value >= Decimal("1e11"):
        raise ApplicationError(MSG_MASS_INVALID, code="mass_invalid", field=field_name)
    return value.quantize(KG)


def check_units(value: int | None, field_name: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise ApplicationError(MSG_UNITS_INVALID, code="units_invalid", field=field_name)
    return value


def check_not_future(value: date, field_name: str) -> None:
    if value > timezone.localdate():
        raise ApplicationError(MSG_DATE_FUTURE, code="date_future", field=field_name)


def check_text(value: str, field_name: str, *, required_msg=None, code: str = "text_required") -> str:
    value = (value or "").strip()
    if required_msg is not None and not value:
        raise ApplicationError(required_msg, code=code, field=field_name)
    if len(value) > TEXT_LIMIT:
        raise ApplicationError(MSG_TEXT_TOO_LONG % {"limit": TEXT_LIMIT}, code="text_too_long", field=field_name)
    return value


def transfer_of(access: Access, transfer_id: UUID | str, *, lock: bool) -> Transfer:
    qs = Transfer.objects.filter(pk=transfer_id).filter(
        Q(sender_id=access.organisation_id) | Q(receiver_id=access.organisation_id))
    if lock:
        qs = qs.select_for_update(of=("self",))
    transfer = qs.first()
    if transfer is None:
        raise TransferNotFoundError(MSG_NOT_FOUND, code="not_found")
    return transfer


def transfer_parties(transfer: Transfer) -> tuple[Organisation, Organisation]:
    orgs = Organisation.objects.in_bulk([transfer.sender_id, transfer.receiver_id])
    return orgs[transfer.sender_id], orgs[transfer.receiver_id]


def as_receiver(access: Access, transfer: Transfer) -> None:
    if transfer.receiver_id != access.organisation_id:
        raise PermissionDeniedError(MSG_NOT_RECEIVER, code="not_receiver")
    require(access, Perm.CUSTODY_RECEIVE)


def as_sender(access: Access, transfer: Transfer) -> None:
    if transfer.sender_id != access.organisation_id:
        raise PermissionDeniedError(MSG_NOT_SENDER, code="not_sender")
    require(access, Perm.CUSTODY_DISPATCH)


def as_party(access: Access, transfer: Transfer) -> None:
    require(access, Perm.CUSTODY_DISPATCH if transfer.sender_id == access.organisation_id else Perm.CUSTODY_RECEIVE)


# --- files: through the vault of the organisation whose document it is ------------------------------

def require_file(upload: Any, field_name: str) -> None:
    if upload is None:
        raise ApplicationError(vault.MSG_NO_FILE, code="file_required", field=field_name)


def _on_step_inputs(error: ApplicationError, file_field: str, inputs: Mapping[str, str]) -> ApplicationError:
    """The vault's refusal, named on the step's own input: the file's on the file input, a key field's
    on the input it was taken from (every problem stays in `extra["errors"]`)."""
    field = error.field
    if field == "file":
        field = file_field
    elif field == "key_fields":
        problems = error.extra.get("errors") or [{}]
        field = inputs.get(str(problems[0].get("field", "")).split(".")[0], file_field)
    return type(error)(error.message, code=error.code, field=field, extra=error.extra)


def check_key_fields(doc_type: str, raw: Mapping[str, Any], *, file_field: str,
                     inputs: Mapping[str, str]) -> dict[str, Any]:
    """The document's key fields (vault names, docs/evidence.md) checked before any lock is taken."""
    try:
        return vault.validate_key_fields(doctype(doc_type), {k: v for k, v in raw.items() if v not in (None, "")})
    except ApplicationError as error:
        raise _on_step_inputs(error, file_field, inputs) from None


def vault_upload(*, access: Access, doc_type: str, title: str, upload: IO[bytes] | Any, file_field: str,
                 inputs: Mapping[str, str], key_fields: Mapping[str, Any], **kwargs: Any) -> EvidenceRevision:
    """Upload a custody document into the vault of the current schema (the organisation `access` acts
    for) through the vault's own service: type sniffing, size limit, PDF checks, hashing, an immutable
    revision and the activity entry. Runs inside the step's `vault.atomic_with_uploads()`, so a failure
    later in the step removes the file again."""
    try:
        return vault.evidence_upload(access=access, doc_type=doc_type, title=title, upload=upload,
                                     key_fields=key_fields, **kwargs)
    except ApplicationError as error:
        raise _on_step_inputs(error, file_field, inputs) from None


# --- the parties' registers: through the register's services --------------------------------------

def counterpart_access(access: Access, acting: Organisation, organisation: Organisation) -> Access:
    """The acting party's person (or system) inside the other party's register, for the one change the
    custody step makes there (the sender's shipment status after the receiver's step). The step itself
    was authorised as a party of the transfer; the register's activity entry names the person and their
    organisation."""
    if organisation.pk == acting.pk:
        return access
    return Access(organisation_id=organisation.pk, role=Role.STAFF, user_id=access.user_id,
                  api_key_id=access.api_key_id, label=f"{access.label} ({acting.name_en})"[:254])


def sender_shipment_locked(transfer: Transfer, sender: Organisation) -> Shipment | None:
    """Lock the sender's shipment row before the activity chains (the register locks a shipment, then
    writes its log: the same order here, so a register edit and a custody step never wait in a cycle)."""
    with schema_context(sender.schema_name):
        return Shipment.objects.select_for_update().filter(pk=transfer.shipment_id).first()


def sender_shipment_status(*, access: Access, shipment: Shipment | None, acting: Organisation,
                           sender: Organisation, status: str, allowed_from: Sequence[str],
                           on: date | None = None) -> None:
    """Move the sender's shipment to `status` through the register (its transitions, dates and activity
    entry). A shipment the sender has since moved elsewhere in its register (closed, cancelled) is left."""
    if shipment is None or shipment.status not in allowed_from:
        return
    with schema_context(sender.schema_name):
        register.shipment_status_change(access=counterpart_access(access, acting, sender), shipment=shipment,
                                        status=status, on=on)


def lock_chains(*parties: Organisation) -> None:
    """Both parties' activity chains, in schema-name order, before any service writes to either."""
    activity_chains_lock(org.schema_name for org in parties)


def announce(transfer: Transfer, kind: str, sender: Organisation, receiver: Organisation) -> None:
    """`transfer_changed` after the step commits (apps above custody react: exports' reporting events)."""
    transfer_id, sender_schema, receiver_schema = transfer.pk, sender.schema_name, receiver.schema_name
    transaction.on_commit(lambda: transfer_changed.send(
        sender=Transfer, transfer_id=transfer_id, kind=kind, sender_schema=sender_schema,
        receiver_schema=receiver_schema))


def ledger_append(*, transfer: Transfer, kind: str, organisation: Organisation, actor: Actor,
                  payload: dict[str, Any]) -> LedgerEntry:
    """Append the next entry of the transfer's chain. The caller holds the transfer row lock (or has
    just created the transfer) and saves the transfer's `ledger_length` and `ledger_head` afterwards."""
    payload = json_native(payload)
    seq = transfer.ledger_length + 1
    prev_hash = transfer.ledger_head or GENESIS
    at = timezone.now()
    digest = ledger.payload_digest(payload)
    link = ledger.link_of(transfer_id=transfer.pk, seq=seq, kind=kind, at=at, organisation_id=organisation.pk,
                          actor_id=actor.id, actor_label=actor.label[:254], channel=actor.channel,
                          payload_sha256=digest)
    entry = LedgerEntry.objects.create(
        transfer=transfer, seq=seq, kind=kind, at=at, organisation=organisation, actor_id=actor.id,
        actor_label=actor.label[:254], channel=actor.channel, payload=payload, payload_sha256=digest,
        prev_hash=prev_hash, hash=ledger.entry_hash(prev_hash, link))
    transfer.ledger_length, transfer.ledger_head = seq, entry.hash
    return entry


def activity_both(*, transfer: Transfer, parties: Sequence[Organisation], acting: Organisation, actor: Actor,
                  verb: str, entry: LedgerEntry, data: dict[str, Any] | None = None) -> None:
    """One activity entry in each party's schema (schema-name order), carrying the ledger entry's hash:
    each party's own chain then anchors the shared ledger."""
    details = json_native({**(data or {}), "transfer": transfer.pk, "shipment_reference": transfer.shipment_reference,
                           "ledger_seq": entry.seq, "ledger_hash": entry.hash})
    for org in sorted(parties, key=lambda o: o.schema_name):
        who = actor if org.pk == acting.pk else Actor(id=actor.id, label=f"{actor.label} ({acting.name_en})"[:254],
                                                      channel=actor.channel)
        with schema_context(org.schema_name):
            activity_record(actor=who, verb=verb, object_type="custody.transfer", object_id=str(transfer.pk),
                            data=details)
