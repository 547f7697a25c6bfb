"""Evaluating scopes against the database: history kept, idempotent reruns, new protocol versions,
notifications once per change, protocol selection and on-demand requests with their permissions."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.checklists import selectors, services
from apps.checklists.models import Evaluation, Notification, ProtocolSelection, RequirementResult, ScopeStatus
from apps.checklists.protocol import Registry, registry
from apps.core.errors import ApplicationError

from .factories import (
    BatteryModelFactory,
    BatteryUnitFactory,
    MaterialLotFactory,
    ShipmentFactory,
    add_units,
    document,
    export_ready,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


def evaluate(shipment, today=TODAY):
    return services.scope_evaluate(scope_kind="shipment", scope_id=str(shipment.pk), today=today)


def statuses(evaluation):
    return {r.requirement_id: r.status for r in evaluation.results.all()}


def test_evaluation_is_kept_with_its_results_and_explanations(in_tenant, alpha, select_protocols):
    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory()
        export_ready(shipment)
        (evaluation,) = evaluate(shipment)
        assert evaluation.protocol_id == "cn-export-2026" and evaluation.protocol_version == 1
        assert len(evaluation.inputs_digest) == 64 and evaluation.evaluated_on == TODAY
        results = statuses(evaluation)
        assert results["contract"] == "met" and results["receipt"] == "missing"
        assert results["assay"] == "not_applicable"
        assert evaluation.status == "missing" and (evaluation.met_count, evaluation.applicable_count) == (7, 8)
        contract = evaluation.results.get(requirement_id="contract")
        assert contract.revision_ids and contract.title_zh == "与接收方回收企业的合同"
        assert "valid on the dispatch date (2026-05-04)" in contract.reasons[0]["en"]
        status = ScopeStatus.objects.get(scope_id=str(shipment.pk))
        assert status.evaluation == evaluation and status.scope_label == shipment.reference
        entry = ActivityEntry.objects.filter(verb="checklist.evaluated").latest("id")
        assert entry.data["status"] == "missing" and entry.data["inputs_digest"] == evaluation.inputs_digest


def test_rerun_with_the_same_inputs_writes_nothing(in_tenant, alpha, select_protocols):
    with in_tenant(alpha):
        select_protocols("cn-export-2026", "gbt34014-codes")
        shipment = ShipmentFactory()
        add_units(shipment, [BatteryUnitFactory()])
        export_ready(shipment)
        first = evaluate(shipment)
        assert len(first) == 2
        checked = ScopeStatus.objects.get(scope_id=str(shipment.pk), protocol_id="cn-export-2026").checked_at
        assert evaluate(shipment) == []
        assert Evaluation.objects.count() == 2
        status = ScopeStatus.objects.get(scope_id=str(shipment.pk), protocol_id="cn-export-2026")
        assert status.checked_at > checked and status.evaluation == first[0]


def test_a_change_adds_an_evaluation_and_keeps_the_old_one(in_tenant, alpha, select_protocols):
    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory()
        export_ready(shipment)
        (before,) = evaluate(shipment)
        document("receipt", shipments=[shipment], received_on="2026-05-09", received_net_mass_kg=19900)
        (after,) = evaluate(shipment)
        assert after.inputs_digest != before.inputs_digest
        assert statuses(before)["receipt"] == "missing" and statuses(after)["receipt"] == "met"
        assert after.results.get(requirement_id="receipt").qualifier == "unconfirmed"
        history = list(selectors.evaluation_list(access=_all_access(alpha), scope_id=str(shipment.pk)))
        assert history == [after, before]


def _all_access(organisation):
    from apps.accounts.access import Access

    return Access(organisation_id=organisation.pk, role=Role.VIEWER)


def test_the_same_inputs_on_a_later_day_may_say_something_new(in_tenant, alpha, select_protocols):
    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory(status="draft", dispatch_date=None)
        export_ready(shipment)
        permit = shipment.evidence.get(doc_type="recycler_permit").revisions.get()
        (early,) = evaluate(shipment, today=permit.expiry_date - timedelta(days=40))
        (late,) = evaluate(shipment, today=permit.expiry_date - timedelta(days=10))
        assert early.inputs_digest == late.inputs_digest
        assert statuses(early)["recycler_permit"] == "met" and statuses(late)["recycler_permit"] == "expiring_soon"


def test_a_new_protocol_version_never_rewrites_old_results(in_tenant, alpha, select_protocols, monkeypatch):
    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory()
        export_ready(shipment)
        (v1,) = evaluate(shipment)
        v1_results = list(v1.results.values_list("requirement_id", "status", "reasons"))
        current = registry().latest("cn-export-2026")
        v2 = replace(current, version=2, digest="f" * 64,
                     requirements=tuple(r for r in current.requirements if r.id != "customs_declaration"))
        monkeypatch.setattr(selectors, "registry", lambda: Registry([current, v2]))
        (second,) = evaluate(shipment)
        assert second.protocol_version == 2 and second.results.count() == 10
        v1.refresh_from_db()
        assert v1.protocol_version == 1
        assert list(v1.results.values_list("requirement_id", "status", "reasons")) == v1_results


def test_history_cannot_be_rewritten(in_tenant, alpha, select_protocols):
    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory()
        (evaluation,) = evaluate(shipment)
        for statement in (lambda: Evaluation.objects.filter(pk=evaluation.pk).update(status="met"),
                          lambda: RequirementResult.objects.filter(evaluation=evaluation).update(status="met"),
                          lambda: RequirementResult.objects.filter(evaluation=evaluation).delete()):
            with pytest.raises(IntegrityError), transaction.atomic():
                statement()


def test_status_change_notifies_compliance_managers_once(in_tenant, alpha, make_member, select_protocols,
                                                         django_capture_on_commit_callbacks):
    manager = make_member(alpha, Role.COMPLIANCE_MANAGER, language="zh-hans")
    make_member(alpha, Role.STAFF)
    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory(status="draft", dispatch_date=date(2026, 7, 1))
        evaluate(shipment)  # first evaluation: nothing to compare with, no notification
        assert Notification.objects.count() == 0
        export_ready(shipment)
        with django_capture_on_commit_callbacks() as callbacks:
            (changed,) = evaluate(shipment)
        assert changed.status == "met"
        (notification,) = Notification.objects.all()
        assert notification.recipient_id == manager.pk and notification.previous_status == "missing"
        assert len(callbacks) == 1  # the e-mail task, after commit
        assert evaluate(shipment) == [] and Notification.objects.count() == 1  # no duplicate on a rerun

        assert services.notification_email(notification_id=str(notification.pk)) is True
        assert services.notification_email(notification_id=str(notification.pk)) is False  # sent once
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert shipment.reference in message.subject
    assert "Missing → Met" in message.body and "---" in message.body  # both languages
    assert f"http://alpha.localhost:8000/checklists/shipment/{shipment.pk}/" in message.body


def test_owners_are_told_when_there_is_no_compliance_manager(in_tenant, alpha, make_member, select_protocols):
    owner = make_member(alpha, Role.OWNER)
    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        shipment = ShipmentFactory(status="draft", dispatch_date=date(2026, 7, 1))
        evaluate(shipment)
        export_ready(shipment)
        evaluate(shipment)
        assert list(Notification.objects.values_list("recipient_id", flat=True)) == [owner.pk]


def test_protocol_selection_needs_the_permission_and_is_logged(in_tenant, alpha, member_access,
                                                                django_capture_on_commit_callbacks):
    _staff, staff = member_access(alpha, Role.STAFF)
    _manager, manager = member_access(alpha, Role.COMPLIANCE_MANAGER)
    with in_tenant(alpha):
        with pytest.raises(ApplicationError) as refused:
            services.selection_set(access=staff, protocol_ids=["cn-export-2026"])
        assert refused.value.code == "not_allowed"
        with pytest.raises(ApplicationError) as unknown:
            services.selection_set(access=manager, protocol_ids=["cn-export-2026", "no-such-protocol"])
        assert unknown.value.code == "unknown_protocol" and ProtocolSelection.objects.count() == 0
        with django_capture_on_commit_callbacks() as callbacks:
            services.selection_set(access=manager, protocol_ids=["cn-export-2026", "gbt34014-codes"])
        assert len(callbacks) == 1  # evaluate every scope of the new protocols
        assert selectors.selected_protocol_ids() == ["cn-export-2026", "gbt34014-codes"]
        services.selection_set(access=manager, protocol_ids=["gbt34014-codes"])
        entry = ActivityEntry.objects.filter(verb="checklist.protocols_selected").latest("id")
        assert entry.data["removed"] == ["cn-export-2026"] and entry.actor_label == manager.label


def test_on_demand_evaluation_request(in_tenant, alpha, member_access, select_protocols,
                                      django_capture_on_commit_callbacks):
    _viewer, viewer = member_access(alpha, Role.VIEWER)
    _staff, staff = member_access(alpha, Role.STAFF)
    with in_tenant(alpha):
        shipment = ShipmentFactory()
        for access, kind, scope_id, code in ((viewer, "shipment", str(shipment.pk), "not_allowed"),
                                             (staff, "shipment", str(shipment.pk), "no_protocol"),
                                             (staff, "shipment", "not-a-uuid", "unknown_scope"),
                                             (staff, "planet", str(shipment.pk), "unknown_scope")):
            with pytest.raises(ApplicationError) as refused:
                services.evaluation_request(access=access, scope_kind=kind, scope_id=scope_id)
            assert refused.value.code == code
        select_protocols("cn-export-2026")
        with django_capture_on_commit_callbacks() as callbacks:
            services.evaluation_request(access=staff, scope_kind="shipment", scope_id=str(shipment.pk))
        assert len(callbacks) == 1
        assert ActivityEntry.objects.filter(verb="checklist.evaluation_requested").exists()


def test_changes_resolve_to_the_scopes_they_feed(in_tenant, alpha):
    with in_tenant(alpha):
        shipment = ShipmentFactory()
        pack = BatteryUnitFactory()
        cell = BatteryUnitFactory(level="cell", parent=pack)
        add_units(shipment, [pack])
        lot = MaterialLotFactory()
        lot.source_shipments.add(shipment)
        refined = MaterialLotFactory(kind="cobalt_sulfate")
        refined.source_lots.add(lot)
        model = BatteryModelFactory()
        evidence, rev = document("assay_report", lots=[refined])
        _e, model_rev = document("recycled_content_declaration", models=[model], year=2024)
        s = ("shipment", str(shipment.pk))
        assert selectors.scopes_for_changes([f"unit:{cell.pk}"]) == {s}
        assert selectors.scopes_for_changes([f"revision:{rev.pk}"]) == {
            s, ("material_lot", str(lot.pk)), ("material_lot", str(refined.pk))}
        model_scopes = selectors.scopes_for_changes([f"revision:{model_rev.pk}"])
        assert ("battery_model", str(model.pk)) in model_scopes
        assert {("model_year", f"{model.pk}:2024"), ("model_year", f"{model.pk}:{date.today().year}")} <= model_scopes
        assert selectors.scopes_for_changes(["unit:garbage", "nothing", "evidence:"]) == set()


def test_bad_input_is_a_failed_requirement_never_a_crash(in_tenant, alpha, select_protocols):
    with in_tenant(alpha):
        select_protocols()
        shipment = ShipmentFactory(status="received")
        add_units(shipment, [BatteryUnitFactory(code=" "), BatteryUnitFactory(code="not a code")])
        export_ready(shipment)
        document("assay_report", shipments=[shipment], lot_code="BM-1", lot_mass_kg="lots", elements=[1, 2, 3])
        document("receipt", shipments=[shipment], received_net_mass_kg={"t": 18})
        document("contract", shipments=[shipment], quantity_kg="twenty tonnes")
        written = evaluate(shipment)
        by_protocol = {e.protocol_id: statuses(e) for e in written}
    assert by_protocol["cn-export-2026"]["assay"] == "failed"
    assert by_protocol["cn-export-2026"]["receipt"] == "failed"
    assert by_protocol["cn-export-2026"]["quantities"] == "failed"
    assert by_protocol["gbt34014-codes"]["units_coded"] == "failed"
    assert by_protocol["gbt34014-codes"]["codes_valid"] == "failed"


def test_auditor_restricted_to_shipments_sees_only_those(in_tenant, alpha, select_protocols):
    from apps.accounts.access import Access

    with in_tenant(alpha):
        select_protocols("cn-export-2026")
        granted, hidden = ShipmentFactory(), ShipmentFactory()
        evaluate(granted)
        evaluate(hidden)
        auditor = Access(organisation_id=alpha.pk, role=Role.AUDITOR, shipment_scope=frozenset({granted.pk}))
        assert [s.scope_id for s in selectors.status_list(access=auditor)] == [str(granted.pk)]
        assert selectors.scope_get(access=auditor, scope_kind="shipment", scope_id=str(hidden.pk)) is None
        assert selectors.scope_get(access=auditor, scope_kind="shipment", scope_id=str(granted.pk)) is not None
        assert [e.scope_id for e in selectors.evaluation_list(access=auditor)] == [str(granted.pk)]
        model = BatteryModelFactory()
        assert selectors.scope_get(access=auditor, scope_kind="battery_model", scope_id=str(model.pk)) is None
