"""The type registry and its key-field validation (pure: no database)."""
from decimal import Decimal

import pytest
from django.utils import translation

from apps.evidence.doctypes import REGISTRY, all_doctypes, doctype
from apps.evidence.keyfields import KeyFieldsInvalid, Kind
from apps.evidence.models import EvidenceType


def problems(code: str, raw: dict) -> list[tuple[str, str]]:
    with pytest.raises(KeyFieldsInvalid) as caught:
        doctype(code).validate(raw)
    return [(p.field, p.code) for p in caught.value.problems]


def test_every_evidence_type_has_a_registry_entry_with_names_in_both_languages():
    assert {d.code for d in all_doctypes()} == set(EvidenceType.values) == set(REGISTRY)
    manifest = doctype(EvidenceType.TRANSPORT_MANIFEST)
    assert manifest.name_en == "Transport manifest / CMR / bill of lading"
    assert manifest.name_zh == "运输单据（运单 / CMR / 提单）"
    for d in all_doctypes():
        assert d.name_zh and d.name_zh != d.name_en, d.code
        names = [f.name for f in d.fields]
        assert len(names) == len(set(names)), d.code


def test_transport_manifest_normalises_dangerous_goods_codes_and_keeps_masses_exact():
    cleaned = doctype("transport_manifest").validate({
        "document_number": " CMR-2026-0415 ", "carrier": "Trans-Eurasia", "net_mass_kg": "18640.500",
        "gross_mass_kg": 21310, "unit_count": "48", "un_number": "un 3480", "special_provision": "SP 377",
        "packing_instruction": "lp904"})
    assert cleaned == {"document_number": "CMR-2026-0415", "carrier": "Trans-Eurasia", "net_mass_kg": "18640.5",
                       "gross_mass_kg": "21310", "unit_count": 48, "un_number": "UN3480",
                       "special_provision": "377", "packing_instruction": "LP904"}
    typed = doctype("transport_manifest").typed(cleaned)
    assert typed["net_mass_kg"] == Decimal("18640.5")


def test_manifest_refuses_missing_fields_bad_codes_and_gross_below_net():
    assert set(problems("transport_manifest", {"un_number": "34800", "net_mass_kg": "-1"})) == {
        ("document_number", "required"), ("carrier", "required"), ("net_mass_kg", "below_minimum"),
        ("un_number", "invalid_format")}
    assert problems("transport_manifest", {"document_number": "1", "carrier": "c", "net_mass_kg": "100",
                                           "gross_mass_kg": "90"}) == [("gross_mass_kg", "gross_below_net")]


def test_assay_percentages_above_100_in_sum_are_refused_with_the_sum_named():
    base = {"lot_code": "BM-1", "laboratory": "SGS", "sample_date": "2026-05-02"}
    with pytest.raises(KeyFieldsInvalid) as caught:
        doctype("assay_report").validate({**base, "elements": {"Co": "60", "Ni": "45.5"}})
    (problem,) = caught.value.problems
    assert problem.code == "percent_sum_over_100" and "105.5" in str(problem.message)
    assert problems("assay_report", {**base, "elements": {"Co": "101"}}) == [("elements.Co", "above_maximum")]
    assert problems("assay_report", {**base, "elements": {"Xx": "1"}}) == [("elements.Xx", "unknown_key")]
    ok = doctype("assay_report").validate({**base, "elements": {"Ni": "20.1", "Co": "6.4", "Li": "3.6"}})
    assert ok["elements"] == {"Co": "6.4", "Ni": "20.1", "Li": "3.6"}  # registry order, exact strings


def test_recycled_content_shares_per_material_at_most_100_percent():
    base = {"battery_model": "M1", "year": 2031, "plant": "Suzhou", "custody_model": "mass_balance"}
    assert problems("recycled_content_declaration", {
        **base, "shares": {"Co": {"pre_consumer_pct": "60", "post_consumer_pct": "50"}}}) == [
        ("shares.Co", "share_sum_over_100")]
    cleaned = doctype("recycled_content_declaration").validate(
        {**base, "shares": {"Li": {"post_consumer_pct": 6},
                            "Co": {"pre_consumer_pct": "4", "post_consumer_pct": "12"}}})
    assert cleaned["shares"] == {"Co": {"pre_consumer_pct": "4", "post_consumer_pct": "12"},
                                 "Li": {"post_consumer_pct": "6"}}
    assert problems("recycled_content_declaration", {**base, "shares": {"Co": {"recycled": "1"}},
                                                     "custody_model": "magic"}) == [
        ("shares.Co.recycled", "unknown_key"), ("custody_model", "invalid_choice")]


def test_weighbridge_net_is_derived_or_must_match_gross_minus_tare():
    wb = doctype("weighbridge_ticket")
    assert wb.validate({"gross_kg": "21310", "tare_kg": "2670", "weighed_on": "2026-04-15"})["net_kg"] == "18640"
    assert wb.validate({"gross_kg": "21310", "tare_kg": "2670", "net_kg": "18640.8", "weighed_on": "2026-04-15"})
    assert problems("weighbridge_ticket", {"gross_kg": "21310", "tare_kg": "2670", "net_kg": "18000",
                                           "weighed_on": "2026-04-15"}) == [("net_kg", "net_mismatch")]
    assert problems("weighbridge_ticket", {"gross_kg": "100", "tare_kg": "200", "weighed_on": "2026-04-15"}) == [
        ("tare_kg", "tare_above_gross")]


def test_contract_quantity_is_converted_to_kg_and_a_client_cannot_set_the_derived_value():
    cleaned = doctype("contract").validate({"parties": "SinoEV\nEcoCycle", "counterparty": "EcoCycle",
                                            "quantity": "120", "quantity_unit": "t", "quantity_kg": "1"})
    assert cleaned["parties"] == ["SinoEV", "EcoCycle"] and cleaned["quantity_kg"] == "120000"
    assert doctype("contract").validate({"parties": ["A"], "counterparty": "A", "quantity": "500",
                                         "quantity_unit": "kg"})["quantity_kg"] == "500"


def test_codes_of_customs_waste_and_basel_documents_are_normalised_or_refused():
    assert doctype("customs_declaration").validate(
        {"declaration_number": "1", "hs_code": "8549.13", "net_mass_kg": "1"})["hs_code"] == "854913"
    waste = doctype("waste_movement_document").validate({"waste_code": "160601*", "basel_code": "a1170"})
    assert waste == {"waste_code": "16 06 01*", "basel_code": "A1170"}
    assert problems("waste_movement_document", {"waste_code": "16 06", "basel_code": "Z1"}) == [
        ("waste_code", "invalid_format"), ("basel_code", "invalid_format")]


def test_mass_balance_rows_from_text_lines_and_period_order():
    mb = doctype("mass_balance_record")
    cleaned = mb.validate({"boundary": "Plant A", "period_start": "2026-01-01", "period_end": "2026-03-31",
                           "inputs": "BM-1; 1000; assayed\nBM-2;2000", "outputs": [{"reference": "CoSO4-7",
                                                                                   "mass_kg": 310}]})
    assert cleaned["inputs"] == [{"reference": "BM-1", "mass_kg": "1000", "note": "assayed"},
                                 {"reference": "BM-2", "mass_kg": "2000"}]
    assert problems("mass_balance_record", {"boundary": "b", "period_start": "2026-03-01",
                                            "period_end": "2026-01-01", "inputs": "X; heavy",
                                            "outputs": "Y; 1"}) == [("inputs.1.mass_kg", "not_a_number")]
    assert problems("mass_balance_record", {"boundary": "b", "period_start": "2026-03-01",
                                            "period_end": "2026-01-01", "inputs": "X; 1",
                                            "outputs": "Y; 1"}) == [("period_end", "dates_reversed")]


def test_carbon_footprint_study_carries_art_7_a_to_g():
    cf = doctype("carbon_footprint_study")
    assert [f.name for f in cf.fields][:7] == ["manufacturer", "battery_model", "plant_location",
                                               "cf_kg_co2e_per_kwh", "cf_per_stage",
                                               "declaration_of_conformity_id", "study_url"]
    cleaned = cf.validate({"manufacturer": "SinoEV", "battery_model": "NCM-90", "plant_location": "Suzhou, CN",
                           "cf_kg_co2e_per_kwh": "72.4", "cf_per_stage": {"main_product_production": "20.5"},
                           "study_url": "https://example.com/cf"})
    assert cleaned["cf_per_stage"] == {"main_product_production": "20.5"}
    assert problems("carbon_footprint_study", {"manufacturer": "x", "battery_model": "y", "plant_location": "z",
                                               "cf_kg_co2e_per_kwh": "1", "study_url": "javascript:alert(1)"}) == [
        ("study_url", "invalid_url")]


def test_unknown_fields_wrong_kinds_and_control_characters_are_refused():
    found = problems("other", {"description": "a\x07b", "colour": "red"})
    assert ("colour", "unknown_field") in found and ("description", "control_characters") in found
    assert problems("receipt", {"received_on": "15.04.2026"}) == [("received_on", "not_a_date")]
    assert problems("receipt", {"received_on": "2026-04-15", "received_unit_count": "4.5"}) == [
        ("received_unit_count", "not_an_integer")]
    assert problems("receipt", {"received_on": "2026-04-15", "received_net_mass_kg": "NaN"}) == [
        ("received_net_mass_kg", "not_a_number")]


def test_permits_need_a_validity_window_and_name_the_white_list_qualification():
    permit = doctype("recycler_permit")
    assert permit.effective_required and permit.expiry_required
    whitelist = permit.spec.field("whitelist_qualification")
    assert whitelist.kind == Kind.CHOICE and {v for v, _l in whitelist.choices} >= {"comprehensive", "cascade",
                                                                                   "recycling"}
    with translation.override("zh-hans"):
        assert str(dict(whitelist.choices)["cascade"]).startswith("梯次利用")
