"""Frozen inputs of the passport mapping: what the register and the evidence vault hold about one
battery model (and optionally one unit and its passport record). Built from the database by
`apps.exports.selectors.passport_facts_for_*`; the mapping itself never touches the database."""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DocumentFacts:
    """One evidence revision (the current one of its document) with its key fields."""

    doc_type: str
    evidence_id: str
    revision_id: str
    number: int
    sha256: str
    status: str  # RevisionStatus value: only "accepted" feeds the export
    title: str
    key_fields: dict[str, Any]
    level: str = "model"  # "model" (linked to the battery model) or "unit" (linked to the unit)
    reviewed_at: datetime | None = None
    expiry_date: date | None = None


@dataclass(frozen=True)
class ModelFacts:
    id: str
    code: str
    name: str
    manufacturer: str
    eu_category: str
    chemistry: str
    rated_capacity_ah: Decimal | None
    rated_energy_kwh: Decimal | None
    nominal_voltage_v: Decimal | None
    mass_kg: Decimal | None
    manufacturing_plant: str = ""
    plant_country: str = ""
    gtin: str = ""


@dataclass(frozen=True)
class UnitFacts:
    id: str
    code: str
    scheme: str
    level: str
    status: str
    gtin: str = ""
    serial: str = ""
    manufactured_on: date | None = None
    original_code: str = ""
    mass_kg: Decimal | None = None


@dataclass(frozen=True)
class PassportRecordFacts:
    identifier: str
    version: int
    status: str
    predecessor_identifier: str = ""
    put_into_service_on: date | None = None


@dataclass(frozen=True)
class PassportFacts:
    model: ModelFacts
    unit: UnitFacts | None = None
    passport: PassportRecordFacts | None = None
    documents: tuple[DocumentFacts, ...] = field(default_factory=tuple)
    today: date | None = None
