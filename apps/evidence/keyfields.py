"""Structured key fields of evidence documents: field kinds, parsing and validation (pure, no database).

A document type (see `doctypes.py`) declares its fields; `validate()` turns what a form or an API client
sent into the canonical JSON stored in `EvidenceRevision.key_fields`, or reports every problem at once.

Canonical JSON (what checklists, dossiers and exports read):
- text, choice, url, country: a string;  integer: a JSON integer;  boolean: true/false;  date: "YYYY-MM-DD";
- decimal: a string in plain notation ("12840.5"), exact (never a float);
- text_list: a list of strings;  decimal_map / percent_map: {key: decimal string};
- shares: {material: {"pre_consumer_pct": decimal string, "post_consumer_pct": decimal string}};
- rows: a list of {column: value} with the column kinds above.
Fields left empty are omitted. `typed()` converts a stored dict back to Decimal / date values.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MAX_ABS_DECIMAL = Decimal("1e15")
MAX_DECIMAL_PLACES = 6
MAX_TEXT_LIST_ITEMS = 50
MAX_ROWS = 500


class Kind(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATE = "date"
    CHOICE = "choice"
    URL = "url"
    COUNTRY = "country"
    TEXT_LIST = "text_list"
    DECIMAL_MAP = "decimal_map"
    PERCENT_MAP = "percent_map"
    SHARES = "shares"
    ROWS = "rows"
    BOOLEAN = "boolean"


SHARE_PARTS = ("pre_consumer_pct", "post_consumer_pct")


@dataclass(frozen=True)
class Problem:
    """One refusal: the field at fault (dotted for parts: `elements.Co`), a stable code and the message."""

    field: str
    code: str
    message: str | Promise

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class KeyFieldsInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Field:
    """One key field. `normalise` maps an accepted spelling to the canonical one (or raises ValueError);
    `keys` are the allowed keys of maps and shares; `columns` the fields of each row."""

    name: str
    label: str | Promise
    kind: Kind
    required: bool = False
    unit: str = ""
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    choices: tuple[tuple[str, str | Promise], ...] = ()
    keys: tuple[tuple[str, str | Promise], ...] = ()
    columns: tuple[Field, ...] = ()
    normalise: Callable[[str], str] | None = None
    format_hint: str | Promise = ""
    help_text: str | Promise = ""
    max_length: int = 200
    source: str = ""
    # Computed by the type's checks (e.g. a contract's quantity in kg); never taken from the input.
    derived: bool = False

    @property
    def is_composite(self) -> bool:
        return self.kind in (Kind.DECIMAL_MAP, Kind.PERCENT_MAP, Kind.SHARES, Kind.ROWS)


Check = Callable[[dict[str, Any]], list[Problem]]


@dataclass(frozen=True)
class Spec:
    fields: tuple[Field, ...]
    checks: tuple[Check, ...] = field(default_factory=tuple)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


# --- messages (stable codes, translatable text) -----------------------------------------

MSG_REQUIRED = _("This field is required.")
MSG_UNKNOWN = _("This document type has no field of this name.")
MSG_NUMBER = _("Enter a number (digits and a decimal point).")
MSG_INTEGER = _("Enter a whole number.")
MSG_DATE = _("Enter a date as YYYY-MM-DD.")
MSG_CHOICE = _("Choose one of the listed values.")
MSG_URL = _("Enter a web address starting with http:// or https://.")
MSG_COUNTRY = _("Enter a two-letter country code (ISO 3166-1), e.g. CN or DE.")
MSG_TOO_LONG = _("At most %(n)s characters.")
MSG_MIN = _("Must be at least %(n)s.")
MSG_MAX = _("Must be at most %(n)s.")
MSG_PRECISION = _("At most %(n)s decimal places.")
MSG_FORMAT = _("Not in the expected format (%(hint)s).")
MSG_LIST = _("Enter a list of values.")
MSG_LIST_TOO_LONG = _("At most %(n)s entries.")
MSG_MAP = _("Enter the values per key.")
MSG_ROWS = _("Enter a list of rows.")
MSG_ROWS_TOO_MANY = _("At most %(n)s rows.")
MSG_CONTROL = _("Control characters are not allowed.")
MSG_BOOLEAN = _("Enter yes or no.")


def _problem(name: str, code: str, message: str | Promise, **params: Any) -> Problem:
    return Problem(name, code, (message % params) if params else message)


# --- parsing one value --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _parse_text(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
        return None, [_problem(name, "invalid", MSG_FORMAT, hint=f.format_hint or _("text"))]
    text = " ".join(str(value).split()) if f.kind != Kind.URL else str(value).strip()
    if _CONTROL.search(str(value).replace("\n", "").replace("\t", "")):
        return None, [_problem(name, "control_characters", MSG_CONTROL)]
    if len(text) > f.max_length:
        return None, [_problem(name, "too_long", MSG_TOO_LONG, n=f.max_length)]
    if f.normalise is not None:
        try:
            text = f.normalise(text)
        except ValueError:
            return None, [_problem(name, "invalid_format", MSG_FORMAT, hint=f.format_hint)]
    return text, []


def parse_decimal(value: Any) -> Decimal:
    """A finite decimal from a string, an int or a float (floats through their shortest repr)."""
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        cleaned = value.strip().replace(" ", "").replace("\u00a0", "")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", cleaned):
            raise ValueError(value)
        number = Decimal(cleaned)
    else:
        raise ValueError(value)
    if not number.is_finite() or abs(number) >= MAX_ABS_DECIMAL:
        raise ValueError(value)
    return number


def decimal_text(number: Decimal) -> str:
    """Plain notation without trailing zeros: Decimal('12840.500') -> '12840.5', Decimal('1E+2') -> '100'."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def _check_range(f: Field, number: Decimal, name: str) -> list[Problem]:
    if f.min_value is not None and number < f.min_value:
        return [_problem(name, "below_minimum", MSG_MIN, n=decimal_text(f.min_value))]
    if f.max_value is not None and number > f.max_value:
        return [_problem(name, "above_maximum", MSG_MAX, n=decimal_text(f.max_value))]
    return []


def _parse_decimal_field(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    try:
        number = parse_decimal(value)
    except (ValueError, InvalidOperation):
        return None, [_problem(name, "not_a_number", MSG_NUMBER)]
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        return None, [_problem(name, "too_precise", MSG_PRECISION, n=MAX_DECIMAL_PLACES)]
    problems = _check_range(f, number, name)
    return (None, problems) if problems else (decimal_text(number), [])


def _parse_integer(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if isinstance(value, bool):
        return None, [_problem(name, "not_an_integer", MSG_INTEGER)]
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,15}", value.strip()):
        number = int(value.strip())
    elif isinstance(value, float | Decimal) and value == int(value):
        number = int(value)
    else:
        return None, [_problem(name, "not_an_integer", MSG_INTEGER)]
    problems = _check_range(f, Decimal(number), name)
    return (None, problems) if problems else (number, [])


def _parse_date(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if isinstance(value, date):
        return value.isoformat(), []
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat(), []
        except ValueError:
            pass
    return None, [_problem(name, "not_a_date", MSG_DATE)]


def _parse_choice(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    allowed = {key for key, _label in f.choices}
    if isinstance(value, str) and value.strip() in allowed:
        return value.strip(), []
    return None, [_problem(name, "invalid_choice", MSG_CHOICE)]


TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否"})


def _parse_boolean(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if isinstance(value, bool):
        return value, []
    if isinstance(value, int) and value in (0, 1):
        return bool(value), []
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in TRUE_WORDS:
            return True, []
        if word in FALSE_WORDS:
            return False, []
    return None, [_problem(name, "not_a_boolean", MSG_BOOLEAN)]


_url_validator = URLValidator(schemes=["http", "https"])


def _parse_url(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    text, problems = _parse_text(f, value, name)
    if problems:
        return None, problems
    try:
        _url_validator(text)
    except ValidationError:
        return None, [_problem(name, "invalid_url", MSG_URL)]
    return text, []


def _parse_country(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        return value.strip().upper(), []
    return None, [_problem(name, "invalid_country", MSG_COUNTRY)]


def _parse_text_list(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if isinstance(value, str):
        value = [line for line in value.splitlines()]
    if not isinstance(value, list | tuple):
        return None, [_problem(name, "not_a_list", MSG_LIST)]
    items, problems = [], []
    for item in value:
        if _is_blank(item):
            continue
        text, item_problems = _parse_text(f, item, name)
        problems.extend(item_problems)
        if text is not None:
            items.append(text)
    if len(items) > MAX_TEXT_LIST_ITEMS:
        problems.append(_problem(name, "too_many", MSG_LIST_TOO_LONG, n=MAX_TEXT_LIST_ITEMS))
    return (None, problems) if problems else (items, [])


def _parse_map(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if not isinstance(value, Mapping):
        return None, [_problem(name, "not_a_map", MSG_MAP)]
    allowed = {key for key, _label in f.keys}
    result, problems = {}, []
    for key, item in value.items():
        part = f"{name}.{key}"
        if key not in allowed:
            problems.append(_problem(part, "unknown_key", MSG_UNKNOWN))
            continue
        if _is_blank(item):
            continue
        number, item_problems = _parse_decimal_field(f, item, part)
        problems.extend(item_problems)
        if number is not None:
            result[key] = number
    ordered = {key: result[key] for key, _label in f.keys if key in result}
    return (None, problems) if problems else (ordered, [])


def _parse_shares(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if not isinstance(value, Mapping):
        return None, [_problem(name, "not_a_map", MSG_MAP)]
    allowed = {key for key, _label in f.keys}
    result, problems = {}, []
    for key, parts in value.items():
        if key not in allowed:
            problems.append(_problem(f"{name}.{key}", "unknown_key", MSG_UNKNOWN))
            continue
        if _is_blank(parts):
            continue
        if not isinstance(parts, Mapping):
            problems.append(_problem(f"{name}.{key}", "not_a_map", MSG_MAP))
            continue
        entry = {}
        for part_name, item in parts.items():
            part = f"{name}.{key}.{part_name}"
            if part_name not in SHARE_PARTS:
                problems.append(_problem(part, "unknown_key", MSG_UNKNOWN))
                continue
            if _is_blank(item):
                continue
            number, item_problems = _parse_decimal_field(f, item, part)
            problems.extend(item_problems)
            if number is not None:
                entry[part_name] = number
        if entry:
            result[key] = {p: entry[p] for p in SHARE_PARTS if p in entry}
    ordered = {key: result[key] for key, _label in f.keys if key in result}
    return (None, problems) if problems else (ordered, [])


def _parse_rows(f: Field, value: Any, name: str) -> tuple[Any, list[Problem]]:
    if isinstance(value, str):
        value = rows_from_text(f, value)
    if not isinstance(value, list | tuple):
        return None, [_problem(name, "not_a_list", MSG_ROWS)]
    if len(value) > MAX_ROWS:
        return None, [_problem(name, "too_many", MSG_ROWS_TOO_MANY, n=MAX_ROWS)]
    rows, problems = [], []
    for index, row in enumerate(value, start=1):
        if not isinstance(row, Mapping):
            problems.append(_problem(f"{name}.{index}", "not_a_map", MSG_MAP))
            continue
        cleaned, row_problems = _clean_mapping(Spec(f.columns), row, prefix=f"{name}.{index}.")
        problems.extend(row_problems)
        if cleaned:
            rows.append(cleaned)
    return (None, problems) if problems else (rows, [])


def rows_from_text(f: Field, text: str) -> list[dict[str, Any]]:
    """One row per line, columns separated by ';' (or a tab), in the order of `f.columns` — what the
    web form offers for tables (the API sends JSON lists instead). A list column takes its items
    separated by '|'."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in re.split(r"[;\t]", line)]
        row: dict[str, Any] = {}
        for column, cell in zip(f.columns, cells, strict=False):
            if not cell:
                continue
            row[column.name] = [item.strip() for item in cell.split("|")] if column.kind == Kind.TEXT_LIST else cell
        rows.append(row)
    return rows


def _cell_text(column: Field, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return " | ".join(str(item) for item in value)
    return str(value)


def rows_to_text(f: Field, rows: list[Mapping[str, Any]]) -> str:
    return "\n".join("; ".join(_cell_text(c, row.get(c.name)) for c in f.columns).rstrip("; ") for row in rows)


_PARSERS: dict[Kind, Callable[[Field, Any, str], tuple[Any, list[Problem]]]] = {
    Kind.TEXT: _parse_text,
    Kind.DECIMAL: _parse_decimal_field,
    Kind.INTEGER: _parse_integer,
    Kind.DATE: _parse_date,
    Kind.CHOICE: _parse_choice,
    Kind.URL: _parse_url,
    Kind.COUNTRY: _parse_country,
    Kind.TEXT_LIST: _parse_text_list,
    Kind.DECIMAL_MAP: _parse_map,
    Kind.PERCENT_MAP: _parse_map,
    Kind.SHARES: _parse_shares,
    Kind.ROWS: _parse_rows,
    Kind.BOOLEAN: _parse_boolean,
}


def _clean_mapping(spec: Spec, raw: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Any], list[Problem]]:
    cleaned: dict[str, Any] = {}
    problems: list[Problem] = []
    known = {f.name for f in spec.fields}
    for key in raw:
        if key not in known:
            problems.append(_problem(f"{prefix}{key}", "unknown_field", MSG_UNKNOWN))
    for f in spec.fields:
        if f.derived:
            continue
        value = raw.get(f.name)
        if _is_blank(value):
            if f.required:
                problems.append(_problem(f"{prefix}{f.name}", "required", MSG_REQUIRED))
            continue
        parsed, field_problems = _PARSERS[f.kind](f, value, f"{prefix}{f.name}")
        problems.extend(field_problems)
        if parsed is not None and not _is_blank(parsed):
            cleaned[f.name] = parsed
        elif parsed is not None and f.required:
            problems.append(_problem(f"{prefix}{f.name}", "required", MSG_REQUIRED))
    return cleaned, problems


def validate(spec: Spec, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Canonical key fields, or KeyFieldsInvalid listing every problem (field checks first; the
    cross-field checks of the type run only on fields that parsed)."""
    cleaned, problems = _clean_mapping(spec, raw or {})
    if not problems:
        for check in spec.checks:
            problems.extend(check(cleaned))
    if problems:
        raise KeyFieldsInvalid(problems)
    return cleaned


def typed(spec: Spec, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored canonical key fields with decimals as Decimal and dates as date (for checklists)."""

    def convert(f: Field, value: Any) -> Any:
        if f.kind == Kind.DECIMAL:
            return Decimal(value)
        if f.kind == Kind.DATE:
            return date.fromisoformat(value)
        if f.kind in (Kind.DECIMAL_MAP, Kind.PERCENT_MAP):
            return {k: Decimal(v) for k, v in value.items()}
        if f.kind == Kind.SHARES:
            return {k: {p: Decimal(v) for p, v in parts.items()} for k, parts in value.items()}
        if f.kind == Kind.ROWS:
            return [{c.name: convert(c, row[c.name]) for c in f.columns if c.name in row} for row in value]
        return value

    return {f.name: convert(f, stored[f.name]) for f in spec.fields if f.name in stored}


# --- normalisers (canonical spellings of codes found on documents) --------------------------

def regex_normaliser(pattern: str, build: Callable[[re.Match[str]], str]) -> Callable[[str], str]:
    compiled = re.compile(pattern, re.IGNORECASE)

    def normalise(text: str) -> str:
        match = compiled.fullmatch(text.strip())
        if match is None:
            raise ValueError(text)
        return build(match)

    return normalise
