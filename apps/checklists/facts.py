"""The frozen snapshot of a scope that the engine evaluates (no database access here).

`snapshot.py` builds these from the register, the evidence vault and the custody ledger
(`apps.custody.facts.CustodyFacts`, as the ledger gives it), plus the facts other apps contribute
through `extensions.py` (`extensions`); the engine reads nothing else. `facts_digest()` is the
SHA-256 of their canonical form: two evaluations with the same digest, protocol and day saw exactly
the same inputs.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from apps.core.hashing import canonical_json, sha256_hex
from apps.custody.facts import CustodyFacts
from apps.evidence.models import EvidenceType

__all__ = ["CustodyFacts", "Doc", "Lot", "LotFacts", "ModelFacts", "ModelYearFacts", "ShipmentFacts", "Unit"]

EVIDENCE_TYPES = frozenset(EvidenceType.values)

# Dates of a scope that evidence rules may name (`valid_on`, `due`); "today" is always there.
SCOPE_DATES: dict[str, tuple[str, ...]] = {
    "shipment": ("today", "dispatch_date", "arrival_date"),
    "material_lot": ("today", "produced_on"),
    "battery_model": ("today",),
    "model_year": ("today",),
}


@dataclass(frozen=True)
class Doc:
    """The current revision of one evidence document (superseded revisions are left out)."""

    revision_id: str
    evidence_id: str
    doc_type: str
    title: str = ""
    reference: str = ""
    issuer: str = ""
    number: int = 1
    status: str = "accepted"
    effective_date: date | None = None
    expiry_date: date | None = None
    key_fields: Mapping[str, Any] = field(default_factory=dict)
    source: str = "upload"
    rejection_reason: str = ""
    # What the document is linked to, by kind: "shipment", "unit", "lot", "model".
    links: tuple[str, ...] = ()


class Unit(NamedTuple):
    """One pack, module or cell. An immutable record like the dataclasses here, but a tuple: a shipment
    of 100,000 units is built straight from the database rows (`Unit._make(row)`), several times faster
    than 100,000 frozen-dataclass constructions."""

    id: str
    code: str
    scheme: str = "gbt34014"
    level: str = "pack"
    parent_id: str | None = None
    status: str = "original"
    original_code: str = ""
    model_id: str | None = None
    gtin: str = ""
    serial: str = ""


@dataclass(frozen=True)
class Lot:
    id: str
    code: str
    kind: str
    mass_kg: Decimal
    produced_on: date | None = None
    origin: str = "post_consumer"
    custody_model: str = ""
    elements: Mapping[str, Decimal] = field(default_factory=dict)
    source_lot_ids: tuple[str, ...] = ()
    source_shipment_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShipmentFacts:
    id: str
    reference: str
    direction: str = "outbound"
    status: str = "draft"
    counterparty_name: str = ""
    counterparty_country: str = ""
    counterparty_organisation_id: str | None = None
    origin_country: str = ""
    destination_country: str = ""
    hs_code: str = ""
    un_number: str = ""
    special_provision: str = ""
    packing_instruction: str = ""
    is_waste: bool = False
    waste_code: str = ""
    dispatch_date: date | None = None
    arrival_date: date | None = None
    # Declared net mass per chemistry (kg).
    declared_masses: Mapping[str, Decimal] = field(default_factory=dict)
    # Chemistries of the battery models of the units.
    unit_chemistries: tuple[str, ...] = ()
    units: tuple[Unit, ...] = ()
    # Children and grandchildren of the shipped units that are not themselves in the shipment.
    descendants: tuple[Unit, ...] = ()
    # Normalised code -> codes of units outside this shipment that normalise to the same value.
    code_clashes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Normalised original code -> codes of units outside this shipment keeping the same original code.
    original_code_clashes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Unit id -> references of other (not cancelled) outbound shipments that contain the unit.
    other_shipments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Material lots made from this shipment (inputs: black mass ...) and lots refined from them.
    lots: tuple[Lot, ...] = ()
    docs: tuple[Doc, ...] = ()
    # The custody ledger's view of this shipment (a transfer to or from an organisation on the
    # platform); None when it never went through the ledger.
    custody: CustodyFacts | None = None
    # Facts contributed by apps above checklists (extensions.py), by provider name.
    extensions: Mapping[str, Any] = field(default_factory=dict)

    kind = "shipment"

    @property
    def scope_id(self) -> str:
        return self.id

    @property
    def label(self) -> str:
        return self.reference

    def date(self, name: str, today: date) -> date | None:
        if name == "today":
            return today
        return getattr(self, name)

    @property
    def declared_mass_kg(self) -> Decimal | None:
        return sum(self.declared_masses.values(), Decimal(0)) if self.declared_masses else None


@dataclass(frozen=True)
class MassBalanceClaim:
    """A mass-balance record (its current revision) that lists a lot among its outputs."""

    revision_id: str
    evidence_id: str
    reference: str


@dataclass(frozen=True)
class LotFacts:
    lot: Lot
    docs: tuple[Doc, ...] = ()
    # Every current mass-balance record in the register that claims this lot as an output.
    claims: tuple[MassBalanceClaim, ...] = ()

    kind = "material_lot"

    @property
    def scope_id(self) -> str:
        return self.lot.id

    @property
    def label(self) -> str:
        return self.lot.code

    def date(self, name: str, today: date) -> date | None:
        return today if name == "today" else getattr(self.lot, name)


@dataclass(frozen=True)
class ModelFacts:
    id: str
    code: str
    name: str = ""
    manufacturer: str = ""
    eu_category: str = "ev"
    chemistry: str = "ncm"
    rated_energy_kwh: Decimal | None = None
    manufacturing_plant: str = ""
    plant_country: str = ""
    external_storage_only: bool = False
    docs: tuple[Doc, ...] = ()
    # Facts contributed by apps above checklists (extensions.py), by provider name.
    extensions: Mapping[str, Any] = field(default_factory=dict)

    kind = "battery_model"

    @property
    def scope_id(self) -> str:
        return self.id

    @property
    def label(self) -> str:
        return self.code

    def date(self, name: str, today: date) -> date | None:
        return today


@dataclass(frozen=True)
class ModelYearFacts:
    model: ModelFacts
    year: int
    # Lots behind the recycled-content declarations (linked to them, or named by code in them).
    lots: tuple[Lot, ...] = ()

    kind = "model_year"

    @property
    def docs(self) -> tuple[Doc, ...]:
        return self.model.docs

    @property
    def scope_id(self) -> str:
        return model_year_scope_id(self.model.id, self.year)

    @property
    def label(self) -> str:
        return f"{self.model.code} · {self.year}"

    def date(self, name: str, today: date) -> date | None:
        return today


ScopeFacts = ShipmentFacts | LotFacts | ModelFacts | ModelYearFacts


def model_year_scope_id(model_id: str, year: int) -> str:
    return f"{model_id}:{year}"


def split_model_year(scope_id: str) -> tuple[str, int] | None:
    model_id, _sep, year = scope_id.partition(":")
    if not year.isdigit():
        return None
    return model_id, int(year)


# --- canonical form and digest ---------------------------------------------------------------

def _canonical(value: Any) -> Any:
    if is_dataclass(value):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        if value and isinstance(value[0], Unit):
            return {"units": len(value), "sha256": units_sha(value)}
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())
    return value


def units_sha(units: tuple[Unit, ...]) -> str:
    """SHA-256 of the unit rows (fields joined by US, rows ended by RS; None as empty): a canonical form
    several times cheaper than JSON for 100,000 rows."""
    digest = hashlib.sha256()
    for unit in units:
        digest.update(("\x1f".join(field or "" for field in unit) + "\x1e").encode("utf-8"))
    return digest.hexdigest()


def facts_hash(facts: ScopeFacts) -> str:
    """SHA-256 of the canonical form of the facts (computed once per scope, shared by its protocols)."""
    return sha256_hex(canonical_json({"kind": facts.kind, "facts": _canonical(facts)}))


def facts_digest(facts: ScopeFacts, *, protocol_digest: str = "", facts_sha: str | None = None) -> str:
    """The inputs digest of an evaluation: the facts and the protocol file they are evaluated under."""
    return sha256_hex(f"{facts_sha or facts_hash(facts)}:{protocol_digest}".encode("ascii"))
