"""The activity log is append-only and hash-chained; tampering is detected and named."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from apps.activity.models import ActivityEntry
from apps.activity.selectors import activity_first_broken_entry
from apps.activity.services import Actor, activity_record
from apps.core.hashing import GENESIS, chain_hash, first_broken_link


def test_pure_chain_detects_changed_payload_and_broken_link():
    p1, p2, p3 = {"n": 1}, {"n": 2}, {"n": 3}
    h1 = chain_hash(GENESIS, p1)
    h2 = chain_hash(h1, p2)
    h3 = chain_hash(h2, p3)
    links = [(1, GENESIS, h1, p1), (2, h1, h2, p2), (3, h2, h3, p3)]
    assert first_broken_link(links) is None
    assert first_broken_link([links[0], (2, h1, h2, {"n": 99}), links[2]]) == 2
    assert first_broken_link([links[0], links[2]]) == 3  # entry 2 removed


def _record(n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            activity_record(actor=Actor.system("test"), verb="test.thing", object_type="x", object_id=str(i),
                            data={"i": i, "text": "电池"})


def test_entries_chain_in_order(alpha, in_tenant):
    with in_tenant(alpha):
        _record(5)
        entries = list(ActivityEntry.objects.order_by("id"))
        for previous, entry in zip(entries, entries[1:], strict=False):
            assert entry.prev_hash == previous.hash
        assert activity_first_broken_entry() is None


def test_database_refuses_update_and_delete(alpha, in_tenant):
    with in_tenant(alpha):
        _record(1)
        entry = ActivityEntry.objects.order_by("-id").first()
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            ActivityEntry.objects.filter(pk=entry.pk).update(verb="forged")
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            ActivityEntry.objects.filter(pk=entry.pk).delete()


def _tamper(schema: str, entry_id: int, sql_set: str) -> None:
    """What someone with direct database access could do: disable the guard and rewrite a row."""
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}".activity_activityentry DISABLE TRIGGER USER')
        cursor.execute(f'UPDATE "{schema}".activity_activityentry SET {sql_set} WHERE id = %s', [entry_id])
        cursor.execute(f'ALTER TABLE "{schema}".activity_activityentry ENABLE TRIGGER USER')


def test_verifier_names_the_first_tampered_entry(alpha, beta, in_tenant):
    with in_tenant(alpha):
        _record(4)
        ids = list(ActivityEntry.objects.order_by("id").values_list("id", flat=True))
    target = ids[2]
    _tamper("alpha", target, "data = '{\"i\": 999}'::jsonb")
    with in_tenant(alpha):
        assert activity_first_broken_entry() == target
    out = StringIO()
    with pytest.raises(CommandError, match="alpha"):
        call_command("verify_activity", stdout=out)
    assert f"alpha: BROKEN at entry {target}" in out.getvalue()
    assert "beta: intact" in out.getvalue()


def test_verifier_detects_a_removed_entry(alpha, in_tenant):
    with in_tenant(alpha):
        _record(3)
        ids = list(ActivityEntry.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE alpha.activity_activityentry DISABLE TRIGGER USER')
        cursor.execute('DELETE FROM alpha.activity_activityentry WHERE id = %s', [ids[1]])
        cursor.execute('ALTER TABLE alpha.activity_activityentry ENABLE TRIGGER USER')
    with in_tenant(alpha):
        assert activity_first_broken_entry() == ids[2]


def test_verify_command_for_one_unknown_schema_fails_clearly(db, organisations):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("verify_activity", "--schema", "nope")


def test_the_chains_of_several_organisations_are_locked_up_front(alpha, beta):
    """A change writing two organisations' logs takes both chain locks at once (held to the end of the
    transaction), so it never holds one while waiting for the other."""
    from apps.activity.services import activity_chains_lock

    def held() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            return cursor.fetchone()[0]

    with transaction.atomic():
        before = held()
        activity_chains_lock([beta.schema_name, alpha.schema_name, beta.schema_name])
        assert held() == before + 2
