"""Turning exported Battery Pass values into lines a person reads on the passport pages (pure)."""
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.traceability.models import UnitStatus

from .passport import ASPECT_LABELS, ASPECTS, PROPS, PassportExport, Tier

CATEGORY_LABELS = {"ev": _("Electric vehicle (EV)"), "lmt": _("Light means of transport (LMT)"),
                   "industrial": _("Industrial"), "stationary": _("Stationary energy storage")}
STATUS_LABELS = {"Original": UnitStatus.ORIGINAL.label, "Repurposed": UnitStatus.REPURPOSED.label,
                 "Reused": UnitStatus.REUSED.label, "Remanufactured": UnitStatus.REMANUFACTURED.label,
                 "Waste": UnitStatus.WASTE.label}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def lines(value: Any) -> list[str]:
    """A value as one or more lines: nested objects become "key: value" pairs."""
    if isinstance(value, list):
        result: list[str] = []
        for item in value:
            result += ["; ".join(lines(item))] if isinstance(item, dict) else lines(item)
        return result
    if isinstance(value, dict):
        return [f"{key}: {', '.join(lines(inner))}" for key, inner in value.items()]
    return [_scalar(value)]


def readable(path: str, value: Any) -> list[str]:
    if path == "batteryCategory":
        return [str(CATEGORY_LABELS.get(value, value))]
    if path == "batteryStatus":
        return [str(STATUS_LABELS.get(value, value))]
    if path in ("manufacturingDate", "puttingIntoService") and isinstance(value, str):
        return [value[:7]]  # month and year (Annex VI Part A (4))
    return lines(value)


def sections(export: PassportExport, tier: Tier = Tier.PUBLIC) -> list[dict[str, Any]]:
    """Per aspect, the properties `tier` may see, with their value lines or None when missing."""
    result = []
    for aspect in ASPECTS:
        rows = []
        for prop in PROPS:
            if prop.aspect != aspect or prop.tier > tier:
                continue
            value = export.value_of(prop.key)
            rows.append({"label": prop.label, "path": prop.path,
                         "lines": readable(prop.path.rsplit(".", 1)[-1], value) if value is not None else None})
        result.append({"aspect": aspect, "label": ASPECT_LABELS[aspect], "rows": rows})
    return result
