"""Every evidence key field the checklists and the passport export read is one the vault declares.

The vault's type registry (apps/evidence/doctypes.py) is the source of truth. The read set comes from
the protocol files (every check and predicate they call, with the key fields each declares it reads
and the parameters naming key fields of the requirement's evidence types), the snapshot's own reads
and apps/exports/keyfields.py. A second test runs the shipped protocols and the passport mapping on
documents whose key fields record every access: what the code reads must be what it declares, so a
check cannot read a name behind the declaration's back.
"""
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from apps.checklists.checks import CHECKS, PREDICATES
from apps.checklists.engine import evaluate
from apps.checklists.protocol import Protocol, registry
from apps.checklists.snapshot import SNAPSHOT_READS
from apps.evidence.doctypes import REGISTRY
from apps.evidence.keyfields import SHARE_PARTS, Kind
from apps.exports import keyfields as exports_keyfields
from apps.exports.passport import Tier, build_passport

from .builders import complete_export_docs, lot, lot_facts, model, model_year, shipment, unit, with_docs

Read = tuple[str, str, str]  # (who reads it, evidence type, key-field path)


# --- the vault's answer -------------------------------------------------------------------------------

def undeclared(doc_type: str, path: str) -> str | None:
    """Why the vault does not declare `path` for `doc_type` ("field", "table.column", "map.key",
    "map.*", "shares.*.pre_consumer_pct"), or None when it does."""
    doctype = REGISTRY.get(doc_type)
    if doctype is None:
        return f"{doc_type!r} is not an evidence type"
    first, *rest = path.split(".")
    field = doctype.spec.field(first)
    if field is None:
        return f"the vault declares no key field {first!r} for {doc_type}"
    while rest:
        part = rest.pop(0)
        if field.kind == Kind.ROWS:
            column = next((c for c in field.columns if c.name == part), None)
            if column is None:
                return f"{doc_type}.{field.name} has no column {part!r}"
            field = column
        elif field.kind in (Kind.DECIMAL_MAP, Kind.PERCENT_MAP, Kind.SHARES):
            if part != "*" and part not in dict(field.keys):
                return f"{doc_type}.{field.name} has no key {part!r}"
            if field.kind == Kind.SHARES and rest:
                share_part = rest.pop(0)
                if share_part not in SHARE_PARTS:
                    return f"{doc_type}.{field.name} entries have no {share_part!r}"
            if rest:
                return f"{doc_type}.{path}: nothing below {part!r}"
            return None
        else:
            return f"{doc_type}.{field.name} is a {field.kind}, it has no {part!r}"
    return None


# --- what is read ----------------------------------------------------------------------------------

def _param(protocol: Protocol, call, name: str) -> Any:
    if name in call.params:
        return call.params[name].value
    return protocol.parameters[name].value if name in protocol.parameters else None


def protocol_reads(protocol: Protocol) -> Iterator[Read]:
    for requirement in protocol.requirements:
        types = requirement.evidence.types if requirement.evidence else requirement.upload
        calls = [(CHECKS, c) for c in requirement.checks]
        calls += [(PREDICATES, c) for c in protocol.applies_when + requirement.applies_when]
        for registry_, call in calls:
            spec = registry_[call.name]
            who = f"{protocol.path} › {requirement.id} › {call.name}"
            for doc_type, paths in spec.reads.items():
                for path in paths:
                    yield who, doc_type, path
            for name, prefix in spec.keyfield_params.items():
                value = _param(protocol, call, name)
                names = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else [value]
                for doc_type in types:
                    for field_name in names:
                        yield f"{who} (parameter {name})", doc_type, f"{prefix}{field_name}"


def all_reads() -> list[Read]:
    reads = [read for protocol in registry().latest_all() for read in protocol_reads(protocol)]
    reads += [("apps/checklists/snapshot.py", t, p) for t, paths in SNAPSHOT_READS.items() for p in paths]
    reads += [("apps/exports/keyfields.py", t, p) for t, paths in exports_keyfields.reads().items() for p in paths]
    return reads


def test_every_key_field_read_is_declared_by_the_vault_registry():
    reads = all_reads()
    assert {who.split(" ›")[0] for who, _t, _p in reads} >= {
        "cn-export-2026.v1.yaml", "eu-art7-carbon-footprint.v1.yaml", "eu-art8-recycled-content.v1.yaml",
        "iso22095-mass-balance.v1.yaml", "apps/checklists/snapshot.py", "apps/exports/keyfields.py"}
    problems = sorted({f"{who}: {problem}" for who, doc_type, path in reads
                       if (problem := undeclared(doc_type, path))})
    assert problems == []


def test_the_check_catches_names_the_vault_does_not_have():
    # The names the checklists and the passport once guessed: each is refused with the reason.
    assert "no key field 'net_mass_kg' for receipt" in undeclared("receipt", "net_mass_kg")
    assert "no key field 'stages'" in undeclared("carbon_footprint_study", "stages")
    assert "has no column 'quantity_kg'" in undeclared("mass_balance_record", "inputs.quantity_kg")
    assert "has no key 'Zz'" in undeclared("assay_report", "elements.Zz")
    assert "entries have no 'pre'" in undeclared("recycled_content_declaration", "shares.Co.pre")
    assert "is not an evidence type" in undeclared("passport_sheet", "warranty_period")
    assert undeclared("recycled_content_declaration", "shares.*.post_consumer_pct") is None
    assert undeclared("mass_balance_record", "outputs.reference") is None


# --- what the code actually reads ------------------------------------------------------------------

class Recording(dict):
    """Key fields that log every name read (`.get`, `[]`, `in`; iteration as "*"), nested tables and maps too."""

    def __init__(self, data: Mapping, log: set[str], prefix: str = "") -> None:
        super().__init__({k: _wrap(v, log, f"{prefix}{k}") for k, v in data.items()})
        self._log, self._prefix = log, prefix

    def _seen(self, key: Any) -> None:
        self._log.add(f"{self._prefix}{key}")

    def __getitem__(self, key):
        self._seen(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._seen(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._seen(key)
        return super().__contains__(key)

    def items(self):
        self._seen("*")
        return super().items()

    def values(self):
        self._seen("*")
        return super().values()

    def keys(self):
        self._seen("*")
        return super().keys()

    def __iter__(self):
        self._seen("*")
        return super().__iter__()


def _wrap(value: Any, log: set[str], path: str) -> Any:
    if isinstance(value, Mapping):
        return Recording(value, log, f"{path}.")
    if isinstance(value, list):
        return [Recording(item, log, f"{path}.") if isinstance(item, Mapping) else item for item in value]
    return value


def covered(recorded: str, declared: set[str]) -> bool:
    """A recorded path is covered by a declared one it equals, or is a parent of, with "*" on either side."""
    parts = recorded.split(".")
    for path in declared:
        wanted = path.split(".")
        if len(parts) <= len(wanted) and all(r == w or "*" in (r, w) for r, w in zip(parts, wanted, strict=False)):
            return True
    return False


def _recording(facts, log_by_type: dict[str, set[str]]):
    from dataclasses import replace

    docs = tuple(replace(d, key_fields=Recording(d.key_fields, log_by_type.setdefault(d.doc_type, set())))
                 for d in facts.docs)
    return with_docs(facts, docs)


def _declared_by_type(protocols: list[Protocol]) -> dict[str, set[str]]:
    declared: dict[str, set[str]] = {}
    for protocol in protocols:
        for _who, doc_type, path in protocol_reads(protocol):
            declared.setdefault(doc_type, set()).add(path)
    return declared


def test_checks_read_only_what_they_declare():
    from .test_engine_eu import cf_study, declaration, with_param
    from .test_engine_massbalance import record

    reg = registry()
    art7 = with_param(reg.latest("eu-art7-carbon-footprint"), "act_date", date(2024, 1, 1))
    art8 = reg.latest("eu-art8-recycled-content")
    export, codes, mass_balance = (reg.latest(p) for p in ("cn-export-2026", "gbt34014-codes",
                                                             "iso22095-mass-balance"))
    log: dict[str, set[str]] = {}
    black_mass = lot("BM-1", elements={"Co": 10}, source_shipment_ids=("ship-1",))
    runs = [
        (export, with_docs(shipment(status="received", units=(unit(1),), lots=(black_mass,)), complete_export_docs()),
         date(2026, 6, 1)),
        (export, with_docs(shipment(counterparty_country="CN", counterparty_name="Hunan Brunp Recycling"),
                           complete_export_docs()), date(2026, 6, 1)),
        (codes, with_docs(shipment(units=(unit(1),)), complete_export_docs()), date(2026, 6, 1)),
        (art7, with_docs(model(), [cf_study()]), date(2027, 6, 1)),
        (art8, with_docs(model_year(lots=[lot("BM-1")]), [declaration(lot_codes=["BM-1"])]), date(2031, 6, 1)),
        (mass_balance, lot_facts(lot(), docs=[record()]), date(2026, 6, 1)),
    ]
    for protocol, facts, today in runs:
        results = evaluate(protocol, _recording(facts, log), today)
        assert any(r.status != "not_applicable" for r in results), protocol.id
    declared = _declared_by_type([protocol for protocol, _f, _d in runs])
    assert {t for t, seen in log.items() if seen} >= {"contract", "transport_manifest", "receipt", "assay_report",
                                                      "recycling_certificate", "carbon_footprint_study",
                                                      "recycled_content_declaration", "mass_balance_record"}
    undeclared_reads = sorted(f"{doc_type}.{path}" for doc_type, seen in log.items() for path in seen
                              if not covered(path, declared.get(doc_type, set())))
    assert undeclared_reads == []


def test_the_passport_reads_only_what_apps_exports_keyfields_lists():
    from tests.exports.test_passport_mapping import complete_documents, facts

    log: dict[str, set[str]] = {}
    from dataclasses import replace

    documents = tuple(replace(d, key_fields=Recording(d.key_fields, log.setdefault(d.doc_type, set())))
                      for d in complete_documents())
    export = build_passport(facts(documents=documents), Tier.AUTHORITIES)
    assert not export.problems
    declared = {t: set(paths) for t, paths in exports_keyfields.reads().items()}
    assert set(log) == set(exports_keyfields.PASSPORT_DOCUMENT_TYPES)
    undeclared_reads = sorted(f"{doc_type}.{path}" for doc_type, seen in log.items() for path in seen
                              if not covered(path, declared.get(doc_type, set())))
    assert undeclared_reads == []
