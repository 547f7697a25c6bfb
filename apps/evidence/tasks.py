"""Nightly upkeep of the vault, per organisation (tenant-aware: each task runs in the schema it was
enqueued for)."""
from celery import shared_task
from django_tenants.utils import get_public_schema_name, get_tenant_model

from .services import evidence_orphans_sweep, revisions_expire_due


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def revisions_expire_due_task() -> int:
    """Idempotent: expires what is due today; a rerun finds nothing more."""
    return revisions_expire_due()


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def evidence_orphans_sweep_task() -> int:
    return evidence_orphans_sweep()


@shared_task(acks_late=True)
def evidence_nightly_all_task() -> int:
    """Beat entry: fan out the expiry and the orphan sweep to every active organisation."""
    schemas = (get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
               .filter(is_active=True).values_list("schema_name", flat=True))
    count = 0
    for schema in schemas:
        headers = {"_schema_name": schema}
        revisions_expire_due_task.apply_async(headers=headers)
        evidence_orphans_sweep_task.apply_async(headers=headers)
        count += 1
    return count
