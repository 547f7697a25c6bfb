"""Writing the activity log: one entry per state change, in the same transaction as the change."""
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from apps.core.hashing import GENESIS, chain_hash

from .models import ActivityEntry, ChainCheck, Channel


@dataclass(frozen=True)
class Actor:
    """Who did it: a user, an API key, or the system. Kept as id + label so the log never
    needs a foreign key (users live in the public schema and may be removed)."""

    id: UUID | None
    label: str
    channel: str = Channel.WEB

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(id=None, label=label, channel=Channel.SYSTEM)


def _lock_chain(schema_name: str | None = None) -> None:
    # One writer at a time per schema: the chain head is read and extended under this lock,
    # which PostgreSQL releases at commit or rollback.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"activity:{schema_name or connection.schema_name}"])


def activity_chains_lock(schema_names: Iterable[str]) -> None:
    """Take the activity-chain locks of several schemas now, in name order. A change that writes the logs
    of more than one organisation (a custody step) takes them up front, so that two such changes never
    wait for each other in a cycle whatever order their services record in. Inside a transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("activity_chains_lock must run inside the transaction of the change")
    for schema_name in sorted(set(schema_names)):
        _lock_chain(schema_name)


def activity_record(*, actor: Actor, verb: str, obj: Any = None, object_type: str = "",
                    object_id: str = "", data: dict[str, Any] | None = None) -> ActivityEntry:
    """Append an entry to the current schema's log. Must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("activity_record must run inside the transaction of the change it records")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    _lock_chain()
    head = ActivityEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    with connection.cursor() as cursor:
        # The id is part of the hashed payload, so it is drawn before the insert (under the lock,
        # ids grow in chain order).
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [ActivityEntry._meta.db_table])
        (next_id,) = cursor.fetchone()
    entry = ActivityEntry(
        id=next_id,
        at=timezone.now(),
        actor_id=actor.id,
        actor_label=actor.label[:254],
        channel=actor.channel,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        prev_hash=head or GENESIS,
    )
    entry.hash = chain_hash(entry.prev_hash, entry.payload())
    entry.save(force_insert=True)
    return entry


def activity_chain_check() -> ChainCheck:
    """Verify the current schema's chain and keep the result (idempotent: one row per run)."""
    from .selectors import activity_first_broken_entry

    return ChainCheck.objects.create(checked_at=timezone.now(), entries=ActivityEntry.objects.count(),
                                     first_broken_entry=activity_first_broken_entry())
