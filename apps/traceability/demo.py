"""Demo register for `make run` (idempotent: every record is looked up by its code or reference first).

sinoev (exporter): an NCM EV battery model and an LFP model, a few hundred units with GB/T 34014 codes in
pack -> module -> cell hierarchies, LFP modules re-coded for cascade use (keeping their original codes), and an
outbound waste shipment to ecocycle (HS 8549.13, UN 3480, SP 377 / P909, LoW 16 06 05, declared masses).
ecocycle (recycler, DE): the inbound record of that shipment, a black-mass lot made from it and the recovered
nickel, cobalt and lithium products refined from the black mass, with their element contents.
"""
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role

from . import services
from .codes import gs1_check_digit
from .models import BatteryModel, BatteryUnit, MaterialLot, Shipment, ShipmentStatus

NCM_PACKS, MODULES_PER_PACK, CELLS_PER_MODULE = 4, 4, 12
LFP_PACKS, LFP_MODULES = 2, 6
CASCADE_MODULES = 4
DATE_CODE = "E3F"  # year E, March, day F (decoding of year/day is [U]; only the character classes are checked)


def _access(organisation: Any) -> Access:
    return Access(organisation_id=organisation.pk, role=Role.OWNER, label="demo seed")


def _gtin13(body12: str) -> str:
    return body12 + str(gs1_check_digit(body12))


def _ncm(kind: str, serial: int) -> str:
    return f"SE1{kind}E75CZ24A01{DATE_CODE}{serial:07d}"


def _lfp(kind: str, serial: int) -> str:
    return f"SE1{kind}B55CZ24B02{DATE_CODE}{serial:07d}"


def _cascade(serial: int) -> str:
    """19-character cascade-use form: no traceability code, R + the original product type (module)."""
    return f"SE1MB55{DATE_CODE}{serial:07d}RM"


def _model(access: Access, **values: Any) -> BatteryModel:
    return BatteryModel.objects.filter(code=values["code"]).first() or services.battery_model_create(
        access=access, **values)


def _unit(access: Access, code: str, level: str, **values: Any) -> BatteryUnit:
    existing = BatteryUnit.objects.filter(Q(code=code) | Q(original_code=code)).first()
    return existing or services.unit_create(access=access, code=code, level=level, **values)


def seed_sinoev(organisation: Any) -> None:
    access = _access(organisation)
    ncm = _model(access, code="SEV-NCM-75", name="SinoEV NCM traction pack 75 kWh", manufacturer=organisation.name_en,
                 eu_category="ev", chemistry="ncm", rated_capacity_ah=Decimal("200"), rated_energy_kwh=Decimal("75"),
                 nominal_voltage_v=Decimal("375"), mass_kg=Decimal("450"), manufacturing_plant="Changzhou plant 1",
                 plant_country="CN", gtin=_gtin13("695123400001"))
    lfp = _model(access, code="SEV-LFP-55", name="SinoEV LFP traction pack 55 kWh", manufacturer=organisation.name_en,
                 eu_category="ev", chemistry="lfp", rated_capacity_ah=Decimal("173"), rated_energy_kwh=Decimal("55"),
                 nominal_voltage_v=Decimal("320"), mass_kg=Decimal("390"), manufacturing_plant="Changzhou plant 2",
                 plant_country="CN", gtin=_gtin13("695123400002"))
    made = date(2024, 3, 15)
    for p in range(1, NCM_PACKS + 1):
        pack = _unit(access, _ncm("P", p), "pack", model_code=ncm.code, manufactured_on=made, mass_kg=Decimal("450"))
        for m in range(1, MODULES_PER_PACK + 1):
            module_serial = p * 100 + m
            module = _unit(access, _ncm("M", module_serial), "module", parent_code=pack.code, model_code=ncm.code,
                           manufactured_on=made)
            for c in range(1, CELLS_PER_MODULE + 1):
                _unit(access, _ncm("C", module_serial * 100 + c), "cell", parent_code=module.code,
                      model_code=ncm.code, manufactured_on=made)
    for p in range(1, LFP_PACKS + 1):
        pack = _unit(access, _lfp("P", p), "pack", model_code=lfp.code, manufactured_on=made, mass_kg=Decimal("390"))
        for m in range(1, LFP_MODULES + 1):
            _unit(access, _lfp("M", p * 100 + m), "module", parent_code=pack.code, model_code=lfp.code,
                  manufactured_on=made)
    # Second life: LFP modules of pack 2 re-coded for stationary storage; their original codes are kept.
    for m in range(1, CASCADE_MODULES + 1):
        original = _lfp("M", 200 + m)
        unit = BatteryUnit.objects.filter(code=original).first()
        if unit is not None:
            services.unit_recode(access=access, unit=unit, new_code=_cascade(m), status="repurposed")
    if not Shipment.objects.filter(reference="SEV-EXP-2026-0412").exists():
        services.shipment_create(
            access=access, reference="SEV-EXP-2026-0412", direction="outbound", status=ShipmentStatus.DISPATCHED,
            counterparty_platform="ecocycle", counterparty_registration_id="DE123456789012345",
            origin_country="CN", destination_country="DE", hs_code="8549.13", un_number="UN3480",
            special_provision="377", packing_instruction="P909", is_waste=True, waste_code="16 06 05",
            dispatch_date=date(2026, 4, 12), notes="End-of-life NCM packs for recycling (demo).",
            unit_codes=[_ncm("P", 1), _ncm("P", 2)], masses={"ncm": Decimal("900")})


def seed_ecocycle(organisation: Any) -> None:
    access = _access(organisation)
    if not Shipment.objects.filter(reference="ECO-IN-2026-0415").exists():
        services.shipment_create(
            access=access, reference="ECO-IN-2026-0415", direction="inbound", status=ShipmentStatus.RECEIVED,
            counterparty_platform="sinoev", origin_country="CN", destination_country="DE", hs_code="8549.13",
            un_number="UN3480", special_provision="377", packing_instruction="P909", is_waste=True,
            waste_code="16 06 05", dispatch_date=date(2026, 4, 12), arrival_date=date(2026, 5, 6),
            notes="Received from SinoEV, their reference SEV-EXP-2026-0412 (demo).", masses={"ncm": Decimal("900")})
    lots = [
        {"code": "ECO-BM-2026-001", "kind": "black_mass", "mass_kg": Decimal("560"), "produced_on": date(2026, 5, 20),
         "origin": "post_consumer", "custody_model": "mass_balance", "source_shipments": ["ECO-IN-2026-0415"],
         "elements": {"Ni": "22.5", "Co": "7.1", "Mn": "6.3", "Li": "4.1", "Cu": "2.2", "Al": "1.4"}},
        {"code": "ECO-NISO4-2026-001", "kind": "nickel_sulfate", "mass_kg": Decimal("480"),
         "produced_on": date(2026, 6, 3), "origin": "post_consumer", "custody_model": "mass_balance",
         "source_lots": ["ECO-BM-2026-001"], "elements": {"Ni": "22.1"}},
        {"code": "ECO-COSO4-2026-001", "kind": "cobalt_sulfate", "mass_kg": Decimal("140"),
         "produced_on": date(2026, 6, 3), "origin": "post_consumer", "custody_model": "mass_balance",
         "source_lots": ["ECO-BM-2026-001"], "elements": {"Co": "20.5"}},
        {"code": "ECO-LI2CO3-2026-001", "kind": "lithium_carbonate", "mass_kg": Decimal("95"),
         "produced_on": date(2026, 6, 10), "origin": "post_consumer", "custody_model": "mass_balance",
         "source_lots": ["ECO-BM-2026-001"], "elements": {"Li": "18.6"}},
    ]
    for spec in lots:
        if MaterialLot.objects.filter(code=spec["code"]).exists():
            continue
        elements = [{"element": e, "percent": Decimal(p)} for e, p in spec.pop("elements").items()]
        services.lot_create(access=access, elements=elements, **spec)


def seed(context: dict[str, Any]) -> None:
    organisations = context.get("organisations", {})
    if "sinoev" in organisations:
        with schema_context(organisations["sinoev"].schema_name):
            seed_sinoev(organisations["sinoev"])
    if "ecocycle" in organisations:
        with schema_context(organisations["ecocycle"].schema_name):
            seed_ecocycle(organisations["ecocycle"])
