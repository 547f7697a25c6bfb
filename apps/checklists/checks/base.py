"""What every check and predicate shares: the registry, the context they read, their outcome,
reasons rendered in both languages, and the readers of key fields (numbers, dates) that turn
malformed values into a reason instead of a crash.

Pure: no database access. Messages are marked with gettext_lazy so they land in the catalogue, and
rendered in en and zh-Hans by `Reason.render()`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from apps.evidence.models import EvidenceType

from ..facts import Doc

MET = "met"
MISSING = "missing"
FAILED = "failed"
EXPIRING = "expiring_soon"
NOT_APPLICABLE = "not_applicable"
# Worst first: the status of a requirement is the worst of what its evidence rule and checks say.
SEVERITY_ORDER = {FAILED: 4, MISSING: 3, EXPIRING: 2, MET: 1, NOT_APPLICABLE: 0}
LANGUAGES = ("en", "zh-hans")


def worst(statuses: Iterable[str], default: str = MET) -> str:
    statuses = list(statuses)
    return max(statuses, key=SEVERITY_ORDER.__getitem__) if statuses else default


@dataclass(frozen=True)
class Reason:
    """A sentence with numbers: a translatable message and its parameters (rendered per language)."""

    message: Any
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        with translation.override(language):
            values = {key: _display(value) for key, value in self.params.items()}
            text = str(self.message)
            try:
                return text % values if values else text
            except (KeyError, ValueError, TypeError):
                return text

    def as_dict(self) -> dict[str, str]:
        return {"en": self.render("en"), "zh": self.render("zh-hans")}


def _display(value: Any) -> str:
    if isinstance(value, Decimal):
        return fmt_num(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_display(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Outcome:
    status: str
    reasons: tuple[Reason, ...] = ()
    revision_ids: tuple[str, ...] = ()
    # "unconfirmed": met on the strength of a document the counterparty has not confirmed.
    qualifier: str = ""


def outcome(status: str, *reasons: Reason, docs: Iterable[Doc] = (), qualifier: str = "") -> Outcome:
    return Outcome(status=status, reasons=tuple(reasons), revision_ids=tuple(d.revision_id for d in docs),
                   qualifier=qualifier)


@dataclass(frozen=True)
class Gate:
    """What a predicate says about a scope: applies, does not apply, or applies from a future date."""

    applies: bool
    reason: Reason | None = None
    applies_from: date | None = None


# --- parameters ---------------------------------------------------------------------------------

_KINDS: dict[str, tuple[type, ...]] = {
    "number": (int, float), "integer": (int,), "string": (str,), "bool": (bool,), "list": (list,),
    "dict": (dict,), "date": (date,),
}


@dataclass(frozen=True)
class ParamSpec:
    kind: str
    required: bool = True
    nullable: bool = False

    def problem(self, value: Any) -> str | None:
        if value is None:
            return None if self.nullable else "may not be empty"
        if self.kind == "any":
            return None
        allowed = _KINDS[self.kind]
        if isinstance(value, bool) and self.kind in ("number", "integer"):
            return f"should be a {self.kind}, not a boolean"
        if not isinstance(value, allowed):
            return f"should be a {self.kind}, got {type(value).__name__} {value!r}"
        return None


@dataclass(frozen=True)
class Spec:
    name: str
    fn: Callable[..., Any]
    scopes: tuple[str, ...]
    params: Mapping[str, ParamSpec]
    # The evidence key fields the check reads, per document type (names of the vault's registry,
    # apps/evidence/doctypes.py): "field", a table column "field.column", a map key "field.key" or any
    # key "field.*". tests/checklists/test_keyfields.py holds them against the registry.
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Parameters whose value names key fields of the requirement's evidence types: param -> prefix
    # ("" for field names; "cf_per_stage." for keys of that map). A dict value names fields by its values.
    keyfield_params: Mapping[str, str] = field(default_factory=dict)


CHECKS: dict[str, Spec] = {}
PREDICATES: dict[str, Spec] = {}


def _register(registry: dict[str, Spec], name: str, scopes: tuple[str, ...], params: Mapping[str, ParamSpec] | None,
              reads: Mapping[str, tuple[str, ...]] | None = None, keyfield_params: Mapping[str, str] | None = None):
    def decorator(fn):
        if name in registry:
            raise RuntimeError(f"{name} registered twice")
        registry[name] = Spec(name=name, fn=fn, scopes=scopes, params=params or {}, reads=reads or {},
                              keyfield_params=keyfield_params or {})
        return fn

    return decorator


def check(name: str, *, scopes: tuple[str, ...], params: Mapping[str, ParamSpec] | None = None,
          reads: Mapping[str, tuple[str, ...]] | None = None, keyfield_params: Mapping[str, str] | None = None):
    """Register a check: fn(ctx) -> Outcome | None (None: nothing to say, e.g. no document yet).

    `reads` declares the key fields it reads per evidence type, `keyfield_params` the parameters that
    name key fields; checks of other apps register the same way (from their AppConfig.ready())."""
    return _register(CHECKS, name, scopes, params, reads, keyfield_params)


def predicate(name: str, *, scopes: tuple[str, ...], params: Mapping[str, ParamSpec] | None = None,
              reads: Mapping[str, tuple[str, ...]] | None = None):
    """Register a predicate: fn(ctx) -> Gate."""
    return _register(PREDICATES, name, scopes, params, reads)


# --- the context a check reads ------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    protocol: Any
    facts: Any
    today: date
    requirement: Any = None
    call: Any = None
    # Documents the requirement's evidence rule selected (accepted, valid on the rule's date).
    docs: tuple[Doc, ...] = ()

    def param(self, name: str, default: Any = None) -> Any:
        if self.call is not None and name in self.call.params:
            return self.call.params[name].value
        if name in self.protocol.parameters:
            return self.protocol.parameters[name].value
        return default

    def docs_of(self, *doc_types: str, accepted_only: bool = True) -> list[Doc]:
        return [d for d in self.facts.docs if d.doc_type in doc_types
                and (d.status == "accepted" if accepted_only else d.status not in ("superseded", "rejected"))]


# --- reading key fields -------------------------------------------------------------------------

class BadKeyField(Exception):
    """A key field that is there but cannot be read; the engine turns it into a failed requirement."""

    def __init__(self, doc: Doc | None, key: str, value: Any, expected: str) -> None:
        super().__init__(f"{key}={value!r}")
        self.doc, self.key, self.value, self.expected = doc, key, value, expected

    def reason(self) -> Reason:
        expected = {"number": _("a number"), "date": _("a date (YYYY-MM-DD)"),
                    "mapping": _("a table of values")}.get(self.expected, self.expected)
        return Reason(_("%(doc)s: the key field “%(key)s” should be %(expected)s, but it is “%(value)s”."),
                      {"doc": doc_label(self.doc) if self.doc else "", "key": self.key,
                       "expected": expected, "value": str(self.value)[:80]})


def to_decimal(value: Any, *, doc: Doc | None = None, key: str = "") -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadKeyField(doc, key, value, "number")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    elif isinstance(value, str):
        cleaned = value.strip().replace(",", "").replace(" ", "").removesuffix("%")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise BadKeyField(doc, key, value, "number") from None
    else:
        raise BadKeyField(doc, key, value, "number")
    if not number.is_finite():
        raise BadKeyField(doc, key, value, "number")
    return number


def to_date(value: Any, *, doc: Doc | None = None, key: str = "") -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise BadKeyField(doc, key, value, "date") from None
    raise BadKeyField(doc, key, value, "date")


def field_number(doc: Doc, key: str) -> Decimal | None:
    return to_decimal(doc.key_fields.get(key), doc=doc, key=key)


def field_date(doc: Doc, key: str) -> date | None:
    return to_date(doc.key_fields.get(key), doc=doc, key=key)


def field_text(doc: Doc, key: str) -> str:
    value = doc.key_fields.get(key)
    return "" if value is None else str(value).strip()


def field_mapping(doc: Doc, key: str) -> Mapping[str, Any]:
    value = doc.key_fields.get(key)
    if value in (None, "", {}):
        return {}
    if not isinstance(value, Mapping):
        raise BadKeyField(doc, key, value, "mapping")
    return value


# --- formatting ---------------------------------------------------------------------------------

def fmt_num(value: Decimal | int | float, places: int = 3) -> str:
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places)) if places else Decimal(value)
    text = format(number.normalize(), "f")
    return text


def fmt_mass(kg: Decimal | None) -> str:
    if kg is None:
        return "—"
    if abs(kg) >= 1000:
        return f"{fmt_num(kg / 1000)} t"
    return f"{fmt_num(kg)} kg"


def fmt_pct(value: Decimal | int | float) -> str:
    return f"{fmt_num(Decimal(str(value)), 2)} %"


def type_label(doc_type: str) -> Any:
    try:
        return EvidenceType(doc_type).label
    except ValueError:
        return doc_type


def doc_label(doc: Doc) -> Any:
    """“Contract C-2026-17” in the active language (the type label is translated when rendered)."""
    name = doc.reference or doc.title or doc.revision_id[:8]
    return format_lazy("{} {}", type_label(doc.doc_type), name)


def normalise_name(name: str) -> str:
    return " ".join(name.casefold().replace(",", " ").replace(".", " ").split())


def names_match(a: str, b: str) -> bool:
    """Two party names match when one contains the other once case and punctuation are ignored."""
    left, right = normalise_name(a), normalise_name(b)
    return bool(left and right) and (left in right or right in left)


def within(measured: Decimal, reference: Decimal, tolerance_pct: Decimal) -> bool:
    """|measured − reference| ≤ tolerance % of the reference (boundary included)."""
    if reference == 0:
        return measured == 0
    return abs(measured - reference) * 100 <= abs(reference) * tolerance_pct


def deviation_pct(measured: Decimal, reference: Decimal) -> Decimal:
    if reference == 0:
        return Decimal(0)
    return abs(measured - reference) * 100 / abs(reference)
