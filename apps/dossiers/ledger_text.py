"""One line per custody ledger entry, in English and Chinese, for the dossier's timeline (pure).

The entry's payload is what the custody services hashed; only a few figures of it are named here
(masses, units, dates, the certificate number). Free text written by a party (a dispute reason, a
comment) is quoted as written. A payload missing a figure shows "–", never an error.
"""
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from apps.custody.models import LedgerKind

SUMMARIES = {
    LedgerKind.DISPATCHED: _("Dispatched: %(kg)s kg declared, %(units)s units."),
    LedgerKind.RECEIVED: _("Receipt confirmed for %(date)s: %(kg)s kg, %(units)s units, weighbridge ticket "
                           "%(ticket)s."),
    LedgerKind.DISPUTED: _("Receipt disputed: %(text)s"),
    LedgerKind.PAPER_RECEIPT: _("Paper receipt attached, not confirmed by the counterparty: %(kg)s kg, %(units)s "
                                "units, received on %(date)s."),
    LedgerKind.DISCREPANCY_COMMENT: _("Comment on the discrepancy: %(text)s"),
    LedgerKind.DISCREPANCY_RESOLVED: _("Discrepancy resolved: %(text)s"),
    LedgerKind.PROCESSED: _("Processing recorded for %(date)s: %(lots)s lots, %(kg)s kg of black mass."),
    LedgerKind.CERTIFIED: _("Certificate of recycling %(number)s issued on %(date)s."),
}
OUTSIDE_TOLERANCE = _("Outside the tolerance: %(kg)s kg (%(percent)s %%) from the declared mass.")
TEXT_LIMIT = 300


def _value(payload: dict[str, Any], *path: str) -> str:
    value: Any = payload
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None or value == "":
        return "–"
    return str(value)


def _text(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= TEXT_LIMIT else value[: TEXT_LIMIT - 1] + "…"


def params(kind: str, payload: dict[str, Any]) -> dict[str, str]:
    payload = payload if isinstance(payload, dict) else {}
    if kind == LedgerKind.DISPATCHED:
        return {"kg": _value(payload, "declaration", "declared_net_mass_kg"),
                "units": _value(payload, "declaration", "declared_unit_count")}
    if kind in (LedgerKind.RECEIVED, LedgerKind.PAPER_RECEIPT):
        return {"date": _value(payload, "received_on"), "kg": _value(payload, "net_mass_kg"),
                "units": _value(payload, "unit_count"), "ticket": _value(payload, "ticket_number")}
    if kind == LedgerKind.DISPUTED:
        return {"text": _text(_value(payload, "reason"))}
    if kind == LedgerKind.DISCREPANCY_COMMENT:
        return {"text": _text(_value(payload, "body"))}
    if kind == LedgerKind.DISCREPANCY_RESOLVED:
        return {"text": _text(_value(payload, "resolution"))}
    if kind == LedgerKind.PROCESSED:
        lots = payload.get("lots")
        return {"date": _value(payload, "processed_on"), "kg": _value(payload, "black_mass_kg"),
                "lots": str(len(lots)) if isinstance(lots, list) else "–"}
    if kind == LedgerKind.CERTIFIED:
        return {"number": _value(payload, "content", "number"), "date": _value(payload, "content", "issued_on")}
    return {}


def summary(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(English, Chinese) line describing a ledger entry."""
    values = params(kind, payload)
    deviation = payload.get("deviation") if isinstance(payload, dict) else None
    outside = kind == LedgerKind.RECEIVED and isinstance(deviation, dict) and deviation.get("outside_tolerance")
    lines = []
    for language in ("en", "zh-hans"):
        with override(language):
            template = SUMMARIES.get(kind)
            if template is None:
                label = dict(LedgerKind.choices).get(kind, kind)
                line = str(label)
            else:
                line = str(template) % values
            if outside:
                line += " " + str(OUTSIDE_TOLERANCE) % {"kg": _value(deviation, "mass_difference_kg"),
                                                        "percent": _value(deviation, "mass_difference_percent")}
            lines.append(line)
    return lines[0], lines[1]
