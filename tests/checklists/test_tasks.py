"""The real Celery worker evaluates: after a change (coalesced), on demand, nightly; idempotent reruns;
bad data never crashes a task."""
import math
import time

import pytest
from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.checklists import coalesce, services
from apps.checklists.models import Evaluation, ProtocolSelection, ScopeStatus
from apps.checklists.tasks import checklists_nightly_task, scope_evaluate_task
from apps.traceability.models import BatteryUnit, ShipmentUnit

from .factories import ShipmentFactory, document, export_ready, gbt_code

pytestmark = pytest.mark.worker


def latest(schema: str, shipment_id, protocol_id: str = "cn-export-2026"):
    with schema_context(schema):
        status = (ScopeStatus.objects.select_related("evaluation")
                  .filter(scope_id=str(shipment_id), protocol_id=protocol_id).first())
        if status is None:
            return None
        return status.evaluation, {r.requirement_id: r for r in status.evaluation.results.all()}


def count(schema: str, **filters) -> int:
    with schema_context(schema):
        return Evaluation.objects.filter(**filters).count()


def test_a_change_is_evaluated_by_the_worker(committed, celery_worker_process, wait_for):
    with schema_context("alpha"):
        ProtocolSelection.objects.create(protocol_id="cn-export-2026")
        shipment = ShipmentFactory()
        export_ready(shipment)
    first = wait_for(lambda: latest("alpha", shipment.pk))
    evaluation, results = first
    assert evaluation.trigger == "change" and results["contract"].status == "met"
    assert results["receipt"].status == "missing"

    with schema_context("alpha"):
        document("receipt", shipments=[shipment], received_on="2026-05-09", received_net_mass_kg=19900)
    evaluation, results = wait_for(lambda: (r := latest("alpha", shipment.pk)) and r[1]["receipt"].status == "met"
                                   and r)
    assert results["receipt"].qualifier == "unconfirmed"
    assert count("beta") == 0  # the worker stayed in alpha's schema


def test_a_burst_of_a_thousand_changes_causes_a_handful_of_evaluations(committed, celery_worker_process, wait_for):
    with schema_context("alpha"):
        ProtocolSelection.objects.create(protocol_id="gbt34014-codes")
        shipment = ShipmentFactory()
        started = time.monotonic()
        for batch in range(10):  # ten transactions of a hundred changes each
            with transaction.atomic():
                for i in range(100):
                    n = batch * 100 + i + 1
                    unit = BatteryUnit.objects.create(code=gbt_code(n, "C"), scheme="gbt34014", level="cell")
                    ShipmentUnit.objects.create(shipment=shipment, unit=unit)
        burst_seconds = time.monotonic() - started

    def settled():
        result = latest("alpha", shipment.pk, "gbt34014-codes")
        return result and "All 1000 units carry a code." in result[1]["units_coded"].reasons[0]["en"] and result

    wait_for(settled, timeout=90)

    def drained():
        with schema_context("alpha"):
            return coalesce.pending_count("alpha") == 0

    wait_for(drained, timeout=60)  # a drain queued by the last transaction may still be on its way
    evaluations = count("alpha", scope_id=str(shipment.pk))
    # at most one drain per debounce window while the burst lasts, plus the one after it: a handful on a quiet
    # machine (the burst takes a few seconds), never one per transaction, let alone one per change
    windows = math.ceil(burst_seconds / settings.CHECKLIST_DEBOUNCE_SECONDS)
    assert 1 <= evaluations <= min(windows + 2, 9), (evaluations, burst_seconds)


def in_schema(schema: str, fn):
    with schema_context(schema):
        return fn()


def drained(schema: str) -> bool:
    """No change waiting for a drain, and no drain running."""
    client = coalesce.client()
    return not client.exists(coalesce.scheduled_key(schema)) and not client.scard(coalesce.dirty_key(schema)) \
        and not client.keys(coalesce.processing_key(schema, "*"))


def test_on_demand_evaluation_runs_on_the_worker(committed, celery_worker_process, wait_for, make_member):
    user = make_member(committed["alpha"], Role.STAFF)
    access = Access(organisation_id=committed["alpha"].pk, role=Role.STAFF, user_id=user.pk, label=user.email)
    with schema_context("alpha"):
        shipment = ShipmentFactory()
    wait_for(lambda: drained("alpha"))  # the change was handled (no protocol selected: nothing to evaluate)
    assert count("alpha") == 0
    with schema_context("alpha"):
        ProtocolSelection.objects.create(protocol_id="cn-export-2026")
        services.evaluation_request(access=access, scope_kind="shipment", scope_id=str(shipment.pk))
    evaluation, results = wait_for(lambda: latest("alpha", shipment.pk))
    assert evaluation.trigger == "manual" and results["contract"].status == "failed"


def test_rerunning_a_task_writes_nothing_new(committed, celery_worker_process, wait_for):
    with schema_context("alpha"):
        ProtocolSelection.objects.create(protocol_id="cn-export-2026")
        shipment = ShipmentFactory()
    wait_for(lambda: latest("alpha", shipment.pk) and drained("alpha"))
    before = count("alpha")
    runs = [scope_evaluate_task.apply_async(kwargs={"scope_kind": "shipment", "scope_id": str(shipment.pk)},
                                            headers={"_schema_name": "alpha"}) for _ in range(3)]
    assert [run.get(timeout=30) for run in runs] == [0, 0, 0]
    assert count("alpha") == before == 1


def test_nightly_run_evaluates_every_organisation(committed, celery_worker_process, wait_for):
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            ProtocolSelection.objects.create(protocol_id="cn-export-2026")
            ShipmentFactory.create_batch(2)
    wait_for(lambda: count("alpha") == 2 and count("beta") == 2 and drained("alpha") and drained("beta"))
    checked = {s: in_schema(s, lambda: max(ScopeStatus.objects.values_list("checked_at", flat=True)))
               for s in ("alpha", "beta")}
    checklists_nightly_task.delay()
    wait_for(lambda: all(in_schema(s, lambda: ScopeStatus.objects.filter(checked_at__gt=checked[s]).count() == 2)
                         for s in ("alpha", "beta")))
    assert count("alpha") == 2  # nothing changed: no new evaluation, only checked again


def test_bad_data_never_crashes_the_task(committed, celery_worker_process, wait_for):
    with schema_context("alpha"):
        ProtocolSelection.objects.create(protocol_id="cn-export-2026")
        shipment = ShipmentFactory(status="received")
        document("assay_report", shipments=[shipment], lot_code="BM-1", elements={"Co": "sixty", "Ni": 45},
                 lot_mass_kg=[1, 2])
        document("transport_manifest", shipments=[shipment], net_mass_kg="19,2 t")
    _evaluation, results = wait_for(lambda: (r := latest("alpha", shipment.pk)) and r[1]["assay"].status == "failed"
                                    and r)
    assert "should be a number" in results["assay"].reasons[0]["en"]
    assert results["transport_manifest"].status == "failed"


def test_selecting_protocols_evaluates_existing_scopes(committed, celery_worker_process, wait_for, make_member):
    manager = make_member(committed["alpha"], Role.COMPLIANCE_MANAGER)
    access = Access(organisation_id=committed["alpha"].pk, role=Role.COMPLIANCE_MANAGER, user_id=manager.pk,
                    label=manager.email)
    with schema_context("alpha"):
        shipment = ShipmentFactory()
    with schema_context("alpha"):
        services.selection_set(access=access, protocol_ids=["cn-export-2026", "gbt34014-codes"])
    wait_for(lambda: latest("alpha", shipment.pk) and latest("alpha", shipment.pk, "gbt34014-codes"))
    evaluation, _ = latest("alpha", shipment.pk)
    assert evaluation.trigger == "setup"
