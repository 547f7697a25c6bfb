"""The demo register: what `make run` shows, and a second run adds nothing."""
from django_tenants.utils import schema_context

from apps.accounts.demo import seed as seed_accounts
from apps.activity.models import ActivityEntry
from apps.traceability.demo import seed
from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment


def _counts(schema):
    with schema_context(schema):
        return (BatteryModel.objects.count(), BatteryUnit.objects.count(), Shipment.objects.count(),
                MaterialLot.objects.count(), ActivityEntry.objects.count())


def test_demo_register_is_complete_and_idempotent(db):
    context: dict = {}
    seed_accounts(context)
    seed(context)
    with schema_context("sinoev"):
        assert BatteryModel.objects.filter(eu_category="ev", chemistry="ncm", rated_energy_kwh__gt=2).exists()
        assert BatteryModel.objects.filter(chemistry="lfp").exists()
        assert BatteryUnit.objects.count() >= 200
        assert {"pack", "module", "cell"} <= set(BatteryUnit.objects.values_list("level", flat=True))
        repurposed = BatteryUnit.objects.filter(status="repurposed")
        assert repurposed.count() == 4 and all(u.original_code and len(u.code) == 19 for u in repurposed)
        outbound = Shipment.objects.get(direction="outbound")
        assert (outbound.hs_code, outbound.un_number, outbound.special_provision, outbound.packing_instruction) == (
            "854913", "UN3480", "377", "P909")
        assert outbound.counterparty_organisation_id == context["organisations"]["ecocycle"].pk
        assert outbound.masses.get().net_mass_kg > 0 and outbound.units.count() == 2
    with schema_context("ecocycle"):
        assert Shipment.objects.get().direction == "inbound"
        black_mass = MaterialLot.objects.get(kind="black_mass")
        assert black_mass.source_shipments.count() == 1 and black_mass.elements.count() >= 4
        assert MaterialLot.objects.filter(source_lots=black_mass).count() == 3
    before = (_counts("sinoev"), _counts("ecocycle"))
    seed({})
    seed(context)
    assert (_counts("sinoev"), _counts("ecocycle")) == before
