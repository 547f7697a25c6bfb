"""The demo seed shows the custody pathway on the demo organisations, and a second run adds nothing."""
from django.db import connection

from apps.accounts import demo as accounts_demo
from apps.custody import demo
from apps.custody.models import Discrepancy, LedgerEntry, Transfer
from apps.custody.selectors import ledger_verify


def test_demo_seed_is_idempotent_and_shows_a_discrepancy_and_a_certificate(db):
    context: dict = {}
    accounts_demo.seed(context)
    demo.seed(context)
    connection.set_schema_to_public()
    counts = (Transfer.objects.count(), LedgerEntry.objects.count(), Discrepancy.objects.count())
    statuses = dict(Transfer.objects.values_list("shipment_reference", "status"))
    assert statuses == {"SEV-2025-0117": "certified", "SEV-2026-0042": "received"}
    assert Discrepancy.objects.get().status == "open"
    assert ledger_verify().intact

    again: dict = {}
    accounts_demo.seed(again)
    demo.seed(again)
    connection.set_schema_to_public()
    assert (Transfer.objects.count(), LedgerEntry.objects.count(), Discrepancy.objects.count()) == counts
