"""The export protocol (China 2026) evaluated case by case on frozen facts: no database, no clock.
Each bad input of the issue yields the right failed requirement with a reason a person understands."""
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.checklists.engine import evaluate, overall_status, progress
from apps.checklists.facts import facts_digest
from apps.checklists.protocol import registry

from .builders import (
    complete_export_docs,
    confirmed,
    custody,
    discrepancy,
    doc,
    lot,
    processing_lot,
    shipment,
    unit,
    with_docs,
)

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def protocol():
    return registry().latest("cn-export-2026")


def run(protocol, facts, today=TODAY):
    return {r.requirement_id: r for r in evaluate(protocol, facts, today)}


def en(result) -> str:
    return " | ".join(reason.render("en") for reason in result.reasons)


def zh(result) -> str:
    return " | ".join(reason.render("zh-hans") for reason in result.reasons)


def test_complete_shipment_meets_every_requirement(protocol):
    results = run(protocol, with_docs(shipment(status="received"), complete_export_docs()))
    assert {k: r.status for k, r in results.items() if r.status != "met"} == {}
    assert overall_status(results.values()) == "met"
    assert progress(results.values()) == (11, 11)
    assert "Contract CON-" in en(results["contract"])
    assert "valid on the dispatch date (2026-05-04)" in en(results["contract"])
    assert results["contract"].revision_ids  # the evidence behind it


def test_contradictory_quantities_fail_with_the_numbers(protocol):
    """Contract 20 t, manifest 19.2 t, receipt 18 t (the issue's example), tolerance 2 %."""
    docs = complete_export_docs(manifest=doc("transport_manifest", net_mass_kg="19200", unit_count=0),
                                receipt=doc("receipt", received_net_mass_kg=18000), certificate=None)
    results = run(protocol, with_docs(shipment(status="received"), docs))
    quantities = results["quantities"]
    assert quantities.status == "failed"
    assert "manifest 19.2 t vs contract 20 t: 4 % apart, tolerance 2 %." in en(quantities)
    assert "receipt 18 t vs manifest 19.2 t: 6.25 % apart, tolerance 2 %." in en(quantities)
    assert "19.2 t" in zh(quantities) and "合同" in zh(quantities)
    assert results["receipt"].status == "failed"
    assert "Received 18 t vs manifest 19.2 t: 6.25 % apart" in en(results["receipt"])
    assert results["transport_manifest"].status == "failed"
    assert "Manifest net mass 19.2 t vs declared 20 t" in en(results["transport_manifest"])


@pytest.mark.parametrize("manifest_kg, status", [("19600", "met"), ("20400", "met"), ("19599.9", "failed"),
                                                 ("20400.1", "failed")])
def test_tolerance_boundary_is_inclusive(protocol, manifest_kg, status):
    docs = complete_export_docs(manifest=doc("transport_manifest", net_mass_kg=manifest_kg), receipt=None)
    assert run(protocol, with_docs(shipment(), docs))["quantities"].status == status


def test_tolerance_is_a_parameter(protocol):
    loose = replace(protocol, parameters={**protocol.parameters,
                                          "tolerance_pct": replace(protocol.parameters["tolerance_pct"], value=5)})
    docs = complete_export_docs(manifest=doc("transport_manifest", net_mass_kg=19200))
    assert run(loose, with_docs(shipment(), docs))["quantities"].status == "met"


@pytest.mark.parametrize("effective, expiry, status", [
    (date(2026, 5, 4), date(2026, 12, 31), "met"),     # starts on the dispatch date
    (date(2025, 1, 1), date(2026, 5, 4), "met"),       # ends on the dispatch date
    (date(2025, 1, 1), date(2026, 5, 3), "failed"),    # ended the day before
    (date(2026, 5, 5), date(2026, 12, 31), "failed"),  # starts the day after
])
def test_contract_validity_window_must_cover_the_dispatch_date(protocol, effective, expiry, status):
    contract = doc("contract", effective=effective, expiry=expiry, quantity_kg=20000,
                   counterparty="EcoCycle Batterierecycling GmbH")
    result = run(protocol, with_docs(shipment(), complete_export_docs(contract=contract)))["contract"]
    assert result.status == status
    if status == "failed":
        assert f"is valid {effective} – {expiry}, which does not cover the dispatch date (2026-05-04)" in en(result)


def test_validity_window_is_the_revisions_never_a_key_field(protocol):
    """The vault keeps validity in the revision's dates; a key field of that name is not read."""
    contract = doc("contract", valid_from="2026-06-01", valid_to="2026-12-31", quantity_kg=20000,
                   counterparty="EcoCycle Batterierecycling GmbH")
    result = run(protocol, with_docs(shipment(), complete_export_docs(contract=contract)))["contract"]
    assert result.status == "met"


def test_missing_contract_is_missing_before_dispatch_and_failed_after(protocol):
    before = replace(shipment(status="draft", dispatch_date=date(2026, 7, 1)))
    docs = complete_export_docs(contract=None)
    assert run(protocol, with_docs(before, docs))["contract"].status == "missing"
    after = run(protocol, with_docs(shipment(), docs))["contract"]
    assert after.status == "failed"
    assert en(after) == "Missing: Contract, needed by the dispatch date (2026-05-04)."
    assert after.upload_types == ("contract",)
    # the day of dispatch itself counts as due
    on_the_day = run(protocol, with_docs(before, docs), today=date(2026, 7, 1))["contract"]
    assert on_the_day.status == "failed"


def test_recycler_without_a_permit_fails(protocol):
    result = run(protocol, with_docs(shipment(), complete_export_docs(permit=None)))["recycler_permit"]
    assert result.status == "failed"
    assert "Missing: Recycler permit or licence, needed by the dispatch date (2026-05-04)." in en(result)


def test_permit_expired_before_dispatch_fails(protocol):
    permit = doc("recycler_permit", effective=date(2024, 1, 1), expiry=date(2026, 4, 30),
                 holder="EcoCycle Batterierecycling GmbH")
    result = run(protocol, with_docs(shipment(), complete_export_docs(permit=permit)))["recycler_permit"]
    assert result.status == "failed" and "2024-01-01 – 2026-04-30" in en(result)


def test_permit_of_another_holder_fails(protocol):
    permit = doc("recycler_permit", effective=date(2024, 1, 1), holder="Someone Else Recycling Ltd")
    result = run(protocol, with_docs(shipment(), complete_export_docs(permit=permit)))["recycler_permit"]
    assert result.status == "failed"
    assert "names Someone Else Recycling Ltd, but the shipment goes to EcoCycle Batterierecycling GmbH" in en(result)


def test_chinese_recycler_must_be_on_the_white_list(protocol):
    cn = shipment(counterparty_name="Hunan Brunp Recycling", counterparty_country="CN")
    contract = doc("contract", effective=date(2026, 1, 1), quantity_kg=20000, counterparty="Hunan Brunp Recycling")
    permit = doc("recycler_permit", effective=date(2024, 1, 1), holder="Hunan Brunp Recycling")
    assert run(protocol, with_docs(cn, complete_export_docs(contract=contract, permit=permit)))[
        "recycler_permit"].status == "met"  # batch 1 of the white list
    other = shipment(counterparty_name="Shenzhen Unknown Recycling", counterparty_country="CN")
    permit = doc("recycler_permit", effective=date(2024, 1, 1), holder="Shenzhen Unknown Recycling")
    contract = doc("contract", effective=date(2026, 1, 1), counterparty="Shenzhen Unknown Recycling")
    result = run(protocol, with_docs(other, complete_export_docs(contract=contract, permit=permit)))["recycler_permit"]
    assert result.status == "failed" and "no MIIT white-list qualification" in en(result)
    permit = doc("recycler_permit", effective=date(2024, 1, 1), holder="Shenzhen Unknown Recycling",
                 whitelist_batch="5")
    result = run(protocol, with_docs(other, complete_export_docs(contract=contract, permit=permit)))["recycler_permit"]
    assert result.status == "met" and "batch 5" in en(result)


@pytest.mark.parametrize("days_left, status", [(10, "expiring_soon"), (29, "expiring_soon"), (30, "met"),
                                               (0, "expiring_soon"), (-1, "failed")])
def test_permit_expiring_soon_before_the_dispatch_date_is_known(protocol, days_left, status):
    draft = shipment(status="draft", dispatch_date=None)
    permit = doc("recycler_permit", effective=date(2024, 1, 1), expiry=TODAY + timedelta(days=days_left),
                 holder="EcoCycle Batterierecycling GmbH")
    result = run(protocol, with_docs(draft, complete_export_docs(permit=permit)))["recycler_permit"]
    assert result.status == status
    if status == "expiring_soon":
        assert f"expires on {TODAY + timedelta(days=days_left)} (in {days_left} days)" in en(result)


def test_documents_awaiting_review_or_rejected_are_missing(protocol):
    pending = doc("contract", status="submitted", effective=date(2026, 1, 1), counterparty="EcoCycle")
    result = run(protocol, with_docs(shipment(), complete_export_docs(contract=pending)))["contract"]
    assert result.status == "missing" and "is waiting for review" in en(result)
    rejected = doc("contract", status="rejected", effective=date(2026, 1, 1))
    result = run(protocol, with_docs(shipment(), complete_export_docs(contract=rejected)))["contract"]
    assert result.status == "missing" and "was rejected: not legible" in en(result)


def test_manifest_unit_count_must_match_the_units(protocol):
    units = tuple(unit(i) for i in range(1, 4))
    docs = complete_export_docs(manifest=doc("transport_manifest", net_mass_kg=20000, unit_count=2))
    result = run(protocol, with_docs(shipment(units=units), docs))["transport_manifest"]
    assert result.status == "failed" and "The manifest lists 2 units, the shipment has 3 registered." in en(result)


def test_gross_mass_below_net_mass_fails(protocol):
    docs = complete_export_docs(manifest=doc("transport_manifest", net_mass_kg=20000, gross_mass_kg=19000))
    result = run(protocol, with_docs(shipment(), docs))["transport_manifest"]
    assert result.status == "failed" and "gross mass 19 t is below the net mass 20 t" in en(result)


def test_malformed_key_field_fails_the_requirement_without_crashing(protocol):
    docs = complete_export_docs(manifest=doc("transport_manifest", net_mass_kg="nineteen tonnes"))
    results = run(protocol, with_docs(shipment(), docs))
    result = results["transport_manifest"]
    assert result.status == "failed"
    assert "the key field “net_mass_kg” should be a number, but it is “nineteen tonnes”" in en(result)
    assert results["quantities"].status == "failed"  # the same field feeds the cross-document check


@pytest.mark.parametrize("facts_update, status, words", [
    ({"special_provision": "", "packing_instruction": ""}, "failed", "need SP 377 + P909"),
    ({"special_provision": "376", "packing_instruction": "P911"}, "met", "SP 376 with P911"),
    ({"un_number": "UN3090"}, "failed", "UN 3090 does not fit the batteries shipped; expected UN 3480, UN 3481"),
    ({"un_number": ""}, "missing", "No UN number is recorded"),
    ({"is_waste": False, "special_provision": ""}, "met", "Classified as UN 3480"),
])
def test_dangerous_goods(protocol, facts_update, status, words):
    result = run(protocol, with_docs(shipment(**facts_update), complete_export_docs()))["dangerous_goods"]
    assert result.status == status and words in en(result)


def test_dangerous_goods_not_applicable_to_lead_acid(protocol):
    result = run(protocol, with_docs(shipment(declared_masses={"lead_acid": Decimal(20000)}),
                                     complete_export_docs()))["dangerous_goods"]
    assert result.status == "not_applicable"


def test_dangerous_goods_declaration_contradicting_the_shipment(protocol):
    docs = complete_export_docs() + [doc("dangerous_goods_declaration", un_number="3481", special_provision="376")]
    result = run(protocol, with_docs(shipment(), docs))["dangerous_goods"]
    assert result.status == "failed" and "declares UN 3481, the shipment UN 3480" in en(result)


@pytest.mark.parametrize("shipment_hs, doc_hs, masses, status, words", [
    ("8549.14.00", "854914", {"ncm": 1}, "met", "HS code 85491400"),
    ("8548.10", "854810", {"ncm": 1}, "failed", "is not under heading 8549"),
    ("8549.14", "854913", {"ncm": 1}, "failed", "different HS codes"),
    ("8549.13", "854913", {"lead_acid": 1}, "failed", "expected 854911"),
    ("", "", {"ncm": 1}, "missing", "records no HS code"),
])
def test_customs_declaration_hs_8549(protocol, shipment_hs, doc_hs, masses, status, words):
    facts = shipment(hs_code=shipment_hs, declared_masses={k: Decimal(20000) for k in masses})
    docs = complete_export_docs(customs=doc("customs_declaration", hs_code=doc_hs))
    result = run(protocol, with_docs(facts, docs))["customs_declaration"]
    assert result.status == status and words in en(result)


def test_waste_movement_document_only_when_the_shipment_is_waste(protocol):
    not_waste = run(protocol, with_docs(shipment(is_waste=False), complete_export_docs(movement=None)))
    assert not_waste["waste_movement"].status == "not_applicable"
    assert "not declared as waste" in en(not_waste["waste_movement"])
    waste = run(protocol, with_docs(shipment(), complete_export_docs(movement=None)))["waste_movement"]
    assert waste.status == "failed" and waste.upload_types == ("waste_movement_document",)
    mismatch = complete_export_docs(movement=doc("waste_movement_document", waste_code="16 06 01*"))
    result = run(protocol, with_docs(shipment(), mismatch))["waste_movement"]
    assert result.status == "failed" and "gives waste code 160601, the shipment 16 06 05" in en(result)
    no_code = run(protocol, with_docs(shipment(waste_code=""), complete_export_docs()))["waste_movement"]
    assert no_code.status == "missing"


def test_receipt_confirmed_on_the_platform(protocol):
    result = run(protocol, with_docs(shipment(custody=confirmed(19900)), complete_export_docs(receipt=None)))["receipt"]
    assert result.status == "met" and result.qualifier == ""
    assert "Receipt confirmed on the platform by EcoCycle Batterierecycling GmbH on 2026-05-09" in en(result)
    assert "Received 19.9 t vs manifest 20 t: within 2 %." in en(result)


def test_receipt_confirmed_beyond_the_tolerance_fails(protocol):
    result = run(protocol, with_docs(shipment(custody=confirmed(19000)), complete_export_docs(receipt=None)))["receipt"]
    assert result.status == "failed" and "Received 19 t vs manifest 20 t: 5 % apart, tolerance 2 %." in en(result)


def test_open_discrepancy_keeps_the_receipt_open_until_settled(protocol):
    open_one = confirmed(19810, discrepancies=(discrepancy(received=19810),))
    result = run(protocol, with_docs(shipment(custody=open_one), complete_export_docs(receipt=None)))["receipt"]
    assert result.status == "missing"
    assert "A discrepancy is open since 2026-05-09 (declared 20 t, received 19.81 t)" in en(result)
    settled = confirmed(19810, discrepancies=(discrepancy(received=19810, status="resolved",
                                                          resolution="moisture loss, agreed"),))
    result = run(protocol, with_docs(shipment(custody=settled), complete_export_docs(receipt=None)))["receipt"]
    assert result.status == "met" and "was resolved: moisture loss, agreed" in en(result)


def test_paper_receipt_is_met_but_marked_unconfirmed(protocol):
    result = run(protocol, with_docs(shipment(), complete_export_docs()))["receipt"]
    assert result.status == "met" and result.qualifier == "unconfirmed"
    assert "not confirmed by the counterparty on the platform" in en(result)
    paper = custody(status="dispatched", receipt_source="paper", received_on=date(2026, 5, 10),
                    received_net_mass_kg=Decimal(19950))
    result = run(protocol, with_docs(shipment(custody=paper), complete_export_docs(receipt=None)))["receipt"]
    assert result.status == "met" and result.qualifier == "unconfirmed"
    assert "Only a paper receipt of 2026-05-10 is recorded in the custody ledger" in en(result)


def test_disputed_receipt_fails(protocol):
    disputed = custody(status="disputed", discrepancies=(discrepancy(kind="dispute", reason="two pallets missing",
                                                                     received=None),))
    result = run(protocol, with_docs(shipment(custody=disputed), complete_export_docs()))["receipt"]
    assert result.status == "failed" and "disputed the receipt: two pallets missing" in en(result)


def test_receipt_not_due_before_dispatch_and_missing_after(protocol):
    draft = run(protocol, with_docs(shipment(status="draft"), complete_export_docs(receipt=None)))["receipt"]
    assert draft.status == "not_applicable"
    sent = run(protocol, with_docs(shipment(), complete_export_docs(receipt=None)))["receipt"]
    assert sent.status == "missing" and "has not confirmed receipt" in en(sent)
    assert sent.upload_types == ("receipt",)  # offered on the board, although custody may also satisfy it
    on_platform = run(protocol, with_docs(shipment(status="draft", custody=custody()),
                                          complete_export_docs(receipt=None)))["receipt"]
    assert on_platform.status == "missing"
    assert "Dispatched on the platform on 2026-05-04; EcoCycle Batterierecycling GmbH has not confirmed" \
        in en(on_platform)


def test_receipt_unit_count_must_match(protocol):
    units = tuple(unit(i) for i in range(1, 4))
    result = run(protocol, with_docs(shipment(units=units, custody=confirmed(20000, units=2)),
                                     complete_export_docs()))["receipt"]
    assert result.status == "failed" and "2 units received, 3 shipped." in en(result)


def test_assay_percentages_above_100_fail(protocol):
    assay = doc("assay_report", lot_code="BM-9", lot_mass_kg=6000, elements={"Co": 60, "Ni": 45})
    result = run(protocol, with_docs(shipment(status="received"), complete_export_docs(assay=assay)))["assay"]
    assert result.status == "failed" and "the element percentages add up to 105 %, more than 100 %" in en(result)


@pytest.mark.parametrize("elements, status, words", [
    ({"Co": -3, "Ni": 20}, "failed", "outside 0–100 %: Co -3 %"),
    ({"Co": "n/a"}, "failed", "“elements.Co” should be a number"),
    ("Co 8 %", "failed", "should be a table of values"),
    ({}, "missing", "lists no element content"),
])
def test_malformed_assays(protocol, elements, status, words):
    assay = doc("assay_report", lot_code="BM-9", lot_mass_kg=6000, elements=elements)
    result = run(protocol, with_docs(shipment(status="received"), complete_export_docs(assay=assay)))["assay"]
    assert result.status == status and words in en(result)


def test_assay_and_certificate_not_due_before_receipt(protocol):
    results = run(protocol, with_docs(shipment(), complete_export_docs(receipt=None, assay=None, certificate=None)))
    assert {results[k].status for k in ("assay", "recycling_certificate", "recovered_output")} == {"not_applicable"}


def test_certificate_must_reference_this_shipment(protocol):
    certificate = doc("recycling_certificate", shipment_reference="SHP-2026-099", treated_mass_kg=19000)
    result = run(protocol, with_docs(shipment(status="received"),
                                     complete_export_docs(certificate=certificate)))["recycling_certificate"]
    assert result.status == "failed" and "certifies shipment SHP-2026-099, not SHP-2026-001" in en(result)


def test_certificate_cannot_treat_more_than_was_received(protocol):
    certificate = doc("recycling_certificate", shipment_reference="shp 2026 001", treated_mass_kg=21000)
    result = run(protocol, with_docs(shipment(status="received"),
                                     complete_export_docs(certificate=certificate)))["recycling_certificate"]
    assert result.status == "failed" and "certifies 21 t treated, more than the 19.95 t of the receipt" in en(result)


def test_recovered_output_cannot_exceed_what_went_in(protocol):
    # 7 t of black mass at 8 % Co = 560 kg of cobalt went in; 700 kg recovered is impossible.
    certificate = doc("recycling_certificate", shipment_reference="SHP-2026-001", treated_mass_kg=19950,
                      recovered_kg={"Co": 700})
    result = run(protocol, with_docs(shipment(status="received"),
                                     complete_export_docs(certificate=certificate)))["recovered_output"]
    assert result.status == "failed"
    assert "Co: 700 kg recovered (certificates of recycling) exceeds the 560 kg contained in the input (assay " \
           "reports, tolerance 2 %)." in en(result)


def test_recovered_output_from_refined_lots_in_the_register(protocol):
    black_mass = lot("BM-1", mass_kg=Decimal(1000), elements={"Co": Decimal(10)}, source_shipment_ids=("ship-1",))
    sulfate = lot("CS-1", kind="cobalt_sulfate", mass_kg=Decimal(500), elements={"Co": Decimal(21)},
                  source_lot_ids=(black_mass.id,))
    facts = with_docs(shipment(status="received", lots=(black_mass, sulfate)),
                      complete_export_docs(assay=None, certificate=None))
    result = run(protocol, facts)["recovered_output"]
    assert result.status == "failed"
    assert "Co: 105 kg recovered (lots refined from them) exceeds the 100 kg contained in the input (lots made " \
           "from the shipment" in en(result)


def test_certificate_issued_in_the_custody_ledger_meets_the_requirement(protocol):
    certified = confirmed(19950, status="certified", processed_on=date(2026, 5, 20), certificate_number="ECO-CR-17",
                          certificate_issued_on=date(2026, 5, 21), certificate_sha256="ab" * 32)
    result = run(protocol, with_docs(shipment(status="received", custody=certified),
                                     complete_export_docs(certificate=None)))["recycling_certificate"]
    assert result.status == "met"
    assert "Certificate of recycling ECO-CR-17 issued on the platform by EcoCycle Batterierecycling GmbH on " \
           "2026-05-21" in en(result)
    processed = confirmed(19950, status="processed", processed_on=date(2026, 5, 20))
    result = run(protocol, with_docs(shipment(status="received", custody=processed),
                                     complete_export_docs(certificate=None)))["recycling_certificate"]
    assert result.status == "missing" and "has not issued a certificate of recycling yet" in en(result)
    assert result.upload_types == ("recycling_certificate",)


def test_processing_lots_in_the_ledger_feed_the_element_balance(protocol):
    lots = (processing_lot("BM-1", "black_mass", 7000, Co=8, Ni=20),
            processing_lot("CS-1", "cobalt_sulfate", 2000, Co=21),
            processing_lot("NS-1", "nickel_sulfate", 6000, Ni=22))
    processed = confirmed(19950, status="processed", processed_on=date(2026, 5, 20), lots=lots)
    result = run(protocol, with_docs(shipment(status="received", custody=processed),
                                     complete_export_docs(assay=None, certificate=None)))["recovered_output"]
    # Co: 420 kg recovered of 560 kg in; Ni: 1320 kg recovered of 1400 kg in.
    assert result.status == "met"
    assert "Co: 420 kg recovered (recovered lots in the processing record) of 560 kg contained in the input " \
           "(black-mass lots in the processing record)." in en(result)
    too_much = lots[:2] + (processing_lot("NS-1", "nickel_sulfate", 7000, Ni=22),)
    result = run(protocol, with_docs(shipment(status="received", custody=replace(processed, lots=too_much)),
                                     complete_export_docs(assay=None, certificate=None)))["recovered_output"]
    assert result.status == "failed" and "Ni: 1.54 t recovered" in en(result) and "exceeds the 1.4 t" in en(result)


def test_inbound_shipments_are_out_of_scope(protocol):
    results = run(protocol, with_docs(shipment(direction="inbound"), []))
    assert {r.status for r in results.values()} == {"not_applicable"}
    assert overall_status(results.values()) == "not_applicable"
    assert "This protocol covers Outbound shipments; SHP-2026-001 is Inbound." in en(results["contract"])


def test_every_reason_renders_in_both_languages(protocol):
    docs = complete_export_docs(manifest=doc("transport_manifest", net_mass_kg="19200"), permit=None)
    for result in run(protocol, with_docs(shipment(status="received"), docs)).values():
        for reason in result.reasons:
            pair = reason.as_dict()
            assert pair["en"] and pair["zh"] and "%(" not in pair["en"] and "%(" not in pair["zh"]


def test_garbage_key_fields_never_crash_the_engine(protocol):
    garbage = [None, "", "abc", [], {"x": "y"}, -5, 1e308, True, "2026-13-45", {"Co": {"pre": "x"}}]
    for value in garbage:
        docs = [replace(d, key_fields={k: value for k in list(d.key_fields) + ["valid_from", "elements"]})
                for d in complete_export_docs()]
        results = run(protocol, with_docs(shipment(status="received"), docs))
        assert len(results) == len(protocol.requirements)


def test_digest_changes_with_the_facts_and_not_otherwise():
    a = with_docs(shipment(), complete_export_docs())
    assert facts_digest(a) == facts_digest(replace(a))
    assert facts_digest(a) != facts_digest(replace(a, hs_code="8549.13"))
    assert facts_digest(a, protocol_digest="x") != facts_digest(a, protocol_digest="y")
    assert facts_digest(replace(a, declared_masses={"ncm": Decimal("20000.0")})) == \
        facts_digest(replace(a, declared_masses={"ncm": Decimal("20000")}))
