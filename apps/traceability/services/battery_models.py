"""Battery models: create and update, with the EU category rules of Art 3."""
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from apps.accounts.access import Access
from apps.activity.services import activity_record

from .. import codes
from ..importing import (
    Found,
)
from ..issues import error
from ..models import (
    BatteryModel,
    Chemistry,
    EuCategory,
)
from .common import apply_changes, check, choice, refuse_one, require, save_guarded, to_decimal

MODEL_FIELDS = ("code", "name", "manufacturer", "eu_category", "chemistry", "rated_capacity_ah", "rated_energy_kwh",
                "nominal_voltage_v", "mass_kg", "manufacturing_plant", "plant_country", "external_storage_only",
                "gtin")


def _clean_model(values: Mapping[str, Any]) -> dict[str, Any]:
    found: Found = []
    clean: dict[str, Any] = {}
    for field in ("code", "name", "manufacturer", "manufacturing_plant"):
        clean[field] = (values.get(field) or "").strip()
    for field in ("code", "name"):
        if not clean[field]:
            found.append((field, error("value_required")))
    if len(clean["code"]) > 64:
        found.append(("code", error("text_too_long", max=64)))
    clean["eu_category"], clean["chemistry"] = values.get("eu_category") or "", values.get("chemistry") or ""
    choice(found, "eu_category", clean["eu_category"], EuCategory)
    choice(found, "chemistry", clean["chemistry"], Chemistry)
    for field in ("rated_capacity_ah", "rated_energy_kwh", "nominal_voltage_v", "mass_kg"):
        clean[field] = to_decimal(found, field, values.get(field))
    country = (values.get("plant_country") or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        found.append(("plant_country", error("country_format")))
    clean["plant_country"] = country
    clean["external_storage_only"] = bool(values.get("external_storage_only"))
    gtin = (values.get("gtin") or "").strip()
    if gtin:
        gtin_check = codes.validate_gtin(gtin)
        found.extend(("gtin", issue) for issue in gtin_check.issues)
        gtin = gtin_check.value
    clean["gtin"] = gtin
    mass = clean["mass_kg"]
    # Art 3(9) portable <= 5 kg, Art 3(11) LMT <= 25 kg [C: MINESPIDER-PORT, MINESPIDER-LMT]
    if mass is not None and clean["eu_category"] == EuCategory.PORTABLE and mass > 5:
        found.append(("eu_category", error("category_mass_portable")))
    if mass is not None and clean["eu_category"] == EuCategory.LMT and mass > 25:
        found.append(("eu_category", error("category_mass_lmt")))
    check(found)
    return clean


@transaction.atomic
def battery_model_create(*, access: Access, **values: Any) -> BatteryModel:
    require(access)
    clean = _clean_model(values)
    if BatteryModel.objects.filter(code=clean["code"]).exists():
        refuse_one("code", error("model_code_taken", code=clean["code"]))
    model = BatteryModel(**clean)
    save_guarded(model, (), taken=error("model_code_taken", code=clean["code"]), field="code")
    activity_record(actor=access.actor, verb="battery_model.created", obj=model,
                    data={"code": model.code, "category": model.eu_category, "chemistry": model.chemistry})
    return model


@transaction.atomic
def battery_model_update(*, access: Access, battery_model: BatteryModel, data: Mapping[str, Any]) -> BatteryModel:
    require(access)
    model = BatteryModel.objects.select_for_update().get(pk=battery_model.pk)
    merged = {field: data.get(field, getattr(model, field)) for field in MODEL_FIELDS}
    clean = _clean_model(merged)
    if clean["code"] != model.code and BatteryModel.objects.filter(code=clean["code"]).exists():
        refuse_one("code", error("model_code_taken", code=clean["code"]))
    changes = apply_changes(model, clean)
    if changes:
        save_guarded(model, changes, taken=error("model_code_taken", code=clean["code"]), field="code")
        activity_record(actor=access.actor, verb="battery_model.updated", obj=model,
                        data={"code": model.code, "changes": changes})
    return model
