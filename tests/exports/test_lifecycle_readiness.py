"""Status-change rules and passport readiness (pure)."""
from dataclasses import replace

from apps.exports import keyfields as kf
from apps.exports import lifecycle
from apps.exports.readiness import AWAITING_REVIEW, ITEM_LEVEL, MISSING, READY, REFUSED, passport_readiness
from tests.exports.test_passport_mapping import DOCUMENTS, complete_documents, doc, facts


def test_repurposing_and_remanufacturing_issue_a_new_passport_reuse_and_waste_keep_it():
    assert lifecycle.status_change("original", "repurposed").effect == lifecycle.NEW_PASSPORT
    assert lifecycle.status_change("original", "remanufactured").effect == lifecycle.NEW_PASSPORT
    assert lifecycle.status_change("original", "reused").effect == lifecycle.SAME_PASSPORT
    assert lifecycle.status_change("reused", "waste").effect == lifecycle.SAME_PASSPORT
    refused = lifecycle.status_change("waste", "reused")
    assert not refused.allowed and "waste" in refused.message
    assert not lifecycle.status_change("original", "original").allowed


def test_recoded_unit_must_keep_the_first_original_code():
    assert lifecycle.keeps_original_code(old_code="A", old_original_code="", new_original_code="A")
    assert lifecycle.keeps_original_code(old_code="B", old_original_code="A", new_original_code="A")
    assert not lifecycle.keeps_original_code(old_code="B", old_original_code="A", new_original_code="B")
    assert not lifecycle.keeps_original_code(old_code="A", old_original_code="", new_original_code="")


def test_complete_unit_is_ready():
    result = passport_readiness(facts())
    assert result.is_ready and result.mandatory_open == 0
    cf = next(a for a in result.attributes if a.key == "CarbonFootprintForBatteries.batteryCarbonFootprint")
    assert (cf.present, cf.evidenced, cf.accepted, cf.state, cf.source) == (True, True, True, READY,
                                                                            "carbon_footprint_study")
    mass = next(a for a in result.attributes if a.path == "batteryMass")
    assert (mass.present, mass.evidenced, mass.state, mass.source) == (True, False, READY, "register")


def test_submitted_evidence_is_present_but_awaiting_review():
    documents = tuple(d if d.doc_type != kf.CARBON_FOOTPRINT_STUDY else replace(d, status="submitted")
                      for d in complete_documents())
    result = passport_readiness(facts(documents=documents))
    cf = next(a for a in result.attributes if a.key == "CarbonFootprintForBatteries.batteryCarbonFootprint")
    assert (cf.present, cf.evidenced, cf.accepted, cf.state) == (True, True, False, AWAITING_REVIEW)
    assert not result.is_ready


def test_missing_refused_and_item_level_states():
    documents = (doc(kf.RECYCLED_CONTENT_DECLARATION, {**DOCUMENTS[kf.RECYCLED_CONTENT_DECLARATION][1],
                                                       "renewable_content_pct": 140}),)
    model_only = passport_readiness(facts(documents=documents, unit=None, passport=None))
    states = {a.path: a for a in model_only.attributes}
    assert states["renewableContent"].state == REFUSED and "140" in states["renewableContent"].message
    assert states["batteryCarbonFootprint"].state == MISSING
    assert states["batteryCarbonFootprint"].needs == ("carbon_footprint_study.cf_kg_co2e_per_kwh",)
    assert states["productIdentifier"].state == ITEM_LEVEL
    assert model_only.count(READY) >= 5 and model_only.mandatory_open > 0
