"""Writes for checklists: which protocols apply, evaluating scopes (and keeping every evaluation),
notifying compliance managers of status changes, and marking scopes for re-evaluation.

Other apps cannot import this one (it sits above them); they reach it through Django signals,
registered in apps.py (see signals.py), which call `scopes_changed()`.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.access import Access
from apps.accounts.roles import Perm, Role
from apps.activity.models import Channel
from apps.activity.services import Actor, activity_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.hashing import canonical_json, sha256_hex
from apps.core.queue import enqueue_on_commit

from . import coalesce, selectors
from .engine import RequirementResult as Result
from .engine import evaluate, overall_status, progress
from .facts import ScopeFacts, facts_digest, facts_hash
from .models import Evaluation, Notification, ProtocolSelection, RequirementResult, ScopeKind, ScopeStatus, Trigger
from .protocol import Protocol, registry
from .snapshot import scope_facts

logger = logging.getLogger(__name__)

MSG_NOT_ALLOWED = _("You do not have permission to do this.")
MSG_UNKNOWN_PROTOCOL = _("Unknown protocol: %(protocol)s.")
MSG_UNKNOWN_SCOPE = _("There is no such shipment, lot or battery model.")
MSG_NO_PROTOCOL_FOR_SCOPE = _("None of the protocols this organisation follows applies to this kind of scope.")

WORKER = Actor(id=None, label="checklists", channel=Channel.WORKER)


def _require(access: Access, perm: Perm) -> None:
    if not access.can(perm):
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")


def pending_key(scope_kind: str, scope_id: str) -> str:
    return f"checklists:pending:{scope_kind}:{scope_id}"


# --- protocol selection -------------------------------------------------------------------------------

@transaction.atomic
def selection_set(*, access: Access, protocol_ids: Iterable[str]) -> list[str]:
    """Make exactly these protocols apply to the organisation, then evaluate every scope they cover."""
    _require(access, Perm.CHECKLIST_CONFIGURE)
    wanted = sorted(set(protocol_ids))
    reg = registry()
    for protocol_id in wanted:
        if reg.latest(protocol_id) is None:
            raise ApplicationError(MSG_UNKNOWN_PROTOCOL % {"protocol": protocol_id}, code="unknown_protocol",
                                   field="protocols")
    current = set(ProtocolSelection.objects.select_for_update().values_list("protocol_id", flat=True))
    added, removed = sorted(set(wanted) - current), sorted(current - set(wanted))
    if not added and not removed:
        return wanted
    ProtocolSelection.objects.filter(protocol_id__in=removed).delete()
    ProtocolSelection.objects.bulk_create([ProtocolSelection(protocol_id=pid, selected_by_label=access.label[:254])
                                           for pid in added])
    activity_record(actor=access.actor, verb="checklist.protocols_selected", object_type="checklists.selection",
                    data={"selected": wanted, "added": added, "removed": removed})
    if added:
        from .tasks import checklists_evaluate_all_task

        enqueue_on_commit(checklists_evaluate_all_task, trigger=Trigger.SETUP, protocol_ids=added)
    return wanted


# --- evaluating a scope -------------------------------------------------------------------------------

def results_digest(status: str, results: list[Result]) -> str:
    payload = [status] + [[r.requirement_id, r.status, r.qualifier, list(r.revision_ids), r.reasons_as_dicts()]
                          for r in results]
    return sha256_hex(canonical_json(payload))


def scope_evaluate(*, scope_kind: str, scope_id: str, trigger: str = Trigger.CHANGE, today: date | None = None,
                   protocol_ids: Iterable[str] | None = None) -> list[Evaluation]:
    """Evaluate one scope under every selected protocol of its kind; returns the evaluations written
    (none when nothing changed: same inputs and same results as the latest evaluation)."""
    today = today or timezone.localdate()
    protocols = selectors.protocols_selected(scope_kind)
    if protocol_ids is not None:
        protocols = [p for p in protocols if p.id in set(protocol_ids)]
    written: list[Evaluation] = []
    if protocols:
        facts = scope_facts(scope_kind, scope_id)
        if facts is not None:
            sha = facts_hash(facts)
            for protocol in protocols:
                evaluation = evaluation_store(protocol=protocol, facts=facts, today=today, trigger=trigger,
                                              facts_sha=sha)
                if evaluation is not None:
                    written.append(evaluation)
    cache.delete(pending_key(scope_kind, scope_id))
    return written


@transaction.atomic
def evaluation_store(*, protocol: Protocol, facts: ScopeFacts, today: date, trigger: str,
                     facts_sha: str | None = None) -> Evaluation | None:
    """Evaluate and keep the result, unless the latest evaluation saw the same inputs and said the same.

    Serialised per scope and protocol (advisory lock), so two workers never write the same change twice;
    a status change notifies the compliance managers once."""
    results = evaluate(protocol, facts, today)
    status = overall_status(results)
    met, applicable = progress(results)
    inputs = facts_digest(facts, protocol_digest=protocol.digest, facts_sha=facts_sha)
    outputs = results_digest(status, results)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"checklists:{connection.schema_name}:{facts.kind}:{facts.scope_id}:{protocol.id}"])
    current = (ScopeStatus.objects.select_for_update().select_related("evaluation")
               .filter(scope_kind=facts.kind, scope_id=facts.scope_id, protocol_id=protocol.id).first())
    now = timezone.now()
    if current is not None and current.evaluation.inputs_digest == inputs \
            and current.evaluation.results_digest == outputs:
        current.checked_at = now
        current.scope_label = facts.label[:200]
        current.save(update_fields=["checked_at", "scope_label", "updated_at"])
        return None
    evaluation = Evaluation.objects.create(
        scope_kind=facts.kind, scope_id=facts.scope_id, scope_label=facts.label[:200], protocol_id=protocol.id,
        protocol_version=protocol.version, protocol_digest=protocol.digest, inputs_digest=inputs,
        results_digest=outputs, evaluated_on=today, status=status, met_count=met, applicable_count=applicable,
        trigger=trigger)
    RequirementResult.objects.bulk_create([
        RequirementResult(evaluation=evaluation, position=index, requirement_id=r.requirement_id, status=r.status,
                          severity=r.severity, title_en=r.title.en[:300], title_zh=r.title.zh[:300],
                          reasons=r.reasons_as_dicts(), revision_ids=list(r.revision_ids),
                          upload_types=list(r.upload_types), qualifier=r.qualifier, sources=list(r.sources))
        for index, r in enumerate(results)])
    previous = current.status if current is not None else None
    if current is None:
        ScopeStatus.objects.create(scope_kind=facts.kind, scope_id=facts.scope_id, scope_label=facts.label[:200],
                                   protocol_id=protocol.id, evaluation=evaluation, status=status, met_count=met,
                                   applicable_count=applicable, checked_at=now)
    else:
        current.evaluation, current.status, current.met_count, current.applicable_count = \
            evaluation, status, met, applicable
        current.scope_label, current.checked_at = facts.label[:200], now
        current.save(update_fields=["evaluation", "status", "met_count", "applicable_count", "scope_label",
                                    "checked_at", "updated_at"])
    activity_record(actor=WORKER, verb="checklist.evaluated", object_type="checklists.scope",
                    object_id=f"{facts.kind}:{facts.scope_id}"[:64],
                    data={"protocol": protocol.key, "scope": facts.label, "status": status, "previous": previous,
                          "met": met, "applicable": applicable, "inputs_digest": inputs, "trigger": trigger,
                          "evaluation": str(evaluation.pk)})
    if previous is not None and previous != status:
        notify_status_change(evaluation=evaluation, previous_status=previous)
    return evaluation


@transaction.atomic
def evaluation_request(*, access: Access, scope_kind: str, scope_id: str, trigger: str = Trigger.MANUAL) -> str:
    """Queue the evaluation of one scope now (the board's button and the API trigger)."""
    _require(access, Perm.CHECKLIST_RUN)
    if scope_kind not in ScopeKind.values:
        raise ApplicationError(MSG_UNKNOWN_SCOPE, code="unknown_scope", field="scope_kind")
    scope = selectors.scope_get(access=access, scope_kind=scope_kind, scope_id=scope_id)
    if scope is None:
        raise ApplicationError(MSG_UNKNOWN_SCOPE, code="unknown_scope", field="scope_id")
    if not selectors.protocols_selected(scope_kind):
        raise ApplicationError(MSG_NO_PROTOCOL_FOR_SCOPE, code="no_protocol", field="scope_kind")
    from .tasks import scope_evaluate_task

    activity_record(actor=access.actor, verb="checklist.evaluation_requested", object_type="checklists.scope",
                    object_id=f"{scope.kind}:{scope.id}"[:64], data={"scope": scope.label, "trigger": trigger})
    cache.set(pending_key(scope.kind, scope.id), True, 300)
    enqueue_on_commit(scope_evaluate_task, scope_kind=scope.kind, scope_id=scope.id, trigger=trigger)
    return scope.id


def scopes_changed(members: Iterable[str]) -> None:
    """Other apps' changes ("shipment:<uuid>", "unit:…", "lot:…", "model:…", "evidence:…", "revision:…"):
    re-evaluate the affected scopes after commit, coalesced (see coalesce.py)."""
    coalesce.mark_dirty(members)


def changes_evaluate(*, members: Iterable[str], today: date | None = None) -> int:
    """Evaluate every scope the changed objects touch; returns the number of scopes."""
    kinds = {p.scope for p in selectors.protocols_selected()}
    if not kinds:
        return 0
    scopes = sorted(s for s in selectors.scopes_for_changes(members) if s[0] in kinds)
    for scope_kind, scope_id in scopes:
        scope_evaluate(scope_kind=scope_kind, scope_id=scope_id, trigger=Trigger.CHANGE, today=today)
    return len(scopes)


def organisation_evaluate(*, trigger: str = Trigger.NIGHTLY, today: date | None = None,
                          protocol_ids: Iterable[str] | None = None) -> int:
    """Evaluate every scope of every selected protocol (nightly: expiries and dates show up)."""
    protocols = selectors.protocols_selected()
    if protocol_ids is not None:
        protocols = [p for p in protocols if p.id in set(protocol_ids)]
    scopes = selectors.all_scopes({p.scope for p in protocols})
    for scope_kind, scope_id in scopes:
        scope_evaluate(scope_kind=scope_kind, scope_id=scope_id, trigger=trigger, today=today,
                       protocol_ids=protocol_ids)
    return len(scopes)


# --- notifications ---------------------------------------------------------------------------------

def _recipients() -> list[Any]:
    """Compliance managers of the current organisation; its owners when it has none."""
    from apps.accounts.models import Membership
    from apps.tenants.models import Organisation

    organisation = Organisation.objects.filter(schema_name=connection.schema_name).only("id").first()
    if organisation is None:
        return []
    memberships = Membership.objects.filter(organisation=organisation, user__is_active=True)
    managers = list(memberships.filter(role=Role.COMPLIANCE_MANAGER).values_list("user_id", flat=True))
    return managers or list(memberships.filter(role=Role.OWNER).values_list("user_id", flat=True))


def notify_status_change(*, evaluation: Evaluation, previous_status: str) -> list[Notification]:
    """One in-app notification per recipient and change; the e-mail follows after commit."""
    from .tasks import notification_email_task

    created = []
    for user_id in _recipients():
        notification, was_created = Notification.objects.get_or_create(
            evaluation=evaluation, recipient_id=user_id,
            defaults={"scope_kind": evaluation.scope_kind, "scope_id": evaluation.scope_id,
                      "scope_label": evaluation.scope_label, "protocol_id": evaluation.protocol_id,
                      "previous_status": previous_status, "status": evaluation.status})
        if was_created:
            created.append(notification)
            enqueue_on_commit(notification_email_task, notification_id=str(notification.pk))
    return created


@transaction.atomic
def notifications_mark_read(*, access: Access, notification_ids: Iterable[str] | None = None) -> int:
    """Mark the user's own notifications read (all of them when no ids are given)."""
    if access.user_id is None:
        raise PermissionDeniedError(MSG_NOT_ALLOWED, code="not_allowed")
    qs = Notification.objects.filter(recipient_id=access.user_id, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=selectors._uuids(notification_ids))
    return qs.update(read_at=timezone.now(), updated_at=timezone.now())


def notification_email(*, notification_id: str) -> bool:
    """Send the e-mail of a notification once (idempotent: `emailed_at` marks it sent)."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from apps.accounts.models import User
    from apps.tenants.hosts import organisation_url
    from apps.tenants.models import Organisation

    with transaction.atomic():
        notification = (Notification.objects.select_for_update().filter(pk=notification_id, emailed_at__isnull=True)
                        .first())
        if notification is None:
            return False
        user = User.objects.filter(pk=notification.recipient_id, is_active=True).first()
        organisation = Organisation.objects.filter(schema_name=connection.schema_name).first()
        if user is None or organisation is None:
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at", "updated_at"])
            return False
        protocol = registry().latest(notification.protocol_id)
        path = f"/checklists/{notification.scope_kind}/{notification.scope_id}/"
        context = {"notification": notification, "organisation": organisation,
                   "url": organisation_url(organisation, path),
                   "protocol_title": protocol.title if protocol else None}
        first = user.language if user.language in ("en", "zh-hans") else "en"
        second = "en" if first == "zh-hans" else "zh-hans"
        parts = []
        for language in (first, second):
            with translation.override(language):
                parts.append(render_to_string("checklists/emails/checklist_status_changed.txt",
                                              {**context, "language": language}))
        with translation.override(first):
            subject = render_to_string("checklists/emails/checklist_status_changed_subject.txt", context).strip()
        send_mail(subject, "\n\n---\n\n".join(parts), settings.DEFAULT_FROM_EMAIL, [user.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at", "updated_at"])
    return True
