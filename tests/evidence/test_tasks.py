"""The nightly expiry with the real Celery worker: every organisation, in its own schema, once."""
import io
from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.evidence import services
from apps.evidence.models import EvidenceRevision
from apps.evidence.tasks import evidence_nightly_all_task, revisions_expire_due_task
from tests.accounts.factories import UserFactory
from tests.conftest import access_for
from tests.evidence.files import MANIFEST_FIELDS, make_pdf

pytestmark = pytest.mark.worker


def _upload(organisation, title: str, expiry: date):
    user = UserFactory()
    Membership.objects.create(user=user, organisation=organisation, role=Role.STAFF)
    with schema_context(organisation.schema_name):
        return services.evidence_upload(access=access_for(user, organisation, Role.STAFF),
                                        doc_type="transport_manifest", title=title,
                                        upload=io.BytesIO(make_pdf(f"{organisation.slug} {title}")),
                                        filename="cmr.pdf", key_fields=MANIFEST_FIELDS, expiry_date=expiry)


def _statuses(schema: str) -> dict[str, str]:
    with schema_context(schema):
        return dict(EvidenceRevision.objects.values_list("evidence__title", "status"))


def test_nightly_expiry_runs_in_every_organisation_and_is_idempotent(committed, celery_worker_process, wait_for,
                                                                     vault):
    today = date.today()
    _upload(committed["alpha"], "alpha due", today - timedelta(days=1))
    _upload(committed["alpha"], "alpha valid", today + timedelta(days=30))
    _upload(committed["beta"], "beta due", today - timedelta(days=3))

    evidence_nightly_all_task.delay()
    wait_for(lambda: _statuses("alpha")["alpha due"] == "expired" and _statuses("beta")["beta due"] == "expired")
    assert _statuses("alpha")["alpha valid"] == "submitted"

    again = revisions_expire_due_task.apply_async(headers={"_schema_name": "alpha"}).get(timeout=30)
    assert again == 0
    with schema_context("alpha"):
        assert ActivityEntry.objects.filter(verb="evidence.expired").count() == 1
        entry = ActivityEntry.objects.get(verb="evidence.expired")
        assert entry.actor_label == "nightly expiry" and entry.data["from"] == "submitted"
