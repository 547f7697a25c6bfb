"""Code validators, case by case, with the test vectors of REFERENCE.md §2.1 and §3 (no database)."""
import pytest
from django.utils import translation

from apps.traceability import codes
from apps.traceability.codes import (
    Gbt34014Rules,
    build_digital_link,
    gs1_check_digit,
    parse_digital_link,
    validate_gbt34014,
    validate_gs1_serial,
    validate_gs1_unit,
    validate_gtin,
    validate_passport_identifier,
    validate_sscc,
    validate_unit_code,
)

from .factories import cascade_code, gbt_code


def _codes(result):
    return [issue.code for issue in result.issues]


# --- GS1 mod-10 [REFERENCE §3.2: GS1-CSUM, BWIPP-DL] -----------------------------------------

@pytest.mark.parametrize("value", ["02345673", "416000336108", "1234567890128", "12345678901231",
                                   "09506000134352", "09521234543213"])
def test_reference_gtins_pass(value):
    result = validate_gtin(value)
    assert result.ok and result.value == value.zfill(14)


@pytest.mark.parametrize("value,expected", [("12345673", "0"), ("1234567890129", "8"), ("12345678901232", "1")])
def test_reference_gtins_with_a_wrong_check_digit_fail_naming_the_right_one(value, expected):
    result = validate_gtin(value)
    assert _codes(result) == ["gs1_check_digit"]
    assert result.errors[0].params == {"expected": expected, "found": value[-1]}
    assert f"should be {expected}" in result.errors[0].message


@pytest.mark.parametrize("value", ["123456789012345675", "106141411234567897"])
def test_reference_sscc_pass(value):
    assert validate_sscc(value).ok


def test_reference_sscc_fails_on_its_check_digit():
    assert _codes(validate_sscc("123456789012345670")) == ["gs1_check_digit"]


def test_check_digit_function_matches_the_reference_implementation():
    assert gs1_check_digit("0234567") == 3 and gs1_check_digit("12345678901") == 2
    assert gs1_check_digit("10614141123456789") == 7


@pytest.mark.parametrize("value,code", [("12345", "gtin_length"), ("123456789012345", "gtin_length"),
                                        ("1234567890A28", "gtin_digits"), ("", "code_required"),
                                        ("１２３４５６７８９０１２８", "gtin_digits")])
def test_malformed_gtins(value, code):
    assert _codes(validate_gtin(value)) == [code]


def test_sscc_needs_18_digits():
    assert _codes(validate_sscc("10614141123456789")) == ["sscc_digits"]


# --- AI 21 serial: X..20, CSET 82 [GS1-DICT, GS1-CSET82] ----------------------------------------

@pytest.mark.parametrize("serial", ["12345", "A-b_c/1.2", "!\"%&'()*+,-./:;<=>?", "X" * 20])
def test_cset82_serials_pass(serial):
    assert validate_gs1_serial(serial).ok


@pytest.mark.parametrize("serial,code", [("X" * 21, "serial_length"), ("AB C", "serial_charset"),
                                         ("A#1", "serial_charset"), ("电池", "serial_charset"),
                                         ("", "serial_required")])
def test_serials_outside_cset82_or_too_long_fail(serial, code):
    assert _codes(validate_gs1_serial(serial)) == [code]


def test_gs1_unit_from_element_string_or_from_parts_is_the_same_code():
    from_string = validate_gs1_unit("(01)09521234543213(21)ABC-1")
    from_parts = validate_gs1_unit(gtin="9521234543213", serial="ABC-1")
    assert from_string.ok and from_parts.ok
    assert from_string.value == from_parts.value == "(01)09521234543213(21)ABC-1"
    assert from_parts.parts == {"gtin": "09521234543213", "serial": "ABC-1"}


def test_gs1_unit_refuses_bad_check_digit_and_disagreeing_parts():
    assert _codes(validate_gs1_unit("(01)09521234543210(21)1")) == ["gs1_check_digit"]
    assert _codes(validate_gs1_unit("(01)09521234543213(21)1", serial="2")) == ["gtin_serial_mismatch"]
    assert _codes(validate_gs1_unit("0952123454321321")) == ["gs1_element_string"]


# --- GS1 Digital Link [REFERENCE §3.3: BWIPP-DL, DPP-DL] ---------------------------------------

def test_reference_digital_links_parse():
    link, issues = parse_digital_link("https://id.gs1.org/01/09521234543213/10/ABC123/21/12345")
    assert issues == () and link.primary_ai == "01" and link.primary_value == "09521234543213"
    assert link.qualifiers == (("10", "ABC123"), ("21", "12345"))
    sscc, issues = parse_digital_link("https://id.gs1.org/00/106141411234567897")
    assert issues == () and sscc.primary_ai == "00" and sscc.qualifiers == ()
    own, issues = parse_digital_link("https://example.com/products/01/09521234543213")
    assert issues == () and own.base == "https://example.com/products"


def test_digital_link_pads_short_gtins_and_keeps_query_attributes():
    link, _issues = parse_digital_link("https://example.com/01/9521234543213?17=270101")
    assert link.primary_value == "09521234543213" and link.attributes == (("17", "270101"),)


def test_digital_link_refusals():
    assert _codes_of(parse_digital_link("ftp://id.gs1.org/01/09521234543213")) == ["dl_not_uri"]
    assert _codes_of(parse_digital_link("https://id.gs1.org/products/123")) == ["dl_no_primary_key"]
    assert _codes_of(parse_digital_link("https://id.gs1.org/01/09521234543213/21/1/10/A")) == ["dl_qualifier_order"]
    assert _codes_of(parse_digital_link("https://id.gs1.org/01/09521234543210/21/1")) == ["gs1_check_digit"]


def _codes_of(parsed):
    return [issue.code for issue in parsed[1]]


def test_digital_link_round_trip_with_percent_encoding():
    uri = build_digital_link(gtin="9521234543213", lot="L1", serial="A/1", base="https://pass.example.com/")
    assert uri == "https://pass.example.com/01/09521234543213/10/L1/21/A%2F1"
    link, _issues = parse_digital_link(build_digital_link(gtin="9521234543213", serial="A/1"))
    assert link.qualifier("21") == "A/1" and link.uri == "https://id.gs1.org/01/09521234543213/21/A%2F1"
    with pytest.raises(ValueError):
        build_digital_link(gtin="9521234543210")
    with pytest.raises(ValueError):
        build_digital_link(gtin="9521234543213", serial="with space")


# --- EU passport identifier (Digital Link, item level) ------------------------------------------

def test_passport_identifier_is_normalised():
    result = validate_passport_identifier("HTTPS://Pass.Example.COM/01/9521234543213/21/SN-1")
    assert result.ok and result.value == "https://pass.example.com/01/09521234543213/21/SN-1"
    assert result.parts["gtin"] == "09521234543213" and result.parts["serial"] == "SN-1"


@pytest.mark.parametrize("value,code", [
    ("http://pass.example.com/01/09521234543213/21/1", "passport_https"),
    ("https://pass.example.com/01/09521234543213", "passport_serial_required"),
    ("https://pass.example.com/00/106141411234567897", "passport_serial_required"),
    ("https://pass.example.com/01/09521234543213/10/L1/21/1", "passport_extra_parts"),
    ("https://pass.example.com/01/09521234543213/21/1?17=270101", "passport_extra_parts"),
    ("urn:bmwk:123456687678", "dl_not_uri"),
])
def test_passport_identifier_refusals(value, code):
    assert code in _codes(validate_passport_identifier(value))


def test_passport_identifier_resolver_can_be_restricted():
    result = validate_passport_identifier("https://other.example/01/09521234543213/21/1",
                                          allowed_hosts=("pass.example.com",))
    assert _codes(result) == ["passport_host"]


# --- GB/T 34014 [REFERENCE §2.1] ------------------------------------------------------------------

def test_catena_x_example_code_splits_into_its_fields():
    result = validate_gbt34014("X12MCPM27KLPCLX2M2382320", level="module")
    assert result.ok and result.issues == ()
    assert dict(result.parts) == {"form": "standard", "manufacturer": "X12", "product_type": "M", "battery_type": "C",
                                  "spec": "PM", "trace": "27KLPCL", "date_code": "X2M", "serial": "2382320"}


def test_lower_case_and_spaces_are_normalised():
    assert validate_gbt34014("  x12mcpm27klpclx2m2382320 ").value == "X12MCPM27KLPCLX2M2382320"


@pytest.mark.parametrize("level,letter", [("pack", "P"), ("module", "M"), ("cell", "C")])
def test_product_type_must_match_the_level(level, letter):
    assert validate_gbt34014(gbt_code(letter), level=level).ok
    other = {"pack": "C", "module": "P", "cell": "M"}[level]
    assert _codes(validate_gbt34014(gbt_code(other), level=level)) == ["gbt_level_mismatch"]


def test_structure_errors_are_each_named():
    assert _codes(validate_gbt34014("X12PEPM27KLPCL")) == ["gbt_length"]
    assert _codes(validate_gbt34014(gbt_code()[:23] + "#")) == ["gbt_charset"]
    assert validate_gbt34014(gbt_code()[:23] + "#").errors[0].params == {"position": 24, "char": "#"}
    assert _codes(validate_gbt34014("X12XEPM27KLPCLX2M0000001")) == ["gbt_product_type"]
    assert _codes(validate_gbt34014("X12PHPM27KLPCLX2M0000001")) == ["gbt_battery_type"]


@pytest.mark.parametrize("date_code,code", [("02M", "gbt_year"), ("OAM", "gbt_year"), ("XDM", "gbt_month"),
                                            ("X0M", "gbt_month"), ("X2Z", "gbt_day"), ("X2O", "gbt_day")])
def test_production_date_character_classes(date_code, code):
    assert _codes(validate_gbt34014(gbt_code(date_code=date_code))) == [code]


@pytest.mark.parametrize("month", list("123456789ABC"))
def test_every_month_code_is_accepted(month):
    assert validate_gbt34014(gbt_code(date_code=f"X{month}M")).ok


def test_letters_in_the_serial_are_only_a_warning():
    result = validate_gbt34014("X12PEPM27KLPCLX2M238232A")
    assert result.ok and _codes(result) == ["gbt_serial_letters"] and not result.issues[0].is_error


def test_zero_serial_is_a_warning():
    result = validate_gbt34014(gbt_code(serial=0))
    assert result.ok and _codes(result) == ["gbt_serial_zero"]


def test_battery_type_is_compared_with_the_models_chemistry():
    assert _codes(validate_gbt34014(gbt_code(battery_type="B"), chemistry="ncm")) == ["gbt_battery_type_chemistry"]
    assert validate_gbt34014(gbt_code(battery_type="B"), chemistry="lfp").issues == ()
    assert validate_gbt34014(gbt_code(battery_type="A"), chemistry="ncm").issues == ()


def test_cascade_form_has_19_characters_and_the_original_product_type():
    result = validate_gbt34014(cascade_code("M", 7, original_type="P"), level="module")
    assert result.ok and result.parts["form"] == "cascade" and result.parts["original_product_type"] == "P"
    assert _codes(validate_gbt34014("X12MEPMX2M0000007XP")) == ["gbt_cascade_suffix"]


def test_cascade_form_can_be_switched_off():
    rules = Gbt34014Rules(accept_cascade_form=False)
    assert _codes(validate_gbt34014(cascade_code(), rules=rules)) == ["gbt_length_24"]


def test_date_decoding_is_off_by_default_and_configurable():
    assert "production_date" not in validate_gbt34014(gbt_code(date_code="E3F")).parts
    rules = Gbt34014Rules(date_table="contiguous")
    assert validate_gbt34014(gbt_code(date_code="E3F"), rules=rules).parts["production_date"] == "2024-03-15"
    assert _codes(validate_gbt34014(gbt_code(date_code="E2V"), rules=rules)) == ["gbt_date_invalid"]  # 31 Feb
    with pytest.raises(ValueError):
        Gbt34014Rules(date_table="nonexistent")


# --- dispatch and messages ------------------------------------------------------------------------

def test_unit_code_dispatch_returns_gtin_and_serial_for_gs1_and_passport():
    gs1 = validate_unit_code(scheme="gs1", code="", gtin="9521234543213", serial="7")
    passport = validate_unit_code(scheme="eu_passport", code="https://p.example/01/09521234543213/21/7")
    assert gs1.parts["serial"] == passport.parts["serial"] == "7"
    assert _codes(validate_unit_code(scheme="eu_passport", code="https://p.example/01/09521234543213/21/7",
                                     serial="8")) == ["gtin_serial_mismatch"]
    assert _codes(validate_unit_code(scheme="qr", code="x")) == ["scheme_unknown"]


def test_scheme_detection():
    assert codes.detect_scheme(gbt_code()) == "gbt34014"
    assert codes.detect_scheme(cascade_code()) == "gbt34014"
    assert codes.detect_scheme("(01)09521234543213(21)1") == "gs1"
    assert codes.detect_scheme("https://id.gs1.org/01/09521234543213/21/1") == "eu_passport"
    assert codes.detect_scheme("hello") is None


def test_messages_follow_the_active_language():
    issue = validate_gtin("12345673").errors[0]
    with translation.override("zh-hans"):
        assert issue.message == "校验位错误：最后一位应为 0，而不是 3。"
    with translation.override("en"):
        assert issue.message == "The check digit is wrong: the last digit should be 0, not 3."
