"""Register services: the rules they keep, the refusals they give and the activity entries they write."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.traceability import services
from apps.traceability.models import BatteryModel, BatteryUnit, MaterialLot, Shipment

from .factories import cascade_code, gbt_code


def refusal(call, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(**kwargs)
    return caught.value


def verbs() -> list[str]:
    return list(ActivityEntry.objects.order_by("id").values_list("verb", flat=True))


# --- battery models ---------------------------------------------------------------------------

def test_battery_model_create_normalises_gtin_and_logs(tenant, alpha_access):
    model = services.battery_model_create(access=alpha_access, code="M-1", name="Pack", eu_category="ev",
                                          chemistry="ncm", gtin="9521234543213", rated_energy_kwh="75")
    assert model.gtin == "09521234543213" and model.needs_passport
    assert verbs()[-1] == "battery_model.created"


@pytest.mark.parametrize("values,code,field", [
    ({"gtin": "9521234543210"}, "gs1_check_digit", "gtin"),
    ({"eu_category": "portable", "mass_kg": "6"}, "category_mass_portable", "eu_category"),
    ({"eu_category": "lmt", "mass_kg": "26"}, "category_mass_lmt", "eu_category"),
    ({"chemistry": "unobtainium"}, "choice_invalid", "chemistry"),
    ({"plant_country": "China"}, "country_format", "plant_country"),
    ({"name": ""}, "value_required", "name"),
])
def test_battery_model_refusals(tenant, alpha_access, values, code, field):
    base = {"code": "M-1", "name": "Pack", "eu_category": "ev", "chemistry": "ncm"}
    error = refusal(services.battery_model_create, access=alpha_access, **{**base, **values})
    assert (error.code, error.field) == (code, field)
    assert not BatteryModel.objects.exists()


def test_battery_model_code_is_unique_and_update_logs_changes(tenant, alpha_access, ev_model):
    assert refusal(services.battery_model_create, access=alpha_access, code=ev_model.code, name="x",
                   eu_category="ev", chemistry="ncm").code == "model_code_taken"
    services.battery_model_update(access=alpha_access, battery_model=ev_model, data={"name": "Renamed"})
    entry = ActivityEntry.objects.order_by("-id").first()
    assert entry.verb == "battery_model.updated" and entry.data["changes"]["name"] == ["EV pack 75 kWh", "Renamed"]


def test_viewer_may_not_write(tenant, alpha, member_access):
    _user, viewer = member_access(alpha, Role.VIEWER)
    with pytest.raises(PermissionDeniedError) as caught:
        services.unit_create(access=viewer, code=gbt_code(), level="pack")
    assert caught.value.code == "not_allowed"


# --- units ------------------------------------------------------------------------------------

def test_unit_hierarchy_is_built_and_logged(tenant, pack_tree):
    cell = BatteryUnit.objects.select_related("parent__parent").get(code=pack_tree["cells"][0].code)
    assert cell.parent.level == "module" and cell.parent.parent == pack_tree["pack"]
    assert verbs().count("unit.created") == 9


def test_cell_may_sit_directly_in_a_pack(tenant, alpha_access, pack_tree):
    cell = services.unit_create(access=alpha_access, code=gbt_code("C", 900), level="cell",
                                parent_code=pack_tree["pack"].code)
    assert cell.parent == pack_tree["pack"]


@pytest.mark.parametrize("level,code_type,parent_key,error_code", [
    ("module", "M", "cells", "parent_level"),     # a module inside a cell
    ("pack", "P", "modules", "parent_level"),     # a pack has no parent
    ("cell", "C", "cells", "parent_level"),       # a cell inside a cell
])
def test_level_rules(tenant, alpha_access, pack_tree, level, code_type, parent_key, error_code):
    error = refusal(services.unit_create, access=alpha_access, code=gbt_code(code_type, 901), level=level,
                    parent_code=pack_tree[parent_key][0].code)
    assert (error.code, error.field) == (error_code, "parent_code")


def test_unit_refusals(tenant, alpha_access, pack_tree):
    assert refusal(services.unit_create, access=alpha_access, code=gbt_code("M", 1), level="pack").code == \
        "gbt_level_mismatch"
    assert refusal(services.unit_create, access=alpha_access, code=pack_tree["pack"].code,
                   level="pack").code == "code_taken"
    assert refusal(services.unit_create, access=alpha_access, code=gbt_code("C", 2), level="cell",
                   parent_code=gbt_code("M", 999)).code == "parent_unknown"
    assert refusal(services.unit_create, access=alpha_access, code=gbt_code("P", 3), level="pack",
                   model_code="NOPE").code == "model_unknown"
    assert refusal(services.unit_create, access=alpha_access, code=gbt_code("P", 4), level="pack",
                   manufactured_on=timezone.localdate() + timedelta(days=2)).code == "date_future"
    error = refusal(services.unit_create, access=alpha_access, code="X12PEPM27KLPCLX2M000000#", level="pack")
    assert error.code == "gbt_charset" and error.extra["errors"][0]["field"] == "code"


def test_gs1_and_passport_units_store_gtin_and_serial(tenant, alpha_access):
    gs1 = services.unit_create(access=alpha_access, code="", scheme="gs1", gtin="9521234543213", serial="SN1",
                               level="cell")
    passport = services.unit_create(access=alpha_access, code="https://pass.example.com/01/9521234543213/21/SN2",
                                    level="pack")
    assert (gs1.code, gs1.gtin, gs1.serial) == ("(01)09521234543213(21)SN1", "09521234543213", "SN1")
    assert (passport.scheme, passport.serial, passport.code) == (
        "eu_passport", "SN2", "https://pass.example.com/01/09521234543213/21/SN2")


def test_unit_code_unique_per_tenant_is_a_database_constraint(tenant, alpha_access, pack_tree):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        BatteryUnit.objects.create(code=pack_tree["pack"].code, scheme="gbt34014", level="pack")


def test_same_code_in_two_organisations_is_fine(alpha_access, pack_tree, beta, in_tenant, member_access):
    _user, beta_access = member_access(beta, Role.STAFF)
    with in_tenant(beta):
        unit = services.unit_create(access=beta_access, code=pack_tree["pack"].code, level="pack")
        assert unit.pk != pack_tree["pack"].pk


def test_cascade_recode_keeps_the_original_code_and_the_hierarchy(tenant, alpha_access, pack_tree):
    module = pack_tree["modules"][0]
    shipment = services.shipment_create(access=alpha_access, reference="S-1", direction="outbound",
                                        counterparty_name="R", counterparty_country="DE", unit_codes=[module.code])
    old_code = module.code
    recoded = services.unit_recode(access=alpha_access, unit=module, new_code=cascade_code("M", 1))
    recoded.refresh_from_db()
    assert (recoded.code, recoded.original_code, recoded.status) == (cascade_code("M", 1), old_code, "repurposed")
    assert recoded.children.count() == 3 and shipment.units.get() == recoded
    again = services.unit_recode(access=alpha_access, unit=recoded, new_code=gbt_code("M", 777),
                                 status="remanufactured")
    assert again.original_code == old_code  # the first code stays the original
    entry = ActivityEntry.objects.filter(verb="unit.recoded").order_by("-id").first()
    assert entry.data["from"] == cascade_code("M", 1) and entry.data["original_code"] == old_code
    # the former code cannot come back as a new unit
    assert refusal(services.unit_create, access=alpha_access, code=old_code, level="module").code == "code_was_recoded"


def test_cascade_recode_refusals(tenant, alpha_access, pack_tree):
    module = pack_tree["modules"][0]
    assert refusal(services.unit_recode, access=alpha_access, unit=module,
                   new_code=cascade_code("M", 1, original_type="P")).code == "cascade_original_type"
    assert refusal(services.unit_recode, access=alpha_access, unit=module, new_code=cascade_code("P", 1)).code == \
        "gbt_level_mismatch"
    assert refusal(services.unit_recode, access=alpha_access, unit=module, new_code=pack_tree["pack"].code).code in (
        "gbt_level_mismatch", "code_taken")
    assert refusal(services.unit_recode, access=alpha_access, unit=module, new_code=cascade_code("M", 2),
                   status="waste").code == "recode_status"
    module.refresh_from_db()
    assert module.original_code == "" and module.status == "original"


def test_unit_status_changes(tenant, alpha_access, pack_tree):
    pack = services.unit_status_change(access=alpha_access, unit=pack_tree["pack"], status="waste")
    assert pack.status == "waste" and verbs()[-1] == "unit.status_changed"
    assert refusal(services.unit_status_change, access=alpha_access, unit=pack, status="original").code == \
        "unit_status_original"
    assert refusal(services.unit_status_change, access=alpha_access, unit=pack, status="waste").code == \
        "status_unchanged"


def test_unit_update_moves_it_in_the_hierarchy(tenant, alpha_access, pack_tree):
    cell = pack_tree["cells"][0]
    services.unit_update(access=alpha_access, unit=cell, data={"parent_code": pack_tree["modules"][1].code,
                                                               "mass_kg": Decimal("2.5")})
    cell.refresh_from_db()
    assert cell.parent == pack_tree["modules"][1] and cell.mass_kg == Decimal("2.5")
    assert refusal(services.unit_update, access=alpha_access, unit=pack_tree["modules"][0],
                   data={"parent_code": cell.code}).code == "parent_level"


# --- shipments --------------------------------------------------------------------------------

SHIPMENT = {"reference": "SO-1", "direction": "outbound", "counterparty_name": "EcoCycle GmbH",
            "counterparty_country": "de", "hs_code": "8549.13", "un_number": "3480", "special_provision": "SP 377",
            "packing_instruction": "p909", "is_waste": True, "waste_code": "160605",
            "dispatch_date": date(2026, 4, 12)}


def test_shipment_with_units_masses_and_normalised_codes(tenant, alpha_access, pack_tree):
    shipment = services.shipment_create(access=alpha_access, unit_codes=[pack_tree["pack"].code],
                                        masses={"ncm": "450.5", "lfp": Decimal("10")}, **SHIPMENT)
    shipment.refresh_from_db()
    assert (shipment.counterparty_country, shipment.hs_code, shipment.un_number, shipment.special_provision,
            shipment.packing_instruction, shipment.waste_code) == ("DE", "854913", "UN3480", "377", "P909", "16 06 05")
    assert {m.chemistry: m.net_mass_kg for m in shipment.masses.all()} == {"ncm": Decimal("450.5"),
                                                                          "lfp": Decimal("10")}
    assert list(shipment.units.all()) == [pack_tree["pack"]]
    assert ActivityEntry.objects.order_by("-id").first().data["masses"] == {"ncm": "450.5", "lfp": "10"}


@pytest.mark.parametrize("change,code,field", [
    ({"packing_instruction": "P908"}, "pi_sp_mismatch", "packing_instruction"),
    ({"waste_code": ""}, "waste_code_required", "waste_code"),
    ({"waste_code": "16 06 01"}, "waste_code_hazard_mark", "waste_code"),
    ({"hs_code": "85"}, "hs_format", "hs_code"),
    ({"un_number": "UN34"}, "un_format", "un_number"),
    ({"counterparty_name": ""}, "counterparty_required", "counterparty_name"),
    ({"counterparty_platform": "no-such-org"}, "counterparty_unknown", "counterparty_platform"),
    ({"counterparty_platform": "alpha"}, "counterparty_self", "counterparty_platform"),
    ({"arrival_date": date(2026, 4, 1)}, "arrival_before_dispatch", "arrival_date"),
    ({"direction": "sideways"}, "choice_invalid", "direction"),
])
def test_shipment_refusals_store_nothing(tenant, alpha_access, change, code, field):
    error = refusal(services.shipment_create, access=alpha_access, **{**SHIPMENT, **change})
    assert code in [e["code"] for e in error.extra["errors"]] and field in [e["field"] for e in error.extra["errors"]]
    assert not Shipment.objects.exists()


def test_shipment_unknown_units_and_bad_masses_are_refused(tenant, alpha_access):
    assert refusal(services.shipment_create, access=alpha_access, unit_codes=[gbt_code("P", 404)],
                   **SHIPMENT).code == "unit_codes_unknown"
    assert refusal(services.shipment_create, access=alpha_access, masses={"ncm": "-1"}, **SHIPMENT).code == \
        "number_negative"
    assert refusal(services.shipment_create, access=alpha_access, masses={"coal": "1"}, **SHIPMENT).code == \
        "choice_invalid"
    assert not Shipment.objects.exists()


def test_counterparty_on_the_platform_fills_name_and_country(tenant, alpha_access, beta):
    shipment = services.shipment_create(access=alpha_access, **{**SHIPMENT, "counterparty_name": "",
                                                                "counterparty_country": "",
                                                                "counterparty_platform": "beta"})
    assert (shipment.counterparty_organisation_id, shipment.counterparty_name, shipment.counterparty_country) == (
        beta.pk, "Beta Recycling GmbH", "DE")


def test_shipment_status_flow_and_content_lock(tenant, alpha_access, pack_tree):
    shipment = services.shipment_create(access=alpha_access, unit_codes=[pack_tree["pack"].code], **SHIPMENT)
    assert refusal(services.shipment_status_change, access=alpha_access, shipment=shipment,
                   status="closed").code == "status_transition"
    shipment = services.shipment_status_change(access=alpha_access, shipment=shipment, status="dispatched")
    assert shipment.dispatch_date == date(2026, 4, 12)
    error = refusal(services.shipment_update, access=alpha_access, shipment=shipment, data={},
                    unit_codes=[pack_tree["modules"][0].code])
    assert error.code == "shipment_content_locked"
    services.shipment_update(access=alpha_access, shipment=shipment, data={"notes": "truck 7"},
                             unit_codes=[pack_tree["pack"].code])  # same units: allowed
    shipment = services.shipment_status_change(access=alpha_access, shipment=shipment, status="received",
                                               on=date(2026, 5, 2))
    assert shipment.arrival_date == date(2026, 5, 2)
    services.shipment_status_change(access=alpha_access, shipment=shipment, status="closed")
    assert refusal(services.shipment_update, access=alpha_access, shipment=shipment,
                   data={"notes": "x"}).code == "shipment_closed"
    assert [v for v in verbs() if v.startswith("shipment.")] == [
        "shipment.created", "shipment.status_changed", "shipment.updated", "shipment.status_changed",
        "shipment.status_changed"]


def test_inbound_shipment_content_stays_editable_after_receipt(tenant, alpha_access, pack_tree):
    shipment = services.shipment_create(access=alpha_access, status="received",
                                        **{**SHIPMENT, "direction": "inbound", "reference": "IN-1"})
    services.shipment_update(access=alpha_access, shipment=shipment, data={}, masses={"ncm": "900"})
    assert shipment.masses.get().net_mass_kg == Decimal("900")


# --- lots -------------------------------------------------------------------------------------

def _lot(access, **values):
    return services.lot_create(access=access, **{"code": "BM-1", "kind": "black_mass", "mass_kg": "560", **values})


def test_lot_with_elements_and_sources(tenant, alpha_access):
    services.shipment_create(access=alpha_access, **SHIPMENT)
    lot = _lot(alpha_access, source_shipments=["SO-1"], custody_model="mass_balance",
               elements=[{"element": "Ni", "percent": "22.5"}, {"element": "Co", "percent": "7.1"}])
    refined = services.lot_create(access=alpha_access, code="NISO4-1", kind="nickel_sulfate", mass_kg="480",
                                  source_lots=["BM-1"], elements=[{"element": "Ni", "percent": "22.1"}])
    assert {e.element: e.percent for e in lot.elements.all()} == {"Ni": Decimal("22.5"), "Co": Decimal("7.1")}
    assert list(lot.source_shipments.values_list("reference", flat=True)) == ["SO-1"]
    assert list(refined.source_lots.all()) == [lot] and list(lot.derived_lots.all()) == [refined]


@pytest.mark.parametrize("elements,code", [
    ([{"element": "Ni", "percent": "60"}, {"element": "Co", "percent": "41"}], "elements_sum"),
    ([{"element": "Ni", "percent": "101"}], "element_range"),
    ([{"element": "Ni", "percent": "-1"}], "number_negative"),
    ([{"element": "Xx", "percent": "1"}], "element_unknown"),
])
def test_element_content_rules(tenant, alpha_access, elements, code):
    assert refusal(_lot, access=alpha_access, elements=elements).code == code
    assert not MaterialLot.objects.exists()


def test_lot_sources_must_exist_and_never_loop(tenant, alpha_access):
    assert refusal(_lot, access=alpha_access, source_shipments=["NOPE"]).code == "source_shipments_unknown"
    first = _lot(alpha_access)
    second = services.lot_create(access=alpha_access, code="BM-2", kind="black_mass", mass_kg="1",
                                 source_lots=["BM-1"])
    assert refusal(services.lot_update, access=alpha_access, lot=first, data={}, source_lots=["BM-2"]).code == \
        "lot_source_cycle"
    assert refusal(services.lot_update, access=alpha_access, lot=first, data={}, source_lots=["BM-1"]).code == \
        "lot_source_cycle"
    assert list(first.source_lots.all()) == [] and list(second.source_lots.all()) == [first]


def test_lot_update_replaces_elements_and_logs(tenant, alpha_access):
    lot = _lot(alpha_access, elements=[{"element": "Ni", "percent": "20"}])
    services.lot_update(access=alpha_access, lot=lot, data={"mass_kg": "500"},
                        elements=[{"element": "Li", "percent": "4"}])
    lot.refresh_from_db()
    assert lot.mass_kg == Decimal("500") and [e.element for e in lot.elements.all()] == ["Li"]
    entry = ActivityEntry.objects.order_by("-id").first()
    assert entry.verb == "lot.updated" and entry.data["elements"] == {"Li": "4"}
