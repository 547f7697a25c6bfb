"""HS, UN, special provision, packing instruction and waste codes [REFERENCE §6] (no database)."""
import pytest

from apps.traceability.trade_codes import (
    ShipmentCodes,
    WasteCodeRules,
    format_hs,
    validate_country,
    validate_hs_code,
    validate_packing_instruction,
    validate_shipment_codes,
    validate_special_provisions,
    validate_un_number,
    validate_waste_code,
)


def _codes(issues):
    return [i.code for i in issues]


@pytest.mark.parametrize("value,stored", [("8549.13", "854913"), ("8549 14 10", "85491410"),
                                          ("3824.99.99.96", "3824999996"), ("854911", "854911")])
def test_hs_codes_are_stored_as_digits_and_shown_dotted(value, stored):
    digits, issues = validate_hs_code(value, is_waste=True)
    assert (digits, issues) == (stored, ())
    assert format_hs(digits).replace(".", "") == stored and format_hs("854913") == "8549.13"


@pytest.mark.parametrize("value", ["8549", "85491", "8549.1X", "854913123456"])
def test_malformed_hs_codes(value):
    assert _codes(validate_hs_code(value)[1]) == ["hs_format"]


def test_pre_2022_hs_code_and_non_waste_heading_warn():
    assert _codes(validate_hs_code("8548.10")[1]) == ["hs_obsolete"]
    issues = validate_hs_code("8507.60", is_waste=True)[1]
    assert _codes(issues) == ["hs_not_battery_waste"] and not issues[0].is_error
    assert validate_hs_code("8507.60", is_waste=False)[1] == ()


@pytest.mark.parametrize("value", ["UN3480", "un 3480", "3480", "UN 3481", "3090", "3091", "3551", "3552"])
def test_battery_un_numbers(value):
    number, issues = validate_un_number(value)
    assert issues == () and number.startswith("UN") and len(number) == 6


def test_un_number_format_and_non_battery_entry():
    assert _codes(validate_un_number("UN348")[1]) == ["un_format"]
    assert _codes(validate_un_number("1203")[1]) == ["un_not_battery"]


def test_special_provisions_and_packing_instructions_agree():
    assert validate_special_provisions("SP 377") == ("377", ())
    assert validate_special_provisions("376, 636") == ("376, 636", ())
    assert _codes(validate_special_provisions("37")[1]) == ["sp_format"]
    assert _codes(validate_special_provisions("188")[1]) == ["sp_unknown"]
    assert validate_packing_instruction("p 909", special_provisions="377") == ("P909", ())
    assert _codes(validate_packing_instruction("P908", special_provisions="377")[1]) == ["pi_sp_mismatch"]
    assert validate_packing_instruction("LP906", special_provisions="376") == ("LP906", ())
    assert _codes(validate_packing_instruction("909")[1]) == ["pi_format"]


@pytest.mark.parametrize("value,stored", [("16 06 05", "16 06 05"), ("160605", "16 06 05"), ("16 06 01*", "16 06 01*"),
                                          ("a1170", "A1170"), ("B1090", "B1090"), ("Y31", "Y31")])
def test_waste_codes(value, stored):
    assert validate_waste_code(value) == (stored, ())


def test_waste_code_hazard_mark_and_unknown_codes():
    assert validate_waste_code("16 06 01")[1][0].params == {"expected": "16 06 01*"}
    assert _codes(validate_waste_code("16 06 05*")[1]) == ["waste_code_hazard_mark"]
    assert _codes(validate_waste_code("17 04 05")[1]) == ["waste_code_unknown"]
    assert _codes(validate_waste_code("waste")[1]) == ["waste_code_format"]
    rules = WasteCodeRules(list_of_waste={"160608": True})  # e.g. a 2025/934 code loaded from settings
    assert validate_waste_code("16 06 08*", rules=rules) == ("16 06 08*", ())


def test_waste_shipment_needs_a_waste_code_and_codes_are_attributed_to_fields():
    clean, found = validate_shipment_codes(ShipmentCodes("8549.13", "UN 3480", "377", "P908", "", True))
    assert [(f, i.code) for f, i in found] == [("packing_instruction", "pi_sp_mismatch"),
                                              ("waste_code", "waste_code_required")]
    clean, found = validate_shipment_codes(ShipmentCodes("8549.13", "3480", "SP377", "p909", "160605", True))
    assert found == [] and (clean.hs_code, clean.un_number, clean.special_provision, clean.packing_instruction,
                            clean.waste_code) == ("854913", "UN3480", "377", "P909", "16 06 05")


def test_country_codes():
    assert validate_country(" de ") == ("DE", ())
    assert _codes(validate_country("DEU")[1]) == ["country_format"]
