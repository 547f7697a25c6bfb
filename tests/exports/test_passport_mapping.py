"""The pure mapping: register facts + accepted evidence → the seven Battery Pass v1.2 aspect
documents. Property names and enumerations are asserted as the project relies on them (the
official schemas themselves are checked by `python -m apps.exports.devcheck`, outside the suite)."""
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from apps.exports import keyfields as kf
from apps.exports.demo import DOCUMENTS, UNIT_DOCUMENTS, UNITS
from apps.exports.passport import (
    ASPECTS,
    DocumentFacts,
    ModelFacts,
    PassportFacts,
    PassportRecordFacts,
    PassportScopeError,
    Tier,
    UnitFacts,
    build_passport,
)

TODAY = date(2026, 11, 25)
TP = "batteryTechicalProperties"
MODEL = ModelFacts(id="m1", code="EVP", name="EV pack", manufacturer="SinoEV", eu_category="ev", chemistry="ncm",
                   rated_capacity_ah=Decimal("206"), rated_energy_kwh=Decimal("75"),
                   nominal_voltage_v=Decimal("364.8"), mass_kg=Decimal("455"))
UNIT = UnitFacts(id="u1", code=UNITS[0][0], scheme="gbt34014", level="pack", status="original",
                 gtin="06975123450017", serial="SN1", manufactured_on=date(2026, 3, 5), mass_kg=Decimal("454.5"))
PASSPORT = PassportRecordFacts(identifier="urn:cellpass:0a1b2c", version=1, status="original",
                               put_into_service_on=date(2026, 4, 20))


REVIEWED = datetime(2026, 2, 1, tzinfo=UTC)


def doc(doc_type, key_fields, *, status="accepted", level="model", number=1, reviewed=REVIEWED,
        expiry=None) -> DocumentFacts:
    return DocumentFacts(doc_type=doc_type, evidence_id=f"e-{doc_type}-{number}", revision_id=f"r-{doc_type}-{number}",
                         number=number, sha256=(doc_type[:1] * 64), status=status, title=doc_type,
                         key_fields=dict(key_fields), level=level, reviewed_at=reviewed, expiry_date=expiry)


def complete_documents(**changes) -> tuple[DocumentFacts, ...]:
    docs = []
    for doc_type, (_title, fields) in DOCUMENTS.items():
        docs.append(doc(doc_type, {**fields, **changes.get(doc_type, {})}))
    docs.append(doc(kf.RESIDUAL_CAPACITY_REPORT, {**UNIT_DOCUMENTS[UNITS[0][0]][1],
                                                  **changes.get(kf.RESIDUAL_CAPACITY_REPORT, {})}, level="unit"))
    return tuple(docs)


def facts(documents=None, **changes) -> PassportFacts:
    values = {"model": MODEL, "unit": UNIT, "passport": PASSPORT,
              "documents": complete_documents() if documents is None else documents, "today": TODAY}
    values.update(changes)
    return PassportFacts(**values)


def full(**changes):
    return build_passport(facts(**changes), Tier.AUTHORITIES)


def test_seven_aspect_documents_with_the_models_own_property_names():
    export = full()
    assert list(export.aspects) == ["GeneralProductInformation", "CarbonFootprintForBatteries", "Circularity",
                                    "MaterialComposition", "PerformanceAndDurability", "Labeling",
                                    "SupplyChainDueDiligence"]
    gpi = export.aspects["GeneralProductInformation"]
    assert set(gpi) == {"productIdentifier", "batteryPassportIdentifier", "batteryCategory",
                        "manufacturerInformation", "manufacturingDate", "batteryStatus", "batteryMass",
                        "manufacturingPlace", "operatorInformation", "puttingIntoService", "warrentyPeriod"}
    assert gpi["batteryCategory"] == "ev" and gpi["batteryStatus"] == "Original"
    assert gpi["batteryPassportIdentifier"] == "urn:cellpass:0a1b2c"
    assert gpi["manufacturingDate"] == "2026-03-05T00:00:00Z" and gpi["puttingIntoService"] == "2026-04-20T00:00:00Z"
    assert gpi["batteryMass"] == 454.5  # the unit's own mass wins over the model's
    assert gpi["warrentyPeriod"] == "--08"
    assert set(gpi["manufacturerInformation"]) == {"contactName", "identifier", "postalAddress", "webAddress"}
    assert set(gpi["manufacturerInformation"]["postalAddress"]) == {"addressCountry", "postalCode", "streetAddress"}
    assert gpi["manufacturingPlace"] == {"addressCountry": "CN", "postalCode": "215123",
                                         "streetAddress": "88 Xinghu Street, Suzhou Industrial Park"}


def test_carbon_footprint_aspect_uses_the_lifecycle_stage_enumeration():
    cf = full().aspects["CarbonFootprintForBatteries"]
    assert cf["batteryCarbonFootprint"] == 68.4
    assert [stage["lifecycleStage"] for stage in cf["carbonFootprintPerLifecycleStage"]] == [
        "RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"]
    assert set(cf["carbonFootprintPerLifecycleStage"][0]) == {"lifecycleStage", "carbonFootprint"}
    assert cf["carbonFootprintPerformanceClass"] == "C"
    assert cf["carbonFootprintStudy"].startswith("https://") and cf["absoluteCarbonFootprint"] == 5130


def test_circularity_aspect():
    circ = full().aspects["Circularity"]
    assert {entry["recycledMaterial"] for entry in circ["recycledContent"]} == {"Cobalt", "Nickel", "Lithium", "Lead"}
    cobalt = next(e for e in circ["recycledContent"] if e["recycledMaterial"] == "Cobalt")
    assert cobalt == {"recycledMaterial": "Cobalt", "preConsumerShare": 4.0, "postConsumerShare": 12.5}
    assert circ["renewableContent"] == 0.8
    assert [d["documentType"] for d in circ["dismantlingAndRemovalInformation"]] == ["DismantlingManual",
                                                                                      "RemovalManual"]
    assert set(circ["sparePartSources"][0]) == {"nameOfSupplier", "addressOfSupplier", "emailAddressOfSupplier",
                                                "supplierWebAddress", "components"}
    assert circ["sparePartSources"][0]["components"][0] == {"partName": "Battery module 12S", "partNumber": "SE-M12-75"}
    assert set(circ["safetyMeasures"]) == {"safetyInstructions", "extinguishingAgent"}
    assert set(circ["endOfLifeInformation"]) == {"wastePrevention", "separateCollection", "informationOnCollection"}


def test_material_composition_aspect():
    mat = full().aspects["MaterialComposition"]
    assert mat["batteryChemistry"] == {"shortName": "NMC", "clearName": "Lithium nickel manganese cobalt oxides"}
    lithium = next(m for m in mat["batteryMaterials"] if m["batteryMaterialName"] == "Lithium")
    assert lithium == {"batteryMaterialLocation": {"componentName": "Cathode"},
                       "batteryMaterialIdentifier": "7439-93-2", "batteryMaterialName": "Lithium",
                       "batteryMaterialMass": 6.9, "isCriticalRawMaterial": True}
    substance = mat["hazardousSubstances"][0]
    assert substance["hazardousSubstanceClass"] == "AcuteToxicity"
    assert set(substance) == {"hazardousSubstanceClass", "hazardousSubstanceName", "hazardousSubstanceConcentration",
                              "hazardousSubstanceImpact", "hazardousSubstanceLocation", "hazardousSubstanceIdentifier"}


def test_performance_aspect_keeps_the_upstream_typo_and_dates_dynamic_values():
    perf = full().aspects["PerformanceAndDurability"]
    assert set(perf) == {"batteryTechicalProperties", "batteryCondition"}
    technical = perf["batteryTechicalProperties"]
    assert technical["ratedCapacity"] == 206 and technical["ratedEnergy"] == 75 and technical["nominalVoltage"] == 364.8
    assert technical["temperatureRangeIdleState"] == {"minimum": -30, "maximum": 55}
    assert technical["initialInternalResistance"][0] == {"ohmicResistance": 0.0009, "batteryComponent": "cell"}
    assert technical["originalPowerCapability"][0] == {"atSoC": 80, "powerCapabilityAt": 210000}
    assert technical["expectedNumberOfCycles"] == 3000 and isinstance(technical["expectedNumberOfCycles"], int)
    condition = perf["batteryCondition"]
    assert condition["stateOfCharge"] == {"stateOfChargeValue": 30, "lastUpdate": "2026-03-06T09:30:00+08:00"}
    assert condition["negativeEvents"] == []
    assert condition["remainingPowerCapability"]["remainingPowerCapabilityValue"]["rPCLastUpdated"] == \
        "2026-03-06T09:30:00+08:00"
    assert condition["internalResistanceIncrease"][0]["batteryComponent"] == "pack"


def test_labeling_and_due_diligence_aspects_keep_upstream_spellings():
    export = full()
    labels = export.aspects["Labeling"]["labels"]
    assert {label["labelingSubject"] for label in labels} == {"SeparateCollection", "ExtinguishingAgent"}
    assert labels[0]["labelingMeaning"] == {"en": "Do not dispose of with household waste; separate collection",
                                            "zh": "不得与生活垃圾一同丢弃，须分类收集"}
    dd = export.aspects["SupplyChainDueDiligence"]
    assert set(dd) == {"supplyChainDueDiligenceReport", "thirdPartyAussurances"}
    assert "supplyChainIndicies" not in dd  # not declared: listed as missing, never invented
    assert any(m.prop.path == "supplyChainIndicies" for m in export.missing)


def test_provenance_names_the_register_field_or_the_evidence_revision():
    export = full()
    provenance = export.provenance_document()
    mass = provenance["aspects"]["GeneralProductInformation"]["properties"]["batteryMass"]
    assert mass == [{"source": "register", "field": "BatteryUnit.mass_kg", "objectId": "u1"}]
    cf = provenance["aspects"]["CarbonFootprintForBatteries"]["properties"]["batteryCarbonFootprint"][0]
    assert cf["source"] == "evidence" and cf["documentType"] == "carbon_footprint_study"
    assert cf["sha256"] == "c" * 64 and cf["reviewStatus"] == "accepted" and cf["revision"] == 1
    assert cf["keyFields"] == ["cf_kg_co2e_per_kwh"]
    assert provenance["aspects"]["MaterialComposition"]["urn"].startswith("urn:samm:io.BatteryPass.MaterialComposition")
    assert provenance["battery"]["passportIdentifier"] == "urn:cellpass:0a1b2c"


def test_every_exported_property_has_provenance():
    export = full()
    for aspect in ASPECTS:
        assert set(export.provenance[aspect]) >= {key.split(".")[0] for key in export.aspects[aspect]} - {
            "safetyMeasures", "batteryTechicalProperties", "batteryCondition"}
        assert all(sources for sources in export.provenance[aspect].values())


def test_missing_attributes_are_listed_per_tier_and_never_filled():
    export = build_passport(facts(documents=()), Tier.LEGITIMATE_INTEREST)
    assert "CarbonFootprintForBatteries" in export.aspects and export.aspects["CarbonFootprintForBatteries"] == {}
    missing = export.missing_by_tier()
    assert set(missing) == {"public", "legitimate_interest"}
    public = {(m["aspect"], m["property"]) for m in missing["public"]}
    assert ("CarbonFootprintForBatteries", "batteryCarbonFootprint") in public
    entry = next(m for m in missing["public"] if m["property"] == "batteryCarbonFootprint")
    assert entry["mandatory"] and entry["reason"] == "no_document"
    assert entry["needs"] == ["carbon_footprint_study.cf_kg_co2e_per_kwh"]
    legit = {m["property"] for m in missing["legitimate_interest"]}
    assert "batteryStatus" not in legit  # the register has it
    assert "dismantlingAndRemovalInformation" in legit
    # the register values are still exported
    assert export.aspects["GeneralProductInformation"]["batteryMass"] == 454.5


def test_a_document_lacking_key_fields_is_incomplete():
    docs = (doc(kf.DECLARATION_OF_CONFORMITY, {"doc_url": "https://x.example/doc", "manufacturer_name": "SinoEV"}),)
    export = build_passport(facts(documents=docs), Tier.PUBLIC)
    entry = next(m for m in export.missing if m.prop.path == "manufacturerInformation")
    assert entry.reason == "incomplete"
    assert "declaration_of_conformity.manufacturer_street" in entry.needs
    assert export.aspects["Labeling"]["declarationOfConformity"] == "https://x.example/doc"


SHARES = DOCUMENTS[kf.RECYCLED_CONTENT_DECLARATION][1]["shares"]
STAGES = DOCUMENTS[kf.CARBON_FOOTPRINT_STUDY][1]["cf_per_stage"]


@pytest.mark.parametrize(("doc_type", "field", "value", "code", "path"), [
    (kf.RECYCLED_CONTENT_DECLARATION, "shares", {**SHARES, "Co": {"pre_consumer_pct": 0, "post_consumer_pct": 120}},
     "percent_out_of_range", "recycledContent"),
    (kf.RECYCLED_CONTENT_DECLARATION, "shares", {**SHARES, "Co": {"pre_consumer_pct": 95, "post_consumer_pct": 12.5}},
     "shares_above_100", "recycledContent"),
    (kf.CARBON_FOOTPRINT_STUDY, "cf_per_stage", {**STAGES, "main_product_production": 40},
     "shares_above_100", "carbonFootprintPerLifecycleStage"),
    (kf.CARBON_FOOTPRINT_STUDY, "cf_kg_co2e_per_kwh", -3, "value_negative", "batteryCarbonFootprint"),
    (kf.CARBON_FOOTPRINT_STUDY, "study_url", "javascript:alert(1)", "value_not_url", "carbonFootprintStudy"),
    (kf.TEST_REPORT, "idle_temp_max_c", 250, "value_out_of_range", f"{TP}.temperatureRangeIdleState"),
    (kf.TEST_REPORT, "min_voltage_v", 500, "range_inverted", f"{TP}.minimumVoltage"),
    (kf.TEST_REPORT, "expected_cycles", "3000.5", "value_not_integer", f"{TP}.expectedNumberOfCycles"),
    (kf.TECHNICAL_DOCUMENTATION, "warranty_period", "8 years", "warranty_form", "warrentyPeriod"),
    (kf.RESIDUAL_CAPACITY_REPORT, "soc_pct", "lots", "value_not_a_number", "batteryCondition.stateOfCharge"),
    (kf.RESIDUAL_CAPACITY_REPORT, "measured_at", "2026-03-06 09:30", "value_not_datetime",
     "batteryCondition.stateOfCharge"),
])
def test_values_out_of_the_models_range_are_refused_with_a_message(doc_type, field, value, code, path):
    export = full(documents=complete_documents(**{doc_type: {field: value}}))
    problem = next(p for p in export.problems if p.prop.path == path)
    assert problem.code == code
    assert problem.message.startswith(f"{doc_type}.")
    assert export.value_of(f"{problem.prop.aspect}.{path}") is None
    assert any(m.prop.path == path and m.reason == "refused" for m in export.missing)


def test_negative_material_mass_is_refused():
    materials = [{"name": "Cobalt", "cas": "7440-48-4", "mass_kg": -1, "component": "Cathode", "critical": True}]
    export = full(documents=complete_documents(**{kf.TECHNICAL_DOCUMENTATION: {"battery_materials": materials}}))
    problem = next(p for p in export.problems if p.prop.path == "batteryMaterials")
    assert problem.code == "value_negative" and "must not be negative" in problem.message


def test_negative_register_mass_is_refused():
    export = full(unit=replace(UNIT, mass_kg=Decimal("-5")))
    assert [p.code for p in export.problems] == ["value_negative"]
    assert "batteryMass" not in export.aspects["GeneralProductInformation"]


def test_only_accepted_current_revisions_feed_values():
    cf = DOCUMENTS[kf.CARBON_FOOTPRINT_STUDY][1]
    submitted = doc(kf.CARBON_FOOTPRINT_STUDY, {**cf, "cf_kg_co2e_per_kwh": 50}, status="submitted", number=2)
    export = full(documents=(doc(kf.CARBON_FOOTPRINT_STUDY, cf), submitted))
    assert export.aspects["CarbonFootprintForBatteries"]["batteryCarbonFootprint"] == 68.4
    expired = doc(kf.CARBON_FOOTPRINT_STUDY, cf, expiry=date(2026, 1, 1))
    assert "batteryCarbonFootprint" not in full(documents=(expired,)).aspects["CarbonFootprintForBatteries"]
    rejected = doc(kf.CARBON_FOOTPRINT_STUDY, cf, status="rejected")
    assert full(documents=(rejected,)).aspects["CarbonFootprintForBatteries"] == {}


def test_public_tier_sees_only_public_attributes():
    public = build_passport(facts(), Tier.PUBLIC)
    gpi = public.aspects["GeneralProductInformation"]
    assert "batteryStatus" not in gpi and "puttingIntoService" not in gpi and "batteryMass" in gpi
    assert "batteryCondition" not in public.aspects["PerformanceAndDurability"]
    technical = public.aspects["PerformanceAndDurability"]["batteryTechicalProperties"]
    assert "ratedCapacity" in technical and "powerFade" not in technical and "expectedLifetime" not in technical
    circ = public.aspects["Circularity"]
    assert "dismantlingAndRemovalInformation" not in circ and "sparePartSources" not in circ
    assert circ["safetyMeasures"] == {"extinguishingAgent": ["Water (large quantities)",
                                                             "ABC dry powder for incipient fires"]}
    assert "resultOfTestReport" not in public.aspects["Labeling"]
    # critical raw materials are public, the full composition (electrolyte salt) is not
    names = {m["batteryMaterialName"] for m in public.aspects["MaterialComposition"]["batteryMaterials"]}
    assert "Lithium hexafluorophosphate" not in names and "Cobalt" in names
    assert set(public.missing_by_tier()) == {"public"}
    assert "legitimate_interest" not in public.provenance_document()["missing"]


def test_legitimate_interest_tier_adds_item_data_but_not_test_reports():
    legit = build_passport(facts(), Tier.LEGITIMATE_INTEREST)
    assert legit.aspects["GeneralProductInformation"]["batteryStatus"] == "Original"
    assert "batteryCondition" in legit.aspects["PerformanceAndDurability"]
    assert "resultOfTestReport" not in legit.aspects["Labeling"]
    names = {m["batteryMaterialName"] for m in legit.aspects["MaterialComposition"]["batteryMaterials"]}
    assert "Lithium hexafluorophosphate" in names
    authorities = build_passport(facts(), Tier.AUTHORITIES)
    assert authorities.aspects["Labeling"]["resultOfTestReport"].endswith("annex-iv.pdf")


def test_model_level_export_lists_item_level_attributes_as_per_unit():
    export = build_passport(facts(unit=None, passport=None), Tier.AUTHORITIES)
    assert "productIdentifier" not in export.aspects["GeneralProductInformation"]
    assert export.aspects["GeneralProductInformation"]["batteryMass"] == 455
    item = {m.prop.path for m in export.missing if m.reason == "item_level"}
    assert {"productIdentifier", "manufacturingDate", "batteryStatus", "batteryCondition.stateOfCharge"} <= item


def test_unit_level_document_wins_over_the_models():
    bms = UNIT_DOCUMENTS[UNITS[0][0]][1]
    docs = (doc(kf.RESIDUAL_CAPACITY_REPORT, {**bms, "soc_pct": 10}, level="model"),
            doc(kf.RESIDUAL_CAPACITY_REPORT, {**bms, "soc_pct": 77}, level="unit", number=2))
    condition = full(documents=docs).aspects["PerformanceAndDurability"]["batteryCondition"]
    assert condition["stateOfCharge"]["stateOfChargeValue"] == 77


@pytest.mark.parametrize(("category", "energy", "code"), [
    ("portable", None, "not_passport_category"), ("sli", Decimal(1), "not_passport_category"),
    ("industrial", Decimal("2.0"), "not_passport_category"), ("industrial", None, "rated_energy_unknown"),
])
def test_batteries_outside_passport_categories_are_refused(category, energy, code):
    with pytest.raises(PassportScopeError) as error:
        build_passport(facts(model=replace(MODEL, eu_category=category, rated_energy_kwh=energy)))
    assert error.value.code == code and str(error.value)


def test_industrial_above_two_kwh_and_lmt_have_passports():
    industrial = replace(MODEL, eu_category="industrial", rated_energy_kwh=Decimal("2.5"))
    assert full(model=industrial).category == "industrial"
    assert full(model=replace(MODEL, eu_category="lmt", rated_energy_kwh=Decimal("0.5"))).category == "lmt"


def test_mandatory_flags_follow_the_battery_category():
    lmt = build_passport(facts(documents=(), passport=replace(PASSPORT, put_into_service_on=None),
                               model=replace(MODEL, eu_category="lmt")), Tier.AUTHORITIES)
    ev = build_passport(facts(documents=(), passport=replace(PASSPORT, put_into_service_on=None)), Tier.AUTHORITIES)
    lmt_entry = next(m for m in lmt.missing if m.prop.path == "puttingIntoService").as_dict(lmt.category)
    ev_entry = next(m for m in ev.missing if m.prop.path == "puttingIntoService").as_dict(ev.category)
    assert lmt_entry["mandatory"] is True and ev_entry["mandatory"] is False and ev_entry["schemaRequired"] is True
    assert ev_entry["reason"] == "no_passport"
