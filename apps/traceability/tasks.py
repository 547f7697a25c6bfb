"""Background work of the register: committing large imports (with progress in the cache)."""
import logging
from uuid import UUID

from celery import shared_task
from django.db import OperationalError

from apps.activity.services import Actor

from .services.imports import import_commit_run, import_mark_crashed

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def import_commit_task(*, batch_id: str, actor_id: str, actor_label: str, channel: str, organisation_id: str) -> str:
    """Runs in the schema it was enqueued from. Idempotent: a committed batch is left as it is, and a commit
    that died half-way was rolled back by PostgreSQL, so a redelivery starts clean. Anything but a transient
    database error ends the batch as failed (nothing stored), so the page stops waiting."""
    actor = Actor(id=UUID(actor_id) if actor_id else None, label=actor_label, channel=channel)
    try:
        return import_commit_run(batch_id=batch_id, actor=actor, organisation_id=organisation_id).status
    except OperationalError:
        raise
    except Exception:
        logger.exception("import commit %s crashed", batch_id)
        return import_mark_crashed(batch_id=batch_id, actor=actor).status
