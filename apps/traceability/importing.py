"""Bulk import: column layouts (headings in English or Chinese), value parsing and per-row checks.

Pure (no database access): the service streams the file through these functions, stages the clean rows
in PostgreSQL and runs the checks that need the whole file or the register there (duplicates, parents,
existing records). Layouts are what an ERP/WMS export looks like: one row per unit; for shipments one row
per shipment line (a unit, or a bulk net mass of one chemistry), the shipment's own columns repeated on
(or left blank after) its first row.
"""
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import codes, trade_codes
from .issues import Issue, error, register_messages, warning
from .models import (
    Chemistry,
    CodeScheme,
    ImportKind,
    ShipmentDirection,
    ShipmentStatus,
    UnitLevel,
    UnitStatus,
)

register_messages({
    "column_missing": _("The column “%(column)s” is missing."),
    "column_duplicate": _("The column “%(column)s” appears twice."),
    "column_unknown": _("The column “%(heading)s” is not known and was ignored."),
    "value_required": _("This value is required."),
    "choice_invalid": _("“%(value)s” is not one of: %(choices)s."),
    "date_invalid": _("“%(value)s” is not a date: write it as YYYY-MM-DD."),
    "date_future": _("The date %(value)s lies in the future."),
    "number_invalid": _("“%(value)s” is not a number: use a dot as decimal separator and no thousands separator."),
    "number_negative": _("The value must not be negative."),
    "number_positive": _("The value must be greater than zero."),
    "number_too_large": _("The value is too large."),
    "number_places": _("At most %(places)s decimal places are allowed."),
    "bool_invalid": _("“%(value)s” is not yes or no."),
    "formula_not_evaluated": _("This cell holds a formula (%(value)s); formulas are never evaluated: enter the "
                               "value itself."),
    "text_too_long": _("At most %(max)s characters are allowed."),
    "duplicate_in_file": _("%(code)s already appears in row %(row)s of this file."),
    "exists_different": _("%(code)s is already registered with another value in this column; an import never "
                          "changes registered records."),
    "code_taken": _("The code %(code)s is already registered."),
    "code_was_recoded": _("%(code)s was re-coded for cascade use as %(new_code)s."),
    "original_code_registered": _("The original code %(code)s belongs to a registered unit: re-code that unit "
                                  "instead."),
    "original_code_same": _("The original code must differ from the code."),
    "original_code_status": _("A unit with an original code is a second-life product: its status cannot be "
                              "original."),
    "parent_unknown": _("The parent %(code)s is neither registered nor in this file."),
    "parent_level": _("This unit cannot belong to that parent: a pack holds modules or cells, a module holds "
                      "cells, and a pack has no parent."),
    "model_unknown": _("No battery model with the code %(code)s is registered."),
    "unit_unknown": _("No battery unit with the code %(code)s is registered."),
    "unit_duplicate_in_shipment": _("The unit %(code)s is already listed for this shipment in row %(row)s."),
    "header_conflict": _("This value differs from the one given for shipment %(reference)s in row %(row)s."),
    "counterparty_unknown": _("No organisation with the Cellpass address “%(slug)s” exists."),
    "counterparty_self": _("The counterparty cannot be your own organisation."),
    "counterparty_required": _("Name the counterparty and its country, or give its Cellpass address."),
    "arrival_before_dispatch": _("The arrival date is before the dispatch date."),
    "mass_needs_chemistry": _("A net mass needs its chemistry, and a chemistry its net mass."),
})

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
DATE_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
HEADING_NOISE = re.compile(r"[\s_*()（）:：\-]+")


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise  # the English heading; its zh-Hans translation is the Chinese heading
    required: bool = False
    example: str = ""
    help: str | Promise = ""


UNIT_COLUMNS: tuple[Column, ...] = (
    Column("code", _("Code"), True, "X12PEPM27KLPCLX2M2382320",
           _("GB/T 34014 code (24 characters), (01)GTIN(21)serial, or a passport identifier https://…/01/…/21/…")),
    Column("scheme", _("Code scheme"), False, "gbt34014",
           _("gbt34014, gs1 or eu_passport; left empty, it is recognised from the code")),
    Column("level", _("Level"), True, "pack", _("pack, module or cell")),
    Column("parent_code", _("Parent code"), False, "", _("code of the pack or module this unit belongs to")),
    Column("model_code", _("Battery model"), False, "EV-NCM-75", _("code of a registered battery model")),
    Column("status", _("Status"), False, "original",
           _("original, repurposed, reused, remanufactured or waste; empty = original")),
    Column("manufactured_on", _("Manufacture date"), False, "2024-03-15", _("YYYY-MM-DD")),
    Column("original_code", _("Original code"), False, "", _("for cascade-use products: the code before re-coding")),
    Column("mass_kg", _("Mass (kg)"), False, "412.5", _("decimal point, no thousands separator")),
    Column("gtin", _("GTIN"), False, "", _("8 to 14 digits with check digit")),
    Column("serial", _("Serial number"), False, "", _("GS1 AI 21, up to 20 characters")),
)

SHIPMENT_HEAD_KEYS = (
    "direction", "status", "counterparty_platform", "counterparty_name", "counterparty_country",
    "counterparty_registration_id", "origin_country", "destination_country", "hs_code", "un_number",
    "special_provision", "packing_instruction", "is_waste", "waste_code", "dispatch_date", "arrival_date", "notes",
)
SHIPMENT_COLUMNS: tuple[Column, ...] = (
    Column("reference", _("Shipment reference"), True, "SO-2026-0001", _("your consignment number")),
    Column("direction", _("Direction"), True, "outbound", _("outbound or inbound")),
    Column("status", _("Status"), False, "draft", _("draft, dispatched, received; empty = draft")),
    Column("counterparty_platform", _("Counterparty Cellpass address"), False, "",
           _("the counterparty's address on Cellpass, when it is on the platform")),
    Column("counterparty_name", _("Counterparty"), False, "EcoCycle Batterierecycling GmbH", _("name")),
    Column("counterparty_country", _("Counterparty country"), False, "DE", _("ISO 3166 two-letter code")),
    Column("counterparty_registration_id", _("Counterparty registration ID"), False, "DE123456789012345",
           _("e.g. EORI, VAT or unified social credit code")),
    Column("origin_country", _("Country of origin"), False, "CN", _("ISO 3166 two-letter code")),
    Column("destination_country", _("Country of destination"), False, "DE", _("ISO 3166 two-letter code")),
    Column("hs_code", _("HS code"), False, "8549.13", _("6 to 10 digits")),
    Column("un_number", _("UN number"), False, "UN3480", _("e.g. UN3480")),
    Column("special_provision", _("Special provision"), False, "377", _("ADR special provision, e.g. 377")),
    Column("packing_instruction", _("Packing instruction"), False, "P909", _("e.g. P909")),
    Column("is_waste", _("Shipped as waste"), False, "yes", _("yes or no")),
    Column("waste_code", _("Waste code"), False, "16 06 05", _("EU List of Waste or Basel code")),
    Column("dispatch_date", _("Dispatch date"), False, "2026-05-04", _("YYYY-MM-DD")),
    Column("arrival_date", _("Arrival date"), False, "", _("YYYY-MM-DD")),
    Column("notes", _("Notes"), False, "", ""),
    Column("unit_code", _("Unit code"), False, "X12PEPM27KLPCLX2M2382320", _("one unit of this shipment per row")),
    Column("chemistry", _("Chemistry"), False, "ncm", _("lfp, ncm, nca, …: with the net mass")),
    Column("net_mass_kg", _("Net mass (kg)"), False, "412.5", _("net mass of this line")),
)

LAYOUTS: dict[str, tuple[Column, ...]] = {ImportKind.UNITS: UNIT_COLUMNS, ImportKind.SHIPMENTS: SHIPMENT_COLUMNS}


def column_label(kind: str, key: str) -> str:
    for column in LAYOUTS.get(kind, ()):
        if column.key == key:
            return str(column.label)
    return key


def _normalise_heading(text: str) -> str:
    return HEADING_NOISE.sub("", (text or "").replace("\ufeff", "")).lower()


def _headings(column: Column) -> set[str]:
    names = {column.key, str(column.label)}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            names.add(str(column.label))
    return {_normalise_heading(n) for n in names}


def map_header(kind: str, header: list[str]) -> tuple[dict[str, int], list[tuple[str, Issue]]]:
    """Column key -> cell index, from headings in English or Chinese (case, spaces, underscores, brackets
    and a trailing * ignored). Missing required or repeated columns are errors; unknown ones warnings."""
    columns = LAYOUTS[kind]
    lookup: dict[str, str] = {}
    for column in columns:
        for name in _headings(column):
            lookup.setdefault(name, column.key)
    index: dict[str, int] = {}
    issues: list[tuple[str, Issue]] = []
    for position, heading in enumerate(header):
        name = _normalise_heading(heading)
        if not name:
            continue
        key = lookup.get(name)
        if key is None:
            issues.append(("", warning("column_unknown", heading=heading.strip()[:60])))
        elif key in index:
            issues.append((key, error("column_duplicate", column=heading.strip()[:60])))
        else:
            index[key] = position
    for column in columns:
        if column.required and column.key not in index:
            issues.append((column.key, error("column_missing", column=column.key)))
    return index, issues


# --- values ----------------------------------------------------------------------------------

_CHOICE_CACHE: dict[str, dict[str, str]] = {}
EXTRA_ALIASES: dict[str, dict[str, str]] = {
    "level": {"p": "pack", "m": "module", "c": "cell", "包": "pack", "电池包": "pack", "模组": "module",
              "模块": "module", "电芯": "cell", "单体": "cell", "单体电池": "cell"},
    "status": {"re-used": "reused", "梯次利用": "repurposed", "新品": "original"},
    "direction": {"out": "outbound", "in": "inbound", "出口": "outbound", "发出": "outbound", "发货": "outbound",
                  "进口": "inbound", "接收": "inbound", "收货": "inbound"},
    "chemistry": {"三元": "ncm", "磷酸铁锂": "lfp", "锰酸锂": "lmo", "钴酸锂": "lco", "钛酸锂": "lto",
                  "钠离子": "sodium_ion", "铅酸": "lead_acid", "nmc": "ncm"},
}
CHOICES: dict[str, Any] = {"level": UnitLevel, "status": UnitStatus, "scheme": CodeScheme,
                           "direction": ShipmentDirection, "shipment_status": ShipmentStatus,
                           "chemistry": Chemistry}


def _aliases(name: str) -> dict[str, str]:
    if name not in _CHOICE_CACHE:
        mapping: dict[str, str] = {}
        for value, label in CHOICES[name].choices:
            mapping[value.lower()] = value
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    mapping.setdefault(str(label).strip().lower(), value)
        for alias, value in EXTRA_ALIASES.get("status" if name == "shipment_status" else name, {}).items():
            if value in dict(CHOICES[name].choices):
                mapping.setdefault(alias, value)
        _CHOICE_CACHE[name] = mapping
    return _CHOICE_CACHE[name]


def parse_choice(value: str, name: str) -> tuple[str, Issue | None]:
    found = _aliases(name).get(value.strip().lower())
    if found is None:
        return "", error("choice_invalid", value=value[:60], choices=", ".join(v for v, _l in CHOICES[name].choices))
    return found, None


def _formula(value: str) -> Issue | None:
    return error("formula_not_evaluated", value=value[:60]) if value.startswith("=") else None


def parse_date(value: str, *, today: date | None = None) -> tuple[date | None, Issue | None]:
    if problem := _formula(value):
        return None, problem
    match = DATE_YMD.fullmatch(value) or DATE_COMPACT.fullmatch(value)
    if match is None:
        return None, error("date_invalid", value=value[:60])
    try:
        parsed = date(*(int(g) for g in match.groups()[:3]))
    except ValueError:
        return None, error("date_invalid", value=value[:60])
    if today is not None and parsed > today:
        return None, error("date_future", value=parsed.isoformat())
    return parsed, None


def parse_decimal(value: str, *, max_digits: int, places: int, positive: bool = False,
                  ) -> tuple[Decimal | None, Issue | None]:
    if problem := _formula(value):
        return None, problem
    text = value.replace(" ", "")
    if not NUMBER.fullmatch(text):
        return None, error("number_invalid", value=value[:60])
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, error("number_invalid", value=value[:60])
    if number < 0:
        return None, error("number_negative")
    if positive and number == 0:
        return None, error("number_positive")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return None, error("number_places", places=places)
    if number >= Decimal(10) ** (max_digits - places):
        return None, error("number_too_large")
    return number, None


BOOL_VALUES = {"yes": True, "y": True, "true": True, "1": True, "是": True, "x": True,
               "no": False, "n": False, "false": False, "0": False, "否": False}


def parse_bool(value: str) -> tuple[bool | None, Issue | None]:
    found = BOOL_VALUES.get(value.strip().lower())
    if found is None:
        return None, error("bool_invalid", value=value[:60])
    return found, None


def normalise_reference_code(value: str) -> str:
    """A code used as a reference (parent, original, shipment line) in the form it is stored in."""
    value = value.strip()
    scheme = codes.detect_scheme(value)
    if scheme is None:
        return value
    result = codes.validate_unit_code(scheme=scheme, code=value)
    return result.value if result.ok else value


# --- rows ------------------------------------------------------------------------------------

Found = list[tuple[str, Issue]]  # (column key, issue)


def _text(value: str, key: str, found: Found, max_length: int) -> str:
    if len(value) > max_length:
        found.append((key, error("text_too_long", max=max_length)))
        return value[:max_length]
    return value


LEVEL_PARENTS: dict[str, tuple[str, ...]] = {"pack": (), "module": ("pack",), "cell": ("module", "pack")}


def parent_level_ok(level: str, parent_level: str) -> bool:
    """GB/T 34014 hierarchy pack -> module -> cell [C: CHINAAUTOREGS, CX-TBC-TTL]; a cell may sit directly in a
    pack (cell-to-pack designs); a pack has no parent."""
    return parent_level in LEVEL_PARENTS.get(level, ())


def check_unit_fields(*, code: str, scheme: str, level: str, status: str, original_code: str = "", gtin: str = "",
                      serial: str = "", manufactured_on: date | None = None, today: date | None = None,
                      chemistry: str | None = None, gbt_rules: codes.Gbt34014Rules = codes.DEFAULT_GBT_RULES,
                      passport_hosts: tuple[str, ...] = ()) -> tuple[dict[str, Any], Found]:
    """The rules of one unit's own fields, shared by the services (forms, API) and the import: the code in
    its scheme (recognised when not given) and at its level, GTIN/serial, the original code of a cascade-use
    product, the manufacture date. `level` and `status` are valid values or "" (then not compared)."""
    found: Found = []
    code, gtin, serial = (code or "").strip(), (gtin or "").strip(), (serial or "").strip()
    if code.startswith("="):
        found.append(("code", error("formula_not_evaluated", value=code[:60])))
        scheme = ""
    elif not scheme:
        scheme = codes.detect_scheme(code) or ("gs1" if not code and gtin and serial else "")
        if not scheme:
            found.append(("code" if not code else "scheme",
                          error("value_required") if not code else error("scheme_undetectable")))
    elif scheme not in codes.SCHEMES:
        found.append(("scheme", error("scheme_unknown", scheme=scheme[:30])))
        scheme = ""
    if scheme:
        check = codes.validate_unit_code(scheme=scheme, code=code, level=level or None, gtin=gtin, serial=serial,
                                         chemistry=chemistry, gbt_rules=gbt_rules, passport_hosts=passport_hosts)
        found.extend(("code", issue) for issue in check.issues)
        code = check.value
        if scheme != codes.SCHEME_GBT34014:
            gtin, serial = check.parts.get("gtin", gtin), check.parts.get("serial", serial)
    if scheme == codes.SCHEME_GBT34014:
        if gtin:
            gtin_check = codes.validate_gtin(gtin)
            found.extend(("gtin", issue) for issue in gtin_check.issues)
            gtin = gtin_check.value
        if serial:
            found.extend(("serial", issue) for issue in codes.validate_gs1_serial(serial).issues)
    original_code = normalise_reference_code(original_code or "")
    if len(original_code) > 64:
        found.append(("original_code", error("text_too_long", max=64)))
    if original_code and original_code == code:
        found.append(("original_code", error("original_code_same")))
    if original_code and status == UnitStatus.ORIGINAL:
        found.append(("status", error("original_code_status")))
    if manufactured_on and today and manufactured_on > today:
        found.append(("manufactured_on", error("date_future", value=manufactured_on.isoformat())))
    return {"code": code[:64], "scheme": scheme, "gtin": gtin[:14], "serial": serial[:20],
            "original_code": original_code[:64]}, found


def parse_unit_row(cells: list[str], index: Mapping[str, int], *, today: date,
                   gbt_rules: codes.Gbt34014Rules = codes.DEFAULT_GBT_RULES,
                   passport_hosts: tuple[str, ...] = ()) -> tuple[tuple | None, Found]:
    """One unit row -> the tuple to stage (code, scheme, level, parent_code, model_code, status,
    manufactured_on, original_code, mass_kg, gtin, serial) and the problems found. None for a blank row."""
    width = len(cells)
    raw = {key: cells[i].strip() if i < width else "" for key, i in index.items()}
    if not any(raw.values()):
        return None, []
    found: Found = []
    get = raw.get
    level = scheme = ""
    if get("level"):
        level, problem = parse_choice(get("level", ""), "level")
        if problem:
            found.append(("level", problem))
    else:
        found.append(("level", error("value_required")))
    if get("scheme"):
        scheme, problem = parse_choice(get("scheme", ""), "scheme")
        if problem:
            found.append(("scheme", problem))
            scheme = "?"
    status = UnitStatus.ORIGINAL.value
    if get("status"):
        status, problem = parse_choice(get("status", ""), "status")
        if problem:
            found.append(("status", problem))
    manufactured_on = mass = None
    if get("manufactured_on"):
        manufactured_on, problem = parse_date(get("manufactured_on", ""), today=today)
        if problem:
            found.append(("manufactured_on", problem))
    if get("mass_kg"):
        mass, problem = parse_decimal(get("mass_kg", ""), max_digits=10, places=3)
        if problem:
            found.append(("mass_kg", problem))
    if scheme != "?":
        clean, issues = check_unit_fields(code=get("code", ""), scheme=scheme, level=level, status=status,
                                          original_code=get("original_code", ""), gtin=get("gtin", ""),
                                          serial=get("serial", ""), gbt_rules=gbt_rules,
                                          passport_hosts=passport_hosts)
        found.extend(issues)
    else:
        clean = {"code": get("code", "")[:64], "scheme": "", "gtin": "", "serial": "",
                 "original_code": get("original_code", "")[:64]}
    parent_code = _text(normalise_reference_code(get("parent_code", "")), "parent_code", found, 64)
    model_code = _text(get("model_code", ""), "model_code", found, 64)
    return (clean["code"], clean["scheme"], level, parent_code, model_code, status, manufactured_on,
            clean["original_code"], mass, clean["gtin"], clean["serial"]), found


class UnitRowParser:
    """`parse_unit_row` for every row of one file. The common row (a valid 24-character GB/T 34014 code with
    plain values) takes a fast path that yields exactly what `parse_unit_row` yields; any other row goes through
    `parse_unit_row` itself, so every finding is the same as in the forms and the API."""

    KEYS = ("code", "scheme", "level", "parent_code", "model_code", "status", "manufactured_on", "original_code",
            "mass_kg", "gtin", "serial")

    def __init__(self, index: Mapping[str, int], *, today: date,
                 gbt_rules: codes.Gbt34014Rules = codes.DEFAULT_GBT_RULES, passport_hosts: tuple[str, ...] = ()):
        self.index, self.today, self.rules, self.hosts = index, today, gbt_rules, passport_hosts
        self.positions = tuple(index.get(key) for key in self.KEYS)
        self.levels, self.statuses = _aliases("level"), _aliases("status")
        self.standard = gbt_rules._standard  # type: ignore[attr-defined]
        self.letters = codes.LEVEL_PRODUCT_TYPE

    def __call__(self, cells: list[str]) -> tuple[tuple | None, Found]:
        width = len(cells)
        code, scheme, level, parent, model, status, made, original, mass, gtin, serial = [
            cells[i].strip() if i is not None and i < width else "" for i in self.positions]
        fast = (not original and not gtin and not serial and len(code) == 24 and len(model) <= 64
                and (not scheme or scheme.lower() == "gbt34014"))
        if fast:
            code = code.upper()
            level = self.levels.get(level.lower(), "")
            status = self.statuses.get(status.lower(), "") if status else "original"
            fast = (bool(level and status) and self.standard.fullmatch(code) is not None
                    and self.letters[level] == code[3] and code[17:] != "0000000")
        if fast and parent:
            parent = parent.upper()
            fast = len(parent) == 24 and self.standard.fullmatch(parent) is not None
        manufactured_on = amount = None
        if fast and made:
            fast = len(made) == 10 and made[4] == "-" and made[7] == "-" and made[:4].isdigit()
            if fast:
                try:
                    manufactured_on = date(int(made[:4]), int(made[5:7]), int(made[8:]))
                except ValueError:
                    fast = False
                else:
                    fast = manufactured_on <= self.today
        if fast and mass:
            amount, problem = parse_decimal(mass, max_digits=10, places=3)
            fast = problem is None
        if not fast:
            return parse_unit_row(cells, self.index, today=self.today, gbt_rules=self.rules,
                                  passport_hosts=self.hosts)
        return (code, "gbt34014", level, parent, model, status, manufactured_on, "", amount, "", ""), []


def parse_shipment_row(cells: list[str], index: Mapping[str, int], *, today: date,
                       waste_rules: trade_codes.WasteCodeRules = trade_codes.DEFAULT_WASTE_RULES,
                       ) -> tuple[dict[str, Any] | None, Found]:
    """One shipment line -> {key: normalised value or None when blank} and the format problems found.
    Cross-field rules (required columns, SP vs packing instruction …) are checked once per shipment on the
    merged header (`check_shipment_header`)."""
    width = len(cells)
    raw = {key: cells[i].strip() if i < width else "" for key, i in index.items()}
    if not any(raw.values()):
        return None, []
    found: Found = []
    values: dict[str, Any] = {}

    def take(key: str, parser: Callable[[str], tuple[Any, Issue | None]]) -> None:
        text = raw.get(key, "")
        if not text:
            values[key] = None
            return
        value, problem = parser(text)
        if problem:
            found.append((key, problem))
        values[key] = value

    def code_parser(validator: Callable[[str], tuple[str, tuple[Issue, ...]]]):
        def parse(text: str) -> tuple[str, Issue | None]:
            value, issues = validator(text)
            errors = [i for i in issues if i.is_error and i.code not in ("pi_sp_mismatch",)]
            return value, errors[0] if errors else None
        return parse

    reference = raw.get("reference", "")
    if not reference:
        found.append(("reference", error("value_required")))
    values["reference"] = _text(reference, "reference", found, 64)
    take("direction", lambda t: parse_choice(t, "direction"))
    take("status", lambda t: parse_choice(t, "shipment_status"))
    for key, length in (("counterparty_platform", 40), ("counterparty_name", 200),
                        ("counterparty_registration_id", 40), ("notes", 2000)):
        values[key] = _text(raw.get(key, ""), key, found, length) or None
    for key in ("counterparty_country", "origin_country", "destination_country"):
        take(key, code_parser(trade_codes.validate_country))
    take("hs_code", code_parser(trade_codes.validate_hs_code))
    take("un_number", code_parser(trade_codes.validate_un_number))
    take("special_provision", code_parser(trade_codes.validate_special_provisions))
    take("packing_instruction", code_parser(trade_codes.validate_packing_instruction))
    take("waste_code", code_parser(lambda t: trade_codes.validate_waste_code(t, rules=waste_rules)))
    take("is_waste", parse_bool)
    take("dispatch_date", lambda t: parse_date(t))
    take("arrival_date", lambda t: parse_date(t))
    values["unit_code"] = normalise_reference_code(raw.get("unit_code", "")) or None
    take("chemistry", lambda t: parse_choice(t, "chemistry"))
    take("net_mass_kg", lambda t: parse_decimal(t, max_digits=14, places=3, positive=True))
    if bool(raw.get("chemistry")) != bool(raw.get("net_mass_kg")):
        found.append(("net_mass_kg" if raw.get("chemistry") else "chemistry", error("mass_needs_chemistry")))
    return values, found


@dataclass(frozen=True)
class Counterparty:
    """An organisation on the platform, as the register needs it."""

    id: Any
    name: str
    country: str


def check_shipment_header(values: Mapping[str, Any], *, own_organisation_id: Any,
                          counterparty: Counterparty | None,
                          waste_rules: trade_codes.WasteCodeRules = trade_codes.DEFAULT_WASTE_RULES,
                          ) -> tuple[dict[str, Any], Found]:
    """The rules of one shipment's own fields, shared by the forms/API (through the services) and the
    import: direction, counterparty (on the platform, else name and country), codes and their cross rules
    (REFERENCE §6), dates. `values` holds normalised values or None/"" for blanks; `counterparty` is the
    platform organisation named by `counterparty_platform`, already looked up (None when unknown)."""
    found: Found = []
    clean: dict[str, Any] = {key: values.get(key) for key in SHIPMENT_HEAD_KEYS}
    for key in ("counterparty_platform", "counterparty_name", "counterparty_country", "counterparty_registration_id",
                "origin_country", "destination_country", "hs_code", "un_number", "special_provision",
                "packing_instruction", "waste_code", "notes"):
        clean[key] = (clean.get(key) or "").strip()
    if not clean.get("direction"):
        found.append(("direction", error("value_required")))
    clean["status"] = clean.get("status") or ShipmentStatus.DRAFT
    clean["is_waste"] = bool(clean.get("is_waste"))
    clean["counterparty_organisation_id"] = None
    if clean["counterparty_platform"]:
        if counterparty is None:
            found.append(("counterparty_platform", error("counterparty_unknown", slug=clean["counterparty_platform"])))
        elif str(counterparty.id) == str(own_organisation_id):
            found.append(("counterparty_platform", error("counterparty_self")))
        else:
            clean["counterparty_organisation_id"] = counterparty.id
            clean["counterparty_name"] = clean["counterparty_name"] or counterparty.name
            clean["counterparty_country"] = clean["counterparty_country"] or counterparty.country
    elif not clean["counterparty_name"] or not clean["counterparty_country"]:
        found.append(("counterparty_name" if not clean["counterparty_name"] else "counterparty_country",
                      error("counterparty_required")))
    for key in ("counterparty_country", "origin_country", "destination_country"):
        clean[key], issues = trade_codes.validate_country(clean[key])
        found.extend((key, i) for i in issues)
    shipment_codes, issues = trade_codes.validate_shipment_codes(trade_codes.ShipmentCodes(
        clean["hs_code"], clean["un_number"], clean["special_provision"], clean["packing_instruction"],
        clean["waste_code"], clean["is_waste"]), waste_rules=waste_rules)
    found.extend(issues)
    clean.update(hs_code=shipment_codes.hs_code, un_number=shipment_codes.un_number,
                 special_provision=shipment_codes.special_provision,
                 packing_instruction=shipment_codes.packing_instruction, waste_code=shipment_codes.waste_code)
    if clean.get("dispatch_date") and clean.get("arrival_date") and clean["arrival_date"] < clean["dispatch_date"]:
        found.append(("arrival_date", error("arrival_before_dispatch")))
    return clean, found
