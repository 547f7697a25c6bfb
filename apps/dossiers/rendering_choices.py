"""Labels of the register's and the vault's choice values in both languages (for the PDF)."""
from functools import cache

from django.utils.translation import override

from apps.evidence.models import EvidenceType, RevisionStatus
from apps.traceability.models import (
    Chemistry,
    CodeScheme,
    CustodyModel,
    LotKind,
    MaterialOrigin,
    ShipmentDirection,
    UnitLevel,
    UnitStatus,
)

CHOICES = {
    "doc_type": EvidenceType,
    "revision_status": RevisionStatus,
    "level": UnitLevel,
    "unit_status": UnitStatus,
    "scheme": CodeScheme,
    "lot_kind": LotKind,
    "origin": MaterialOrigin,
    "custody_model": CustodyModel,
    "chemistry": Chemistry,
    "direction": ShipmentDirection,
}


@cache
def _labels(kind: str, language: str) -> dict[str, str]:
    with override(language):
        return {value: str(label) for value, label in CHOICES[kind].choices}


def choice_label(kind: str, value: str) -> tuple[str, str]:
    """(English, Chinese) label of a stored choice value; the raw value when unknown."""
    if kind not in CHOICES:
        return value, value
    return _labels(kind, "en").get(value, value), _labels(kind, "zh-hans").get(value, value)
