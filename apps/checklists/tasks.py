"""Celery tasks of the checklists: thin, tenant-aware (they run in the schema they were enqueued
from), idempotent (an evaluation with the same inputs and results writes nothing) and acks_late.
Transient database and Redis errors are retried with back-off."""
import smtplib

import redis
from celery import shared_task
from django.db import InterfaceError, OperationalError
from django_tenants.utils import get_public_schema_name, get_tenant_model

from . import coalesce, services
from .models import Trigger

TRANSIENT = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError, ConnectionError)
RETRY = {"acks_late": True, "autoretry_for": TRANSIENT, "retry_backoff": True, "retry_backoff_max": 120,
         "max_retries": 8}


@shared_task(bind=True, **RETRY)
def checklists_drain_task(self) -> int:
    """Evaluate the scopes touched by the changes gathered since the last drain (coalesced)."""
    from django.db import connection

    schema = connection.schema_name
    members = coalesce.take(schema, self.request.id or "eager")
    count = services.changes_evaluate(members=members) if members else 0
    coalesce.done(schema, self.request.id or "eager")
    return count


@shared_task(**RETRY)
def scope_evaluate_task(scope_kind: str, scope_id: str, trigger: str = Trigger.MANUAL) -> int:
    return len(services.scope_evaluate(scope_kind=scope_kind, scope_id=scope_id, trigger=trigger))


@shared_task(**RETRY)
def checklists_evaluate_all_task(trigger: str = Trigger.NIGHTLY, protocol_ids: list[str] | None = None) -> int:
    return services.organisation_evaluate(trigger=trigger, protocol_ids=protocol_ids)


@shared_task(acks_late=True)
def checklists_nightly_task() -> int:
    """Fan out one re-evaluation per organisation, each in its own schema (expiries, dates in force)."""
    schemas = (get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
               .filter(is_active=True).values_list("schema_name", flat=True))
    count = 0
    for schema in schemas:
        checklists_evaluate_all_task.apply_async(kwargs={"trigger": Trigger.NIGHTLY},
                                                 headers={"_schema_name": schema})
        count += 1
    return count


@shared_task(**{**RETRY, "autoretry_for": TRANSIENT + (smtplib.SMTPException,)})
def notification_email_task(notification_id: str) -> bool:
    return services.notification_email(notification_id=notification_id)
