"""What other capabilities read: the facts of a shipment's custody (checklists) and its timeline (dossiers),
seen by either party; nothing for shipments that are not the organisation's. And the pure tolerance rule."""
from datetime import date
from decimal import Decimal
from uuid import uuid4

from apps.custody import services, tolerance
from apps.custody.facts import CustodyFacts, ReceiptSource
from apps.custody.selectors import (
    custody_counts,
    custody_facts_for_shipments,
    custody_timeline_for_shipments,
    transfer_get,
    transfer_list,
)

from .conftest import WEIGHED, pdf


def test_tolerance_is_a_percentage_of_the_declared_mass_and_units_must_match():
    def compare(received, units=10, declared=Decimal("1000")):
        return tolerance.compare(declared_mass_kg=declared, declared_units=10, received_mass_kg=Decimal(received),
                                 received_units=units, mass_tolerance_percent=Decimal("0.5"), unit_tolerance=0)

    assert not compare("995").outside_tolerance  # exactly 0.5 %: inside
    assert compare("994.9").mass_outside and compare("994.9").mass_difference_percent == Decimal("-0.51")
    assert compare("1006").mass_outside
    assert compare("1000", units=9).units_outside and not compare("1000", units=9).mass_outside
    units_only = compare("5", declared=Decimal("0"))
    assert not units_only.outside_tolerance and units_only.mass_difference_percent is None


def test_facts_for_the_sender_after_the_whole_pathway(processed, alpha, beta, people, make_shipment):
    _u, recycler = people(beta)
    certificate = services.transfer_issue_certificate(access=recycler, transfer_id=processed.pk, number="CR-7",
                                                      issued_on=date.today())
    untouched = make_shipment(alpha)
    facts = custody_facts_for_shipments(organisation=alpha, shipment_ids=[processed.shipment_id, untouched.pk])
    assert list(facts) == [processed.shipment_id]  # a shipment without a transfer has no facts
    fact = facts[processed.shipment_id]
    assert isinstance(fact, CustodyFacts) and fact.role == "sender" and fact.status == "certified"
    assert fact.confirmed_by_counterparty and fact.receipt_source == ReceiptSource.COUNTERPARTY
    assert fact.received_net_mass_kg == Decimal("998.000") and fact.received_unit_count == 3
    assert fact.declared_masses == (("ncm", Decimal("1000.000")),) and fact.declared_unit_count == 3
    assert fact.receiver_name == "Beta Recycling GmbH" and fact.receiver_joined
    assert fact.discrepancies == () and not fact.has_open_discrepancy
    assert fact.black_mass_kg == Decimal("420.000")
    assert [lot.code for lot in fact.lots] == ["BM-001", "NiSO4-001"]
    assert fact.lots[0].elements == (("Co", Decimal("8.2000")), ("Li", Decimal("4.1000")), ("Ni", Decimal("21.5000")))
    assert fact.certificate_number == "CR-7" and fact.certificate_sha256 == certificate.content_sha256
    assert fact.certified and fact.ledger_length == 4


def test_facts_for_the_receiver_are_keyed_by_its_inbound_shipment(received, beta):
    facts = custody_facts_for_shipments(organisation=beta, shipment_ids=[received.inbound_shipment_id])
    assert facts[received.inbound_shipment_id].role == "receiver"
    assert custody_facts_for_shipments(organisation=beta, shipment_ids=[received.shipment_id]) == {}


def test_facts_show_an_open_discrepancy(dispatched, beta, people):
    _u, recycler = people(beta)
    services.transfer_confirm_receipt(access=recycler, transfer_id=dispatched.pk, received_on=date.today(),
                                      net_mass_kg=Decimal("900"), unit_count=3, ticket=pdf(), **WEIGHED)
    fact = custody_facts_for_shipments(organisation=dispatched.sender, shipment_ids=[dispatched.shipment_id])[
        dispatched.shipment_id]
    assert fact.has_open_discrepancy and fact.discrepancies[0].kind == "tolerance"
    assert fact.discrepancies[0].received_net_mass_kg == Decimal("900.000")


def test_another_organisation_gets_no_facts_and_no_timeline(received, gamma):
    ids = [received.shipment_id, received.inbound_shipment_id, uuid4()]
    assert custody_facts_for_shipments(organisation=gamma, shipment_ids=ids) == {}
    assert custody_timeline_for_shipments(organisation=gamma, shipment_ids=ids) == {}
    assert transfer_get(organisation=gamma, transfer_id=received.pk) is None


def test_timeline_lists_the_ledger_in_order(received, alpha, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # 2 queries, each after its SET search_path
        timeline = custody_timeline_for_shipments(organisation=alpha, shipment_ids=[received.shipment_id])
    entries = timeline[received.shipment_id]
    assert [(e.seq, e.kind) for e in entries] == [(1, "dispatched"), (2, "received")]
    assert entries[1].prev_hash == entries[0].hash and entries[1].organisation_name == "Beta Recycling GmbH"


def test_facts_take_a_constant_number_of_queries(alpha, beta, people, make_shipment, django_assert_max_num_queries):
    _u, exporter = people(alpha)
    ids = []
    for _ in range(5):
        shipment = make_shipment(alpha)
        services.shipment_dispatch(access=exporter, shipment_id=shipment.pk, receiver_id=beta.pk)
        ids.append(shipment.pk)
    with django_assert_max_num_queries(6):  # 3 queries, each after its SET search_path
        assert len(custody_facts_for_shipments(organisation=alpha, shipment_ids=ids)) == 5


def test_an_auditor_scope_narrows_the_lists(received, alpha, beta):
    assert [t.pk for t in transfer_list(organisation=alpha, direction="outgoing")] == [received.pk]
    assert transfer_list(organisation=alpha, direction="outgoing", shipment_scope=frozenset()).count() == 0
    assert transfer_list(organisation=beta, direction="incoming",
                         shipment_scope=frozenset({received.inbound_shipment_id})).count() == 1
    assert transfer_get(organisation=beta, transfer_id=received.pk,
                        shipment_scope=frozenset({received.shipment_id})) is None


def test_dashboard_counts(dispatched, alpha, beta):
    assert custody_counts(organisation=beta) == {"incoming_waiting": 1, "outgoing_waiting": 0,
                                                 "open_discrepancies": 0}
    assert custody_counts(organisation=alpha)["outgoing_waiting"] == 1
