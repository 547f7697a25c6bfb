"""The exports' requirements in the checklist engine (apps/exports/checklist.py, registered through
apps.checklists.extensions): passport readiness per battery model and China platform reporting in time
per shipment — pure runs of the shipped protocols, then the facts providers on the database."""
from dataclasses import replace
from datetime import date, timedelta

import pytest

from apps.checklists.engine import evaluate
from apps.checklists.extensions import facts_providers, protocol_dirs
from apps.checklists.models import ProtocolSelection
from apps.checklists.protocol import registry
from apps.checklists.services import scope_evaluate
from apps.checklists.snapshot import scope_facts
from apps.exports import keyfields as kf
from apps.exports.checklist import EVENTS, PASSPORT, PROTOCOL_DIR
from apps.exports.models import EventSource, ReportingEvent, ReportingEventKind
from apps.exports.passport import PassportFacts
from apps.exports.reporting import EventFacts
from tests.checklists.builders import model, shipment
from tests.checklists.factories import BatteryModelFactory, ShipmentFactory
from tests.exports.test_passport_mapping import MODEL, complete_documents

AFTER = date(2027, 6, 1)  # the passport obligation applies from 18 Feb 2027


def run(protocol_id, facts, today):
    return {r.requirement_id: r for r in evaluate(registry().latest(protocol_id), facts, today)}


def en(result) -> str:
    return " | ".join(reason.render("en") for reason in result.reasons)


def zh(result) -> str:
    return " | ".join(reason.render("zh-hans") for reason in result.reasons)


def passport_model(documents=None, **model_changes):
    docs = tuple(d for d in complete_documents() if d.level == "model") if documents is None else documents
    facts = PassportFacts(model=replace(MODEL, **model_changes), documents=docs)
    return model(extensions={PASSPORT: facts})


def test_exports_registers_its_protocols_and_providers_without_checklists_importing_it():
    assert PROTOCOL_DIR in protocol_dirs()
    assert {"passport-readiness", "cn-platform-reporting"} <= set(registry().ids())
    assert PASSPORT in facts_providers("battery_model") and EVENTS in facts_providers("shipment")


def test_a_model_with_every_document_accepted_is_passport_ready():
    result = run("passport-readiness", passport_model(), AFTER)["passport_attributes"]
    assert result.status == "met"
    assert "mandatory passport attributes are present and accepted" in en(result)


def test_a_missing_document_names_the_attributes_it_would_give():
    docs = tuple(d for d in complete_documents() if d.level == "model" and d.doc_type != kf.CARBON_FOOTPRINT_STUDY)
    result = run("passport-readiness", passport_model(docs), AFTER)["passport_attributes"]
    assert result.status == "missing"
    assert "mandatory passport attributes are missing" in en(result) and "carbon footprint" in en(result).lower()
    assert "carbon_footprint_study" in result.upload_types
    assert "护照" in zh(result)


def test_a_document_awaiting_review_keeps_it_open_and_a_refused_value_fails():
    waiting = tuple(replace(d, status="submitted") if d.doc_type == kf.DUE_DILIGENCE_REPORT else d
                    for d in complete_documents() if d.level == "model")
    result = run("passport-readiness", passport_model(waiting), AFTER)["passport_attributes"]
    assert result.status == "missing" and "Waiting for review before they count" in en(result)
    refused = tuple(replace(d, key_fields={**d.key_fields, "cf_kg_co2e_per_kwh": "-3"})
                    if d.doc_type == kf.CARBON_FOOTPRINT_STUDY else d
                    for d in complete_documents() if d.level == "model")
    result = run("passport-readiness", passport_model(refused), AFTER)["passport_attributes"]
    assert result.status == "failed" and "Values refused for the passport" in en(result)


def test_before_2027_a_shortfall_is_a_warning_and_batteries_without_passport_are_out_of_scope():
    docs = tuple(d for d in complete_documents() if d.level == "model" and d.doc_type != kf.TEST_REPORT)
    early = run("passport-readiness", passport_model(docs), date(2026, 6, 1))["passport_attributes"]
    assert early.status == "expiring_soon" and "Applies from 2027-02-18" in en(early)
    portable = run("passport-readiness", passport_model(eu_category="portable"), AFTER)["passport_attributes"]
    assert portable.status == "not_applicable" and "No battery passport needed" in en(portable)


def event(days_ago: int, working_days: int = 30, reference: str = "", kind="recycler_receipt") -> EventFacts:
    occurred = AFTER - timedelta(days=days_ago)
    return EventFacts(id=f"ev-{days_ago}-{reference}", kind=kind, kind_label=kind, occurred_on=occurred,
                      deadline=occurred + timedelta(days=working_days), reference="SHP-2026-001",
                      platform_reference=reference)


def test_platform_reporting_overdue_due_and_reported():
    shipped = shipment(extensions={EVENTS: (event(60),)})
    result = run("cn-platform-reporting", shipped, AFTER)["reported_in_time"]
    assert result.status == "failed"
    assert "Waste batteries received (recycling enterprise) of 2027-04-02 (SHP-2026-001) was due on the " \
           "traceability platform by 2027-05-02 and has no submission reference." in en(result)
    assert "应于 2027-05-02 前上传至溯源平台，但" in zh(result)
    due = run("cn-platform-reporting", shipment(extensions={EVENTS: (event(5),)}), AFTER)["reported_in_time"]
    assert due.status == "missing" and "is due on the traceability platform by 2027-06-26" in en(due)
    done = run("cn-platform-reporting", shipment(extensions={EVENTS: (event(60, reference="P-77"),)}),
               AFTER)["reported_in_time"]
    assert done.status == "met" and "submission P-77" in en(done)
    none = run("cn-platform-reporting", shipment(), AFTER)["reported_in_time"]
    assert none.status == "not_applicable"


@pytest.mark.django_db
def test_providers_read_the_database_and_the_evaluation_uses_them(in_tenant, alpha):
    with in_tenant(alpha):
        ProtocolSelection.objects.create(protocol_id="cn-platform-reporting")
        battery_model = BatteryModelFactory()
        facts = scope_facts("battery_model", str(battery_model.pk))
        assert facts.extensions[PASSPORT].model.code == battery_model.code
        assert facts.extensions[PASSPORT].today is None  # the digest moves with the data, not the day

        shipped = ShipmentFactory()
        ReportingEvent.objects.create(kind=ReportingEventKind.RECYCLER_RECEIPT, occurred_on=date(2026, 1, 5),
                                      deadline=date(2026, 2, 16), source_type=EventSource.SHIPMENT,
                                      source_id=shipped.pk, source_reference=shipped.reference)
        facts = scope_facts("shipment", str(shipped.pk))
        (only,) = facts.extensions[EVENTS]
        assert only.deadline == date(2026, 2, 16) and only.platform_reference == ""
        (evaluation,) = scope_evaluate(scope_kind="shipment", scope_id=str(shipped.pk), today=date(2026, 3, 1))
        result = evaluation.results.get(requirement_id="reported_in_time")
        assert result.status == "failed"
        assert "was due on the traceability platform by 2026-02-16" in result.reasons[0]["en"]


@pytest.mark.django_db
def test_a_lots_recycling_event_is_checked_on_the_shipments_it_was_made_from(in_tenant, beta):
    """A material lot has no checklist of its own: its "recycling completed" event counts on each inbound shipment
    it was made from, beside that shipment's own receipt event."""
    from decimal import Decimal

    from apps.activity.services import Actor
    from apps.exports import services
    from apps.traceability.models import MaterialLot

    with in_tenant(beta):
        ProtocolSelection.objects.create(protocol_id="cn-platform-reporting")
        inbound = ShipmentFactory(direction="inbound", status="received", arrival_date=date(2026, 9, 28))
        lot = MaterialLot.objects.create(code="BM-9", kind="black_mass", mass_kg=Decimal("400"),
                                         produced_on=date(2026, 10, 30))
        lot.source_shipments.add(inbound)
        services.reporting_events_sync(actor=Actor.system("test"))
        ReportingEvent.objects.filter(kind="recycler_receipt").update(platform_reference="P-1",
                                                                      reported_on=date(2026, 10, 9))

        def reported_in_time():
            (evaluation,) = scope_evaluate(scope_kind="shipment", scope_id=str(inbound.pk), today=date(2026, 12, 20))
            result = evaluation.results.get(requirement_id="reported_in_time")
            return result.status, " | ".join(reason["en"] for reason in result.reasons)

        status, reasons = reported_in_time()
        assert status == "failed"
        assert ("Recycling and final treatment completed of 2026-10-30 (BM-9) was due on the traceability platform "
                "by 2026-12-11 and has no submission reference.") in reasons
        ReportingEvent.objects.filter(kind="recycling_completed").update(platform_reference="P-2",
                                                                         reported_on=date(2026, 12, 10))
        status, reasons = reported_in_time()
        assert status == "met" and "submission P-2" in reasons and "submission P-1" in reasons
