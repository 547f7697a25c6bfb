"""Reactions to the capabilities below exports (connected in ExportsConfig.ready)."""
import logging

from django_tenants.utils import get_tenant_model, schema_context

from apps.activity.services import Actor
from apps.custody.models import LedgerKind

from .services import reporting_events_from_custody

logger = logging.getLogger(__name__)


def custody_receipt_reported(sender, *, transfer_id, kind, receiver_schema, **kwargs) -> None:
    """A receipt confirmed through the custody ledger is the recycler's "waste batteries received" event.
    Runs after the custody step committed: a failure here is logged, never shown to the recycler (the
    nightly sync derives the event again)."""
    if kind != LedgerKind.RECEIVED:
        return
    try:
        with schema_context(receiver_schema):
            organisation = get_tenant_model().objects.get(schema_name=receiver_schema)
            reporting_events_from_custody(actor=Actor.system("custody receipt"), organisation=organisation,
                                          transfer_ids=[transfer_id])
    except Exception:  # noqa: BLE001 - the receipt is committed; the nightly sync records the event later
        logger.exception("reporting event of custody transfer %s not recorded", transfer_id)
