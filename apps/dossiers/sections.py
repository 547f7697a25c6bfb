"""Sections read from apps that are built in parallel (checklists, custody ledger, auditor findings).

Until those apps hold data for a scope, each section is returned empty with an explicit note, never
with invented content. After their branches merge, the lead replaces the bodies of
`checklist_section`, `custody_section` and `findings_section` in builder.py (see docs/dossiers.md,
"Wiring"); these constructors stay as the fallback.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from .snapshot import ChecklistSection, CustodySection, FindingsSection, Note

NOTE_CHECKLIST = _("No checklist evaluation exists for this scope yet: requirement results are not part of "
                   "this dossier.")
NOTE_CUSTODY = _("No custody ledger entry exists for this scope: the chain of custody between organisations "
                 "is not shown.")
NOTE_FINDINGS = _("No auditor finding module holds data for this scope: findings are not part of this dossier.")


def note(code: str, text) -> Note:
    with override("en"):
        en = str(text)
    with override("zh-hans"):
        zh = str(text)
    return Note(code=code, en=en, zh=zh)


def checklist_unavailable() -> ChecklistSection:
    return ChecklistSection(available=False, note=note("checklist_unavailable", NOTE_CHECKLIST))


def custody_unavailable() -> CustodySection:
    return CustodySection(available=False, note=note("custody_unavailable", NOTE_CUSTODY))


def findings_unavailable() -> FindingsSection:
    return FindingsSection(available=False, note=note("findings_unavailable", NOTE_FINDINGS))
