"""Protocol files: versioned YAML in `apps/checklists/protocols/` (and in the folders other apps
register through `extensions.py`), validated when loaded.

A protocol says which requirements a scope (a shipment, a material lot, a battery model, a battery
model for a year and plant) must meet: the evidence each needs and the named checks (Python, in
`checks/`) that must pass. Every value carries its source key from REFERENCE.md and a confidence mark
(C primary, S secondary, U unconfirmed); protocol-level parameters marked U may be overridden per
deployment in `settings.CHECKLIST_PARAMETERS` (e.g. the date of a delegated act once it is published).

A broken file is refused with `ProtocolError("<file>:<line>: <problem>")`: the JSON Schema
(`protocols/protocol.schema.json`) first, then the names of checks, predicates, evidence types,
parameters and source keys. Line numbers come from PyYAML's node marks.

No database access here: this module only reads files.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

PROTOCOL_DIR = Path(__file__).resolve().parent / "protocols"
SCHEMA_PATH = PROTOCOL_DIR / "protocol.schema.json"
SOURCES_PATH = PROTOCOL_DIR / "sources.yaml"

SCOPE_KINDS = ("shipment", "material_lot", "battery_model", "model_year")
SEVERITIES = ("critical", "major", "minor")


class ProtocolError(ValueError):
    """A protocol file that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def get(self, language: str | None) -> str:
        return self.zh if (language or "").startswith("zh") else self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class Param:
    name: str
    value: Any
    sources: tuple[str, ...]
    confidence: str
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class Call:
    """A named check or predicate with its parameters (looked up first here, then on the protocol)."""

    name: str
    params: Mapping[str, Param]
    line: int = 0


@dataclass(frozen=True)
class EvidenceRule:
    types: tuple[str, ...]
    min_count: int = 1
    accepted: bool = True
    # Name of a date of the scope the documents must be valid on ("dispatch_date", "today"); None: any.
    valid_on: str | None = None
    # After this date of the scope, missing evidence counts as failed (the goods already left).
    due: str | None = None


@dataclass(frozen=True)
class Requirement:
    id: str
    title: Text
    text: Text
    severity: str
    sources: tuple[str, ...]
    applies_when: tuple[Call, ...] = ()
    evidence: EvidenceRule | None = None
    checks: tuple[Call, ...] = ()
    # Evidence types offered for upload when not met (default: the evidence rule's types).
    upload: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Protocol:
    id: str
    version: int
    title: Text
    text: Text
    scope: str
    sources: tuple[str, ...]
    parameters: Mapping[str, Param]
    applies_when: tuple[Call, ...]
    requirements: tuple[Requirement, ...]
    path: str = ""
    # SHA-256 of the file and of the overrides applied: part of every inputs digest.
    digest: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def requirement(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)


# --- reading YAML with line numbers ------------------------------------------------------------

def _line_map(node: yaml.Node, path: tuple = (), lines: dict | None = None) -> dict[tuple, int]:
    """Path (keys and indices) -> 1-based line, for every node of the document."""
    lines = {} if lines is None else lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _line_map(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, path + (index,), lines)
    return lines


def _line_of(lines: dict[tuple, int], path: tuple) -> int:
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _path_label(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(document)"


class _UniqueKeyLoader(yaml.SafeLoader):
    """Refuses duplicate keys in a mapping (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@cache
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def known_sources() -> dict[str, str]:
    """Source key -> address (the keys of REFERENCE.md used by the protocols, plus CELLPASS)."""
    data = yaml.safe_load(SOURCES_PATH.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def _json_ready(value: Any) -> Any:
    """Dates become ISO strings so that the JSON Schema can say `format: date`-like patterns."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def parse_protocol(text: str, *, name: str, overrides: Mapping[str, Any] | None = None) -> Protocol:
    """Validate and build a protocol from the YAML text of the file `name`."""
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ProtocolError(f"{name}:{line}: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ProtocolError(f"{name}:1: {error}") from None
    if node is None or not isinstance(data, dict):
        raise ProtocolError(f"{name}:1: the file is empty or not a mapping")
    lines = _line_map(node)

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(_json_ready(data)),
                    key=lambda e: (_line_of(lines, tuple(e.absolute_path)), str(e.message)))
    if errors:
        error = errors[0]
        path = tuple(error.absolute_path)
        raise ProtocolError(f"{name}:{_line_of(lines, path)}: {error.message} (at {_path_label(path)})")
    return _build(data, lines, name=name, overrides=overrides or {}, text=text)


def _fail(name: str, lines: dict, path: tuple, problem: str) -> ProtocolError:
    return ProtocolError(f"{name}:{_line_of(lines, path)}: {problem} (at {_path_label(path)})")


def _text(data: dict) -> Text:
    return Text(en=str(data["en"]).strip(), zh=str(data["zh"]).strip())


def _build(data: dict, lines: dict, *, name: str, overrides: Mapping[str, Any], text: str) -> Protocol:
    from .checks import CHECKS, PREDICATES
    from .facts import EVIDENCE_TYPES, SCOPE_DATES

    sources = known_sources()

    def check_sources(keys: list[str], path: tuple) -> tuple[str, ...]:
        for index, key in enumerate(keys):
            if key not in sources:
                raise _fail(name, lines, path + (index,), f"unknown source key {key!r}: add it to sources.yaml "
                                                          "with its address from REFERENCE.md")
        return tuple(keys)

    def params(raw: dict, path: tuple) -> dict[str, Param]:
        built = {}
        for pname, spec in (raw or {}).items():
            built[pname] = Param(name=pname, value=spec["value"],
                                 sources=check_sources(spec["source"], path + (pname, "source")),
                                 confidence=spec["confidence"], unit=spec.get("unit", ""), note=spec.get("note", ""))
        return built

    scope = data["scope"]
    protocol_params = params(data.get("parameters", {}), ("parameters",))
    for pname, value in overrides.items():
        if isinstance(value, str):  # settings from the environment: ISO dates arrive as text
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass
        param = protocol_params.get(pname)
        if param is None:
            raise ProtocolError(f"{name}: settings.CHECKLIST_PARAMETERS names an unknown parameter {pname!r}")
        if param.confidence != "U":
            raise ProtocolError(f"{name}: parameter {pname!r} is confirmed ({param.confidence}) and may not be "
                                "overridden; only [U] parameters are configurable")
        protocol_params[pname] = Param(name=pname, value=value, sources=param.sources, confidence="U",
                                       unit=param.unit, note=f"{param.note} (overridden in settings)".strip())

    def calls(raw: list, path: tuple, registry: Mapping, kind: str) -> tuple[Call, ...]:
        built = []
        for index, entry in enumerate(raw or []):
            entry_path = path + (index,)
            call_name = entry[kind]
            spec = registry.get(call_name)
            if spec is None:
                raise _fail(name, lines, entry_path + (kind,), f"unknown {kind} {call_name!r}; known: "
                                                               f"{', '.join(sorted(registry))}")
            if scope not in spec.scopes:
                raise _fail(name, lines, entry_path + (kind,), f"{kind} {call_name!r} does not apply to scope "
                                                               f"{scope!r}")
            call_params = params(entry.get("params", {}), entry_path + ("params",))
            for pname in call_params:
                if pname not in spec.params:
                    raise _fail(name, lines, entry_path + ("params", pname),
                                f"{kind} {call_name!r} has no parameter {pname!r}; it takes: "
                                f"{', '.join(sorted(spec.params)) or 'none'}")
            for pname, pspec in spec.params.items():
                found = call_params.get(pname) or protocol_params.get(pname)
                if found is None:
                    if pspec.required:
                        raise _fail(name, lines, entry_path, f"{kind} {call_name!r} needs parameter {pname!r}")
                    continue
                problem = pspec.problem(found.value)
                if problem:
                    where = entry_path + ("params", pname) if pname in call_params else ("parameters", pname)
                    raise _fail(name, lines, where, f"parameter {pname!r} {problem}")
            built.append(Call(name=call_name, params=call_params, line=_line_of(lines, entry_path)))
        return tuple(built)

    requirements = []
    seen_ids: set[str] = set()
    for index, raw in enumerate(data["requirements"]):
        path = ("requirements", index)
        if raw["id"] in seen_ids:
            raise _fail(name, lines, path + ("id",), f"requirement id {raw['id']!r} is used twice")
        seen_ids.add(raw["id"])
        rule = None
        if "evidence" in raw:
            ev = raw["evidence"]
            for t_index, doc_type in enumerate(ev["types"]):
                if doc_type not in EVIDENCE_TYPES:
                    raise _fail(name, lines, path + ("evidence", "types", t_index),
                                f"unknown evidence type {doc_type!r}")
            for date_key in ("valid_on", "due"):
                date_name = ev.get(date_key)
                if date_name and date_name not in SCOPE_DATES[scope]:
                    raise _fail(name, lines, path + ("evidence", date_key),
                                f"scope {scope!r} has no date {date_name!r}; it has: {', '.join(SCOPE_DATES[scope])}")
            rule = EvidenceRule(types=tuple(ev["types"]), min_count=ev.get("min_count", 1),
                                accepted=ev.get("accepted", True), valid_on=ev.get("valid_on"),
                                due=ev.get("due"))
        for u_index, doc_type in enumerate(raw.get("upload", [])):
            if doc_type not in EVIDENCE_TYPES:
                raise _fail(name, lines, path + ("upload", u_index), f"unknown evidence type {doc_type!r}")
        if rule is None and not raw.get("checks"):
            raise _fail(name, lines, path, "a requirement needs evidence, checks, or both")
        requirements.append(Requirement(
            id=raw["id"], title=_text(raw["title"]), text=_text(raw["text"]), severity=raw["severity"],
            sources=check_sources(raw["source"], path + ("source",)),
            applies_when=calls(raw.get("applies_when"), path + ("applies_when",), PREDICATES, "predicate"),
            evidence=rule, checks=calls(raw.get("checks"), path + ("checks",), CHECKS, "check"),
            upload=tuple(raw.get("upload", ())), line=_line_of(lines, path)))

    digest_source = text + "\n" + json.dumps(_json_ready(dict(overrides)), sort_keys=True, default=str)
    return Protocol(
        id=data["id"], version=data["version"], title=_text(data["title"]), text=_text(data["text"]), scope=scope,
        sources=check_sources(data["source"], ("source",)), parameters=protocol_params,
        applies_when=calls(data.get("applies_when"), ("applies_when",), PREDICATES, "predicate"),
        requirements=tuple(requirements), path=name,
        digest=hashlib.sha256(digest_source.encode("utf-8")).hexdigest())


def load_protocol(path: Path, *, overrides: Mapping[str, Any] | None = None) -> Protocol:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(f"{path.name}:1: the file is not UTF-8 text") from None
    return parse_protocol(text, name=path.name, overrides=overrides)


class Registry:
    """Every protocol version found in a folder; `latest(id)` is what new evaluations use."""

    def __init__(self, protocols: list[Protocol]) -> None:
        self._by_key: dict[tuple[str, int], Protocol] = {}
        for protocol in protocols:
            key = (protocol.id, protocol.version)
            if key in self._by_key:
                raise ProtocolError(f"{protocol.path}:1: {protocol.id} version {protocol.version} is also defined "
                                    f"in {self._by_key[key].path}")
            self._by_key[key] = protocol

    def get(self, protocol_id: str, version: int | None = None) -> Protocol | None:
        if version is not None:
            return self._by_key.get((protocol_id, version))
        return self.latest(protocol_id)

    def latest(self, protocol_id: str) -> Protocol | None:
        versions = [p for (pid, _v), p in self._by_key.items() if pid == protocol_id]
        return max(versions, key=lambda p: p.version) if versions else None

    def latest_all(self) -> list[Protocol]:
        ids = sorted({pid for pid, _v in self._by_key})
        return [p for pid in ids if (p := self.latest(pid)) is not None]

    def ids(self) -> list[str]:
        return sorted({pid for pid, _v in self._by_key})


def load_registry(folder: Path = PROTOCOL_DIR, *, overrides: Mapping[str, Mapping[str, Any]] | None = None,
                  extra: tuple[Path, ...] = ()) -> Registry:
    """Every protocol file in `folder` and in the `extra` folders (other apps' protocols)."""
    overrides = overrides or {}
    protocols = []
    for directory in (folder, *extra):
        for path in sorted(directory.glob("*.yaml")):
            if path.name == SOURCES_PATH.name:
                continue
            protocol = load_protocol(path)
            if protocol.id in overrides:
                protocol = load_protocol(path, overrides=overrides[protocol.id])
            protocols.append(protocol)
    return Registry(protocols)


@cache
def registry() -> Registry:
    """The protocols shipped in the repository (ours and those other apps registered through
    `extensions.register_protocol_dir`), with the deployment's parameter overrides."""
    from django.conf import settings

    from .extensions import protocol_dirs

    return load_registry(overrides=getattr(settings, "CHECKLIST_PARAMETERS", {}), extra=protocol_dirs())
