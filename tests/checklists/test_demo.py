"""The demo seeder picks protocols for the demo organisations and evaluates their data; a second run
adds nothing."""
import pytest
from django_tenants.utils import schema_context

from apps.accounts import demo as accounts_demo
from apps.checklists import demo
from apps.checklists.models import Evaluation, ProtocolSelection, ScopeStatus
from apps.custody import demo as custody_demo
from apps.traceability.models import Shipment

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
        assert sorted(ProtocolSelection.objects.values_list("protocol_id", flat=True)) == sorted(
            demo.PROTOCOLS["ecocycle"])

    demo.seed(context)
    with schema_context("sinoev"):
        evaluated = set(Evaluation.objects.values_list("scope_id", "protocol_id"))
        assert {(str(shipment.pk), "cn-export-2026"), (str(shipment.pk), "gbt34014-codes")} <= evaluated
        count = Evaluation.objects.count()
        selections = ProtocolSelection.objects.count()
    demo.seed(context)
    with schema_context("sinoev"):
        assert Evaluation.objects.count() == count and ProtocolSelection.objects.count() == selections


def _results(reference: str) -> dict[str, tuple[str, str]]:
    shipment = Shipment.objects.get(reference=reference)
    status = ScopeStatus.objects.select_related("evaluation").get(scope_id=str(shipment.pk),
                                                                  protocol_id="cn-export-2026")
    return {r.requirement_id: (r.status, " ".join(reason["en"] for reason in r.reasons))
            for r in status.evaluation.results.all()}


def test_demo_checklist_shows_the_custody_pathway_met_and_missing():
    """The demo's custody pathway meets the receipt and certificate requirements from the ledger for the
    older shipment; the current one keeps its receipt open (discrepancy) and its manifest waits for review."""
    context: dict = {}
    accounts_demo.seed(context)
    custody_demo.seed(context)
    demo.seed(context)
    with schema_context("sinoev"):
        older, current = _results(custody_demo.OLDER), _results(custody_demo.CURRENT)
    assert older["transport_manifest"][0] == "met"
    assert "Manifest net mass 8.42 t matches the declared 8.42 t" in older["transport_manifest"][1]
    assert older["dangerous_goods"][0] == "met" and "SP 377 with P909" in older["dangerous_goods"][1]
    assert older["receipt"][0] == "met" and "Receipt confirmed on the platform by EcoCycle" in older["receipt"][1]
    assert older["recycling_certificate"][0] == "met" and "ECO-CR-2025-0117" in older["recycling_certificate"][1]
    assert older["recovered_output"][0] == "met" and "processing record" in older["recovered_output"][1]
    assert current["receipt"][0] == "missing" and "discrepancy is open" in current["receipt"][1]
    assert current["transport_manifest"][0] == "missing" and "waiting for review" in current["transport_manifest"][1]
