"""The discrepancy thread: comments of both parties and the resolution."""
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.access import Access
from apps.core.errors import ConflictError

from ..models import (
    Discrepancy,
    DiscrepancyComment,
    DiscrepancyStatus,
    LedgerKind,
    Transfer,
)
from .common import (
    MSG_COMMENT_REQUIRED,
    MSG_DISCREPANCY_NOT_FOUND,
    MSG_DISCREPANCY_RESOLVED,
    MSG_RESOLUTION_REQUIRED,
    TransferNotFoundError,
    activity_both,
    as_party,
    check_text,
    ledger_append,
    transfer_of,
    transfer_parties,
)


def _discrepancy_locked(access: Access, discrepancy_id: UUID | str) -> tuple[Transfer, Discrepancy]:
    transfer_id = (Discrepancy.objects.filter(pk=discrepancy_id).filter(
        Q(transfer__sender_id=access.organisation_id) | Q(transfer__receiver_id=access.organisation_id))
        .values_list("transfer_id", flat=True).first())
    if transfer_id is None:
        raise TransferNotFoundError(MSG_DISCREPANCY_NOT_FOUND, code="not_found")
    transfer = transfer_of(access, transfer_id, lock=True)
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy_id)
    as_party(access, transfer)
    if discrepancy.status != DiscrepancyStatus.OPEN:
        raise ConflictError(MSG_DISCREPANCY_RESOLVED, code="discrepancy_resolved")
    return transfer, discrepancy


@transaction.atomic
def discrepancy_comment(*, access: Access, discrepancy_id: UUID | str, body: str) -> DiscrepancyComment:
    transfer, discrepancy = _discrepancy_locked(access, discrepancy_id)
    body = check_text(body, "body", required_msg=MSG_COMMENT_REQUIRED, code="comment_required")
    sender, receiver = transfer_parties(transfer)
    acting = sender if access.organisation_id == sender.pk else receiver
    actor = access.actor
    comment = DiscrepancyComment.objects.create(discrepancy=discrepancy, organisation=acting, author_id=actor.id,
                                                author_label=actor.label[:254], body=body)
    entry = ledger_append(transfer=transfer, kind=LedgerKind.DISCREPANCY_COMMENT, organisation=acting, actor=actor,
                          payload={"discrepancy_id": discrepancy.pk, "comment_id": comment.pk, "body": body})
    transfer.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
    activity_both(transfer=transfer, parties=(sender, receiver), acting=acting, actor=actor,
                  verb="custody.discrepancy_comment", entry=entry, data={"discrepancy": discrepancy.pk})
    return comment


@transaction.atomic
def discrepancy_resolve(*, access: Access, discrepancy_id: UUID | str, resolution: str) -> Discrepancy:
    transfer, discrepancy = _discrepancy_locked(access, discrepancy_id)
    resolution = check_text(resolution, "resolution", required_msg=MSG_RESOLUTION_REQUIRED,
                            code="resolution_required")
    sender, receiver = transfer_parties(transfer)
    acting = sender if access.organisation_id == sender.pk else receiver
    actor = access.actor
    discrepancy.status = DiscrepancyStatus.RESOLVED
    discrepancy.resolution = resolution
    discrepancy.resolved_at = timezone.now()
    discrepancy.resolved_by = acting
    discrepancy.resolved_by_label = actor.label[:254]
    discrepancy.save(update_fields=["status", "resolution", "resolved_at", "resolved_by", "resolved_by_label",
                                    "updated_at"])
    entry = ledger_append(transfer=transfer, kind=LedgerKind.DISCREPANCY_RESOLVED, organisation=acting, actor=actor,
                          payload={"discrepancy_id": discrepancy.pk, "resolution": resolution})
    transfer.save(update_fields=["ledger_length", "ledger_head", "updated_at"])
    activity_both(transfer=transfer, parties=(sender, receiver), acting=acting, actor=actor,
                  verb="custody.discrepancy_resolved", entry=entry, data={"discrepancy": discrepancy.pk})
    return discrepancy
