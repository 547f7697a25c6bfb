"""The demo seeder picks protocols for the demo organisations and evaluates their data; a second run
adds nothing."""
import pytest
from django_tenants.utils import schema_context

from apps.accounts import demo as accounts_demo
from apps.checklists import demo
from apps.checklists.models import Evaluation, ProtocolSelection

from .factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_evaluates_the_demo_shipments():
    context: dict = {}
    accounts_demo.seed(context)
    demo.seed(context)
    with schema_context("sinoev"):
        assert sorted(ProtocolSelection.objects.values_list("protocol_id", flat=True)) == sorted(
            demo.PROTOCOLS["sinoev"])
        shipment = ShipmentFactory()
    with schema_context("ecocycle"):
        assert list(ProtocolSelection.objects.values_list("protocol_id", flat=True)) == ["iso22095-mass-balance"]

    demo.seed(context)
    with schema_context("sinoev"):
        evaluated = set(Evaluation.objects.values_list("scope_id", "protocol_id"))
        assert {(str(shipment.pk), "cn-export-2026"), (str(shipment.pk), "gbt34014-codes")} <= evaluated
        count = Evaluation.objects.count()
        selections = ProtocolSelection.objects.count()
    demo.seed(context)
    with schema_context("sinoev"):
        assert Evaluation.objects.count() == count and ProtocolSelection.objects.count() == selections
