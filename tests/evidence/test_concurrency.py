"""Two reviewers deciding on the same revision at the same moment, on real parallel connections:
the row lock lets exactly one decision through; the other sees that the revision is no longer
awaiting review."""
import io
import threading
import time

from django.db import connection, transaction
from django_tenants.utils import schema_context

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.core.errors import ApplicationError
from apps.evidence import services
from apps.evidence.models import EvidenceRevision, Review
from tests.accounts.factories import UserFactory
from tests.conftest import access_for
from tests.evidence.files import MANIFEST_FIELDS, make_pdf


def _people(alpha):
    result = {}
    for name, role in [("staff", Role.STAFF), ("m1", Role.COMPLIANCE_MANAGER), ("m2", Role.COMPLIANCE_MANAGER)]:
        user = UserFactory()
        Membership.objects.create(user=user, organisation=alpha, role=role)
        result[name] = access_for(user, alpha, role)
    return result


def _revision(alpha, staff):
    with schema_context(alpha.schema_name):
        return services.evidence_upload(access=staff, doc_type="transport_manifest", title="CMR",
                                        upload=io.BytesIO(make_pdf("race")), filename="cmr.pdf",
                                        key_fields=MANIFEST_FIELDS)


def _in_thread(target, results, key):
    def run():
        try:
            with schema_context("alpha"):
                results[key] = target()
        except ApplicationError as error:
            results[key] = error.code
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_the_second_reviewer_waits_for_the_lock_and_is_told_it_was_decided(committed, vault):
    alpha = committed["alpha"]
    people = _people(alpha)
    revision = _revision(alpha, people["staff"])
    locked, results = threading.Event(), {}

    def first():
        with transaction.atomic():
            services.revision_accept(access=people["m1"], revision=revision)
            locked.set()
            time.sleep(0.8)  # hold the row lock while the other reviewer tries
        return "accepted"

    def second():
        locked.wait(10)
        started = time.monotonic()
        try:
            services.revision_reject(access=people["m2"], revision=revision, reason="duplicate")
            return "rejected"
        finally:
            results["waited"] = time.monotonic() - started

    threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
    for thread in threads:
        thread.join(30)
    assert results["first"] == "accepted" and results["second"] == "not_submitted"
    assert results["waited"] >= 0.5  # it really waited for the first transaction
    with schema_context("alpha"):
        assert EvidenceRevision.objects.get(pk=revision.pk).status == "accepted"
        assert Review.objects.count() == 1


def test_two_simultaneous_reviewers_produce_exactly_one_decision(committed, vault):
    alpha = committed["alpha"]
    people = _people(alpha)
    revision = _revision(alpha, people["staff"])
    barrier, results = threading.Barrier(2), {}

    def decide(access, accept):
        def call():
            barrier.wait(10)
            if accept:
                services.revision_accept(access=access, revision=revision)
                return "accepted"
            services.revision_reject(access=access, revision=revision, reason="not legible")
            return "rejected"

        return call

    threads = [_in_thread(decide(people["m1"], True), results, "m1"),
               _in_thread(decide(people["m2"], False), results, "m2")]
    for thread in threads:
        thread.join(30)
    outcomes = sorted([results["m1"], results["m2"]])
    assert outcomes in (["accepted", "not_submitted"], ["not_submitted", "rejected"])
    with schema_context("alpha"):
        review = Review.objects.get()
        assert EvidenceRevision.objects.get(pk=revision.pk).status == review.decision
