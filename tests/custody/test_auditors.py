"""Auditors on custody pages (issue 5's bad-input list): an auditor reads a transfer only while its engagement
is active and its scope covers the shipment (not-found otherwise: outside the scope, before the start, after the
end, after revocation), and never takes a step of the ledger."""
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audits.models import Engagement, EngagementScope
from apps.custody.models import Discrepancy, PaperReceipt, Receipt
from tests.audits.conftest import auditor_client, auditor_of, grant  # noqa: F401 - fixtures of the audits tests

from .test_views import receipt_form


@pytest.fixture
def auditor(auditor_client):  # noqa: F811 - the audits tests' fixture, imported above
    """`auditor(alpha, **grant_kwargs)` -> (client with a TOTP-verified session, user, engagement)."""
    return auditor_client


def test_auditor_reads_a_transfer_in_scope_and_cannot_take_a_step(dispatched, alpha, auditor, make_shipment):
    other = make_shipment(alpha)
    client, _user, _engagement = auditor(alpha, scope=EngagementScope.SELECTION,
                                                shipment_ids=[dispatched.shipment_id, other.pk])
    page = client.get(f"/custody/transfers/{dispatched.pk}/")
    assert page.status_code == 200 and dispatched.shipment_reference in page.content.decode()
    assert dispatched.shipment_reference in client.get("/custody/outgoing/").content.decode()
    for step in ("paper-receipt/", "confirm/", "dispute/"):
        response = client.post(f"/custody/transfers/{dispatched.pk}/{step}",
                               {**receipt_form(), "reason": "no", "document": receipt_form()["ticket"]})
        assert response.status_code in (403, 404)
    response = client.post("/custody/dispatch/", {"shipment": other.pk, "receiver": dispatched.receiver_id})
    assert response.status_code in (403, 404)
    assert not Receipt.objects.exists() and not PaperReceipt.objects.exists() and not Discrepancy.objects.exists()
    assert dispatched.ledger.count() == 1


def test_auditor_outside_the_scope_gets_not_found(dispatched, alpha, auditor, make_shipment):
    other = make_shipment(alpha)
    client, _user, _engagement = auditor(alpha, scope=EngagementScope.SELECTION, shipment_ids=[other.pk])
    assert client.get(f"/custody/transfers/{dispatched.pk}/").status_code == 404
    assert dispatched.shipment_reference not in client.get("/custody/outgoing/").content.decode()


@pytest.mark.parametrize("moment", ["before_start", "after_end", "revoked"])
def test_auditor_outside_the_engagements_time_gets_not_found(dispatched, alpha, auditor, moment):
    client, _user, engagement = auditor(alpha)
    path = f"/custody/transfers/{dispatched.pk}/"
    assert client.get(path).status_code == 200
    now = timezone.now()
    change = {"before_start": {"starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=2)},
              "after_end": {"ends_at": now},
              "revoked": {"revoked_at": now}}[moment]
    Engagement.objects.filter(pk=engagement.pk).update(**change)
    assert client.get(path).status_code == 404
