"""Notes of the sections that may be empty or partial (checklists, custody ledger, findings, Art 8).

When the owning app holds no data for a scope, the section says so in both languages, never with
invented content; the builder (builder.py) fills them from the apps otherwise.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from .snapshot import ChecklistSection, CustodySection, FindingsSection, Note

NOTE_CHECKLIST = _("No checklist evaluation exists for this scope yet: requirement results are not part of "
                   "this dossier.")
NOTE_CUSTODY = _("No custody ledger entry exists for this scope: the chain of custody between organisations "
                 "is not shown.")
NOTE_FINDINGS = _("No auditor finding module holds data for this scope: findings are not part of this dossier.")
NOTE_RECYCLED = _("No Art 8 recycled-content evaluation and no accepted recycled-content declaration exist for "
                  "this battery model and year.")
LEDGER_PROBLEMS = {
    "sequence": _("The custody ledger of shipment %(shipment)s is broken: a step is missing or out of order."),
    "link": _("The custody ledger of shipment %(shipment)s is broken: an entry does not link to the one before."),
    "payload": _("The custody ledger of shipment %(shipment)s is broken: an entry's content was changed after it "
                 "was written."),
    "hash": _("The custody ledger of shipment %(shipment)s is broken: an entry was changed after it was written."),
    "truncated": _("The custody ledger of shipment %(shipment)s ends before the head its transfer records."),
}


def note(code: str, text, **params) -> Note:
    with override("en"):
        en = str(text) % params if params else str(text)
    with override("zh-hans"):
        zh = str(text) % params if params else str(text)
    return Note(code=code, en=en, zh=zh)


def checklist_unavailable() -> ChecklistSection:
    return ChecklistSection(available=False, note=note("checklist_unavailable", NOTE_CHECKLIST))


def custody_unavailable() -> CustodySection:
    return CustodySection(available=False, note=note("custody_unavailable", NOTE_CUSTODY))


def findings_unavailable() -> FindingsSection:
    return FindingsSection(available=False, note=note("findings_unavailable", NOTE_FINDINGS))


def recycled_unavailable() -> Note:
    return note("recycled_unavailable", NOTE_RECYCLED)


def ledger_problem(shipment: str, reason: str) -> Note:
    return note(f"ledger_{reason}", LEDGER_PROBLEMS.get(reason, LEDGER_PROBLEMS["hash"]), shipment=shipment)
