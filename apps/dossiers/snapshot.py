"""The frozen snapshot a dossier is rendered from (pure: no database, no Django).

A snapshot is taken when a dossier is requested and never changes afterwards: the PDF, its manifest
and its digest are functions of the snapshot alone, so later edits to the register, the evidence vault
or the checklists never alter an issued dossier. Everything here is a frozen dataclass of plain values
(strings, ints, tuples); dates and decimals are ISO strings so the canonical JSON is stable.

Canonical form: `snapshot_to_dict` (units stored column-wise: one list of field names, rows as lists,
which keeps a 100,000-unit snapshot compact), serialised with `apps.core.hashing.canonical_json`;
`snapshot_digest` is the SHA-256 of that. `snapshot_from_dict(snapshot_to_dict(s)) == s`.

Version 2 added the wired sections (checklist evaluations, custody transfers, finding threads, Art 8
declarations); a version-1 snapshot still loads, the fields it lacks take their defaults.
"""
from dataclasses import dataclass, field, fields
from typing import Any

from apps.core.hashing import canonical_json, sha256_hex

SNAPSHOT_VERSION = 2
READABLE_VERSIONS = (1, 2)


class ScopeKind:
    SHIPMENT = "shipment"
    MODEL_YEAR_PLANT = "model_year_plant"
    ORGANISATION_PERIOD = "organisation_period"
    ALL = (SHIPMENT, MODEL_YEAR_PLANT, ORGANISATION_PERIOD)


@dataclass(frozen=True)
class Note:
    """Why a section is empty or partial, in both languages (rendered in the dossier's language)."""

    code: str
    en: str
    zh: str


@dataclass(frozen=True)
class Scope:
    kind: str
    label: str
    shipment_id: str = ""
    model_id: str = ""
    year: int = 0
    plant: str = ""
    period_start: str = ""
    period_end: str = ""


@dataclass(frozen=True)
class ProtocolVersion:
    protocol: str
    version: str
    title_en: str = ""
    title_zh: str = ""


@dataclass(frozen=True)
class Cover:
    dossier_id: str
    organisation_id: str
    organisation_name_en: str
    organisation_name_zh: str
    organisation_country: str
    organisation_uscc: str
    organisation_eori: str
    scope: Scope
    facts: tuple[tuple[str, str], ...]  # (label key, value) lines describing the scope (reference, HS code ...)
    protocol_versions: tuple[ProtocolVersion, ...]
    issued_at: str
    issuer_label: str
    language: str


@dataclass(frozen=True)
class RequirementResult:
    code: str  # the protocol's requirement id
    title_en: str
    title_zh: str
    # The checklist engine's status: met / missing / failed / expiring_soon / not_applicable
    # (version-1 snapshots: pass / fail / warning / not_applicable / missing_evidence).
    status: str
    reason_en: str  # the reasons, one per line
    reason_zh: str
    evidence_ids: tuple[str, ...] = ()  # evidence revision ids the result used
    protocol: str = ""
    severity: str = ""  # critical / major / minor
    qualifier: str = ""  # "unconfirmed": met on a paper receipt only
    evaluation_id: str = ""


@dataclass(frozen=True)
class EvaluationSummary:
    """The latest evaluation of one protocol on one checklist scope (a shipment, a lot, a model, a model-year)."""

    evaluation_id: str
    protocol: str
    version: str
    title_en: str
    title_zh: str
    scope_kind: str
    scope_id: str
    scope_label: str
    status: str
    met: int
    applicable: int
    evaluated_at: str
    inputs_digest: str  # SHA-256 of the facts and the protocol file the evaluation saw
    protocol_digest: str = ""  # SHA-256 of the protocol file (and deployment overrides)


@dataclass(frozen=True)
class ChecklistSection:
    available: bool
    note: Note | None = None
    evaluated_at: str = ""  # the latest of the evaluations
    results: tuple[RequirementResult, ...] = ()
    evaluations: tuple[EvaluationSummary, ...] = ()

    def counts(self) -> tuple[tuple[str, int], ...]:
        tally: dict[str, int] = {}
        for result in self.results:
            tally[result.status] = tally.get(result.status, 0) + 1
        return tuple(sorted(tally.items()))


@dataclass(frozen=True)
class EvidenceItem:
    evidence_id: str
    revision_id: str
    doc_type: str
    title: str
    reference: str
    issuer: str
    revision: int
    status: str
    effective_date: str
    expiry_date: str
    uploaded_at: str
    uploaded_by: str
    reviewed_by: str
    reviewed_at: str
    sha256: str
    size: int
    content_type: str
    original_filename: str
    storage_name: str
    file_present: bool


@dataclass(frozen=True)
class LedgerEntry:
    sequence: int
    at: str
    kind: str
    party: str
    summary_en: str
    summary_zh: str
    prev_hash: str
    hash: str
    transfer_id: str = ""
    actor: str = ""
    payload_sha256: str = ""


@dataclass(frozen=True)
class CustodyTransfer:
    """One custody transfer of a shipment in scope, as the ledger and its records state it."""

    transfer_id: str
    shipment: str  # the shipment's reference in this organisation's register
    role: str  # sender / receiver: this organisation's side
    status: str
    sender: str
    receiver: str
    dispatched_on: str
    declared_kg: str
    declared_units: int
    received_on: str = ""
    received_kg: str = ""
    received_units: str = ""
    receipt_source: str = ""  # counterparty / paper / ""
    open_discrepancies: int = 0
    processed_on: str = ""
    black_mass_kg: str = ""
    lots_sha256: str = ""
    certificate_number: str = ""
    certificate_issued_on: str = ""
    certificate_sha256: str = ""
    ledger_length: int = 0
    ledger_head: str = ""


@dataclass(frozen=True)
class CustodySection:
    available: bool
    note: Note | None = None
    entries: tuple[LedgerEntry, ...] = ()
    # One transfer: its ledger head. Several: SHA-256 of "<transfer id>:<head>" lines in transfer-id order.
    head_hash: str = ""
    transfers: tuple[CustodyTransfer, ...] = ()
    verified: bool = False  # every chain in scope recomputed and intact when the snapshot was taken
    problems: tuple[Note, ...] = ()


@dataclass(frozen=True)
class FlowShipment:
    reference: str
    mass_kg: str  # declared net mass, all chemistries
    received_kg: str = ""  # confirmed by the receiver (custody ledger), when known


@dataclass(frozen=True)
class FlowLot:
    code: str
    kind: str
    mass_kg: str
    origin: str
    custody_model: str
    produced_on: str
    sources: tuple[str, ...]  # shipment references or lot codes it was made from
    elements: tuple[tuple[str, str], ...]  # (element symbol, percent)
    recorded_by: str = ""  # "": this organisation's register; else the recycler that recorded it in custody


@dataclass(frozen=True)
class MaterialFlow:
    shipments: tuple[FlowShipment, ...] = ()
    black_mass: tuple[FlowLot, ...] = ()
    recovered: tuple[FlowLot, ...] = ()


@dataclass(frozen=True)
class UnitRow:
    code: str
    scheme: str
    level: str
    status: str
    model_code: str
    manufactured_on: str
    mass_kg: str
    original_code: str


UNIT_FIELDS = tuple(f.name for f in fields(UnitRow))


@dataclass(frozen=True)
class Answer:
    """A message of a finding's thread after the one that raised it."""

    author: str
    at: str
    text: str
    kind: str = ""  # answer / reply / resolution / reopening
    from_auditor: bool = False


@dataclass(frozen=True)
class Finding:
    reference: str
    subject: str  # the finding's title
    severity: str
    status: str
    raised_by: str
    raised_at: str
    text: str
    answers: tuple[Answer, ...] = ()
    target_kind: str = ""  # requirement / evidence_revision / shipment
    target_id: str = ""
    target_label: str = ""
    resolved_at: str = ""


@dataclass(frozen=True)
class FindingsSection:
    available: bool
    note: Note | None = None
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class DeclaredShare:
    element: str
    pre_consumer_pct: str
    post_consumer_pct: str


@dataclass(frozen=True)
class RecycledDeclaration:
    """An accepted recycled-content declaration (vault key fields) for the model and year."""

    evidence_id: str
    revision_id: str
    title: str
    reference: str
    revision: int
    year: str
    plant: str
    custody_model: str
    lot_codes: tuple[str, ...]
    shares: tuple[DeclaredShare, ...]


@dataclass(frozen=True)
class RecycledSection:
    """Art 8 inputs of a battery model, year and plant: the latest evaluation of the Art 8 protocol, the
    accepted declarations and the lots behind them. Empty (with a note) for other scopes."""

    available: bool = False
    note: Note | None = None
    evaluation_id: str = ""
    protocol: str = ""
    version: str = ""
    status: str = ""
    evaluated_at: str = ""
    inputs_digest: str = ""
    inputs_current: bool = False  # these declarations and lots are the inputs that evaluation saw
    declarations: tuple[RecycledDeclaration, ...] = ()
    lots: tuple[FlowLot, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    cover: Cover
    checklist: ChecklistSection
    evidence: tuple[EvidenceItem, ...]
    custody: CustodySection
    material_flow: MaterialFlow
    units: tuple[UnitRow, ...]
    findings: FindingsSection
    version: int = SNAPSHOT_VERSION
    notes: tuple[Note, ...] = field(default=())
    recycled: RecycledSection = field(default_factory=RecycledSection)


# --- canonical form -----------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    data = {f.name: _plain(getattr(snapshot, f.name)) for f in fields(snapshot) if f.name != "units"}
    data["units"] = {"fields": list(UNIT_FIELDS),
                     "rows": [[getattr(u, name) for name in UNIT_FIELDS] for u in snapshot.units]}
    return data


def _note(data: dict | None) -> Note | None:
    return Note(**data) if data else None


def _lot(data: dict) -> FlowLot:
    return FlowLot(**{**data, "sources": tuple(data["sources"]),
                      "elements": tuple(tuple(e) for e in data["elements"])})


def _recycled(data: dict | None) -> RecycledSection:
    if not data:
        return RecycledSection()
    return RecycledSection(**{
        **data, "note": _note(data["note"]), "lots": tuple(_lot(lot) for lot in data["lots"]),
        "declarations": tuple(RecycledDeclaration(**{
            **d, "lot_codes": tuple(d["lot_codes"]), "shares": tuple(DeclaredShare(**s) for s in d["shares"])})
            for d in data["declarations"])})


def snapshot_from_dict(data: dict[str, Any]) -> Snapshot:
    if data.get("version") not in READABLE_VERSIONS:
        raise ValueError(f"unsupported snapshot version {data.get('version')!r}")
    cover = dict(data["cover"])
    cover["scope"] = Scope(**cover["scope"])
    cover["facts"] = tuple(tuple(f) for f in cover["facts"])
    cover["protocol_versions"] = tuple(ProtocolVersion(**p) for p in cover["protocol_versions"])
    checklist = data["checklist"]
    custody = data["custody"]
    flow = data["material_flow"]
    findings = data["findings"]
    unit_fields = data["units"]["fields"]
    if tuple(unit_fields) != UNIT_FIELDS:
        raise ValueError("unexpected unit fields")
    return Snapshot(
        version=data["version"],
        cover=Cover(**cover),
        checklist=ChecklistSection(
            available=checklist["available"], note=_note(checklist["note"]), evaluated_at=checklist["evaluated_at"],
            results=tuple(RequirementResult(**{**r, "evidence_ids": tuple(r["evidence_ids"])})
                          for r in checklist["results"]),
            evaluations=tuple(EvaluationSummary(**e) for e in checklist.get("evaluations", []))),
        evidence=tuple(EvidenceItem(**e) for e in data["evidence"]),
        custody=CustodySection(available=custody["available"], note=_note(custody["note"]),
                               entries=tuple(LedgerEntry(**e) for e in custody["entries"]),
                               head_hash=custody["head_hash"],
                               transfers=tuple(CustodyTransfer(**t) for t in custody.get("transfers", [])),
                               verified=custody.get("verified", False),
                               problems=tuple(Note(**n) for n in custody.get("problems", []))),
        material_flow=MaterialFlow(shipments=tuple(FlowShipment(**s) for s in flow["shipments"]),
                                   black_mass=tuple(_lot(lot) for lot in flow["black_mass"]),
                                   recovered=tuple(_lot(lot) for lot in flow["recovered"])),
        units=tuple(UnitRow(*row) for row in data["units"]["rows"]),
        findings=FindingsSection(
            available=findings["available"], note=_note(findings["note"]),
            findings=tuple(Finding(**{**f, "answers": tuple(Answer(**a) for a in f["answers"])})
                           for f in findings["findings"])),
        notes=tuple(Note(**n) for n in data.get("notes", [])),
        recycled=_recycled(data.get("recycled")),
    )


def snapshot_bytes(snapshot: Snapshot) -> bytes:
    return canonical_json(snapshot_to_dict(snapshot))


def snapshot_digest(snapshot: Snapshot) -> str:
    """SHA-256 of the canonical JSON: the same data always gives the same digest."""
    return sha256_hex(snapshot_bytes(snapshot))


def snapshot_load(raw: bytes) -> Snapshot:
    import json

    return snapshot_from_dict(json.loads(raw))
