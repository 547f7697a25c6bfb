"""The exports' requirements in the checklist library: passport readiness (battery models) and
China traceability-platform reporting in time (shipments).

Checklists sits below exports in the import order, so it never imports this module: `ExportsConfig.ready()`
imports it, which registers the checks and predicates below (`apps.checklists.checks.base`), our protocol
folder `apps/exports/protocols/` and two facts providers (`apps.checklists.extensions`):

- `passport` (battery_model): the passport facts of the model (register + linked evidence, today left out
  so the digest only moves when the data does); `passport_ready` runs `readiness.passport_readiness` on
  them for the day evaluated;
- `platform_events` (shipment): the traceability-platform reporting events of the shipment (its own and
  those naming it); `platform_reported_in_time` fails once per event `reporting_requirement_failed`
  returns (past its deadline without a submission reference).

The providers read the database in a fixed number of queries; the checks are pure.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.checklists.checks.base import (
    FAILED,
    MET,
    MISSING,
    Context,
    Gate,
    Outcome,
    Reason,
    check,
    outcome,
    predicate,
)
from apps.checklists.checks.shipment import merge
from apps.checklists.extensions import register_facts, register_protocol_dir
from apps.traceability.models import BatteryModel

from . import keyfields as kf
from .passport import PROPS_BY_KEY, PassportFacts
from .passport.mapping import PassportScopeError
from .readiness import AWAITING_REVIEW, ITEM_LEVEL, READY, REFUSED, passport_readiness
from .reporting import MSG_OVERDUE, EventFacts, State, reporting_requirement_failed, state_of

PROTOCOL_DIR = Path(__file__).resolve().parent / "protocols"
PASSPORT = "passport"
EVENTS = "platform_events"

# --- facts providers (database) ---------------------------------------------------------------------


def passport_facts(facts: Any) -> PassportFacts | None:
    """The passport facts of a battery model's scope (None when the model is gone)."""
    from .selectors import passport_facts_for_model

    model = BatteryModel.objects.filter(pk=facts.id).first()
    if model is None:
        return None
    return replace(passport_facts_for_model(model=model), today=None)


def platform_events(facts: Any) -> tuple[EventFacts, ...]:
    """Reporting events of a shipment (its own, and those whose related shipments name it), in a fixed
    order; the label is the event kind (rendered per language by the check)."""
    from .models import EventSource, ReportingEvent

    events = (ReportingEvent.objects
              .filter(Q(source_type=EventSource.SHIPMENT, source_id=facts.id)
                      | Q(related_shipment_ids__contains=[facts.id]))
              .order_by("deadline", "occurred_on", "id")
              .values_list("id", "kind", "occurred_on", "deadline", "source_reference", "platform_reference"))
    return tuple(EventFacts(id=str(pk), kind=kind, kind_label=kind, occurred_on=occurred_on, deadline=deadline,
                            reference=reference, platform_reference=platform_reference)
                 for pk, kind, occurred_on, deadline, reference, platform_reference in events)


def register() -> None:
    """Called from ExportsConfig.ready()."""
    register_protocol_dir(PROTOCOL_DIR)
    register_facts("battery_model", PASSPORT, passport_facts)
    register_facts("shipment", EVENTS, platform_events)


# --- passport readiness (pure) ----------------------------------------------------------------------

def _passport(ctx: Context) -> PassportFacts | None:
    return ctx.facts.extensions.get(PASSPORT)


def _readiness(ctx: Context):
    facts = _passport(ctx)
    if facts is None:
        return None
    try:
        return passport_readiness(replace(facts, today=ctx.today))
    except PassportScopeError:
        return None


@predicate("passport_required", scopes=("battery_model",))
def passport_required(ctx: Context) -> Gate:
    """Only batteries that need a passport (Art 77: EV, LMT, industrial above 2 kWh)."""
    facts = _passport(ctx)
    if facts is None:
        return Gate(False, Reason(_("Passport readiness is not known for this model.")))
    try:
        passport_readiness(replace(facts, today=ctx.today))
    except PassportScopeError as error:
        return Gate(False, Reason(_("No battery passport needed: %(reason)s"), {"reason": error.message}))
    return Gate(True)


def _labels(attributes) -> list[Any]:
    return [PROPS_BY_KEY[a.key].label for a in attributes]


@check("passport_ready", scopes=("battery_model",), reads=kf.reads())
def passport_ready(ctx: Context) -> Outcome | None:
    """Every attribute mandatory for the model's category is present and accepted (apps.exports.readiness):
    refused values fail; missing ones or ones awaiting review keep it open."""
    readiness = _readiness(ctx)
    if readiness is None:
        return None
    mandatory = [a for a in readiness.attributes if a.mandatory]
    refused = [a for a in mandatory if a.state == REFUSED]
    waiting = [a for a in mandatory if a.state == AWAITING_REVIEW]
    missing = [a for a in mandatory if a.state not in (READY, ITEM_LEVEL, REFUSED, AWAITING_REVIEW)]
    ready = [a for a in mandatory if a.state in (READY, ITEM_LEVEL)]
    results: list[Outcome] = []
    if refused:
        results.append(outcome(FAILED, Reason(_("Values refused for the passport: %(attributes)s."),
                                              {"attributes": _labels(refused)})))
    if missing:
        results.append(outcome(MISSING, Reason(_("%(count)s mandatory passport attributes are missing: "
                                                 "%(attributes)s."),
                                               {"count": len(missing), "attributes": _labels(missing[:12])})))
    if waiting:
        results.append(outcome(MISSING, Reason(_("Waiting for review before they count: %(attributes)s."),
                                               {"attributes": _labels(waiting)})))
    if not results:
        results.append(outcome(MET, Reason(_("All %(count)s mandatory passport attributes are present and "
                                             "accepted."), {"count": len(ready)})))
    return merge(results)


# --- China traceability-platform reporting (pure) ----------------------------------------------------

def _events(ctx: Context) -> tuple[EventFacts, ...]:
    return ctx.facts.extensions.get(EVENTS) or ()


@predicate("platform_events_exist", scopes=("shipment",))
def platform_events_exist(ctx: Context) -> Gate:
    if _events(ctx):
        return Gate(True)
    return Gate(False, Reason(_("No traceability-platform event is recorded for this shipment.")))


def _kind_label(kind: str) -> Any:
    from .models import ReportingEventKind

    return ReportingEventKind(kind).label if kind in ReportingEventKind.values else kind


@check("platform_reported_in_time", scopes=("shipment",))
def platform_reported_in_time(ctx: Context) -> Outcome:
    """Each event is reported (submission reference) by its deadline; an event past its deadline without a
    reference fails (`reporting.reporting_requirement_failed`), one still within it keeps it open."""
    events = _events(ctx)
    failed = {failure.event_id for failure in reporting_requirement_failed(events, ctx.today)}
    results: list[Outcome] = []
    for event in events:
        params = {"event": _kind_label(event.kind), "date": event.occurred_on, "reference": event.reference or "—",
                  "deadline": event.deadline, "platform_reference": event.platform_reference}
        if event.id in failed:
            results.append(outcome(FAILED, Reason(MSG_OVERDUE, params)))
        elif state_of(event, ctx.today) == State.DUE:
            results.append(outcome(MISSING, Reason(_("%(event)s of %(date)s (%(reference)s) is due on the "
                                                     "traceability platform by %(deadline)s."), params)))
        else:
            results.append(outcome(MET, Reason(_("%(event)s of %(date)s reported (submission %(platform_reference)s)."),
                                               params)))
    return merge(results)
