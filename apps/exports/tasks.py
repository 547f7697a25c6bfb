"""Nightly derivation of traceability-platform reporting events, so the board and the deadlines
stay current without anyone pressing "derive" (and provisional deadlines are recounted once the
calendar package covers a new year)."""
from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model

from apps.activity.services import Actor

from .services import reporting_events_sync


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def reporting_events_sync_task() -> dict:
    """Runs in the schema it was enqueued from; idempotent (derives only what is not recorded)."""
    organisation = get_tenant_model().objects.get(schema_name=connection.schema_name)
    return reporting_events_sync(actor=Actor.system("nightly reporting sync"), organisation=organisation)


@shared_task(acks_late=True)
def reporting_events_sync_all_task() -> int:
    schemas = (get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
               .filter(is_active=True).exclude(kind="platform").values_list("schema_name", flat=True))
    count = 0
    for schema in schemas:
        reporting_events_sync_task.apply_async(headers={"_schema_name": schema})
        count += 1
    return count
