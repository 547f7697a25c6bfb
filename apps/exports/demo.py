"""Demo data for passports and platform reporting (idempotent; runs after the traceability seeder,
and also creates the EV model and units it needs when that seeder has not, so both orders work).

- sinoev: an EV battery model (NCM, 75 kWh) with accepted evidence for every aspect, units with
  passports, one unit with a BMS read-out (its passport is complete), and one unit repurposed into
  a stationary-storage product re-coded under GB/T 34014 with a new passport linked to the original.
- ecocycle: receipts of waste batteries from sinoev (one just before China's National Day week 2026,
  one whose deadline runs into 2027, which the calendar does not cover yet) and a black-mass lot.
"""
import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.activity.services import Actor
from apps.evidence.doctypes import doctype
from apps.evidence.models import Evidence, EvidenceRevision, Review
from apps.traceability.models import (
    BatteryModel,
    BatteryUnit,
    LotElement,
    MaterialLot,
    Shipment,
    ShipmentMass,
    ShipmentUnit,
)

from . import keyfields as kf
from .digitallink import gs1_check_digit
from .models import Passport, ReportingEvent
from .services import passport_issue, passport_status_change, reporting_event_submit, reporting_events_sync


def _gtin(body13: str) -> str:
    return body13 + str(gs1_check_digit(body13))


MODEL_CODE = "SE-EVP75-NCM"
MODEL_GTIN = _gtin("0697512345001")
UNITS = [
    # code (GB/T 34014, 24 characters), serial, manufactured on, BMS read-out?
    ("SEVPE75N3A0001R350000101", "SN2603050101", date(2026, 3, 5), True),
    ("SEVPE75N3A0001R350000102", "SN2603050102", date(2026, 3, 5), False),
    ("SEVPE75N3A0001R360000103", "SN2603060103", date(2026, 3, 6), False),
]
REPURPOSED_FROM = "SEVPE75N3A0001R360000103"
# Cascade-use product re-coded under GB/T 34014 (19-character form ending R + product type).
REPURPOSED_CODE = "SEVPESTRB40000201RP"
REPURPOSED_GTIN = _gtin("0697512345002")
REPURPOSED_SERIAL = "ESS2611200201"

EXAMPLE = "https://sinoev.example"

def _canonical(doc_type: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Key fields as the vault stores them: validated by its type registry (the source of truth for the
    names; a demo document that does not pass fails at import, not silently in a passport)."""
    return doctype(doc_type).validate(raw)


# Illustrative values for the demo model SE-EVP75-NCM; the stages sum to the total (68.4 kg CO2e/kWh).
_RAW_DOCUMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    kf.CARBON_FOOTPRINT_STUDY: ("Carbon-footprint study SE-EVP75 (Suzhou plant, 2026)", {
        "manufacturer": "SinoEV Battery Export Co., Ltd.", "battery_model": MODEL_CODE,
        "plant_location": "Suzhou plant",
        "cf_kg_co2e_per_kwh": "68.4",
        "cf_per_stage": {"raw_material_acquisition_preprocessing": "48.906", "main_product_production": "15.1164",
                         "distribution": "1.9836", "end_of_life_recycling": "2.394"},
        "declaration_of_conformity_id": "SE-EVP75-DoC-2026", "year": 2026,
        # The performance-class delegated act is not adopted yet [REFERENCE §1.2]: illustrative value.
        "performance_class": "C", "study_url": f"{EXAMPLE}/cf/SE-EVP75-2026.pdf",
        "cf_absolute_kg_co2e": "5130", "plant_street": "88 Xinghu Street, Suzhou Industrial Park",
        "plant_postal_code": "215123", "plant_country": "CN"}),
    kf.RECYCLED_CONTENT_DECLARATION: ("Recycled-content declaration SE-EVP75 2026", {
        "battery_model": MODEL_CODE, "year": 2026, "plant": "Suzhou plant", "custody_model": "mass_balance",
        "shares": {"Co": {"pre_consumer_pct": "4.0", "post_consumer_pct": "12.5"},
                   "Ni": {"pre_consumer_pct": "2.0", "post_consumer_pct": "5.5"},
                   "Li": {"pre_consumer_pct": "1.5", "post_consumer_pct": "4.0"},
                   "Pb": {"pre_consumer_pct": "0", "post_consumer_pct": "0"}},
        "renewable_content_pct": "0.8"}),
    kf.DUE_DILIGENCE_REPORT: ("Supply-chain due-diligence report 2025", {
        "company": "SinoEV Battery Export Co., Ltd.", "reporting_year": 2025,
        "report_url": f"{EXAMPLE}/due-diligence/2025.pdf",
        "third_party_assurance_url": f"{EXAMPLE}/due-diligence/2025-assurance.pdf"}),
    kf.DECLARATION_OF_CONFORMITY: ("EU declaration of conformity SE-EVP75", {
        "declaration_number": "SE-EVP75-DoC-2026", "battery_model": MODEL_CODE,
        "doc_url": f"{EXAMPLE}/doc/SE-EVP75-DoC.pdf", "manufacturer_name": "SinoEV Battery Export Co., Ltd.",
        "manufacturer_identifier": "91320500MA1XK7Q2B8", "manufacturer_street": "88 Xinghu Street",
        "manufacturer_postal_code": "215123", "manufacturer_country": "CN", "manufacturer_web": EXAMPLE}),
    kf.TEST_REPORT: ("Performance and durability test report SE-EVP75 (Annex IV)", {
        "laboratory": "SinoEV test centre", "standard": "Regulation (EU) 2023/1542 Annex IV",
        "report_url": f"{EXAMPLE}/tests/SE-EVP75-annex-iv.pdf",
        "original_power_capability": [{"at_soc_pct": 80, "power_w": 210000}, {"at_soc_pct": 20, "power_w": 150000}],
        "rated_max_power_w": 230000, "power_capability_ratio": "2.8", "expected_cycles": 3000,
        "expected_lifetime_years": 10, "initial_self_discharge_pct": "2.0", "initial_rte_pct": "95.0",
        "rte_50pct_cycle_life_pct": "92.0",
        "initial_internal_resistance": [{"component": "cell", "ohm": "0.0009"}, {"component": "pack", "ohm": "0.11"}],
        "c_rate": "1.0", "c_rate_life_cycle_test": "0.5", "capacity_threshold_exhaustion_pct": 70,
        "lifetime_reference_test_url": f"{EXAMPLE}/tests/SE-EVP75-cycle-life.pdf",
        "min_voltage_v": 280, "max_voltage_v": 403, "idle_temp_min_c": -30, "idle_temp_max_c": 55,
        "rte_fade_pct": "4.0", "power_fade_pct": "12.0"}),
    kf.TECHNICAL_DOCUMENTATION: ("Technical documentation SE-EVP75 (passport data sheet)", {
        "warranty_period": "--08",
        "extinguishing_agents": ["Water (large quantities)", "ABC dry powder for incipient fires"],
        "safety_instructions_url": f"{EXAMPLE}/safety/SE-EVP75.pdf",
        "eol_waste_prevention_url": f"{EXAMPLE}/eol/waste-prevention",
        "eol_separate_collection_url": f"{EXAMPLE}/eol/separate-collection",
        "eol_collection_info_url": f"{EXAMPLE}/eol/collection-and-second-life",
        "dismantling_documents": [
            {"type": "DismantlingManual", "mime_type": "application/pdf", "url": f"{EXAMPLE}/docs/dismantling.pdf"},
            {"type": "RemovalManual", "mime_type": "application/pdf", "url": f"{EXAMPLE}/docs/removal.pdf"}],
        "spare_part_sources": [
            {"name": "SinoEV After-Sales Service", "street": "88 Xinghu Street", "postal_code": "215123",
             "country": "CN", "email": "parts@sinoev.example", "web": f"{EXAMPLE}/parts",
             "part_name": part, "part_number": number}
            for part, number in (("Battery module 12S", "SE-M12-75"), ("Battery management unit", "SE-BMU-3"))],
        "battery_materials": [
            {"name": "Cobalt", "cas": "7440-48-4", "mass_kg": "9.6", "component": "Cathode", "critical": True},
            {"name": "Lithium", "cas": "7439-93-2", "mass_kg": "6.9", "component": "Cathode", "critical": True},
            {"name": "Nickel", "cas": "7440-02-0", "mass_kg": "38.2", "component": "Cathode", "critical": True},
            {"name": "Natural graphite", "cas": "7782-42-5", "mass_kg": "52.0", "component": "Anode", "critical": True},
            {"name": "Lithium hexafluorophosphate", "cas": "21324-40-3", "mass_kg": "2.1", "component": "Electrolyte",
             "critical": False}],
        "hazardous_substances": [
            {"class": "AcuteToxicity", "name": "Lithium hexafluorophosphate", "cas": "21324-40-3",
             "concentration_pct": "0.46", "impacts": ["Toxic if swallowed", "Releases HF in contact with water"],
             "component": "Electrolyte"}],
        "labels": [
            {"subject": "SeparateCollection", "symbol_url": f"{EXAMPLE}/labels/separate-collection.svg",
             "meaning_en": "Do not dispose of with household waste; separate collection",
             "meaning_zh": "不得与生活垃圾一同丢弃，须分类收集"},
            {"subject": "ExtinguishingAgent", "symbol_url": f"{EXAMPLE}/labels/extinguishing-agent.svg",
             "meaning_en": "Usable extinguishing agent: water", "meaning_zh": "可用灭火剂：水"}],
        "operator_name": "SinoEV Europe B.V.", "operator_identifier": "NL123456789B01",
        "operator_street": "Stationsplein 45", "operator_postal_code": "3013 AK", "operator_country": "NL",
        "operator_web": f"{EXAMPLE}/eu"}),
}
DOCUMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    doc_type: (title, _canonical(doc_type, raw)) for doc_type, (title, raw) in _RAW_DOCUMENTS.items()}


def _bms(unit_code: str, measured_at: str, *, cycles: int, soce: float, fade: float, remaining_kwh: float,
         remaining_ah: float, events: list[str]) -> dict[str, Any]:
    return _canonical(kf.RESIDUAL_CAPACITY_REPORT, {
        "unit_code": unit_code, "tested_on": measured_at[:10], "measured_at": measured_at,
        "energy_throughput_kwh": round(cycles * 73.5, 1),
        "capacity_throughput_ah": round(cycles * 202.0, 1), "full_cycles": cycles, "soce_pct": soce,
        "capacity_fade_pct": fade, "remaining_energy_kwh": remaining_kwh, "remaining_capacity_ah": remaining_ah,
        "negative_events": events, "no_negative_events": not events,
        "time_extreme_high_temp_min": 0 if cycles < 10 else 340,
        "time_extreme_low_temp_min": 0 if cycles < 10 else 1210, "time_extreme_high_temp_charging_min": 0,
        "time_extreme_low_temp_charging_min": 0 if cycles < 10 else 95, "remaining_power_w": 205000,
        "remaining_power_at_soc_pct": 80, "self_discharge_evolution_pct": 0.0 if cycles < 10 else 0.6,
        "current_self_discharge_pct": 2.0 if cycles < 10 else 2.6,
        "internal_resistance_increase": [{"component": "pack", "pct": 0.0 if cycles < 10 else 18.0}],
        "remaining_rte_pct": 95.0 if cycles < 10 else 91.5, "soc_pct": 30 if cycles < 10 else 50})


UNIT_DOCUMENTS = {
    UNITS[0][0]: ("End-of-line BMS read-out " + UNITS[0][1],
                  _bms(UNITS[0][0], "2026-03-06T09:30:00+08:00", cycles=2, soce=100, fade=0, remaining_kwh=75.0,
                       remaining_ah=206.0, events=[])),
    REPURPOSED_CODE: ("Residual-capacity test before repurposing (GB/T 34015) " + REPURPOSED_SERIAL,
                      _bms(REPURPOSED_CODE, "2026-11-18T14:00:00+08:00", cycles=1180, soce=81, fade=19,
                           remaining_kwh=60.8, remaining_ah=166.9,
                           events=["2026-07-02 deep discharge below 2.5 V (cell 41), recovered"])),
}


def _store(schema: str, title: str, payload: dict[str, Any]) -> tuple[str, str, int]:
    """A small text rendition of the demo document, stored privately under the organisation's prefix."""
    content = (title + "\n\n" + "\n".join(f"{key}: {value}" for key, value in payload.items())).encode("utf-8")
    sha = hashlib.sha256(content).hexdigest()
    name = f"{schema}/evidence/demo/{sha}.txt"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return name, sha, len(content)


def _evidence(schema: str, *, doc_type: str, title: str, key_fields: dict[str, Any], uploader, reviewer,
              model: BatteryModel | None = None, unit: BatteryUnit | None = None) -> None:
    evidence = Evidence.objects.filter(doc_type=doc_type, title=title).first()
    if evidence is None:
        evidence = Evidence.objects.create(doc_type=doc_type, title=title, issuer="SinoEV",
                                           created_by_id=uploader.pk)
    if model is not None:
        evidence.battery_models.add(model)
    if unit is not None:
        evidence.units.add(unit)
    if evidence.revisions.exists():
        return
    name, sha, size = _store(schema, title, key_fields)
    revision = EvidenceRevision.objects.create(
        evidence=evidence, number=1, storage_name=name, original_filename=f"{doc_type}.txt", sha256=sha, size=size,
        content_type="text/plain", effective_date=date(2026, 1, 15), key_fields=key_fields,
        status="accepted", uploaded_by_id=uploader.pk, uploaded_by_label=uploader.email, reviewed_by_id=reviewer.pk,
        reviewed_by_label=reviewer.email, reviewed_at=timezone.now())
    Review.objects.create(revision=revision, decision="accepted", reviewer_id=reviewer.pk,
                          reviewer_label=reviewer.email)


def _access(organisation, user) -> Access:
    return Access(organisation_id=organisation.pk, role=Role.OWNER, user_id=user.pk, label=user.email)


def _seed_sinoev(organisation, users: dict[str, Any]) -> None:
    owner, staff, manager = users["owner@sinoev.demo"], users["staff@sinoev.demo"], users["manager@sinoev.demo"]
    model, _created = BatteryModel.objects.get_or_create(code=MODEL_CODE, defaults={
        "name": "EV traction pack 75 kWh", "manufacturer": "SinoEV Battery Export Co., Ltd.", "eu_category": "ev",
        "chemistry": "ncm", "rated_capacity_ah": Decimal("206.00"), "rated_energy_kwh": Decimal("75.000"),
        "nominal_voltage_v": Decimal("364.80"), "mass_kg": Decimal("455.000"), "manufacturing_plant": "Suzhou plant",
        "plant_country": "CN", "gtin": MODEL_GTIN})
    for doc_type, (title, key_fields) in DOCUMENTS.items():
        _evidence(organisation.schema_name, doc_type=doc_type, title=title, key_fields=key_fields, uploader=staff,
                  reviewer=manager, model=model)
    access = _access(organisation, owner)
    for code, serial, made_on, _bms_doc in UNITS:
        unit, _created = BatteryUnit.objects.get_or_create(code=code, defaults={
            "scheme": "gbt34014", "gtin": MODEL_GTIN, "serial": serial, "level": "pack", "model": model,
            "manufactured_on": made_on, "mass_kg": Decimal("455.000")})
        if not unit.passports.exists():
            passport_issue(access=access, unit=unit,
                           put_into_service_on=date(2026, 4, 20) if code == UNITS[0][0] else None)
    repurposed, _created = BatteryUnit.objects.get_or_create(code=REPURPOSED_CODE, defaults={
        "scheme": "gbt34014", "gtin": REPURPOSED_GTIN, "serial": REPURPOSED_SERIAL, "level": "pack", "model": model,
        "manufactured_on": date(2026, 3, 6), "original_code": REPURPOSED_FROM, "mass_kg": Decimal("455.000")})
    original = Passport.objects.filter(unit__code=REPURPOSED_FROM, is_current=True).first()
    if original is not None and not repurposed.passports.exists():
        passport_status_change(access=access, passport=original, status="repurposed", new_unit=repurposed,
                               put_into_service_on=date(2026, 11, 20))
    for code, (title, key_fields) in UNIT_DOCUMENTS.items():
        _evidence(organisation.schema_name, doc_type=kf.RESIDUAL_CAPACITY_REPORT, title=title,
                  key_fields=key_fields, uploader=staff, reviewer=manager, unit=BatteryUnit.objects.get(code=code))
    shipment, created = Shipment.objects.get_or_create(reference="SEV-ESS-2611-01", defaults={
        "direction": "outbound", "status": "dispatched", "counterparty_name": "VoltPack Systems Integration Ltd.",
        "counterparty_country": "CN", "origin_country": "CN", "destination_country": "CN",
        "dispatch_date": date(2026, 11, 23)})
    if created:
        ShipmentUnit.objects.create(shipment=shipment, unit=repurposed)
        ShipmentMass.objects.create(shipment=shipment, chemistry="ncm", net_mass_kg=Decimal("455.000"))
    reporting_events_sync(actor=Actor.system("demo seed"), organisation=organisation)


RECEIPTS = [
    # reference, arrival (received), unit codes, net mass (kg), platform submission (reference, date)
    ("ECO-IN-2026-031", date(2026, 9, 28), ["SEVPE75N3A0001R190000011", "SEVPE75N3A0001R190000012"], "910.000",
     ("GJSY-2026-1029-00731", date(2026, 10, 29))),
    ("ECO-IN-2026-044", date(2026, 10, 9), ["SEVPE75N3A0001R1A0000021"], "455.000", None),
    ("ECO-IN-2026-052", date(2026, 11, 20), ["SEVPE75N3A0001R2B0000031", "SEVPE75N3A0001R2B0000032"], "912.500",
     None),
]


def _seed_ecocycle(organisation, users: dict[str, Any]) -> None:
    owner = users["owner@ecocycle.demo"]
    for reference, arrival, codes, mass, _submission in RECEIPTS:
        shipment, created = Shipment.objects.get_or_create(reference=reference, defaults={
            "direction": "inbound", "status": "received", "counterparty_name": "SinoEV Battery Export Co., Ltd.",
            "counterparty_country": "CN", "origin_country": "CN", "destination_country": "DE", "is_waste": True,
            "waste_code": "16 06 05*", "hs_code": "854912", "un_number": "UN3480",
            "dispatch_date": date(arrival.year, arrival.month, 1), "arrival_date": arrival})
        if created:
            for code in codes:
                unit, _unit_created = BatteryUnit.objects.get_or_create(code=code, defaults={
                    "scheme": "gbt34014", "level": "pack", "status": "waste"})
                ShipmentUnit.objects.create(shipment=shipment, unit=unit)
            ShipmentMass.objects.create(shipment=shipment, chemistry="ncm", net_mass_kg=Decimal(mass))
    lot, created = MaterialLot.objects.get_or_create(code="ECO-BM-2026-017", defaults={
        "kind": "black_mass", "mass_kg": Decimal("402.300"), "produced_on": date(2026, 10, 30),
        "origin": "post_consumer", "custody_model": "segregated"})
    if created:
        lot.source_shipments.add(Shipment.objects.get(reference="ECO-IN-2026-031"))
        for element, percent in (("Co", "6.2000"), ("Ni", "21.4000"), ("Li", "3.9000")):
            LotElement.objects.create(lot=lot, element=element, percent=Decimal(percent))
    reporting_events_sync(actor=Actor.system("demo seed"), organisation=organisation)
    access = _access(organisation, owner)
    for reference, _arrival, _codes, _mass, submission in RECEIPTS:
        event = ReportingEvent.objects.filter(source_reference=reference).first()
        if submission and event is not None and not event.platform_reference:
            reporting_event_submit(access=access, event=event, platform_reference=submission[0],
                                   reported_on=submission[1])


@transaction.atomic
def seed(context: dict[str, Any]) -> None:
    organisations, users = context.get("organisations", {}), context.get("users", {})
    if "sinoev" in organisations:
        with schema_context(organisations["sinoev"].schema_name):
            _seed_sinoev(organisations["sinoev"], users)
    if "ecocycle" in organisations:
        with schema_context(organisations["ecocycle"].schema_name):
            _seed_ecocycle(organisations["ecocycle"], users)
