"""China traceability-platform reporting (pure): upload deadlines per lifecycle event, the board's
due / overdue / reported state, the checklist requirement "reported in time", and the rows of a
platform-upload file.

Deadlines: 2018 traceability provisions, Arts 9-15 [REFERENCE §2.4, source JDCSWW; OEM/importer
row EGB634]. The 2026 Interim Measures replace the 2018 regime from 1 Apr 2026 but their article
text (deadlines) is not confirmed [REFERENCE §2.6, U]: the day counts are data (`DEADLINE_RULES`), so
they can change without touching the logic. The platform's upload file format is not published:
the columns are configurable (settings.CELLPASS_PLATFORM_EXPORT_COLUMNS).
"""
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .workdays import Deadline, add_working_days


@dataclass(frozen=True)
class DeadlineRule:
    working_days: int
    actor: Any
    source_key: str


DEADLINE_RULES: dict[str, DeadlineRule] = {
    "recycler_receipt": DeadlineRule(30, _("Recycling enterprise"), "JDCSWW Art 15"),
    "recycling_completed": DeadlineRule(30, _("Recycling enterprise"), "JDCSWW Art 15"),
    "cascade_product_out": DeadlineRule(15, _("Cascade-use enterprise"), "JDCSWW Art 14"),
    "cascade_waste_in": DeadlineRule(15, _("Cascade-use enterprise"), "JDCSWW Art 14"),
    "cascade_waste_out": DeadlineRule(15, _("Cascade-use enterprise"), "JDCSWW Art 14"),
    "dismantler_certificate": DeadlineRule(15, _("Scrapped-vehicle dismantler"), "JDCSWW Art 13"),
    "dismantler_transfer": DeadlineRule(15, _("Scrapped-vehicle dismantler"), "JDCSWW Art 13"),
    "oem_repair": DeadlineRule(30, _("Vehicle manufacturer"), "JDCSWW Art 11"),
    "oem_collection": DeadlineRule(30, _("Vehicle manufacturer"), "JDCSWW Art 12"),
    "oem_conformity": DeadlineRule(15, _("Vehicle manufacturer or importer"), "EGB634 (Art 9)"),
}

MSG_OVERDUE = _("%(event)s of %(date)s (%(reference)s) was due on the traceability platform by %(deadline)s "
                "and has no submission reference.")


def deadline_for(kind: str, occurred_on: date) -> Deadline:
    return add_working_days(occurred_on, DEADLINE_RULES[kind].working_days)


class State:
    REPORTED = "reported"
    OVERDUE = "overdue"
    DUE = "due"


@dataclass(frozen=True)
class EventFacts:
    id: str
    kind: str
    kind_label: str
    occurred_on: date
    deadline: date
    reference: str
    platform_reference: str = ""


def state_of(event: EventFacts, today: date) -> str:
    if event.platform_reference:
        return State.REPORTED
    return State.OVERDUE if today > event.deadline else State.DUE


@dataclass(frozen=True)
class RequirementFailure:
    event_id: str
    code: str
    message: str


def reporting_requirement_failed(events: Iterable[EventFacts], today: date) -> list[RequirementFailure]:
    """The checklist requirement "every event reported to the traceability platform in time" fails
    once per event that is past its deadline without a submission reference. An empty list = met.
    (The check `platform_reported_in_time` of the protocol `cn-platform-reporting`, `checklist.py`.)"""
    return [RequirementFailure(event.id, "reporting_overdue", str(MSG_OVERDUE) % {
        "event": event.kind_label, "date": event.occurred_on.isoformat(), "reference": event.reference or "—",
        "deadline": event.deadline.isoformat()}) for event in events if state_of(event, today) == State.OVERDUE]


# --- GB/T 34014 codes -------------------------------------------------------------------------------

# Catena-X TractionBatteryCode regex (CC-BY-4.0) [REFERENCE §2.1, CX-TBC-TTL]: 24-character code, or
# the 19-character form with suffix R + original product type.
GBT34014_RE = re.compile(
    r"(^[A-Z0-9]{3}[PMC][A-GZ][A-Z0-9]{2}[A-Z0-9]{7}[1-9A-GH-NPR-Y][1-9A-C][0-9A-GH-NPR-Y][0-9]{7}$)"
    r"|(^[A-Z0-9]{3}[PMC][A-GZ][A-Z0-9]{2}[1-9A-GH-NPR-Y][1-9A-C][0-9A-GH-NPR-Y][0-9]{7}R[PMC]$)")


def is_gbt34014(code: str) -> bool:
    return bool(GBT34014_RE.match(code or ""))


# --- upload file ------------------------------------------------------------------------------------

COLUMN_LABELS: dict[str, Any] = {
    "code": _("GB/T 34014 code"),
    "original_code": _("Original code"),
    "event": _("Event"),
    "event_code": _("Event code"),
    "date": _("Event date"),
    "deadline": _("Upload deadline"),
    "counterparty": _("Counterparty"),
    "mass_kg": _("Mass (kg)"),
    "reference": _("Reference"),
    "code_valid": _("Code parses as GB/T 34014"),
}
DEFAULT_COLUMNS = ("code", "event", "date", "counterparty", "mass_kg")
MSG_UNKNOWN_COLUMN = _("Unknown export column “%(column)s”; known columns: %(known)s.")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class UploadEvent:
    kind: str
    kind_label: str
    occurred_on: date
    deadline: date
    counterparty: str
    mass_kg: Decimal | None
    reference: str
    unit_codes: Sequence[str]
    original_codes: Sequence[str] = ()


def check_columns(columns: Sequence[str]) -> tuple[str, ...]:
    unknown = [column for column in columns if column not in COLUMN_LABELS]
    if unknown or not columns:
        raise ValueError(str(MSG_UNKNOWN_COLUMN) % {"column": ", ".join(unknown) or "—",
                                                     "known": ", ".join(COLUMN_LABELS)})
    return tuple(columns)


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
    apostrophe; numbers and dates stay typed."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def upload_rows(events: Iterable[UploadEvent], columns: Sequence[str]) -> list[list[Any]]:
    """One row per battery code (the platform tracks codes); an event without codes gives one row
    with an empty code. Values are typed (dates, Decimal) and formula-escaped."""
    columns = check_columns(columns)
    rows: list[list[Any]] = []
    for event in events:
        codes = list(event.unit_codes) or [""]
        originals = list(event.original_codes) + [""] * (len(codes) - len(event.original_codes))
        for index, (code, original) in enumerate(zip(codes, originals, strict=False)):
            values = {
                "code": code, "original_code": original, "event": event.kind_label, "event_code": event.kind,
                "date": event.occurred_on, "deadline": event.deadline, "counterparty": event.counterparty,
                # the consignment's mass once, on its first code, so that a column sum stays right
                "mass_kg": event.mass_kg if index == 0 else None, "reference": event.reference,
                "code_valid": is_gbt34014(code) if code else False,
            }
            rows.append([escape_cell(values[column]) for column in columns])
    return rows


def header(columns: Sequence[str]) -> list[str]:
    return [str(COLUMN_LABELS[column]) for column in check_columns(columns)]
