"""Background verification of the activity chains (nightly, and on demand)."""
from celery import shared_task
from django_tenants.utils import get_public_schema_name, get_tenant_model

from .services import activity_chain_check


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def activity_chain_check_task() -> dict:
    """Runs in the schema it was enqueued from (tenant-schemas-celery)."""
    check = activity_chain_check()
    return {"entries": check.entries, "first_broken_entry": check.first_broken_entry}


@shared_task(acks_late=True)
def activity_chain_check_all_task() -> int:
    """Fan out one check per organisation, each in its own schema."""
    schemas = (get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
               .filter(is_active=True).values_list("schema_name", flat=True))
    count = 0
    for schema in schemas:
        activity_chain_check_task.apply_async(headers={"_schema_name": schema})
        count += 1
    return count
