"""ISO 22095 mass-balance claims on frozen facts: boundary and period, inputs and outputs, conversion
factors, no negative balance, no double counting, third-party verification."""
from datetime import date
from decimal import Decimal

import pytest

from apps.checklists.engine import evaluate, overall_status
from apps.checklists.facts import MassBalanceClaim
from apps.checklists.protocol import registry

from .builders import doc, lot, lot_facts

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def protocol():
    return registry().latest("iso22095-mass-balance")


def record(**overrides):
    fields = {
        "boundary": "EcoCycle Magdeburg site", "period_start": "2026-01-01", "period_end": "2026-03-31",
        "inputs": [{"reference": "SHP-2026-001", "supplier": "SinoEV", "mass_kg": 20000,
                    "characteristic": "post_consumer", "share_pct": 100, "declaration_ref": "RCD-1"}],
        "outputs": [{"reference": "BM-1", "mass_kg": 1000, "claimed_share_pct": 100, "customer": "VoltPack"}],
        "conversion_factors": {"yield": 0.35}, "carry_over_kg": 0, "physical_stock_kg": 12000,
        "book_stock_kg": 12030,
        "verified_by": "TÜV Example", "verification_reference": "V-2026-04", "verification_date": "2026-04-20",
    }
    fields.update(overrides)
    return doc("mass_balance_record", reference="MB-2026-Q1", **fields)


def run(protocol, facts):
    return {r.requirement_id: r for r in evaluate(protocol, facts, TODAY)}


def en(result) -> str:
    return " | ".join(reason.render("en") for reason in result.reasons)


def test_complete_claim_meets_every_requirement(protocol):
    results = run(protocol, lot_facts(docs=[record()]))
    assert {k: r.status for k, r in results.items() if r.status != "met"} == {}
    assert overall_status(results.values()) == "met"
    assert "1 t claimed against 7 t of credits available" in en(results["balance"])


def test_lots_not_under_mass_balance_are_out_of_scope(protocol):
    results = run(protocol, lot_facts(lot(custody_model="segregated")))
    assert {r.status for r in results.values()} == {"not_applicable"}
    assert "not claimed under a mass balance (chain-of-custody model: Segregated)" in en(results["inputs"])


def test_missing_record(protocol):
    results = run(protocol, lot_facts())
    assert {r.status for r in results.values()} == {"missing"}
    assert results["boundary_period"].upload_types == ("mass_balance_record",)


def test_negative_balance_fails(protocol):
    outputs = [{"reference": "BM-1", "mass_kg": 1000, "claimed_share_pct": 100},
               {"reference": "BM-2", "mass_kg": 9000, "claimed_share_pct": 100}]
    result = run(protocol, lot_facts(docs=[record(outputs=outputs)]))["balance"]
    assert result.status == "failed"
    assert "negative balance — 10 t claimed against 7 t of credits available" in en(result)


def test_physical_stock_must_match_the_book(protocol):
    result = run(protocol, lot_facts(docs=[record(physical_stock_kg=11900)]))["balance"]
    assert result.status == "failed" and "physical stock 11.9 t vs book 12.03 t" in en(result)


@pytest.mark.parametrize("overrides, requirement, words", [
    ({"period_end": "2026-06-30"}, "boundary_period", "a balancing period of 181 days is longer than 92 days"),
    ({"period_start": "2026-03-01", "period_end": "2026-01-31"}, "boundary_period", "ends (2026-01-31) before"),
    ({"period_start": "2026-03-01", "period_end": "2026-05-31"}, "boundary_period",
     "Lot BM-1 was produced on 2026-02-10, outside the balancing period 2026-03-01 – 2026-05-31"),
    ({"conversion_factors": {"Co": 1.2}}, "conversion_factors", "must be above 0 and at most 1: Co = 1.2"),
    ({"inputs": [{"reference": "SHP-1", "mass_kg": 0}]}, "inputs",
     "incomplete input records: #1 (characteristic, declaration_ref, mass_kg > 0)"),
    ({"outputs": [{"reference": "BM-7", "mass_kg": 1}]}, "outputs", "has no output record for lot BM-1"),
    ({"outputs": [{"reference": "BM-1", "mass_kg": 1100, "claimed_share_pct": 100}]}, "outputs",
     "records 1.1 t for lot BM-1, the register 1 t"),
    ({"outputs": [{"reference": "BM-1", "mass_kg": 1000, "claimed_share_pct": 100},
                  {"reference": "BM-1", "mass_kg": 1000, "claimed_share_pct": 100}]}, "double_counting",
     "claims these lots more than once: BM-1"),
    ({"verification_date": "2026-03-01"}, "verification", "before its balancing period ended (2026-03-31)"),
    ({"period_start": "first of January"}, "boundary_period", "“period_start” should be a date"),
    ({"inputs": "20 t of batteries"}, "inputs", "should be a list of records"),
])
def test_flawed_claims_fail_with_reasons(protocol, overrides, requirement, words):
    result = run(protocol, lot_facts(docs=[record(**overrides)]))[requirement]
    assert result.status == "failed" and words in en(result)


def test_verification_missing(protocol):
    result = run(protocol, lot_facts(docs=[record(verified_by="", verification_reference="")]))["verification"]
    assert result.status == "missing" and "shows no third-party verification" in en(result)


def test_a_lot_claimed_in_two_records_is_double_counted(protocol):
    mine = record()
    other = MassBalanceClaim(revision_id="rev-other", evidence_id="ev-other", reference="MB-2026-Q1-bis")
    same = MassBalanceClaim(revision_id=mine.revision_id, evidence_id=mine.evidence_id, reference="MB-2026-Q1")
    result = run(protocol, lot_facts(docs=[mine], claims=[same, other]))["double_counting"]
    assert result.status == "failed"
    assert "Lot BM-1 is also claimed in other mass-balance records: MB-2026-Q1-bis" in en(result)
    assert run(protocol, lot_facts(docs=[mine], claims=[same]))["double_counting"].status == "met"


def test_lot_mass_tolerance_boundary(protocol):
    at_limit = [{"reference": "BM-1", "mass_kg": 1005, "claimed_share_pct": 100}]  # 0.5 %
    over = [{"reference": "BM-1", "mass_kg": "1005.1", "claimed_share_pct": 100}]
    assert run(protocol, lot_facts(docs=[record(outputs=at_limit)]))["outputs"].status == "met"
    assert run(protocol, lot_facts(docs=[record(outputs=over)]))["outputs"].status == "failed"
    assert lot().mass_kg == Decimal(1000)
