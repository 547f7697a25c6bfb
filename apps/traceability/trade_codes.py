"""Customs, transport and waste codes of a shipment: pure validators (no database access).

Sources are REFERENCE.md §6 keys. Values are normalised for storage:
HS code -> digits only ("854913"; `format_hs` shows "8549.13"), UN number -> "UN3480",
special provisions -> "377" or "376, 636", packing instruction -> "P909", EU List of Waste code ->
"16 06 05" / "16 06 01*", Basel code -> "A1170". Every validator returns (normalised value, issues).
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .issues import Issue, error, register_messages, warning

register_messages({
    "hs_format": _("An HS code has 6 to 10 digits, e.g. 8549.13 or 3824.99.99.96."),
    "hs_obsolete": _("HS 8548.10 was replaced by heading 8549 in HS 2022: use 8549.11 to 8549.19."),
    "hs_not_battery_waste": _("Waste batteries are classified under HS 8549.11 to 8549.19 (HS 2022); %(code)s is "
                              "another heading."),
    "un_format": _("A UN number has 4 digits, e.g. UN 3480."),
    "un_not_battery": _("UN %(number)s is not a battery entry (UN 3090, 3091, 3480, 3481, 3551, 3552)."),
    "sp_format": _("A special provision is a number of 3 digits, e.g. 377."),
    "sp_unknown": _("Special provision %(sp)s is not one of the battery provisions known here (376, 377, 636)."),
    "pi_format": _("A packing instruction looks like P909 or LP904."),
    "pi_sp_mismatch": _("Special provision %(sp)s requires packing instruction %(expected)s, not %(pi)s."),
    "waste_code_format": _("A waste code is an EU List of Waste code (e.g. 16 06 05 or 16 06 01*) or a Basel "
                           "code (e.g. A1170, B1090)."),
    "waste_code_hazard_mark": _("Write the waste code as %(expected)s: the asterisk marks hazardous waste."),
    "waste_code_unknown": _("%(code)s is not a battery waste code known here; check it against the List of "
                            "Waste."),
    "waste_code_required": _("A shipment of waste needs a waste code."),
    "country_format": _("Use the two-letter ISO 3166 country code, e.g. CN or DE."),
})

# --- HS codes [S: 121EXPORT, WCO, TARIFFNUMBER, 84547777] -------------------------------------

HS_WASTE_BATTERIES = ("854911", "854912", "854913", "854914", "854919")  # HS 2022 heading 8549
HS_OBSOLETE = ("854810",)  # pre-2022 code of waste batteries [S: 121EXPORT]


def format_hs(code: str) -> str:
    """"854913" -> "8549.13"; "3824999996" -> "3824.99.99.96"."""
    if not code or not code.isdigit():
        return code
    return ".".join([code[:4]] + [code[i:i + 2] for i in range(4, len(code), 2)])


def validate_hs_code(value: str, *, is_waste: bool = False) -> tuple[str, tuple[Issue, ...]]:
    digits = re.sub(r"[\s.]", "", value or "")
    if not digits:
        return "", ()
    if not digits.isascii() or not digits.isdigit() or not 6 <= len(digits) <= 10 or len(digits) % 2:
        return digits, (error("hs_format"),)
    if digits[:6] in HS_OBSOLETE:
        return digits, (warning("hs_obsolete"),)
    if is_waste and digits[:4] != "3824" and digits[:6] not in HS_WASTE_BATTERIES:
        # black mass is 3824.99.99.96 in China [S: 84547777]; the EU line is [U]
        return digits, (warning("hs_not_battery_waste", code=format_hs(digits)),)
    return digits, ()


# --- Dangerous goods [S: BATTRANSPORT, GEFAHRGUT-376, LIONCARE] --------------------------------

BATTERY_UN_NUMBERS = ("3090", "3091", "3480", "3481", "3551", "3552")
# ADR special provision -> packing instructions it prescribes
SP_PACKING = {
    "376": ("P908", "LP904", "P911", "LP906"),  # damaged/defective; P911/LP906 if liable to react dangerously
    "377": ("P909",),  # carried for disposal or recycling
    "636": (),  # small mixed waste batteries to an intermediate facility
}


def validate_un_number(value: str) -> tuple[str, tuple[Issue, ...]]:
    text = re.sub(r"\s", "", (value or "").upper())
    if not text:
        return "", ()
    number = text.removeprefix("UN")
    if len(number) != 4 or not number.isascii() or not number.isdigit():
        return text, (error("un_format"),)
    issues = () if number in BATTERY_UN_NUMBERS else (warning("un_not_battery", number=number),)
    return f"UN{number}", issues


def validate_special_provisions(value: str) -> tuple[str, tuple[Issue, ...]]:
    text = (value or "").upper().replace("SP", " ")
    tokens = [t for t in re.split(r"[\s,;/]+", text) if t]
    if not tokens:
        return "", ()
    if any(len(t) != 3 or not t.isascii() or not t.isdigit() for t in tokens):
        return (value or "").strip(), (error("sp_format"),)
    issues = tuple(warning("sp_unknown", sp=t) for t in tokens if t not in SP_PACKING)
    return ", ".join(dict.fromkeys(tokens)), issues


_PI = re.compile(r"(P|LP|IBC)\d{3}")


def validate_packing_instruction(value: str, *, special_provisions: str = "") -> tuple[str, tuple[Issue, ...]]:
    text = re.sub(r"\s", "", (value or "").upper())
    if not text:
        return "", ()
    if not _PI.fullmatch(text):
        return text, (error("pi_format"),)
    for sp in [s for s in special_provisions.split(", ") if s]:
        expected = SP_PACKING.get(sp)
        if expected and text not in expected:
            return text, (error("pi_sp_mismatch", sp=sp, expected=" / ".join(expected), pi=text),)
    return text, ()


# --- Waste codes [S: ECOTIC; C: LEGISGOV-A1170; S: ULAB] -------------------------------------------

@dataclass(frozen=True)
class WasteCodeRules:
    """EU List of Waste battery codes of Decision 2000/532/EC (hazardous = True) [S: ECOTIC]. The new codes
    of Delegated Decision (EU) 2025/934 (applicable from 9 Nov 2026) are [U]: add them through settings
    (TRACEABILITY_WASTE_CODES) when their wording is loaded from the OJ text."""

    list_of_waste: Mapping[str, bool] = field(default_factory=lambda: {
        "160601": True, "160602": True, "160603": True, "160604": False, "160605": False, "160606": True,
        "200133": True, "200134": False,
    })
    basel: tuple[str, ...] = ("A1160", "A1170", "B1090")


DEFAULT_WASTE_RULES = WasteCodeRules()
_LOW = re.compile(r"(\d{2})\s?(\d{2})\s?(\d{2})\s?(\*?)")
_BASEL = re.compile(r"([AB]\d{4}|Y\d{1,2})")


def _low_text(digits: str, hazardous: bool) -> str:
    return f"{digits[:2]} {digits[2:4]} {digits[4:]}" + ("*" if hazardous else "")


def validate_waste_code(value: str, *, rules: WasteCodeRules = DEFAULT_WASTE_RULES) -> tuple[str, tuple[Issue, ...]]:
    text = (value or "").strip().upper()
    if not text:
        return "", ()
    basel = _BASEL.fullmatch(text.replace(" ", ""))
    if basel:
        code = basel.group(1)
        known = code in rules.basel or code.startswith("Y")
        return code, () if known else (warning("waste_code_unknown", code=code),)
    low = _LOW.fullmatch(text)
    if low is None:
        return text, (error("waste_code_format"),)
    digits, marked = "".join(low.groups()[:3]), bool(low.group(4))
    normalised = _low_text(digits, marked)
    hazardous = rules.list_of_waste.get(digits)
    if hazardous is None:
        return normalised, (warning("waste_code_unknown", code=normalised),)
    if hazardous != marked:
        return normalised, (error("waste_code_hazard_mark", expected=_low_text(digits, hazardous)),)
    return normalised, ()


def validate_country(value: str) -> tuple[str, tuple[Issue, ...]]:
    text = (value or "").strip().upper()
    if not text:
        return "", ()
    if len(text) != 2 or not text.isascii() or not text.isalpha():
        return text, (error("country_format"),)
    return text, ()


# --- a shipment's codes together ------------------------------------------------------------

@dataclass(frozen=True)
class ShipmentCodes:
    hs_code: str = ""
    un_number: str = ""
    special_provision: str = ""
    packing_instruction: str = ""
    waste_code: str = ""
    is_waste: bool = False


def validate_shipment_codes(codes: ShipmentCodes, *, waste_rules: WasteCodeRules = DEFAULT_WASTE_RULES,
                            ) -> tuple[ShipmentCodes, list[tuple[str, Issue]]]:
    """Normalise and check a shipment's codes; issues come with the field they belong to."""
    found: list[tuple[str, Issue]] = []
    hs, issues = validate_hs_code(codes.hs_code, is_waste=codes.is_waste)
    found += [("hs_code", i) for i in issues]
    un, issues = validate_un_number(codes.un_number)
    found += [("un_number", i) for i in issues]
    sp, issues = validate_special_provisions(codes.special_provision)
    found += [("special_provision", i) for i in issues]
    pi, issues = validate_packing_instruction(codes.packing_instruction,
                                              special_provisions=sp if not any(i.is_error for i in issues) else "")
    found += [("packing_instruction", i) for i in issues]
    waste, issues = validate_waste_code(codes.waste_code, rules=waste_rules)
    found += [("waste_code", i) for i in issues]
    if codes.is_waste and not waste:
        found.append(("waste_code", error("waste_code_required")))
    return ShipmentCodes(hs, un, sp, pi, waste, codes.is_waste), found
