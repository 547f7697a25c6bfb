"""The nightly reporting sync runs in every organisation's own schema on the real worker."""
from datetime import date

import pytest
from django_tenants.utils import schema_context

from apps.exports.models import ReportingEvent
from apps.exports.tasks import reporting_events_sync_all_task
from tests.exports.test_services import _receipt

pytestmark = pytest.mark.worker


def _events(schema: str) -> list[ReportingEvent]:
    with schema_context(schema):
        return list(ReportingEvent.objects.all())


def test_nightly_sync_derives_events_in_each_organisation(committed, celery_worker_process, wait_for):
    with schema_context(committed["beta"].schema_name):
        _receipt("IN-NIGHT", date(2026, 9, 28), ["SEVPE75N3A0001R190000011"])
    assert reporting_events_sync_all_task.delay().get(timeout=30) >= 2
    events = wait_for(lambda: _events("beta"))
    assert [(e.kind, e.deadline) for e in events] == [("recycler_receipt", date(2026, 11, 13))]
