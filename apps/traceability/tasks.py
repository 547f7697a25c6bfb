"""Background work of the register: committing large imports (with progress in the cache)."""
from uuid import UUID

from celery import shared_task
from django.db import OperationalError

from apps.activity.services import Actor

from .services.imports import import_commit_run


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def import_commit_task(*, batch_id: str, actor_id: str, actor_label: str, channel: str, organisation_id: str) -> str:
    """Runs in the schema it was enqueued from. Idempotent: a committed batch is left as it is, and a commit
    that died half-way was rolled back by PostgreSQL, so a redelivery starts clean."""
    actor = Actor(id=UUID(actor_id) if actor_id else None, label=actor_label, channel=channel)
    return import_commit_run(batch_id=batch_id, actor=actor, organisation_id=organisation_id).status
