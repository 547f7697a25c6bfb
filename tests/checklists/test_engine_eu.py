"""EU 2023/1542 Art 7 (carbon footprint) and Art 8 (recycled content) on frozen facts, including the
boundary dates and the "later of a fixed date or N months after the act" rule."""
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from apps.checklists.checks.eu import application_date
from apps.checklists.engine import evaluate, overall_status
from apps.checklists.protocol import registry

from .builders import doc, lot, model, model_year, with_docs


def en(result) -> str:
    return " | ".join(reason.render("en") for reason in result.reasons)


def with_param(protocol, name, value):
    param = protocol.parameters[name]
    return replace(protocol, parameters={**protocol.parameters, name: replace(param, value=value)})


# --- Art 8 ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def art8():
    return registry().latest("eu-art8-recycled-content")


def declaration(year=2026, shares=None, **fields):
    shares = shares if shares is not None else {"Co": {"pre_consumer_pct": 4, "post_consumer_pct": 8},
                                                "Li": {"pre_consumer_pct": 1, "post_consumer_pct": 2},
                                                "Ni": {"pre_consumer_pct": 2, "post_consumer_pct": 3}}
    fields.setdefault("plant", "Suzhou plant 2")
    fields.setdefault("custody_model", "mass_balance")
    return doc("recycled_content_declaration", effective=date(2026, 1, 1), year=year, shares=shares, **fields)


def run8(protocol, facts, today):
    return {r.requirement_id: r for r in evaluate(protocol, facts, today)}


def test_documentation_is_not_applicable_long_before_2028(art8):
    results = run8(art8, model_year(), date(2026, 6, 1))
    assert results["documentation"].status == "not_applicable"
    assert en(results["documentation"]) == "Applies from 2028-08-18."


@pytest.mark.parametrize("today, status", [
    (date(2027, 8, 18), "not_applicable"),  # 366 days before: the 365-day window is not open yet
    (date(2027, 8, 19), "expiring_soon"),   # 365 days before: warning
    (date(2028, 8, 17), "expiring_soon"),
    (date(2028, 8, 18), "missing"),         # in force on the day
])
def test_documentation_warns_ahead_then_applies(art8, today, status):
    result = run8(art8, model_year(), today)["documentation"]
    assert result.status == status
    if status == "expiring_soon":
        assert "Applies from 2028-08-18" in en(result)


def test_act_date_configured_later_moves_the_obligation(art8):
    late_act = with_param(art8, "act_date", date(2027, 3, 1))  # + 24 months = 2029-03-01, later than 2028-08-18
    assert run8(late_act, model_year(), date(2028, 9, 1))["documentation"].status == "expiring_soon"
    assert run8(late_act, model_year(), date(2029, 3, 1))["documentation"].status == "missing"


def test_declaration_for_the_year_is_met(art8):
    facts = with_docs(model_year(lots=[lot("BM-1")]), [declaration(lot_codes=["BM-1"])])
    results = run8(art8, facts, date(2028, 8, 18))
    assert results["documentation"].status == "met"
    assert "documents the 2026 shares: Co 12 %, Li 3 %, Ni 5 %" in en(results["documentation"])
    assert results["material_lots"].status == "met"


def test_declaration_of_another_year_does_not_count(art8):
    facts = with_docs(model_year(2026), [declaration(2025)])
    result = run8(art8, facts, date(2028, 8, 18))["documentation"]
    assert result.status == "missing"
    assert "No recycled-content declaration for 2026 (there are some for 2025)" in en(result)


def test_declaration_gaps_and_impossible_shares(art8):
    shares = {"Co": {"pre_consumer_pct": 60, "post_consumer_pct": 50}, "Li": {"post_consumer_pct": 2}}
    result = run8(art8, with_docs(model_year(), [declaration(shares=shares)]), date(2028, 8, 18))["documentation"]
    assert result.status == "failed"
    text = en(result)
    assert "shares outside 0–100 %: Co 110 %" in text
    assert "does not document these shares: Li (pre-consumer), Ni (pre-consumer), Ni (post-consumer)" in text


def test_declaration_for_another_plant_fails(art8):
    facts = with_docs(model_year(), [declaration(plant="Hefei plant 1")])
    result = run8(art8, facts, date(2028, 8, 18))["documentation"]
    assert result.status == "failed"
    assert "is for plant Hefei plant 1; model EV-75 is made at Suzhou plant 2" in en(result)


def test_lots_behind_the_declaration(art8):
    primary = lot("PR-1", origin="primary")
    undeclared = lot("BM-2", custody_model="")
    facts = with_docs(model_year(lots=[primary, undeclared]), [declaration(lot_codes=["PR-1", "BM-2", "BM-404"])])
    result = run8(art8, facts, date(2028, 8, 18))["material_lots"]
    assert result.status == "failed"
    text = en(result)
    assert "names lots that are not in the register: BM-404" in text
    assert "Lots without a chain-of-custody model: BM-2" in text
    assert "Lots of primary (not recycled) material cannot back recycled content: PR-1" in text
    no_model = with_docs(model_year(lots=[lot()]), [declaration(custody_model="")])
    assert run8(art8, no_model, date(2028, 8, 18))["material_lots"].status == "missing"


@pytest.mark.parametrize("today, status", [
    (date(2026, 8, 17), "not_applicable"),  # more than five years ahead
    (date(2026, 8, 18), "expiring_soon"),   # warning window opens
    (date(2031, 8, 17), "expiring_soon"),
    (date(2031, 8, 18), "failed"),          # in force
])
def test_minimum_2031_warns_ahead_and_fails_when_in_force(art8, today, status):
    shares = {"Co": {"pre_consumer_pct": 4, "post_consumer_pct": 8}, "Li": {"post_consumer_pct": 6,
                                                                           "pre_consumer_pct": 0},
              "Ni": {"pre_consumer_pct": 3, "post_consumer_pct": 3}}
    facts = with_docs(model_year(), [declaration(shares=shares)])
    result = run8(art8, facts, today)["minimum_2031"]
    assert result.status == status
    if status in ("expiring_soon", "failed"):
        assert "Co: 12 % recycled (of the element in active materials) is below the 16 % minimum from 2031-08-18." \
            in en(result)
        assert "Li: 6 % recycled" in en(result) and "meets the 6 % minimum" in en(result)


def test_minimum_shares_met_in_2036(art8):
    shares = {el: {"pre_consumer_pct": 10, "post_consumer_pct": 20} for el in ("Co", "Li", "Ni")}
    results = run8(art8, with_docs(model_year(), [declaration(shares=shares)]), date(2036, 8, 18))
    assert results["minimum_2031"].status == "met" and results["minimum_2036"].status == "met"


def test_lead_is_measured_on_the_whole_battery(art8):
    lead_acid = model_year(eu_category="sli", chemistry="lead_acid")
    facts = with_docs(lead_acid, [declaration(shares={"Pb": {"pre_consumer_pct": 5, "post_consumer_pct": 70}})])
    result = run8(art8, facts, date(2031, 8, 18))["minimum_2031"]
    assert result.status == "failed"
    assert "Pb: 75 % recycled (of the lead in the battery) is below the 85 %" in en(result)


def test_lmt_batteries_are_documentation_only_from_2033(art8):
    lmt = model_year(eu_category="lmt", rated_energy_kwh=Decimal("0.5"))
    results = run8(art8, lmt, date(2031, 9, 1))
    assert results["minimum_2031"].status == "not_applicable"
    assert results["documentation"].status == "not_applicable" and "2033-08-18" in en(results["documentation"])
    assert run8(art8, lmt, date(2033, 8, 18))["documentation"].status == "missing"


@pytest.mark.parametrize("category, energy, external, applies", [
    ("portable", "0.01", False, False), ("industrial", "2", False, False), ("industrial", "2.001", False, True),
    ("industrial", "100", True, False), ("ev", None, False, True), ("industrial", None, False, True),
])
def test_who_is_in_scope_of_art8(art8, category, energy, external, applies):
    facts = model_year(eu_category=category, rated_energy_kwh=Decimal(energy) if energy else None,
                       external_storage_only=external)
    statuses = {r.status for r in evaluate(art8, facts, date(2040, 1, 1))}
    assert (statuses != {"not_applicable"}) is applies


# --- Art 7 ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def art7():
    return registry().latest("eu-art7-carbon-footprint")


def cf_study(**overrides):
    fields = {"manufacturer": "SinoEV Battery Export Co., Ltd.", "battery_model": "EV-75",
              "plant_location": "Suzhou plant 2", "cf_kg_co2e_per_kwh": 68.5,
              "cf_per_stage": {"raw_material_acquisition_preprocessing": 50, "main_product_production": 15,
                         "distribution": 1.5, "end_of_life_recycling": 2},
              "declaration_of_conformity_id": "DoC-EV75-2026", "study_url": "https://sinoev.example/cf/ev75",
              "performance_class": "B"}
    fields.update(overrides)
    return doc("carbon_footprint_study", effective=date(2026, 1, 1), **{k: v for k, v in fields.items()
                                                                        if v is not None})


def run7(protocol, facts, today):
    return {r.requirement_id: r for r in evaluate(protocol, facts, today)}


def test_declaration_is_pending_until_the_act_date_is_configured(art7):
    results = run7(art7, model(), date(2026, 6, 1))
    assert results["declaration"].status == "not_applicable"
    assert "Pending: applies from the later of 2025-02-18 or 12 months after the delegated act on the " \
           "carbon-footprint methodology, whose date is not configured yet." == en(results["declaration"])


@pytest.mark.parametrize("act_date, today, status", [
    (date(2024, 6, 1), date(2025, 5, 31), "expiring_soon"),  # applies from 2025-06-01 (act + 12 months)
    (date(2024, 6, 1), date(2025, 6, 1), "missing"),
    (date(2023, 1, 1), date(2025, 2, 18), "missing"),         # act + 12 m is earlier: the fixed date wins
    (date(2023, 1, 1), date(2025, 2, 17), "expiring_soon"),
])
def test_later_of_fixed_date_or_months_after_the_act(art7, act_date, today, status):
    configured = with_param(art7, "act_date", act_date)
    assert run7(configured, model(), today)["declaration"].status == status


def test_application_date_rule():
    assert application_date([date(2025, 2, 18), 12], date(2024, 6, 1))[0] == date(2025, 6, 1)
    assert application_date([date(2025, 2, 18), 12], date(2023, 1, 1))[0] == date(2025, 2, 18)
    assert application_date([date(2025, 2, 18), 12], None)[0] is None
    assert application_date(date(2033, 8, 18), None)[0] == date(2033, 8, 18)
    assert application_date([date(2026, 2, 18), 18], date(2024, 8, 31))[0] == date(2026, 2, 28)  # month end


def test_complete_declaration_is_met(art7):
    configured = with_param(art7, "act_date", date(2024, 1, 1))
    results = run7(configured, with_docs(model(), [cf_study()]), date(2027, 6, 1))
    assert results["declaration"].status == "met"
    assert "declares fields (a)–(g): 68.5 kg CO2-eq/kWh" in en(results["declaration"])
    assert results["performance_class"].status == "met"
    assert overall_status(results.values()) == "met"


def test_missing_fields_are_named_by_letter(art7):
    configured = with_param(art7, "act_date", date(2024, 1, 1))
    study = cf_study(declaration_of_conformity_id=None, study_url=None,
                     cf_per_stage={"raw_material_acquisition_preprocessing": 50})
    result = run7(configured, with_docs(model(), [study]), date(2026, 6, 1))["declaration"]
    assert result.status == "missing"
    text = en(result)
    assert "(f) identification number of the EU declaration of conformity" in text
    assert "(g) web link to the public version of the supporting study" in text
    assert "main_product_production, distribution, end_of_life_recycling" in text


@pytest.mark.parametrize("overrides, words", [
    ({"cf_kg_co2e_per_kwh": 0}, "a carbon footprint of 0 kg CO2-eq/kWh is not plausible"),
    ({"cf_kg_co2e_per_kwh": "low"}, "“cf_kg_co2e_per_kwh” should be a number"),
    ({"study_url": "see appendix"}, "“see appendix” is not a web link"),
    ({"plant_location": "Hefei"}, "is for plant Hefei; model EV-75 is made at Suzhou plant 2"),
])
def test_implausible_declarations_fail(art7, overrides, words):
    configured = with_param(art7, "act_date", date(2024, 1, 1))
    result = run7(configured, with_docs(model(), [cf_study(**overrides)]), date(2026, 6, 1))["declaration"]
    assert result.status == "failed" and words in en(result)


@pytest.mark.parametrize("category, energy, external, expected_from", [
    ("industrial", "100", False, date(2026, 2, 18)),
    ("industrial", "100", True, date(2030, 8, 18)),
    ("lmt", "0.5", False, date(2028, 8, 18)),
])
def test_dates_differ_by_category(art7, category, energy, external, expected_from):
    configured = with_param(art7, "act_date", date(2023, 1, 1))
    facts = model(eu_category=category, rated_energy_kwh=Decimal(energy), external_storage_only=external)
    assert run7(configured, facts, expected_from)["declaration"].status == "missing"
    before = run7(configured, facts, date(expected_from.year - 2, 1, 1))["declaration"]
    assert before.status == "not_applicable" and str(expected_from) in en(before)


def test_sli_and_small_industrial_batteries_are_out_of_scope(art7):
    for facts in (model(eu_category="sli"), model(eu_category="industrial", rated_energy_kwh=Decimal(2))):
        assert {r.status for r in evaluate(art7, facts, date(2030, 1, 1))} == {"not_applicable"}


def test_performance_class_must_be_known(art7):
    configured = with_param(art7, "act_date", date(2024, 1, 1))
    result = run7(configured, with_docs(model(), [cf_study(performance_class="Z")]), date(2027, 6, 1))
    assert result["performance_class"].status == "failed"
    assert "gives class “Z”; expected one of A, B, C, D, E" in en(result["performance_class"])
