from django.db.models import QuerySet

from apps.core.hashing import first_broken_link

from .models import ActivityEntry


def activity_list(*, object_type: str = "", object_id: str = "") -> QuerySet[ActivityEntry]:
    qs = ActivityEntry.objects.all()
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs.order_by("-id")


def activity_first_broken_entry() -> int | None:
    """Id of the first entry whose link or hash does not hold, or None if the chain is intact.

    Streams the log in id order with a server-side cursor, so memory stays flat for long logs.
    """
    rows = ActivityEntry.objects.order_by("id").iterator(chunk_size=5000)
    return first_broken_link((e.id, e.prev_hash, e.hash, e.payload()) for e in rows)


def chain_check_latest():
    from .models import ChainCheck

    return ChainCheck.objects.order_by("-checked_at").first()
