"""Labels of the choice values of the register, the vault, checklists, custody and findings in both
languages (for the PDF)."""
from functools import cache

from django.utils.translation import override

from apps.audits.findings.models import FindingStatus, MessageKind, TargetKind
from apps.audits.findings.models import Severity as FindingSeverity
from apps.checklists.models import ScopeKind as ChecklistScope
from apps.checklists.models import Severity as ChecklistSeverity
from apps.custody.models import LedgerKind, TransferStatus
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
    "checklist_scope": ChecklistScope,
    "severity": ChecklistSeverity,
    "ledger_kind": LedgerKind,
    "transfer_status": TransferStatus,
    "finding_severity": FindingSeverity,
    "finding_status": FindingStatus,
    "finding_message": MessageKind,
    "finding_target": TargetKind,
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
