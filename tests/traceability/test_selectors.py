"""Selectors honour an auditor's shipment scope: those shipments, their units with their hierarchy, the lots
made from them (and refined from those), and nothing else."""
from dataclasses import replace

import pytest

from apps.accounts.roles import Role
from apps.traceability import selectors, services

from .factories import gbt_code


@pytest.fixture
def register(tenant, alpha_access, pack_tree, ev_model):
    other_model = services.battery_model_create(access=alpha_access, code="LFP-1", name="LFP", eu_category="ev",
                                                chemistry="lfp")
    other_pack = services.unit_create(access=alpha_access, code=gbt_code("P", 2, battery_type="B"), level="pack",
                                      model_code=other_model.code)
    module = pack_tree["modules"][0]
    base = {"direction": "outbound", "counterparty_name": "R", "counterparty_country": "DE"}
    scoped = services.shipment_create(access=alpha_access, reference="S-IN-SCOPE", unit_codes=[module.code], **base)
    other = services.shipment_create(access=alpha_access, reference="S-OTHER", unit_codes=[other_pack.code], **base)
    black_mass = services.lot_create(access=alpha_access, code="BM-1", kind="black_mass", mass_kg="1",
                                     source_shipments=["S-IN-SCOPE"])
    refined = services.lot_create(access=alpha_access, code="NI-1", kind="nickel_sulfate", mass_kg="1",
                                  source_lots=["BM-1"])
    foreign = services.lot_create(access=alpha_access, code="BM-2", kind="black_mass", mass_kg="1",
                                  source_shipments=["S-OTHER"])
    return {"scoped": scoped, "other": other, "module": module, "other_pack": other_pack, "black_mass": black_mass,
            "refined": refined, "foreign": foreign, "other_model": other_model, **pack_tree}


@pytest.fixture
def auditor(alpha, register):
    from apps.accounts.access import Access

    return Access(organisation_id=alpha.pk, role=Role.AUDITOR, label="auditor@example.test",
                  shipment_scope=frozenset({register["scoped"].pk}))


def _codes(queryset):
    return {obj.code for obj in queryset}


def test_unrestricted_access_sees_everything(register, alpha_access):
    assert len(selectors.unit_list(access=alpha_access)) == 10
    assert selectors.shipment_list(access=alpha_access).count() == 2
    assert selectors.lot_list(access=alpha_access).count() == 3


def test_scoped_auditor_sees_the_shipment_its_units_and_their_hierarchy(register, auditor):
    assert [s.reference for s in selectors.shipment_list(access=auditor)] == ["S-IN-SCOPE"]
    module = register["module"]
    expected = {module.code, register["pack"].code} | {c.code for c in register["cells"] if c.parent_id == module.pk}
    assert _codes(selectors.unit_list(access=auditor)) == expected
    assert selectors.unit_get(access=auditor, unit_id=register["modules"][1].pk) is None
    assert selectors.unit_get(access=auditor, unit_id=register["other_pack"].pk) is None
    pack = selectors.unit_get(access=auditor, unit_id=register["pack"].pk)
    assert _codes(selectors.unit_children(access=auditor, unit=pack)) == {module.code}


def test_scoped_auditor_sees_lots_made_from_the_shipment_and_refined_from_them(register, auditor):
    assert _codes(selectors.lot_list(access=auditor)) == {"BM-1", "NI-1"}
    assert selectors.lot_get(access=auditor, lot_id=register["foreign"].pk) is None
    shipments, lots = selectors.lot_sources(access=auditor, lot=register["refined"])
    assert shipments == [] and [lot.code for lot in lots] == ["BM-1"]


def test_scoped_auditor_sees_only_the_models_of_visible_units(register, auditor):
    assert [m.code for m in selectors.battery_model_list(access=auditor)] == ["EV-NCM-75"]
    assert selectors.battery_model_get(access=auditor, model_id=register["other_model"].pk) is None
    assert selectors.register_counts(access=auditor) == {"units": 5, "shipments": 1, "lots": 2, "models": 1}


def test_empty_scope_sees_nothing(register, auditor):
    nobody = replace(auditor, shipment_scope=frozenset())
    assert selectors.register_counts(access=nobody) == {"units": 0, "shipments": 0, "lots": 0, "models": 0}
    assert selectors.shipment_get(access=nobody, shipment_id=register["scoped"].pk) is None


def test_search_by_code_prefix_and_original_code(register, alpha_access):
    assert _codes(selectors.unit_list(access=alpha_access, search=register["pack"].code.lower())) == {
        register["pack"].code}
    assert len(selectors.unit_list(access=alpha_access, search="X12C")) == 6
    assert len(selectors.unit_list(access=alpha_access, level="module")) == 2
    assert selectors.unit_get(access=alpha_access, unit_id="not-a-uuid") is None
