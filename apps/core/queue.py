"""Enqueue Celery tasks after commit, in the schema of the caller.

`transaction.on_commit` callbacks may run after the tenant context has been left, and
tenant-schemas-celery reads the schema from the connection at publish time; capturing the
schema now and passing it as the task header keeps the task in the right tenant.
"""
from typing import Any

from django.db import connection, transaction


def enqueue_on_commit(task: Any, *, queue: str | None = None, countdown: float | None = None,
                      task_id: str | None = None, **kwargs: Any) -> None:
    schema = connection.schema_name
    options: dict[str, Any] = {"headers": {"_schema_name": schema}}
    if queue:
        options["queue"] = queue
    if countdown is not None:
        options["countdown"] = countdown
    if task_id:
        options["task_id"] = task_id
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs, **options))
