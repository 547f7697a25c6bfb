"""The scope of an engagement on the pages other capabilities have shipped (main today: passports
and platform reporting): through a real engagement, an auditor granted one shipment sees what hangs
off it and gets not-found for the rest; each request lands in the access log, downloads marked."""
from decimal import Decimal

from django_tenants.utils import schema_context

from apps.audits.models import AccessLog, EngagementScope
from apps.traceability.models import BatteryModel, BatteryUnit, ShipmentUnit


def _units(alpha, shipments):
    with schema_context(alpha.schema_name):
        model = BatteryModel.objects.create(
            code="EVP-SCOPE", name="EV pack", manufacturer="Alpha", eu_category="ev", chemistry="ncm",
            rated_capacity_ah=Decimal("206"), rated_energy_kwh=Decimal("75"), nominal_voltage_v=Decimal("364.8"),
            mass_kg=Decimal("455"), plant_country="CN")
        units = []
        for index, shipment in enumerate(shipments):
            unit = BatteryUnit.objects.create(code=f"SCOPEUNIT{index}", scheme="gbt34014", level="pack", model=model)
            ShipmentUnit.objects.create(shipment=shipment, unit=unit)
            units.append(unit)
        return units


def test_an_auditor_granted_one_shipment_sees_only_its_units(alpha, auditor_client, shipments):
    inside, outside = _units(alpha, shipments)
    client, _user, engagement = auditor_client(alpha, scope=EngagementScope.SELECTION,
                                               shipment_ids=[shipments[0].pk])
    listing = client.get("/passports/")
    assert listing.status_code == 200
    assert "SCOPEUNIT0" in listing.content.decode() and "SCOPEUNIT1" not in listing.content.decode()
    assert client.get(f"/passports/units/{inside.pk}/").status_code == 200
    assert client.get(f"/passports/units/{outside.pk}/").status_code == 404
    assert client.get(f"/passports/units/{outside.pk}/passport.json").status_code == 404
    download = client.get(f"/passports/units/{inside.pk}/passport.json")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    log = {(entry.path, entry.status_code, entry.is_download)
           for entry in AccessLog.objects.filter(engagement=engagement)}
    assert (f"/passports/units/{outside.pk}/", 404, False) in log
    assert (f"/passports/units/{inside.pk}/passport.json", 200, True) in log


def test_a_whole_organisation_auditor_sees_every_unit(alpha, auditor_client, shipments):
    _units(alpha, shipments)
    client, _user, _engagement = auditor_client(alpha)
    page = client.get("/passports/").content.decode()
    assert "SCOPEUNIT0" in page and "SCOPEUNIT1" in page


def test_scope_expires_with_the_engagement(alpha, auditor_client, shipments):
    from django.utils import timezone

    from apps.audits.models import Engagement

    inside, _outside = _units(alpha, shipments)
    client, _user, engagement = auditor_client(alpha, scope=EngagementScope.SELECTION,
                                               shipment_ids=[shipments[0].pk])
    assert client.get(f"/passports/units/{inside.pk}/").status_code == 200
    Engagement.objects.filter(pk=engagement.pk).update(ends_at=timezone.now())
    assert client.get(f"/passports/units/{inside.pk}/").status_code == 404
