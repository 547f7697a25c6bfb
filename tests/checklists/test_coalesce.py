"""Coalescing: the changes of a transaction are flushed once, at commit, to a Redis set per schema;
a drain takes them (the same ones again if retried); a rolled-back change marks nothing."""
import pytest
from django.db import transaction

from apps.checklists import coalesce

from .factories import BatteryUnitFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_keys(settings):
    settings.CHECKLIST_DEBOUNCE_SECONDS = 3600  # a worker alive in this session must not drain before the test
    client = coalesce.client()
    client.delete(coalesce.dirty_key("alpha"), coalesce.scheduled_key("alpha"))
    yield client
    client.delete(coalesce.dirty_key("alpha"), coalesce.scheduled_key("alpha"),
                  coalesce.processing_key("alpha", "task-1"))


def test_the_changes_of_a_transaction_are_flushed_once(in_tenant, alpha, redis_keys,
                                                      django_capture_on_commit_callbacks):
    with in_tenant(alpha):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            shipment = ShipmentFactory()
            units = BatteryUnitFactory.create_batch(50)
        assert len(callbacks) == 1  # fifty-one changes, one flush
        members = {m.decode() for m in redis_keys.smembers(coalesce.dirty_key("alpha"))}
        assert members == {f"shipment:{shipment.pk}"} | {f"unit:{u.pk}" for u in units}
        assert redis_keys.exists(coalesce.scheduled_key("alpha"))

        taken = coalesce.take("alpha", "task-1")
        assert taken == members
        assert not redis_keys.exists(coalesce.scheduled_key("alpha"))  # the next change schedules a new drain
        assert coalesce.pending_count("alpha") == 0
        assert coalesce.take("alpha", "task-1") == members  # a retried drain sees the same changes
        coalesce.done("alpha", "task-1")
        assert coalesce.take("alpha", "task-2") == set()


def test_a_rolled_back_change_marks_nothing(in_tenant, alpha, redis_keys, django_capture_on_commit_callbacks):
    with in_tenant(alpha):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    ShipmentFactory()
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            kept = ShipmentFactory()
        assert len(callbacks) == 1
        members = {m.decode() for m in redis_keys.smembers(coalesce.dirty_key("alpha"))}
        assert members == {f"shipment:{kept.pk}"}


def test_an_unreachable_redis_never_fails_the_change(in_tenant, alpha, settings, django_capture_on_commit_callbacks):
    settings.CHECKLIST_REDIS_URL = "redis://127.0.0.1:1/0"
    with in_tenant(alpha):
        with django_capture_on_commit_callbacks(execute=True):
            ShipmentFactory()  # the commit callback logs a warning; the nightly run catches up
