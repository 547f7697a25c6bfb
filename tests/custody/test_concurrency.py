"""Two recycler users confirm the same transfer at the same moment, each on its own database connection:
exactly one receipt, one clear conflict, one ledger entry, one stored ticket (the vault's)."""
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django_tenants.utils import schema_context

from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.core.errors import ApplicationError
from apps.custody import services
from apps.custody.models import LedgerEntry, Receipt

from .conftest import WEIGHED, pdf

pytestmark = pytest.mark.django_db(transaction=True)


def _files(prefix: str) -> set[str]:
    try:
        return set(default_storage.listdir(prefix)[1])
    except FileNotFoundError:
        return set()


def test_two_simultaneous_confirmations_make_exactly_one_receipt(committed, people, make_shipment, monkeypatch):
    alpha, beta = committed["alpha"], committed["beta"]
    shipment = make_shipment(alpha)
    _u, exporter = people(alpha)
    transfer = services.shipment_dispatch(access=exporter, shipment_id=shipment.pk, receiver_id=beta.pk)
    accesses = [people(beta, Role.STAFF)[1], people(beta, Role.COMPLIANCE_MANAGER)[1]]
    files_before = _files(f"{beta.schema_name}/evidence")

    # Both requests get past the unlocked checks before either takes the row lock; the loser then waits for
    # the winner's commit, sees the receipt and stores nothing.
    both_checked = threading.Barrier(2, timeout=20)
    from apps.custody.services import receipt as receipt_services

    real_check = receipt_services.check_key_fields

    def check_then_wait(*args, **kwargs):
        checked = real_check(*args, **kwargs)
        both_checked.wait()
        return checked

    monkeypatch.setattr(receipt_services, "check_key_fields", check_then_wait)
    start = threading.Barrier(2, timeout=20)
    outcomes: list[object] = []

    def confirm(access, mass):
        try:
            start.wait()
            outcomes.append(services.transfer_confirm_receipt(
                access=access, transfer_id=transfer.pk, received_on=date.today(), net_mass_kg=Decimal(mass),
                unit_count=3, ticket=pdf(extra=mass.encode()), **WEIGHED))
        except ApplicationError as error:
            outcomes.append(error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=confirm, args=(access, mass))
               for access, mass in zip(accesses, ("1000", "999"), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    receipts = [o for o in outcomes if isinstance(o, Receipt)]
    refusals = [o for o in outcomes if isinstance(o, ApplicationError)]
    assert len(receipts) == 1 and len(refusals) == 1
    assert refusals[0].code == "already_received" and refusals[0].status == 409
    assert Receipt.objects.filter(transfer=transfer).count() == 1
    assert list(LedgerEntry.objects.filter(transfer=transfer).order_by("seq").values_list("kind", flat=True)) == [
        "dispatched", "received"]
    with schema_context(beta.schema_name):
        assert ActivityEntry.objects.filter(verb="custody.received").count() == 1
    assert len(_files(f"{beta.schema_name}/evidence") - files_before) == 1  # the loser stored no ticket
