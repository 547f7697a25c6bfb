"""A receipt confirmed through the custody ledger becomes the recycler's China reporting event ("waste
batteries received", apps.exports), through `transfer_changed` after the step commits."""
from datetime import date, timedelta
from decimal import Decimal

from apps.activity.services import Actor
from apps.custody import services
from apps.exports import services as exports
from apps.exports.models import ReportingEvent, ReportingEventKind
from apps.traceability.models import ShipmentUnit

from .conftest import WEIGHED, pdf


def _confirm(transfer, access, net="998.000", on=None):
    return services.transfer_confirm_receipt(access=access, transfer_id=transfer.pk,
                                             received_on=on or date.today() - timedelta(days=1),
                                             net_mass_kg=Decimal(net), unit_count=3, ticket=pdf(), **WEIGHED)


def test_confirmed_receipt_records_the_recyclers_reporting_event(
        dispatched, alpha, beta, people, in_tenant, django_capture_on_commit_callbacks):
    _user, access = people(beta)
    received_on = date.today() - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        _confirm(dispatched, access, on=received_on)
    with in_tenant(alpha):
        codes = sorted(ShipmentUnit.objects.filter(shipment_id=dispatched.shipment_id)
                       .values_list("unit__code", flat=True))
        assert not ReportingEvent.objects.exists()  # the exporter reports nothing for the recycler's receipt
    dispatched.refresh_from_db()
    with in_tenant(beta):
        event = ReportingEvent.objects.get()
        assert event.kind == ReportingEventKind.RECYCLER_RECEIPT and event.source_type == "custody"
        assert event.source_id == dispatched.pk and event.occurred_on == received_on
        assert event.counterparty == alpha.name_en and event.mass_kg == Decimal("998.000")
        assert event.unit_codes == codes and len(codes) == 3
        assert event.source_reference == dispatched.shipment_reference
        assert event.related_shipment_ids == [dispatched.inbound_shipment_id]
        assert event.deadline > received_on and event.platform_reference == ""


def test_the_sync_reports_a_custody_receipt_once(dispatched, beta, people, in_tenant):
    """Without the signal (callbacks not run), the sync derives the same event, and never a second one for
    the inbound shipment custody created in the recycler's register."""
    _user, access = people(beta)
    _confirm(dispatched, access)
    with in_tenant(beta):
        for _ in range(2):
            exports.reporting_events_sync(actor=Actor.system("test"), organisation=beta)
        events = list(ReportingEvent.objects.filter(kind=ReportingEventKind.RECYCLER_RECEIPT))
        assert [(e.source_type, e.source_id) for e in events] == [("custody", dispatched.pk)]


def test_a_dispute_reports_nothing(dispatched, beta, people, in_tenant, django_capture_on_commit_callbacks):
    _user, access = people(beta)
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer_dispute(access=access, transfer_id=dispatched.pk, reason="Two packs are missing.")
    with in_tenant(beta):
        assert not ReportingEvent.objects.exists()


def test_a_failing_reporting_hook_never_fails_the_confirmed_receipt(
        dispatched, beta, people, in_tenant, monkeypatch, django_capture_on_commit_callbacks, caplog):
    """The receipt is committed before exports reacts: a failure there is logged, the sync records it later."""
    from apps.custody.models import Receipt
    from apps.exports import receivers

    def broken(**kwargs):
        raise RuntimeError("reporting store unavailable")

    monkeypatch.setattr(receivers, "reporting_events_from_custody", broken)
    _user, access = people(beta)
    with django_capture_on_commit_callbacks(execute=True):
        _confirm(dispatched, access)
    assert Receipt.objects.filter(transfer=dispatched).exists()
    assert "not recorded" in caplog.text
    with in_tenant(beta):
        assert not ReportingEvent.objects.exists()
        exports.reporting_events_sync(actor=Actor.system("nightly"), organisation=beta)
        assert ReportingEvent.objects.get().source_id == dispatched.pk
