"""A real Celery worker runs tenant-aware tasks in the schema they were enqueued from."""
import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from apps.activity.models import ChainCheck
from apps.activity.services import Actor, activity_record
from apps.activity.tasks import activity_chain_check_all_task, activity_chain_check_task
from apps.core.queue import enqueue_on_commit

pytestmark = pytest.mark.worker


def _checks(schema: str) -> list[ChainCheck]:
    with schema_context(schema):
        return list(ChainCheck.objects.all())


def test_task_enqueued_on_commit_runs_in_the_enqueuing_schema(committed, celery_worker_process, wait_for):
    alpha = committed["alpha"]
    with schema_context(alpha.schema_name), transaction.atomic():
        activity_record(actor=Actor.system("test"), verb="test.event")
        enqueue_on_commit(activity_chain_check_task)
        # nothing is sent before the commit
    checks = wait_for(lambda: _checks("alpha"))
    assert len(checks) == 1 and checks[0].intact
    with schema_context("alpha"):
        from apps.activity.models import ActivityEntry

        assert checks[0].entries == ActivityEntry.objects.count() >= 1
    assert _checks("beta") == []


def test_rolled_back_change_enqueues_nothing(committed, celery_worker_process, wait_for):
    with schema_context("alpha"):
        try:
            with transaction.atomic():
                enqueue_on_commit(activity_chain_check_task)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    # a later task proves the worker is alive and that the rolled-back one never ran
    with schema_context("beta"), transaction.atomic():
        enqueue_on_commit(activity_chain_check_task)
    wait_for(lambda: _checks("beta"))
    assert _checks("alpha") == []


def test_nightly_fan_out_checks_every_organisation(committed, celery_worker_process, wait_for):
    activity_chain_check_all_task.delay()
    wait_for(lambda: _checks("alpha") and _checks("beta"))
