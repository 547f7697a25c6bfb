"""The evidence type registry (pure, no database): for every `EvidenceType` its names in zh-Hans and en,
its structured key fields with their validation, and whether its revisions carry a validity window.

Checklists, dossiers and exports read `EvidenceRevision.key_fields` by the field names below (also
listed in docs/evidence.md). Every regulatory value carries its source key from ../shared/REFERENCE.md.

Decisions:
- Assay report: element percentages are 0–100 each and their sum may not exceed 100 %; a report whose
  percentages add up to more is refused at upload with a message naming the sum (a sum above 100 % is
  a typing error, never a measurement) [REFERENCE §5.2, SKYBEAR; §2.9, NEAA].
- Recycled-content declaration: for each of Co, Li, Ni, Pb the pre- and post-consumer shares are
  0–100 % and together at most 100 % [REFERENCE §1.3, HAUFE-ART8, DIN99100 §6.6.2.2, BP-CIRC-TTL].
- Weighbridge ticket: net = gross − tare within 1 kg (net is derived when left empty); tare ≤ gross.
- Validity: contracts, permits, recycled-content and carbon-footprint documents carry their validity in
  the revision's `effective_date` / `expiry_date`, not in key fields (one place for the nightly expiry).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.traceability.models import CustodyModel, Element

from .keyfields import Field, Kind, Problem, Spec, decimal_text, regex_normaliser, typed, validate
from .models import EvidenceType

ZERO = Decimal(0)
HUNDRED = Decimal(100)
TONNE = Decimal(1000)


@dataclass(frozen=True)
class DocType:
    code: str
    spec: Spec
    effective_required: bool = False
    expiry_required: bool = False
    validity_label: tuple[str | Promise, str | Promise] = (_("Effective from"), _("Expires on"))
    sources: tuple[str, ...] = ()

    @property
    def label(self) -> str | Promise:
        return EvidenceType(self.code).label

    @property
    def name_en(self) -> str:
        with translation.override("en"):
            return str(self.label)

    @property
    def name_zh(self) -> str:
        with translation.override("zh-hans"):
            return str(self.label)

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.spec.fields

    def validate(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        return validate(self.spec, raw)

    def typed(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        return typed(self.spec, stored)


# --- normalisers of codes printed on documents ---------------------------------------------

# "UN3480", "UN 3480", "3480" -> "UN3480" [REFERENCE §6.4, BATTRANSPORT]
un_number = regex_normaliser(r"(?:UN)?\s?(\d{4})", lambda m: f"UN{m.group(1)}")
# "SP377", "SV 376", "377" -> "377" (ADR special provisions) [REFERENCE §6.4, GEFAHRGUT-376]
special_provision = regex_normaliser(r"(?:SP|SV)?\s?(\d{1,4})", lambda m: str(int(m.group(1))))
# "P909", "LP 904" -> "P909", "LP904" [REFERENCE §6.4]
packing_instruction = regex_normaliser(r"(L?P)\s?(\d{3})", lambda m: f"{m.group(1).upper()}{m.group(2)}")
# HS / CN codes, 6 to 10 digits, dots and spaces dropped: "8549.13" -> "854913" [REFERENCE §6.3, 121EXPORT]
hs_code = regex_normaliser(r"(\d{4})[.\s]?(\d{2})((?:[.\s]?\d{2}){0,2})",
                           lambda m: (m.group(1) + m.group(2) + m.group(3)).replace(".", "").replace(" ", ""))
# European List of Waste: "160605", "16 06 01*" -> "16 06 01*" [REFERENCE §6.2, ECOTIC]
waste_code = regex_normaliser(r"(\d{2})\s?(\d{2})\s?(\d{2})\s?(\*?)",
                              lambda m: f"{m.group(1)} {m.group(2)} {m.group(3)}{m.group(4)}")
# Basel Annex VIII/IX and Y codes: "a1170" -> "A1170", "Y31" [REFERENCE §6.1, LEGISGOV-A1170, ULAB]
basel_code = regex_normaliser(r"([AB]\d{4}|Y\d{1,2})", lambda m: m.group(1).upper())

def iso_datetime(text: str) -> str:
    """An ISO 8601 date and time with its zone ("2026-03-06T09:30:00+08:00", "…Z"): BMS read-outs are
    time-stamped, and a passport's `lastUpdate` needs the zone [REFERENCE §1.7, BP data model Timestamp]."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(text)
    return parsed.isoformat()


def email_address(text: str) -> str:
    try:
        EmailValidator()(text.strip())
    except ValidationError:
        raise ValueError(text) from None
    return text.strip()


# Carbon-footprint performance class: a letter, A the best [REFERENCE §1.2]; the number of classes is
# set by a delegated act not adopted yet, so any one letter (optionally with +) is taken.
performance_class = regex_normaliser(r"([A-Za-z]\+{0,2})", lambda m: m.group(1).upper())
# Battery Pass `warrentyPeriod` is typed xsd:gMonth ("--MM") [REFERENCE §4.4 #8; docs/exports.md]
warranty_month = regex_normaliser(r"--(0[1-9]|1[0-2])", lambda m: f"--{m.group(1)}")
# CAS registry number, e.g. 7439-93-2 [BP MaterialComposition]
cas_number = regex_normaliser(r"(\d{2,7})-(\d{2})-(\d)", lambda m: f"{m.group(1)}-{m.group(2)}-{m.group(3)}")

HINT_UN = _("UN number, e.g. UN3480")
HINT_SP = _("special provision number, e.g. 377")
HINT_PI = _("packing instruction, e.g. P909 or LP904")
HINT_HS = _("6 to 10 digits, e.g. 8549.13")
HINT_WASTE = _("six digits, hazardous with *, e.g. 16 06 01*")
HINT_BASEL = _("Basel code, e.g. A1170, B1090 or Y31")
HINT_DATETIME = _("date and time with zone, e.g. 2026-03-06T09:30:00+08:00")
HINT_EMAIL = _("e-mail address")
HINT_CLASS = _("a letter, A the best")
HINT_WARRANTY = _("a month as --MM, e.g. --08")
HINT_CAS = _("CAS number, e.g. 7439-93-2")


# --- shared field builders -------------------------------------------------------------------

def text(name: str, label: str | Promise, required: bool = False, **kw: Any) -> Field:
    return Field(name, label, Kind.TEXT, required=required, **kw)


def mass(name: str, label: str | Promise, required: bool = False, unit: str = "kg", **kw: Any) -> Field:
    return Field(name, label, Kind.DECIMAL, required=required, unit=unit, min_value=ZERO, **kw)


def day(name: str, label: str | Promise, required: bool = False, **kw: Any) -> Field:
    return Field(name, label, Kind.DATE, required=required, **kw)


def count(name: str, label: str | Promise, required: bool = False, min_value: Decimal = ZERO, **kw: Any) -> Field:
    return Field(name, label, Kind.INTEGER, required=required, min_value=min_value, **kw)


def percent(name: str, label: str | Promise, required: bool = False, **kw: Any) -> Field:
    return Field(name, label, Kind.DECIMAL, required=required, unit="%", min_value=ZERO, max_value=HUNDRED, **kw)


def number(name: str, label: str | Promise, required: bool = False, unit: str = "", **kw: Any) -> Field:
    """A decimal that may be negative (temperatures, changes)."""
    return Field(name, label, Kind.DECIMAL, required=required, unit=unit, **kw)


def url(name: str, label: str | Promise, required: bool = False, **kw: Any) -> Field:
    return Field(name, label, Kind.URL, required=required, max_length=500, **kw)


def email(name: str, label: str | Promise, **kw: Any) -> Field:
    return Field(name, label, Kind.TEXT, normalise=email_address, format_hint=HINT_EMAIL, max_length=254, **kw)


def country(name: str, label: str | Promise, required: bool = False, **kw: Any) -> Field:
    return Field(name, label, Kind.COUNTRY, required=required, **kw)


def address(prefix: str, who: str | Promise) -> tuple[Field, ...]:
    """Name, identifier, postal address and contacts of a party, as the passport names them
    (Battery Pass `manufacturerInformation` / `operatorInformation`) [REFERENCE §4.4 #3, #4]."""
    return (text(f"{prefix}_name", format_lazy("{}: {}", who, _("name"))),
            text(f"{prefix}_identifier", format_lazy("{}: {}", who, _("identifier (ISO/IEC 15459, VAT …)")),
                 max_length=100),
            text(f"{prefix}_street", format_lazy("{}: {}", who, _("street address"))),
            text(f"{prefix}_postal_code", format_lazy("{}: {}", who, _("postal code")), max_length=20),
            country(f"{prefix}_country", format_lazy("{}: {}", who, _("country"))),
            email(f"{prefix}_email", format_lazy("{}: {}", who, _("e-mail"))),
            url(f"{prefix}_web", format_lazy("{}: {}", who, _("web address"))))


def un_field(required: bool = False) -> Field:
    return Field("un_number", _("UN number"), Kind.TEXT, required=required, normalise=un_number,
                 format_hint=HINT_UN, source="REFERENCE §6.4 BATTRANSPORT")


def sp_field() -> Field:
    return Field("special_provision", _("Transport special provision"), Kind.TEXT, normalise=special_provision,
                 format_hint=HINT_SP, help_text=_("ADR SP 376 damaged/defective, SP 377 for disposal or recycling."),
                 source="REFERENCE §6.4 GEFAHRGUT-376")


def pi_field() -> Field:
    return Field("packing_instruction", _("Packing instruction"), Kind.TEXT, normalise=packing_instruction,
                 format_hint=HINT_PI, source="REFERENCE §6.4 LIONCARE")


def hs_field(required: bool = False) -> Field:
    return Field("hs_code", _("HS code"), Kind.TEXT, required=required, normalise=hs_code, format_hint=HINT_HS,
                 help_text=_("Waste Li-ion batteries: 8549.13 (sorted) or 8549.14 (unsorted)."),
                 source="REFERENCE §6.3 121EXPORT")


# --- cross-field checks ----------------------------------------------------------------------

def _dec(data: Mapping[str, Any], name: str) -> Decimal | None:
    return Decimal(data[name]) if name in data else None


def not_before(start: str, end: str) -> Any:
    def check(data: dict[str, Any]) -> list[Problem]:
        if start in data and end in data and data[end] < data[start]:
            return [Problem(end, "dates_reversed", _("This date is before the start date."))]
        return []

    return check


def gross_not_below_net(net: str = "net_mass_kg", gross: str = "gross_mass_kg") -> Any:
    def check(data: dict[str, Any]) -> list[Problem]:
        n, g = _dec(data, net), _dec(data, gross)
        if n is not None and g is not None and g < n:
            return [Problem(gross, "gross_below_net", _("The gross mass cannot be less than the net mass."))]
        return []

    return check


def weighbridge_balance(data: dict[str, Any]) -> list[Problem]:
    """net = gross − tare (1 kg tolerance); net derived when missing."""
    gross, tare, net = _dec(data, "gross_kg"), _dec(data, "tare_kg"), _dec(data, "net_kg")
    if gross is None or tare is None:
        return []
    if tare > gross:
        return [Problem("tare_kg", "tare_above_gross", _("The tare cannot exceed the gross weight."))]
    expected = gross - tare
    if net is None:
        data["net_kg"] = decimal_text(expected)
        return []
    if abs(net - expected) > 1:
        return [Problem("net_kg", "net_mismatch",
                        _("Net weight must equal gross minus tare (%(expected)s kg).") % {"expected": expected})]
    return []


def percent_sum_at_most_100(name: str) -> Any:
    def check(data: dict[str, Any]) -> list[Problem]:
        values = data.get(name) or {}
        total = sum((Decimal(v) for v in values.values()), ZERO)
        if total > HUNDRED:
            return [Problem(name, "percent_sum_over_100",
                            _("The percentages add up to %(total)s %%; together they cannot exceed 100 %%.")
                            % {"total": decimal_text(total)})]
        return []

    return check


def shares_at_most_100(name: str) -> Any:
    def check(data: dict[str, Any]) -> list[Problem]:
        problems = []
        for material, parts in (data.get(name) or {}).items():
            total = sum((Decimal(v) for v in parts.values()), ZERO)
            if total > HUNDRED:
                problems.append(Problem(f"{name}.{material}", "share_sum_over_100",
                                        _("Pre- and post-consumer shares add up to %(total)s %%; together they "
                                          "cannot exceed 100 %%.") % {"total": decimal_text(total)}))
        return problems

    return check


def not_above(low: str, high: str) -> Any:
    """A minimum (voltage, temperature) may not exceed its maximum."""
    def check(data: dict[str, Any]) -> list[Problem]:
        a, b = _dec(data, low), _dec(data, high)
        if a is not None and b is not None and a > b:
            return [Problem(high, "minimum_above_maximum", _("The maximum cannot be below the minimum."))]
        return []

    return check


def recovered_within_treated(data: dict[str, Any]) -> list[Problem]:
    """What a certificate says was recovered, element by element, cannot add up to more than the mass
    it says was treated (a typing error, never a measurement)."""
    recovered = data.get("recovered_kg") or {}
    treated = _dec(data, "treated_mass_kg")
    total = sum((Decimal(v) for v in recovered.values()), ZERO)
    if treated is not None and total > treated:
        return [Problem("recovered_kg", "recovered_above_treated",
                        _("The recovered masses add up to %(total)s kg, more than the %(treated)s kg treated.")
                        % {"total": decimal_text(total), "treated": decimal_text(treated)})]
    return []


def events_or_none(data: dict[str, Any]) -> list[Problem]:
    if data.get("negative_events") and data.get("no_negative_events") is True:
        return [Problem("no_negative_events", "events_contradict",
                        _("Negative events are listed, so “no negative event recorded” cannot be yes."))]
    return []


def quantity_in_kg(data: dict[str, Any]) -> list[Problem]:
    """Contracts state quantities in t or kg; `quantity_kg` is derived for the checklists."""
    data.pop("quantity_kg", None)
    if "quantity" in data:
        factor = TONNE if data.get("quantity_unit", "t") == "t" else Decimal(1)
        data.setdefault("quantity_unit", "t")
        data["quantity_kg"] = decimal_text(Decimal(data["quantity"]) * factor)
    return []


# --- choices -----------------------------------------------------------------------------------

TRANSPORT_MODES = (("road", _("Road")), ("rail", _("Rail")), ("sea", _("Sea")),
                   ("inland_waterway", _("Inland waterway")), ("air", _("Air")), ("multimodal", _("Multimodal")))
QUANTITY_UNITS = (("t", _("tonnes (t)")), ("kg", _("kilograms (kg)")))
CUSTOMS_DIRECTIONS = (("export", pgettext_lazy("customs", "Export")), ("import", pgettext_lazy("customs", "Import")),
                      ("transit", pgettext_lazy("customs", "Transit")))
# White-list qualification types of the MIIT Industry Standard Conditions [REFERENCE §2.8, OFWEEK, DONGFENG]
WHITELIST_TYPES = (("comprehensive", _("Comprehensive utilisation (综合利用)")),
                   ("cascade", _("Cascade use (梯次利用)")),
                   ("recycling", _("Recycling (再生利用)")),
                   ("not_listed", _("Not on the white list")))
ELEMENTS = tuple((e.value, e.label) for e in Element)
# Art 8 materials [REFERENCE §1.3, HAUFE-ART8; BP-CIRC-TTL recycledMaterial]
RECYCLED_MATERIALS = (("Co", _("Cobalt")), ("Li", _("Lithium")), ("Ni", _("Nickel")), ("Pb", _("Lead")))
CUSTODY_MODELS = tuple((c.value, c.label) for c in CustodyModel)
# Annex II point 4 life-cycle stages [REFERENCE §1.2, §1.8 stages]
CF_STAGES = (("raw_material_acquisition_preprocessing", _("Raw material acquisition and pre-processing")),
             ("main_product_production", _("Main product production")),
             ("distribution", _("Distribution")),
             ("end_of_life_recycling", _("End of life and recycling")))
DD_MATERIALS = (("cobalt", _("Cobalt")), ("natural_graphite", _("Natural graphite")), ("lithium", _("Lithium")),
                ("nickel", _("Nickel")))
TEST_RESULTS = (("pass", _("Pass")), ("fail", _("Fail")), ("conditional", _("Conditional")))

MASS_ROW_COLUMNS = (text("reference", _("Reference"), required=True, max_length=100),
                    mass("mass_kg", _("Mass (kg)"), required=True),
                    text("note", _("Note"), max_length=200))
# ISO 22095 mass balance: each input carries its supplier, the characteristic claimed (e.g. recycled
# post-consumer) with its share and the supplier's declaration; each output the lot it credits, the
# share claimed and the customer [REFERENCE §5.2 SKYBEAR, MARTECH-ISCC]. The first columns stay those
# of MASS_ROW_COLUMNS so rows typed as "reference; mass; note" still read the same.
MASS_INPUT_COLUMNS = MASS_ROW_COLUMNS + (
    text("supplier", _("Supplier")),
    text("characteristic", _("Characteristic (e.g. recycled post-consumer)")),
    percent("share_pct", _("Share with the characteristic (%)")),
    text("declaration_ref", _("Supplier declaration"), max_length=100))
MASS_OUTPUT_COLUMNS = (
    text("reference", _("Output lot code"), required=True, max_length=100),
    mass("mass_kg", _("Mass (kg)"), required=True),
    text("note", _("Note"), max_length=200),
    percent("claimed_share_pct", _("Share claimed (%)")),
    text("customer", _("Customer")))

# Battery Pass v1.2 enumerations [REFERENCE §4.4; DIN DKE SPEC 99100]
BATTERY_COMPONENTS = (("pack", _("Pack")), ("module", _("Module")), ("cell", _("Cell")))
DISMANTLING_DOCUMENT_TYPES = (("BillOfMaterial", _("Bill of material")), ("Model3D", _("3D model")),
                              ("DismantlingManual", _("Dismantling manual")), ("RemovalManual", _("Removal manual")),
                              ("OtherManual", _("Other manual")), ("Drawing", _("Drawing")))
HAZARD_CLASSES = (("AcuteToxicity", _("Acute toxicity")),
                  ("SkinCorrosionOrIrritation", _("Skin corrosion or irritation")),
                  ("EyeDamageOrIrritation", _("Eye damage or irritation")))
LABEL_SUBJECTS = (("SeparateCollection", _("Separate collection")), ("HazardousMaterial", _("Hazardous material")),
                  ("CarbonFootPrint", _("Carbon footprint")), ("ExtinguishingAgent", _("Extinguishing agent")))

ROWS_HELP = _("One per line, values separated by semicolons: %(columns)s.")


def rows(name: str, label: str | Promise, columns: tuple[Field, ...], required: bool = False, **kw: Any) -> Field:
    """A table; the web form takes one row per line with the columns in this order (help text)."""
    def render() -> str:
        return str(ROWS_HELP) % {"columns": "; ".join(str(c.label) for c in columns)}

    return Field(name, label, Kind.ROWS, required=required, columns=columns, help_text=lazy(render, str)(), **kw)


# --- the registry --------------------------------------------------------------------------------

def _t(code: str, *fields: Field, checks: tuple = (), **kw: Any) -> DocType:
    return DocType(code=code, spec=Spec(tuple(fields), tuple(checks)), **kw)


T = EvidenceType

REGISTRY: dict[str, DocType] = {d.code: d for d in [
    _t(T.CONTRACT,
       text("contract_number", _("Contract number"), max_length=100),
       Field("parties", _("Parties"), Kind.TEXT_LIST, required=True, help_text=_("One party per line.")),
       text("counterparty", _("Counterparty"), required=True),
       text("material", _("Material or goods")),
       mass("quantity", _("Contracted quantity"), unit=""),
       Field("quantity_unit", _("Quantity unit"), Kind.CHOICE, choices=QUANTITY_UNITS),
       mass("quantity_kg", _("Contracted quantity (kg)"), derived=True),
       checks=(quantity_in_kg,), effective_required=True,
       validity_label=(_("Valid from"), _("Valid until")), sources=("DESIGN capability 3",)),
    _t(T.TRANSPORT_MANIFEST,
       text("document_number", _("Document number (CMR / B/L)"), required=True, max_length=100),
       text("carrier", _("Carrier"), required=True),
       Field("transport_mode", _("Transport mode"), Kind.CHOICE, choices=TRANSPORT_MODES),
       mass("net_mass_kg", _("Net mass (kg)"), required=True),
       mass("gross_mass_kg", _("Gross mass (kg)")),
       count("unit_count", _("Number of battery units")),
       count("package_count", _("Number of packages")),
       un_field(), sp_field(), pi_field(),
       day("dispatch_date", _("Dispatch date")),
       text("place_of_loading", _("Place of loading")),
       text("place_of_delivery", _("Place of delivery")),
       checks=(gross_not_below_net(),), sources=("REFERENCE §6.4 BATTRANSPORT", "GEFAHRGUT-376", "LIONCARE")),
    _t(T.WEIGHBRIDGE_TICKET,
       text("ticket_number", _("Ticket number"), max_length=100),
       mass("gross_kg", _("Gross weight (kg)"), required=True),
       mass("tare_kg", _("Tare weight (kg)"), required=True),
       mass("net_kg", _("Net weight (kg)"), help_text=_("Left empty: gross minus tare.")),
       day("weighed_on", _("Date weighed"), required=True),
       text("vehicle_registration", _("Vehicle registration"), max_length=40),
       text("weighbridge", _("Weighbridge (site)")),
       checks=(weighbridge_balance,), sources=("REFERENCE §5.2 MARTECH-ISCC",)),
    _t(T.DANGEROUS_GOODS_DECLARATION,
       text("document_number", _("Document number"), max_length=100),
       un_field(required=True),
       text("proper_shipping_name", _("Proper shipping name")),
       text("hazard_class", _("Hazard class"), max_length=10),
       sp_field(), pi_field(),
       mass("net_mass_kg", _("Net mass (kg)")),
       count("package_count", _("Number of packages")),
       sources=("REFERENCE §6.4 BATTRANSPORT", "GEFAHRGUT-376", "LIONCARE")),
    _t(T.CUSTOMS_DECLARATION,
       text("declaration_number", _("Declaration number"), required=True, max_length=100),
       Field("direction", _("Direction"), Kind.CHOICE, choices=CUSTOMS_DIRECTIONS),
       hs_field(required=True),
       mass("net_mass_kg", _("Net mass (kg)"), required=True),
       mass("gross_mass_kg", _("Gross mass (kg)")),
       day("declared_on", _("Declaration date")),
       text("customs_office", _("Customs office")),
       Field("country_of_destination", _("Country of destination"), Kind.COUNTRY),
       checks=(gross_not_below_net(),), sources=("REFERENCE §6.3 121EXPORT", "84547777")),
    _t(T.WASTE_MOVEMENT_DOCUMENT,
       text("notification_number", _("Notification number"), max_length=100),
       text("movement_number", _("Movement document number"), max_length=100),
       Field("waste_code", _("Waste code (EU List of Waste)"), Kind.TEXT, required=True, normalise=waste_code,
             format_hint=HINT_WASTE, source="REFERENCE §6.2 ECOTIC"),
       Field("basel_code", _("Basel code"), Kind.TEXT, normalise=basel_code, format_hint=HINT_BASEL,
             source="REFERENCE §6.1 LEGISGOV-A1170"),
       mass("quantity_kg", _("Quantity (kg)")),
       day("shipped_on", _("Date of shipment")),
       text("notifier", _("Notifier")),
       text("consignee", _("Consignee")),
       sources=("REFERENCE §6.1 EURLEX-1157", "§6.2 ECOTIC")),
    _t(T.RECEIPT,
       text("receipt_number", _("Receipt number"), max_length=100),
       day("received_on", _("Date received"), required=True),
       mass("received_net_mass_kg", _("Received net mass (kg)")),
       count("received_unit_count", _("Received battery units")),
       text("receiver", _("Received by")),
       sources=("DESIGN capability 5",)),
    _t(T.ASSAY_REPORT,
       text("report_number", _("Report number"), max_length=100),
       text("lot_code", _("Lot code"), required=True, max_length=64),
       text("laboratory", _("Laboratory"), required=True),
       day("sample_date", _("Sample date"), required=True),
       day("report_date", _("Report date")),
       Field("elements", _("Element content (mass per cent)"), Kind.PERCENT_MAP, required=True, keys=ELEMENTS,
             unit="%", min_value=ZERO, max_value=HUNDRED,
             help_text=_("Each 0–100 %; together at most 100 %."), source="REFERENCE §5.2 SKYBEAR; §2.9 NEAA"),
       mass("lot_mass_kg", _("Mass of the assayed lot (kg)"),
            help_text=_("With the percentages, the mass of each element that went in."),
            source="REFERENCE §5.2 SKYBEAR"),
       checks=(not_before("sample_date", "report_date"), percent_sum_at_most_100("elements")),
       sources=("REFERENCE §5.2 SKYBEAR", "§2.9 NEAA")),
    _t(T.RECYCLER_PERMIT,
       text("holder", _("Permit holder"), required=True),
       text("authority", _("Issuing authority"), required=True),
       text("permit_number", _("Permit number"), required=True, max_length=100),
       text("scope", _("Scope (activities, waste codes)"), max_length=500),
       mass("capacity_t_per_year", _("Permitted capacity (t/year)"), unit="t/a"),
       Field("whitelist_qualification", _("White-list qualification"), Kind.CHOICE, choices=WHITELIST_TYPES,
             source="REFERENCE §2.8 OFWEEK"),
       count("whitelist_batch", _("White-list batch"), help_text=_("Batch of the MIIT list, e.g. 5 (17 Jan 2024).")),
       effective_required=True, expiry_required=True, validity_label=(_("Valid from"), _("Valid until")),
       sources=("REFERENCE §2.8 SYHZKJ", "DONGFENG", "HIROHIDA", "OFWEEK")),
    _t(T.RECYCLING_CERTIFICATE,
       text("certificate_number", _("Certificate number"), required=True, max_length=100),
       text("shipment_reference", _("Shipment reference"), required=True, max_length=64),
       text("recycler", _("Recycler"), required=True),
       mass("treated_mass_kg", _("Treated mass (kg)"), required=True),
       day("treated_on", _("Date of treatment"), required=True),
       percent("recycling_efficiency_pct", _("Recycling efficiency (%)"), source="REFERENCE §1.6 EC-NEWS-606"),
       Field("recovered_kg", _("Recovered mass per element (kg)"), Kind.DECIMAL_MAP, keys=ELEMENTS, unit="kg",
             min_value=ZERO, help_text=_("Mass of each element recovered; together at most the treated mass."),
             source="REFERENCE §1.6 EC-NEWS-606 (material recovery per element)"),
       checks=(recovered_within_treated,),
       sources=("REFERENCE §6.1 EURLEX-1157 (certificate of recovery)", "§1.6 EC-NEWS-606")),
    _t(T.MASS_BALANCE_RECORD,
       text("boundary", _("System boundary (site, group)"), required=True),
       day("period_start", _("Balancing period start"), required=True),
       day("period_end", _("Balancing period end"), required=True),
       rows("inputs", _("Inputs"), MASS_INPUT_COLUMNS, required=True),
       rows("outputs", _("Outputs"), MASS_OUTPUT_COLUMNS, required=True),
       Field("conversion_factors", _("Conversion factors"), Kind.DECIMAL_MAP, min_value=ZERO,
             keys=ELEMENTS + (("yield", _("Process yield")),)),
       Field("custody_model", _("Chain-of-custody model"), Kind.CHOICE, choices=CUSTODY_MODELS,
             source="REFERENCE §5.1 ITEH-22095"),
       mass("carry_over_kg", _("Credits carried over from the previous period (kg)")),
       mass("physical_stock_kg", _("Physical stock at the end of the period (kg)")),
       mass("book_stock_kg", _("Book stock at the end of the period (kg)")),
       text("verified_by", _("Verified by (third party)")),
       text("verification_reference", _("Verification report or certificate"), max_length=100),
       day("verification_date", _("Date of verification")),
       checks=(not_before("period_start", "period_end"),),
       sources=("REFERENCE §5.2 SKYBEAR", "ITEH-13662", "MARTECH-ISCC")),
    _t(T.CARBON_FOOTPRINT_STUDY,
       text("manufacturer", _("(a) Manufacturer"), required=True),
       text("battery_model", _("(b) Battery model"), required=True, max_length=64),
       text("plant_location", _("(c) Manufacturing plant location"), required=True),
       Field("cf_kg_co2e_per_kwh", _("(d) Carbon footprint (kg CO2e per kWh)"), Kind.DECIMAL, required=True,
             unit="kg CO2e/kWh", min_value=ZERO, source="REFERENCE §1.2 HAUFE-ART7"),
       Field("cf_per_stage", _("(e) Carbon footprint per life-cycle stage (kg CO2e per kWh)"), Kind.DECIMAL_MAP,
             keys=CF_STAGES, unit="kg CO2e/kWh", min_value=ZERO, source="REFERENCE §1.2 BP-CG p.78"),
       text("declaration_of_conformity_id", _("(f) EU declaration of conformity number"), max_length=100),
       Field("study_url", _("(g) Web link to the public study"), Kind.URL, max_length=500),
       count("year", _("Year"), min_value=Decimal(2020), max_value=Decimal(2100)),
       Field("performance_class", _("Carbon-footprint performance class"), Kind.TEXT, normalise=performance_class,
             format_hint=HINT_CLASS, max_length=3,
             help_text=_("Only once the delegated act defining the classes applies (Art 7(2))."),
             source="REFERENCE §1.2 HAUFE-ART7"),
       mass("cf_absolute_kg_co2e", _("Absolute carbon footprint (kg CO2e)"), unit="kg CO2e",
            help_text=_("Voluntary: the battery's footprint without reference to the functional unit."),
            source="REFERENCE §4.4 #27 (DIN 99100 6.3.10)"),
       text("plant_street", _("Plant: street address")),
       text("plant_postal_code", _("Plant: postal code"), max_length=20),
       country("plant_country", _("Plant: country")),
       sources=("REFERENCE §1.2 HAUFE-ART7", "BP-CG p.78", "BP-CF-TTL")),
    _t(T.RECYCLED_CONTENT_DECLARATION,
       text("battery_model", _("Battery model"), required=True, max_length=64),
       count("year", _("Year"), required=True, min_value=Decimal(2020), max_value=Decimal(2100)),
       text("plant", _("Manufacturing plant"), required=True),
       Field("shares", _("Recycled shares (% per material)"), Kind.SHARES, required=True, keys=RECYCLED_MATERIALS,
             unit="%", min_value=ZERO, max_value=HUNDRED,
             help_text=_("Co, Li, Ni: share in active materials; Pb: share in the battery.")),
       Field("custody_model", _("Chain-of-custody model"), Kind.CHOICE, required=True, choices=CUSTODY_MODELS,
             source="REFERENCE §5.2 (model kept on each declaration)"),
       Field("lot_codes", _("Material lots covered (codes)"), Kind.TEXT_LIST,
             help_text=_("One lot code per line: the recycled material behind the shares."),
             source="REFERENCE §5.2 (chain of custody down to the lots)"),
       percent("renewable_content_pct", _("Renewable content (%)"), source="REFERENCE §1.7 Annex XIII 1(f)"),
       checks=(shares_at_most_100("shares"),),
       sources=("REFERENCE §1.3 HAUFE-ART8", "DIN99100 §6.6.2.2", "BP-CIRC-TTL", "§5.1 ITEH-22095")),
    _t(T.DUE_DILIGENCE_REPORT,
       text("company", _("Company"), required=True),
       count("reporting_year", _("Reporting year"), min_value=Decimal(2020), max_value=Decimal(2100)),
       Field("raw_materials", _("Raw materials covered"), Kind.TEXT_LIST,
             help_text=_("Annex X: cobalt, natural graphite, lithium, nickel.")),
       text("verifier", _("Third-party verifier (notified body)")),
       Field("report_url", _("Web link to the public report"), Kind.URL, max_length=500),
       url("third_party_assurance_url", _("Web link to third-party assurances"), source="REFERENCE §1.5 (Art 49(d))"),
       number("supply_chain_index", _("Supply-chain index"), source="REFERENCE §1.5 (voluntary)"),
       sources=("REFERENCE §1.5 BP-CG p.90", "BP-DD-TTL", "DIN99100 §6.4")),
    _t(T.ORIGIN_CERTIFICATE,
       text("certificate_number", _("Certificate number"), max_length=100),
       Field("material", _("Material"), Kind.CHOICE, required=True, choices=DD_MATERIALS + (("other", _("Other")),)),
       Field("country_of_origin", _("Country of origin"), Kind.COUNTRY, required=True),
       text("site", _("Mine or site")),
       text("issuer", _("Issued by")),
       sources=("REFERENCE §1.5 DIN99100 §6.4",)),
    _t(T.SUPPLIER_ATTESTATION,
       text("supplier", _("Supplier"), required=True),
       text("subject", _("Subject of the attestation"), required=True, max_length=500),
       day("attested_on", _("Date of attestation")),
       sources=("REFERENCE §5.3 OSCE-20400",)),
    _t(T.CASCADE_LABEL_PHOTO,
       text("unit_code", _("Code on the label"), required=True, max_length=64),
       text("original_code", _("Original code kept on the label"), max_length=64),
       day("photographed_on", _("Date of the photo")),
       sources=("REFERENCE §2.1 CHINAAUTOREGS", "§2.2 YUNBIAOZHUN-4")),
    _t(T.RESIDUAL_CAPACITY_REPORT,
       text("report_number", _("Report number"), max_length=100),
       text("unit_code", _("Battery unit code"), required=True, max_length=64),
       day("tested_on", _("Test date"), required=True),
       Field("rated_capacity_ah", _("Rated capacity (Ah)"), Kind.DECIMAL, unit="Ah", min_value=ZERO),
       Field("measured_capacity_ah", _("Measured capacity (Ah)"), Kind.DECIMAL, unit="Ah", min_value=ZERO),
       Field("residual_capacity_pct", _("Residual capacity (%)"), Kind.DECIMAL, unit="%", min_value=ZERO,
             max_value=Decimal(120), help_text=_("Measured over rated capacity; up to 120 % accepted.")),
       text("laboratory", _("Laboratory")),
       # State of health / BMS read-out (Annex VII; Annex XIII 4) [REFERENCE §4.4 #53–93]
       Field("measured_at", _("Read out at (date and time)"), Kind.TEXT, normalise=iso_datetime,
             format_hint=HINT_DATETIME, max_length=40),
       mass("energy_throughput_kwh", _("Energy throughput (kWh)"), unit="kWh"),
       mass("capacity_throughput_ah", _("Capacity throughput (Ah)"), unit="Ah"),
       mass("full_cycles", _("Number of full cycles"), unit=""),
       percent("soce_pct", _("State of certified energy (%)")),
       percent("capacity_fade_pct", _("Capacity fade (%)")),
       mass("remaining_energy_kwh", _("Remaining energy (kWh)"), unit="kWh"),
       mass("remaining_capacity_ah", _("Remaining capacity (Ah)"), unit="Ah"),
       Field("negative_events", _("Negative events (deep discharge, accidents …)"), Kind.TEXT_LIST,
             help_text=_("One event per line.")),
       Field("no_negative_events", _("No negative event recorded"), Kind.BOOLEAN,
             help_text=_("Say so explicitly: an empty list above means “not reported”.")),
       mass("time_extreme_high_temp_min", _("Time at extreme high temperature (min)"), unit="min"),
       mass("time_extreme_low_temp_min", _("Time at extreme low temperature (min)"), unit="min"),
       mass("time_extreme_high_temp_charging_min", _("Time charging at extreme high temperature (min)"), unit="min"),
       mass("time_extreme_low_temp_charging_min", _("Time charging at extreme low temperature (min)"), unit="min"),
       mass("remaining_power_w", _("Remaining power capability (W)"), unit="W"),
       percent("remaining_power_at_soc_pct", _("Remaining power capability measured at state of charge (%)")),
       number("self_discharge_evolution_pct", _("Evolution of self-discharge (%)"), unit="%"),
       percent("current_self_discharge_pct", _("Current self-discharge rate (%)")),
       rows("internal_resistance_increase", _("Internal resistance increase"),
            (Field("component", _("Component"), Kind.CHOICE, required=True, choices=BATTERY_COMPONENTS),
             number("pct", _("Increase (%)"), required=True, unit="%"))),
       percent("remaining_rte_pct", _("Remaining round-trip efficiency (%)")),
       percent("soc_pct", _("State of charge (%)")),
       checks=(events_or_none,),
       sources=("REFERENCE §2.2 ESCN (GB/T 34015-2017)", "§4.4 Annex XIII 4")),
    _t(T.DECLARATION_OF_CONFORMITY,
       text("declaration_number", _("Declaration number"), required=True, max_length=100),
       text("battery_model", _("Battery model"), required=True, max_length=64),
       day("issued_on", _("Date of issue")),
       url("doc_url", _("Web link to the declaration")),
       *address("manufacturer", _("Manufacturer")),
       sources=("REFERENCE §1.2 (f)", "§1.7 Annex XIII 1(r)", "§4.4 #4, #17")),
    _t(T.TEST_REPORT,
       text("report_number", _("Report number"), max_length=100),
       text("laboratory", _("Laboratory"), required=True),
       text("standard", _("Test standard")),
       day("tested_on", _("Test date")),
       Field("result", _("Result"), Kind.CHOICE, choices=TEST_RESULTS),
       url("report_url", _("Web link to the test report")),
       # Performance and durability (Annex IV; Annex XIII 1(g)–(p)) [REFERENCE §4.4 #52–86]
       rows("original_power_capability", _("Original power capability"),
            (percent("at_soc_pct", _("At state of charge (%)"), required=True),
             mass("power_w", _("Power (W)"), required=True, unit="W"))),
       mass("rated_max_power_w", _("Maximum permitted power (W)"), unit="W"),
       mass("power_capability_ratio", _("Ratio of power to energy"), unit=""),
       count("expected_cycles", _("Expected lifetime in cycles")),
       count("expected_lifetime_years", _("Expected lifetime (years)")),
       percent("initial_self_discharge_pct", _("Initial self-discharge rate (%)")),
       percent("initial_rte_pct", _("Initial round-trip efficiency (%)")),
       percent("rte_50pct_cycle_life_pct", _("Round-trip efficiency at 50 % of cycle life (%)")),
       rows("initial_internal_resistance", _("Initial internal resistance"),
            (Field("component", _("Component"), Kind.CHOICE, required=True, choices=BATTERY_COMPONENTS),
             mass("ohm", _("Resistance (ohm)"), required=True, unit="Ω"))),
       mass("c_rate", _("C-rate"), unit=""),
       mass("c_rate_life_cycle_test", _("C-rate of the cycle-life test"), unit=""),
       percent("capacity_threshold_exhaustion_pct", _("Capacity threshold for exhaustion (%)")),
       url("lifetime_reference_test_url", _("Web link to the cycle-life reference test")),
       mass("min_voltage_v", _("Minimum voltage (V)"), unit="V"),
       mass("max_voltage_v", _("Maximum voltage (V)"), unit="V"),
       number("idle_temp_min_c", _("Idle temperature, lower limit (°C)"), unit="°C",
              min_value=Decimal(-100), max_value=Decimal(200)),
       number("idle_temp_max_c", _("Idle temperature, upper limit (°C)"), unit="°C",
              min_value=Decimal(-100), max_value=Decimal(200)),
       percent("rte_fade_pct", _("Round-trip efficiency fade (%)")),
       percent("power_fade_pct", _("Power fade (%)")),
       checks=(not_above("min_voltage_v", "max_voltage_v"), not_above("idle_temp_min_c", "idle_temp_max_c")),
       sources=("REFERENCE §1.7 Annex XIII 3", "§4.4 #52–86")),
    _t(T.TECHNICAL_DOCUMENTATION,
       # What the passport shows about the model beyond the other documents [REFERENCE §1.7 Annex XIII 1–2]
       Field("warranty_period", _("Commercial warranty period"), Kind.TEXT, normalise=warranty_month,
             format_hint=HINT_WARRANTY, max_length=10,
             help_text=_("The Battery Pass model v1.2 types it as a month (--MM).")),
       Field("extinguishing_agents", _("Usable extinguishing agents"), Kind.TEXT_LIST,
             help_text=_("One per line.")),
       url("safety_instructions_url", _("Web link to the safety instructions")),
       url("eol_waste_prevention_url", _("Web link: waste prevention")),
       url("eol_separate_collection_url", _("Web link: separate collection")),
       url("eol_collection_info_url", _("Web link: collection and recycling information")),
       rows("dismantling_documents", _("Dismantling and removal documents"),
            (Field("type", _("Document type"), Kind.CHOICE, required=True, choices=DISMANTLING_DOCUMENT_TYPES),
             text("mime_type", _("File type (MIME)"), required=True, max_length=100),
             url("url", _("Web link"), required=True))),
       rows("spare_part_sources", _("Spare-part sources"),
            (text("name", _("Supplier"), required=True), text("street", _("Street address")),
             text("postal_code", _("Postal code"), max_length=20), country("country", _("Country")),
             email("email", _("E-mail")), url("web", _("Web address")),
             text("part_name", _("Part name"), required=True), text("part_number", _("Part number"), max_length=100))),
       rows("battery_materials", _("Battery materials"),
            (text("name", _("Material"), required=True),
             Field("cas", _("CAS number"), Kind.TEXT, normalise=cas_number, format_hint=HINT_CAS, max_length=20),
             mass("mass_kg", _("Mass (kg)")), text("component", _("Component")),
             text("component_id", _("Component identifier"), max_length=100),
             Field("critical", _("Critical raw material (yes/no)"), Kind.BOOLEAN))),
       rows("hazardous_substances", _("Hazardous substances"),
            (Field("class", _("Hazard class"), Kind.CHOICE, choices=HAZARD_CLASSES),
             text("name", _("Substance"), required=True),
             Field("cas", _("CAS number"), Kind.TEXT, normalise=cas_number, format_hint=HINT_CAS, max_length=20),
             percent("concentration_pct", _("Concentration (%)")),
             Field("impacts", _("Impacts (separated by |)"), Kind.TEXT_LIST),
             text("component", _("Component")))),
       rows("labels", _("Labels and symbols"),
            (Field("subject", _("Subject"), Kind.CHOICE, required=True, choices=LABEL_SUBJECTS),
             url("symbol_url", _("Web link to the symbol"), required=True),
             text("meaning_en", _("Meaning (English)"), max_length=500),
             text("meaning_zh", _("Meaning (Chinese)"), max_length=500))),
       *address("operator", _("Economic operator")),
       sources=("REFERENCE §1.7 Annex XIII 1–2", "§4.4")),
    _t(T.OTHER, text("description", _("Description"), max_length=500)),
]}


def doctype(code: str) -> DocType:
    """The registry entry of an EvidenceType value (KeyError for an unknown type)."""
    return REGISTRY[code]


def all_doctypes() -> list[DocType]:
    return [REGISTRY[t.value] for t in EvidenceType]
