"""GB/T 34014 code integrity on frozen facts: units without codes, invalid and duplicate codes (also
across shipments), incomplete pack → module → cell relations, cascade-use re-coding."""
import pytest

from apps.checklists.checks.codes import gs1_check_digit_ok
from apps.checklists.engine import evaluate
from apps.checklists.protocol import registry

from .builders import VALID_CODE, code, doc, pack_with_cells, shipment, unit, with_docs

TODAY = __import__("datetime").date(2026, 6, 1)


@pytest.fixture(scope="module")
def protocol():
    return registry().latest("gbt34014-codes")


def run(protocol, facts):
    return {r.requirement_id: r for r in evaluate(protocol, facts, TODAY)}


def en(result) -> str:
    return " | ".join(reason.render("en") for reason in result.reasons)


def shipped(*units, descendants=(), **fields):
    return shipment(units=tuple(units), descendants=tuple(descendants), **fields)


def test_complete_packs_meet_every_requirement(protocol):
    pack, children = pack_with_cells(1, modules=2, cells=3)
    results = run(protocol, shipped(pack, descendants=children))
    assert {k: r.status for k, r in results.items()} == {
        "units_coded": "met", "codes_valid": "met", "codes_unique": "met", "hierarchy": "met",
        "cascade_recoded": "not_applicable", "cascade_label": "not_applicable"}
    assert "(1 packs, 2 modules, 6 cells)" in en(results["hierarchy"])


def test_a_shipment_without_units_is_not_applicable(protocol):
    results = run(protocol, shipped())
    assert {r.status for r in results.values()} == {"not_applicable"}


def test_units_without_codes_fail(protocol):
    pack, children = pack_with_cells(1)
    blank = unit(50, code="   ")
    result = run(protocol, shipped(pack, blank, descendants=children))["units_coded"]
    assert result.status == "failed" and "1 of 2 units have no code" in en(result)


def test_invalid_codes_fail_with_examples(protocol):
    pack, children = pack_with_cells(1)
    wrong = [unit(60, code="X12QEAB0000001631" + "0000060"),  # product type Q
             unit(61, code="X12PEAB0000001" + "6D1" + "0000061"),  # month D
             unit(62, code="X12PEAB000000163100000")]  # too short
    result = run(protocol, shipped(pack, *wrong, descendants=children))["codes_valid"]
    assert result.status == "failed" and "3 codes are not valid GB/T 34014 codes" in en(result)
    assert "X12QEAB00000016310000060" in en(result)


def test_the_reference_example_code_is_valid_and_letters_in_serials_are_reported(protocol):
    module = unit(1, level="module", code=VALID_CODE)
    cell = unit(2, level="cell", parent=module.id)
    lettered = unit(3, level="module", code=code(3, "M", serial_letters=True))
    cell2 = unit(4, level="cell", parent=lettered.id)
    result = run(protocol, shipped(module, lettered, descendants=[cell, cell2]))["codes_valid"]
    assert result.status == "met"
    assert "1 GB/T 34014 codes have letters in the serial number" in en(result)


def test_gs1_codes_need_a_correct_check_digit(protocol):
    good = unit(1, code="0109506000134352210000001", scheme="gs1", level="cell")
    bad = unit(2, code="x", scheme="gs1", gtin="09506000134353", serial="1", level="cell")
    bad_serial = unit(3, code="y", scheme="gs1", gtin="09506000134352", serial="ä-1", level="cell")
    result = run(protocol, shipped(good, bad, bad_serial))["codes_valid"]
    assert result.status == "failed"
    assert "1 codes are not valid GS1 GTINs (check digit)" in en(result)
    assert "1 codes are not valid GS1 serial numbers" in en(result)


@pytest.mark.parametrize("digits, ok", [("02345673", True), ("416000336108", True), ("1234567890128", True),
                                        ("12345678901231", True), ("106141411234567897", True),
                                        ("12345673", False), ("1234567890129", False), ("12345678901232", False)])
def test_gs1_check_digit_vectors_from_the_reference(digits, ok):
    assert gs1_check_digit_ok(digits) is ok


def test_duplicate_codes_in_the_shipment_and_across_shipments_fail(protocol):
    a = unit(1, level="cell", code=code(1, "C"))
    b = unit(2, level="cell", code=code(1, "C").lower())
    c = unit(3, level="cell")
    d = unit(4, level="cell")
    facts = shipped(a, b, c, d, code_clashes={code(3, "C"): (code(3, "C")[:10] + " " + code(3, "C")[10:],)},
                    other_shipments={d.id: ("SHP-2026-000",)})
    result = run(protocol, facts)["codes_unique"]
    assert result.status == "failed"
    text = en(result)
    assert "1 codes appear more than once in this shipment" in text
    assert "1 codes are also registered for other units, differing only in case or spaces" in text
    assert f"1 units are also in other shipments that are not cancelled: {d.code} → SHP-2026-000" in text


def test_hierarchy_gaps_fail(protocol):
    lonely_pack = unit(1)
    empty_module = unit(2, level="module")
    pack, children = pack_with_cells(10, modules=1, cells=1)
    stray_cell = unit(30, level="cell", parent=pack.id)  # a cell straight under a pack
    result = run(protocol, shipped(lonely_pack, empty_module, pack, descendants=children + [stray_cell]))["hierarchy"]
    assert result.status == "failed"
    text = en(result)
    assert f"1 packs have no modules registered: {lonely_pack.code}" in text
    assert f"1 modules have no cells registered: {empty_module.code}" in text
    assert "1 units hang under the wrong level" in text and "(cell) ← " in text


def test_cell_to_pack_designs_are_allowed_by_parameter(protocol):
    from dataclasses import replace

    pack = unit(1)
    cell = unit(2, level="cell", parent=pack.id)
    requirement = protocol.requirement("hierarchy")
    call = requirement.checks[0]
    allowed = replace(call, params={"allow_cell_in_pack": replace(call.params["allow_cell_in_pack"], value=True)})
    lenient = replace(protocol, requirements=tuple(replace(r, checks=(allowed,)) if r.id == "hierarchy" else r
                                                   for r in protocol.requirements))
    assert run(lenient, shipped(pack, descendants=[cell]))["hierarchy"].status == "met"
    assert run(protocol, shipped(pack, descendants=[cell]))["hierarchy"].status == "failed"


def test_cascade_products_must_be_recoded_keeping_the_original_code(protocol):
    ok = unit(1, level="module", status="repurposed", original_code=code(101, "M"))
    no_original = unit(2, level="module", status="repurposed")
    not_recoded = unit(3, level="module", original_code=code(3, "M"))
    bad_original = unit(4, level="module", status="repurposed", original_code="OLD-CODE-4")
    twin = unit(5, level="module", status="repurposed", original_code=code(101, "M"))
    cells = [unit(10 + i, level="cell", parent=f"u{i:06d}") for i in range(1, 6)]
    facts = shipped(ok, no_original, not_recoded, bad_original, twin, descendants=cells,
                    docs=(doc("cascade_label_photo"),))
    result = run(protocol, facts)["cascade_recoded"]
    assert result.status == "failed"
    text = en(result)
    assert f"1 cascade-use units do not keep their original code: {no_original.code}" in text
    assert f"1 cascade-use units were not re-coded (the code equals the original code): {not_recoded.code}" in text
    assert "1 original codes are not valid GB/T 34014 codes" in text and "OLD-CODE-4" in text
    assert f"1 original codes are claimed by more than one unit: {code(101, 'M')}" in text


def test_cascade_products_need_label_evidence(protocol):
    cascade = unit(1, level="module", status="repurposed", original_code=code(101, "M"))
    cell = unit(2, level="cell", parent=cascade.id)
    results = run(protocol, shipped(cascade, descendants=[cell]))
    assert results["cascade_recoded"].status == "met"
    assert results["cascade_label"].status == "missing"
    assert results["cascade_label"].upload_types == ("cascade_label_photo",)
    labelled = run(protocol, with_docs(shipped(cascade, descendants=[cell]), [doc("cascade_label_photo")]))
    assert labelled["cascade_label"].status == "met"


def test_ten_thousand_units_evaluate_in_one_pass(protocol):
    units, descendants = [], []
    for i in range(0, 10_000, 5):
        pack, children = pack_with_cells(i + 1, modules=1, cells=3)
        units.append(pack)
        descendants.extend(children)
    results = run(protocol, shipped(*units, descendants=descendants))
    assert results["hierarchy"].status == "met" and results["codes_unique"].status == "met"
    assert "All 2000 units carry a code." in en(results["units_coded"])
