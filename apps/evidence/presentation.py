"""How key fields and flags read on pages and in the API (pure, no database)."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .doctypes import DocType
from .forms import SHARE_PART_LABELS
from .inspection import FLAG_LABELS
from .keyfields import Field, Kind


def _choice_label(f: Field, value: str) -> str:
    return str(dict(f.choices).get(value, value))


def _display(f: Field, value: Any) -> str:
    if isinstance(value, bool) or f.kind == Kind.BOOLEAN:
        return _("Yes") if value else _("No")
    if f.kind == Kind.CHOICE:
        return _choice_label(f, value)
    if f.kind == Kind.TEXT_LIST:
        return "; ".join(value)
    if f.kind in (Kind.DECIMAL_MAP, Kind.PERCENT_MAP):
        labels = dict(f.keys)
        suffix = " %" if f.kind == Kind.PERCENT_MAP else ""
        return ", ".join(f"{labels.get(k, k)} {v}{suffix}" for k, v in value.items())
    if f.kind == Kind.SHARES:
        labels = dict(f.keys)
        return "; ".join(
            f"{labels.get(k, k)}: " + ", ".join(f"{SHARE_PART_LABELS[p]} {v}" for p, v in parts.items())
            for k, parts in value.items())
    if f.kind == Kind.ROWS:
        return "; ".join(" / ".join(_display(c, row[c.name]) for c in f.columns if c.name in row
                                    and row[c.name] not in ("", None, []))
                         for row in value)
    return str(value)  # the label names the unit


def key_field_rows(dt: DocType, stored: dict[str, Any]) -> list[dict[str, str]]:
    """[{name, label, value}] in the registry's order; values the registry no longer knows are shown
    under their stored name (a type's fields may grow; stored revisions never change)."""
    rows = [{"name": f.name, "label": str(f.label), "value": _display(f, stored[f.name])}
            for f in dt.fields if f.name in stored]
    known = {f.name for f in dt.fields}
    rows.extend({"name": k, "label": k, "value": str(v)} for k, v in stored.items() if k not in known)
    return rows


def flag_text(flag: dict[str, Any]) -> str:
    label = FLAG_LABELS.get(flag.get("code", ""), flag.get("code", ""))
    if flag.get("code") == "pdf_embedded_files":
        return str(label) % {"files": ", ".join(flag.get("files", []))}
    return str(label)


def flag_texts(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**flag, "text": flag_text(flag)} for flag in flags or []]
