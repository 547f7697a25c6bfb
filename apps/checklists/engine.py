"""The evaluator: a pure function of a protocol, the frozen facts of a scope and the day.

    evaluate(protocol, facts, today) -> [RequirementResult, ...]

For each requirement: its predicates decide whether it applies (or applies from a date within the
warning window, in which case a shortfall is reported as "expiring soon"); its evidence rule picks
the documents (type, how many, accepted, valid on a date of the scope); its named checks compare
what those documents and the register say. The requirement's status is the worst of what they say:
failed > missing > expiring soon > met > not applicable. Every result carries its reasons (in en and
zh-Hans, with the numbers) and the evidence revisions it used.

No database access, no clock: `today` is an argument, so boundary dates are tested exactly. A check
that meets malformed data (a key field that is not a number …) yields a failed requirement with a
reason a person understands; it never raises.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from .checks import CHECKS, PREDICATES
from .checks.base import (
    EXPIRING,
    FAILED,
    MET,
    MISSING,
    NOT_APPLICABLE,
    SEVERITY_ORDER,
    BadKeyField,
    Context,
    Gate,
    Outcome,
    Reason,
    doc_label,
    outcome,
    type_label,
    worst,
)
from .facts import Doc, ScopeFacts
from .protocol import Call, EvidenceRule, Protocol, Requirement, Text

logger = logging.getLogger(__name__)

STATUSES = (MET, MISSING, FAILED, EXPIRING, NOT_APPLICABLE)
DATE_LABELS = {"today": _("today"), "dispatch_date": _("the dispatch date"), "arrival_date": _("the arrival date"),
               "produced_on": _("the production date")}
DEFAULT_EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class RequirementResult:
    requirement_id: str
    status: str
    severity: str
    title: Text
    reasons: tuple[Reason, ...] = ()
    revision_ids: tuple[str, ...] = ()
    qualifier: str = ""
    # Evidence types to upload when the requirement is not met (for the board's upload links).
    upload_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def reasons_as_dicts(self) -> list[dict[str, str]]:
        return [reason.as_dict() for reason in self.reasons]


def evaluate(protocol: Protocol, facts: ScopeFacts, today: date) -> list[RequirementResult]:
    if facts.kind != protocol.scope:
        raise ValueError(f"{protocol.key} evaluates {protocol.scope} scopes, not {facts.kind}")
    base = Context(protocol=protocol, facts=facts, today=today)
    gate = _gates(protocol.applies_when, base)
    results = []
    for requirement in protocol.requirements:
        if not gate.applies:
            results.append(_result(requirement, outcome(NOT_APPLICABLE, *([gate.reason] if gate.reason else []))))
            continue
        results.append(_evaluate_requirement(requirement, base))
    return results


def overall_status(results: Iterable[RequirementResult]) -> str:
    statuses = [r.status for r in results]
    if not statuses or all(s == NOT_APPLICABLE for s in statuses):
        return NOT_APPLICABLE
    return worst(statuses)


def progress(results: Iterable[RequirementResult]) -> tuple[int, int]:
    """(met, applicable): an expiring requirement still counts as met, for now."""
    applicable = [r for r in results if r.status != NOT_APPLICABLE]
    return sum(1 for r in applicable if r.status in (MET, EXPIRING)), len(applicable)


# --- one requirement ----------------------------------------------------------------------------

def _evaluate_requirement(requirement: Requirement, base: Context) -> RequirementResult:
    ctx = Context(protocol=base.protocol, facts=base.facts, today=base.today, requirement=requirement)
    gate = _gates(requirement.applies_when, ctx)
    if not gate.applies:
        return _result(requirement, outcome(NOT_APPLICABLE, *([gate.reason] if gate.reason else [])))
    parts: list[Outcome] = []
    docs: tuple[Doc, ...] = ()
    if requirement.evidence is not None:
        evidence_outcome, docs = _guarded(lambda: _evidence(requirement.evidence, ctx), ctx, None)
        parts.append(evidence_outcome)
    for call in requirement.checks:
        check_ctx = Context(protocol=ctx.protocol, facts=ctx.facts, today=ctx.today, requirement=requirement,
                            call=call, docs=docs)
        said = _guarded(lambda c=call, cc=check_ctx: CHECKS[c.name].fn(cc), ctx, call)
        if said is not None:
            parts.append(said)
    combined = _combine(parts)
    if gate.applies_from is not None and combined.status in (FAILED, MISSING):
        # Not in force yet: a shortfall now is a warning ahead of the date.
        combined = Outcome(status=EXPIRING, reasons=((gate.reason,) if gate.reason else ()) + combined.reasons,
                           revision_ids=combined.revision_ids, qualifier=combined.qualifier)
    elif gate.applies_from is not None and gate.reason:
        combined = Outcome(status=combined.status, reasons=combined.reasons + (gate.reason,),
                           revision_ids=combined.revision_ids, qualifier=combined.qualifier)
    return _result(requirement, combined)


def _result(requirement: Requirement, said: Outcome) -> RequirementResult:
    offered = requirement.upload or (requirement.evidence.types if requirement.evidence else ())
    upload = offered if said.status in (MISSING, FAILED, EXPIRING) else ()
    return RequirementResult(requirement_id=requirement.id, status=said.status, severity=requirement.severity,
                             title=requirement.title, reasons=said.reasons, revision_ids=said.revision_ids,
                             qualifier=said.qualifier, upload_types=tuple(upload), sources=requirement.sources)


def _combine(parts: list[Outcome]) -> Outcome:
    if not parts:
        return outcome(MET)
    ids: list[str] = []
    for part in parts:
        ids.extend(i for i in part.revision_ids if i not in ids)
    return Outcome(status=worst(p.status for p in parts),
                   reasons=tuple(r for p in sorted(parts, key=lambda p: -SEVERITY_ORDER[p.status]) for r in p.reasons),
                   revision_ids=tuple(ids), qualifier=next((p.qualifier for p in parts if p.qualifier), ""))


def _guarded(run, ctx: Context, call: Call | None):
    """Run a check; malformed data becomes a failed outcome with a reason, never an exception."""
    try:
        return run()
    except BadKeyField as error:
        result = outcome(FAILED, error.reason(), docs=[error.doc] if error.doc else ())
    except Exception as error:  # noqa: BLE001 - a bug or odd data must not stop the other requirements
        logger.exception("check %s of %s failed on %s", call.name if call else "evidence", ctx.protocol.key,
                         ctx.facts.scope_id)
        result = outcome(FAILED, Reason(_("This requirement could not be checked (%(error)s): the data it reads "
                                          "may be malformed."), {"error": type(error).__name__}))
    return (result, ()) if call is None else result


def _gates(calls: tuple[Call, ...], ctx: Context) -> Gate:
    """All predicates must hold; the first that does not explains why. An upcoming date is kept."""
    upcoming: Gate | None = None
    for call in calls:
        spec = PREDICATES[call.name]
        try:
            gate = spec.fn(Context(protocol=ctx.protocol, facts=ctx.facts, today=ctx.today,
                                   requirement=ctx.requirement, call=call))
        except BadKeyField as error:
            return Gate(True, error.reason())
        if not gate.applies:
            return gate
        if gate.applies_from is not None:
            upcoming = gate
    return upcoming or Gate(True)


# --- evidence rules -----------------------------------------------------------------------------

def window(doc: Doc) -> tuple[date | None, date | None]:
    """Validity window: the revision's `effective_date` / `expiry_date` (the vault keeps validity there,
    never in key fields: one place for the nightly expiry)."""
    return doc.effective_date, doc.expiry_date


def covers(doc: Doc, day: date) -> bool:
    start, end = window(doc)
    return (start is None or start <= day) and (end is None or day <= end)


def _types_label(rule: EvidenceRule) -> list:
    return [type_label(t) for t in rule.types]


def _evidence(rule: EvidenceRule, ctx: Context) -> tuple[Outcome, tuple[Doc, ...]]:
    facts, today = ctx.facts, ctx.today
    candidates = [d for d in facts.docs if d.doc_type in rule.types and d.status != "superseded"]
    usable = [d for d in candidates if d.status == "accepted"] if rule.accepted else \
        [d for d in candidates if d.status not in ("rejected", "expired")]
    needed = rule.min_count
    if rule.valid_on is None:
        if len(usable) >= needed:
            reason = Reason(_("%(doc)s is accepted."), {"doc": doc_label(usable[0])}) if needed == 1 else \
                Reason(_("%(count)s accepted documents; %(needed)s needed."), {"count": len(usable), "needed": needed})
            return outcome(MET, reason, docs=usable), tuple(usable)
        return _absent(rule, ctx, candidates, usable)
    on = facts.date(rule.valid_on, today)
    on_label = DATE_LABELS.get(rule.valid_on, rule.valid_on)
    if on is None:
        on, on_label = today, DATE_LABELS["today"]
    valid = [d for d in usable if covers(d, on)]
    if len(valid) >= needed:
        warn_days = int(ctx.param("expiry_warning_days", DEFAULT_EXPIRY_WARNING_DAYS))
        if on == today and warn_days > 0:
            horizon = today + timedelta(days=warn_days)
            lasting = [d for d in valid if covers(d, horizon)]
            if len(lasting) < needed:
                ending = sorted((d for d in valid if d not in lasting), key=lambda d: window(d)[1] or date.max)
                doc = ending[0]
                end = window(doc)[1]
                return outcome(EXPIRING, Reason(_("%(doc)s expires on %(date)s (in %(days)s days)."),
                                                {"doc": doc_label(doc), "date": end, "days": (end - today).days}),
                               docs=valid), tuple(valid)
        reason = Reason(_("%(doc)s is accepted and valid on %(when)s (%(date)s)."),
                        {"doc": doc_label(valid[0]), "when": on_label, "date": on}) if needed == 1 else \
            Reason(_("%(count)s accepted documents valid on %(when)s (%(date)s); %(needed)s needed."),
                   {"count": len(valid), "when": on_label, "date": on, "needed": needed})
        return outcome(MET, reason, docs=valid), tuple(valid)

    not_covering = [d for d in usable if d not in valid]
    if not_covering:
        # There are accepted documents, but their validity does not cover the date.
        reasons = []
        for doc in not_covering:
            start, end = window(doc)
            reasons.append(Reason(_("%(doc)s is valid %(start)s – %(end)s, which does not cover %(when)s "
                                    "(%(date)s)."),
                                  {"doc": doc_label(doc), "start": start or "…", "end": end or "…", "when": on_label,
                                   "date": on}))
        return Outcome(status=FAILED, reasons=tuple(reasons),
                       revision_ids=tuple(d.revision_id for d in not_covering)), tuple(valid)

    return _absent(rule, ctx, candidates, usable)


def _absent(rule: EvidenceRule, ctx: Context, candidates: list[Doc], usable: list[Doc]) -> tuple[Outcome, tuple]:
    """Not enough documents: waiting for review, rejected, or none at all (failed once overdue)."""
    facts, today, needed = ctx.facts, ctx.today, rule.min_count
    if candidates and len(candidates) > len(usable):
        reasons = []
        for doc in candidates:
            if doc in usable:
                continue
            if doc.status == "rejected":
                reasons.append(Reason(_("%(doc)s was rejected: %(reason)s"),
                                      {"doc": doc_label(doc), "reason": doc.rejection_reason or "—"}))
            elif doc.status == "expired":
                reasons.append(Reason(_("%(doc)s is marked expired."), {"doc": doc_label(doc)}))
            else:
                reasons.append(Reason(_("%(doc)s is waiting for review."), {"doc": doc_label(doc)}))
        return Outcome(status=MISSING, reasons=tuple(reasons),
                       revision_ids=tuple(d.revision_id for d in candidates)), ()

    due = facts.date(rule.due, today) if rule.due else None
    if due is not None and due <= today:
        return outcome(FAILED, Reason(_("Missing: %(types)s, needed by %(when)s (%(date)s)."),
                                      {"types": _types_label(rule), "when": DATE_LABELS.get(rule.due, rule.due),
                                       "date": due})), ()
    if needed > 1:
        return outcome(MISSING, Reason(_("%(count)s of the %(needed)s accepted documents needed (%(types)s)."),
                                       {"count": len(usable), "needed": needed, "types": _types_label(rule)}),
                       docs=usable), ()
    return outcome(MISSING, Reason(_("Missing: %(types)s."), {"types": _types_label(rule)})), ()
