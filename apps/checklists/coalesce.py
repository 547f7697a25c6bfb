"""Coalescing re-evaluation requests: a burst of 1,000 changes causes a handful of evaluations.

Changes mark objects dirty ("shipment:<uuid>", "evidence:<uuid>" …). Within a transaction the marks
gather in memory; at commit one pipeline adds them to a Redis set per schema and, if no drain is
scheduled yet (SET NX), schedules one `checklists_drain_task` a few seconds later. The drain first
clears the "scheduled" flag (so a change arriving meanwhile schedules the next drain: nothing is
lost), then moves the set aside under its own task id (a retried or redelivered task finds the same
members), resolves the objects into scopes and evaluates each scope once.

A rolled-back transaction marks nothing. If Redis is unreachable the change still commits; the
nightly run catches up.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

import redis
from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

PREFIX = "cellpass:checklists"
SCHEDULED_TTL = 300  # a lost drain task blocks scheduling for at most this long
PROCESSING_TTL = 24 * 3600


def client() -> redis.Redis:
    """Redis of the cache (the test settings point it at the test database)."""
    return redis.Redis.from_url(settings.CHECKLIST_REDIS_URL or settings.CACHES["default"]["LOCATION"])


def dirty_key(schema: str) -> str:
    return f"{PREFIX}:dirty:{schema}"


def scheduled_key(schema: str) -> str:
    return f"{PREFIX}:scheduled:{schema}"


def processing_key(schema: str, task_id: str) -> str:
    return f"{PREFIX}:processing:{schema}:{task_id}"


def mark_dirty(members: Iterable[str]) -> None:
    """Remember that these objects changed in the current schema; flushed when the transaction commits."""
    members = set(members)
    schema = connection.schema_name
    if not members or schema == "public":
        return
    if not connection.in_atomic_block:
        flush({schema: members})
        return
    state = getattr(connection, "_checklists_pending", None)
    if state is None or not any(entry[1] is state["callback"] for entry in connection.run_on_commit):
        pending: dict[str, set[str]] = {}

        def callback() -> None:
            if getattr(connection, "_checklists_pending", None) is state:
                connection._checklists_pending = None
            flush(pending)

        state = {"pending": pending, "callback": callback}
        connection._checklists_pending = state
        transaction.on_commit(callback)
    state["pending"].setdefault(schema, set()).update(members)


def flush(pending: dict[str, set[str]]) -> None:
    from .tasks import checklists_drain_task

    for schema, members in pending.items():
        if not members:
            continue
        try:
            pipe = client().pipeline()
            pipe.sadd(dirty_key(schema), *sorted(members))
            pipe.set(scheduled_key(schema), "1", nx=True, ex=SCHEDULED_TTL)
            _added, scheduled = pipe.execute()
            if scheduled:
                checklists_drain_task.apply_async(headers={"_schema_name": schema},
                                                  countdown=settings.CHECKLIST_DEBOUNCE_SECONDS)
        except (redis.RedisError, OSError):
            logger.warning("could not queue checklist re-evaluation for %s; the nightly run will catch up", schema,
                           exc_info=True)


def take(schema: str, task_id: str) -> set[str]:
    """The dirty members this drain handles (the same ones again if the task is retried)."""
    redis_client = client()
    redis_client.delete(scheduled_key(schema))
    processing = processing_key(schema, task_id)
    if not redis_client.exists(processing):
        try:
            redis_client.rename(dirty_key(schema), processing)
        except redis.ResponseError:  # no dirty set: nothing changed since the last drain
            return set()
        redis_client.expire(processing, PROCESSING_TTL)
    return {member.decode() for member in redis_client.smembers(processing)}


def done(schema: str, task_id: str) -> None:
    client().delete(processing_key(schema, task_id))


def pending_count(schema: str) -> int:
    return int(client().scard(dirty_key(schema)))
