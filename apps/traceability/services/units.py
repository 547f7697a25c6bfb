"""Battery units: creation, hierarchy, status changes and cascade-use re-coding."""
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.access import Access
from apps.activity.services import activity_record

from .. import codes, conf
from ..importing import (
    Found,
    check_unit_fields,
    normalise_reference_code,
    parent_level_ok,
)
from ..issues import error
from ..models import (
    BatteryModel,
    BatteryUnit,
    CodeScheme,
    UnitLevel,
    UnitStatus,
)
from .common import apply_changes, check, choice, refuse_one, require, save_guarded, to_date, to_decimal


def _unit_conflicts(code: str, *, original_code: str = "", exclude_pk: Any = None) -> Found:
    """Register-wide uniqueness beyond the constraint: a code is neither in use nor the former code of a
    re-coded unit, and an original code does not belong to a unit still registered under it."""
    found: Found = []
    others = BatteryUnit.objects.exclude(pk=exclude_pk) if exclude_pk else BatteryUnit.objects.all()
    clash = others.filter(Q(code=code) | Q(original_code=code)).values_list("code", "original_code").first()
    if clash is not None:
        found.append(("code", error("code_taken", code=code) if clash[0] == code
                      else error("code_was_recoded", code=code, new_code=clash[0])))
    if original_code and others.filter(code=original_code).exists():
        found.append(("original_code", error("original_code_registered", code=original_code)))
    return found


def _parent(found: Found, level: str, parent_code: str) -> BatteryUnit | None:
    parent_code = normalise_reference_code(parent_code or "")
    if not parent_code:
        return None
    parent = BatteryUnit.objects.filter(code=parent_code).only("id", "level", "code").first()
    if parent is None:
        found.append(("parent_code", error("parent_unknown", code=parent_code)))
    elif level and not parent_level_ok(level, parent.level):
        found.append(("parent_code", error("parent_level")))
    return parent


def _model(found: Found, model_code: str) -> BatteryModel | None:
    if not model_code:
        return None
    model = BatteryModel.objects.filter(code=model_code.strip()).first()
    if model is None:
        found.append(("model_code", error("model_unknown", code=model_code.strip()[:64])))
    return model




@transaction.atomic
def unit_create(*, access: Access, code: str, level: str, scheme: str = "", parent_code: str = "",
                model_code: str = "", status: str = UnitStatus.ORIGINAL, manufactured_on: date | None = None,
                original_code: str = "", mass_kg: Decimal | None = None, gtin: str = "",
                serial: str = "") -> BatteryUnit:
    require(access)
    found: Found = []
    choice(found, "level", level, UnitLevel)
    choice(found, "status", status, UnitStatus)
    model = _model(found, model_code)
    manufactured_on = to_date(found, "manufactured_on", manufactured_on)
    clean, issues = check_unit_fields(
        code=code, scheme=scheme, level=level if level in UnitLevel.values else "", status=status,
        original_code=original_code, gtin=gtin, serial=serial, manufactured_on=manufactured_on,
        today=timezone.localdate(), chemistry=model.chemistry if model else None, gbt_rules=conf.gbt_rules(),
        passport_hosts=conf.passport_hosts())
    found.extend(issues)
    parent = _parent(found, level, parent_code)
    mass = to_decimal(found, "mass_kg", mass_kg)
    check(found)
    check(_unit_conflicts(clean["code"], original_code=clean["original_code"]))
    unit = BatteryUnit(code=clean["code"], scheme=clean["scheme"], gtin=clean["gtin"], serial=clean["serial"],
                       level=level, parent=parent, model=model, status=status, manufactured_on=manufactured_on,
                       original_code=clean["original_code"], mass_kg=mass)
    save_guarded(unit, (), taken=error("code_taken", code=unit.code), field="code")
    activity_record(actor=access.actor, verb="unit.created", obj=unit,
                    data={"code": unit.code, "scheme": unit.scheme, "level": unit.level,
                          "parent": parent.code if parent else "", "original_code": unit.original_code})
    return unit


UNIT_EDITABLE = ("parent_code", "model_code", "manufactured_on", "mass_kg")


@transaction.atomic
def unit_update(*, access: Access, unit: BatteryUnit, data: Mapping[str, Any]) -> BatteryUnit:
    """Change a unit's place in the hierarchy, model, manufacture date or mass. The code changes only by
    cascade-use re-coding (`unit_recode`) and the status by `unit_status_change`."""
    require(access)
    unit = BatteryUnit.objects.select_for_update(of=("self",)).select_related("parent", "model").get(pk=unit.pk)
    found: Found = []
    values: dict[str, Any] = {}
    if "parent_code" in data:
        parent = _parent(found, unit.level, data.get("parent_code") or "")
        if parent is not None and parent.pk == unit.pk:
            found.append(("parent_code", error("parent_level")))
        values["parent"] = parent
    if "model_code" in data:
        values["model"] = _model(found, data.get("model_code") or "")
    if "manufactured_on" in data:
        values["manufactured_on"] = to_date(found, "manufactured_on", data.get("manufactured_on"))
        if values["manufactured_on"] and values["manufactured_on"] > timezone.localdate():
            found.append(("manufactured_on", error("date_future", value=values["manufactured_on"].isoformat())))
    if "mass_kg" in data:
        values["mass_kg"] = to_decimal(found, "mass_kg", data.get("mass_kg"))
    check(found)
    changes = apply_changes(unit, values)
    if changes:
        unit.save(update_fields=[*changes, "updated_at"])
        activity_record(actor=access.actor, verb="unit.updated", obj=unit,
                        data={"code": unit.code, "changes": changes})
    return unit


UNIT_TRANSITIONS_FORBIDDEN_TO = (UnitStatus.ORIGINAL,)


@transaction.atomic
def unit_status_change(*, access: Access, unit: BatteryUnit, status: str) -> BatteryUnit:
    """Annex XIII 4(c) status [C: BP-CG Table 2]. Any change is allowed except back to original (a battery that
    has been repurposed, re-used, remanufactured or discarded never becomes original again)."""
    require(access)
    unit = BatteryUnit.objects.select_for_update().get(pk=unit.pk)
    found: Found = []
    choice(found, "status", status, UnitStatus)
    check(found)
    if status == unit.status:
        refuse_one("status", error("status_unchanged"))
    if status in UNIT_TRANSITIONS_FORBIDDEN_TO:
        refuse_one("status", error("unit_status_original"))
    old = unit.status
    unit.status = status
    unit.save(update_fields=["status", "updated_at"])
    activity_record(actor=access.actor, verb="unit.status_changed", obj=unit,
                    data={"code": unit.code, "from": old, "to": status})
    return unit


RECODE_STATUSES = (UnitStatus.REPURPOSED, UnitStatus.REMANUFACTURED)


@transaction.atomic
def unit_recode(*, access: Access, unit: BatteryUnit, new_code: str, scheme: str = "",
                status: str = UnitStatus.REPURPOSED, gtin: str = "", serial: str = "") -> BatteryUnit:
    """Cascade-use re-coding (GB/T 34014 §4.2 [C: CHINAAUTOREGS]): the product is re-coded under the same rules
    and keeps its original code. The first code a product had stays in `original_code` across later re-codings;
    each step is in the activity log. Children and shipments keep pointing at the same unit."""
    require(access)
    unit = BatteryUnit.objects.select_for_update(of=("self",)).select_related("model").get(pk=unit.pk)
    found: Found = []
    if status not in RECODE_STATUSES:
        found.append(("status", error("recode_status")))
    original = unit.original_code or unit.code
    clean, issues = check_unit_fields(
        code=new_code, scheme=scheme or unit.scheme, level=unit.level, status=status, original_code=original,
        gtin=gtin, serial=serial, chemistry=unit.model.chemistry if unit.model else None,
        gbt_rules=conf.gbt_rules(), passport_hosts=conf.passport_hosts())
    found.extend((field if field != "original_code" else "code", issue) for field, issue in issues)
    parts_type = clean["code"][18:19] if clean["scheme"] == CodeScheme.GBT34014 and len(clean["code"]) == 19 else ""
    if parts_type and codes.detect_scheme(original) == CodeScheme.GBT34014 and original[3] != parts_type:
        found.append(("code", error("cascade_original_type", found=parts_type, expected=original[3])))
    check(found)
    conflicts = [(f, i) for f, i in _unit_conflicts(clean["code"], exclude_pk=unit.pk)]
    if clean["code"] == unit.original_code:
        conflicts.append(("code", error("code_was_recoded", code=clean["code"], new_code=unit.code)))
    check(conflicts)
    old_code = unit.code
    unit.code, unit.scheme, unit.gtin, unit.serial = clean["code"], clean["scheme"], clean["gtin"], clean["serial"]
    unit.original_code, unit.status = original, status
    save_guarded(unit, ("code", "scheme", "gtin", "serial", "original_code", "status"),
                 taken=error("code_taken", code=unit.code), field="code")
    activity_record(actor=access.actor, verb="unit.recoded", obj=unit,
                    data={"from": old_code, "to": unit.code, "original_code": original, "status": status})
    return unit
