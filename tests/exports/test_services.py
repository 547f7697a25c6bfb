"""Issuing passports, status changes (Art 77(7)), the public index, and reporting events derived
from the register, against the real database."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.activity.services import Actor
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.exports import selectors, services
from apps.exports.models import Passport, ReportingEvent
from apps.exports.passport import Tier
from apps.exports.registry.models import PassportIndexEntry
from apps.traceability.models import MaterialLot, Shipment, ShipmentMass, ShipmentUnit
from tests.exports.conftest import make_model, make_unit

REPURPOSED = "SEVPESTRB40000201RP"


@pytest.fixture
def owner(alpha, member_access):
    return member_access(alpha, Role.OWNER)[1]


def test_issue_passport_indexes_it_publicly_and_logs(ev_world, owner, alpha):
    unit = ev_world["unit"]
    passport = services.passport_issue(access=owner, unit=unit, put_into_service_on=date(2026, 4, 20))
    assert passport.identifier.startswith("urn:cellpass:") and passport.version == 1 and passport.is_current
    entry = PassportIndexEntry.objects.get(identifier=passport.identifier)
    assert (entry.organisation_id, entry.unit_id, entry.passport_id) == (alpha.pk, unit.pk, passport.pk)
    assert (entry.gtin, entry.serial) == (unit.gtin.zfill(14), unit.serial)
    assert ActivityEntry.objects.filter(verb="passport.issued", object_id=str(passport.pk)).exists()
    export = selectors.passport_export_unit(unit=unit, tier=Tier.AUTHORITIES)
    assert export.aspects["GeneralProductInformation"]["batteryPassportIdentifier"] == passport.identifier
    assert export.aspects["GeneralProductInformation"]["puttingIntoService"] == "2026-04-20T00:00:00Z"
    assert export.missing == [] or all(not m.prop.mandatory("ev") for m in export.missing)


def test_second_passport_for_the_same_unit_is_refused(ev_world, owner):
    services.passport_issue(access=owner, unit=ev_world["unit"])
    with pytest.raises(ApplicationError) as error:
        services.passport_issue(access=owner, unit=ev_world["unit"])
    assert error.value.code == "passport_exists"


def test_units_outside_passport_categories_get_no_passport(alpha, in_tenant, owner):
    with in_tenant(alpha):
        portable = make_unit(make_model(code="PORT", eu_category="portable", rated_energy_kwh=Decimal("0.05")))
        small = make_unit(make_model(code="IND2", eu_category="industrial", rated_energy_kwh=Decimal("2")),
                          code="SEVPE75N3A0001R350000777", serial="S777")
        for unit, code in ((portable, "not_passport_category"), (small, "not_passport_category")):
            with pytest.raises(ApplicationError) as error:
                services.passport_issue(access=owner, unit=unit)
            assert error.value.code == code
        assert not Passport.objects.exists() and not PassportIndexEntry.objects.exists()


def test_viewer_may_not_issue(ev_world, alpha, member_access):
    _user, viewer = member_access(alpha, Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        services.passport_issue(access=viewer, unit=ev_world["unit"])


def test_same_gtin_and_serial_in_another_organisation_is_refused_and_nothing_half_stored(
        ev_world, owner, beta, member_access, in_tenant):
    services.passport_issue(access=owner, unit=ev_world["unit"])
    _user, beta_owner = member_access(beta, Role.OWNER)
    with in_tenant(beta):
        copy = make_unit(make_model(code="COPY"), code=ev_world["unit"].code)
        with pytest.raises(ApplicationError) as error:
            services.passport_issue(access=beta_owner, unit=copy)
        assert error.value.code == "gs1_taken"
        assert not Passport.objects.exists()
    assert PassportIndexEntry.objects.count() == 1


def test_reuse_and_waste_keep_the_passport(ev_world, owner):
    passport = services.passport_issue(access=owner, unit=ev_world["unit"])
    same = services.passport_status_change(access=owner, passport=passport, status="reused")
    assert same.pk == passport.pk and same.status == "reused" and same.version == 1
    same = services.passport_status_change(access=owner, passport=same, status="waste")
    assert same.pk == passport.pk and same.status == "waste"
    ev_world["unit"].refresh_from_db()
    assert ev_world["unit"].status == "waste"
    with pytest.raises(ApplicationError) as error:
        services.passport_status_change(access=owner, passport=same, status="reused")
    assert error.value.code == "status_transition"


def test_repurposing_issues_a_new_passport_linked_to_the_original_on_the_recoded_unit(ev_world, owner):
    original_unit = ev_world["unit"]
    original = services.passport_issue(access=owner, unit=original_unit)
    recoded = make_unit(ev_world["model"], code=REPURPOSED, serial="ESS1", original_code=original_unit.code)
    successor = services.passport_status_change(access=owner, passport=original, status="repurposed",
                                                new_unit=recoded, put_into_service_on=date(2026, 11, 20))
    original.refresh_from_db()
    assert not original.is_current and successor.is_current
    assert (successor.unit_id, successor.version, successor.predecessor_id, successor.predecessor_identifier) == (
        recoded.pk, 2, original.pk, original.identifier)
    assert successor.status == "repurposed"
    old_entry = PassportIndexEntry.objects.get(identifier=original.identifier)
    assert not old_entry.is_current and old_entry.successor_identifier == successor.identifier
    assert PassportIndexEntry.objects.get(identifier=successor.identifier).serial == "ESS1"
    export = selectors.passport_export_unit(unit=recoded, tier=Tier.LEGITIMATE_INTEREST)
    assert export.aspects["GeneralProductInformation"]["batteryStatus"] == "Repurposed"
    assert export.provenance_document()["battery"]["predecessorPassport"] == original.identifier
    assert export.provenance_document()["battery"]["originalCode"] == original_unit.code
    assert [p.version for p in selectors.passport_history(unit=recoded)] == [2, 1]
    with pytest.raises(ApplicationError) as error:
        services.passport_status_change(access=owner, passport=original, status="remanufactured")
    assert error.value.code == "passport_not_current"


def test_recoded_unit_must_keep_the_original_code(ev_world, owner):
    original = services.passport_issue(access=owner, unit=ev_world["unit"])
    stranger = make_unit(ev_world["model"], code=REPURPOSED, serial="ESS1", original_code="SOMETHING-ELSE")
    with pytest.raises(ApplicationError) as error:
        services.passport_status_change(access=owner, passport=original, status="repurposed", new_unit=stranger)
    assert error.value.code == "original_code_lost" and ev_world["unit"].code in str(error.value.message)
    original.refresh_from_db()
    assert original.is_current and Passport.objects.count() == 1


def test_remanufacturing_without_recoding_keeps_the_unit_and_links_the_passport(ev_world, owner):
    original = services.passport_issue(access=owner, unit=ev_world["unit"])
    successor = services.passport_status_change(access=owner, passport=original, status="remanufactured")
    assert successor.unit_id == ev_world["unit"].pk and successor.predecessor_id == original.pk
    entry = PassportIndexEntry.objects.get(identifier=successor.identifier, is_current=True)
    assert entry.gtin and entry.serial == ev_world["unit"].serial


def test_service_date_in_the_future_is_refused(ev_world, owner):
    with pytest.raises(ApplicationError) as error:
        services.passport_issue(access=owner, unit=ev_world["unit"],
                                put_into_service_on=timezone.localdate() + timedelta(days=3))
    assert error.value.code == "service_date_future"


# --- reporting ------------------------------------------------------------------------------------

def _receipt(reference: str, arrival: date, codes: list[str], status: str = "received") -> Shipment:
    from apps.traceability.models import BatteryUnit

    shipment = Shipment.objects.create(reference=reference, direction="inbound", status=status,
                                       counterparty_name="Alpha Battery Export", dispatch_date=arrival,
                                       arrival_date=arrival)
    for code in codes:
        unit = BatteryUnit.objects.create(code=code, scheme="gbt34014", level="pack", status="waste")
        ShipmentUnit.objects.create(shipment=shipment, unit=unit)
    ShipmentMass.objects.create(shipment=shipment, chemistry="ncm", net_mass_kg=Decimal("455.5"))
    return shipment


def test_recycler_receipts_and_lots_become_events_with_working_day_deadlines(beta, in_tenant):
    with in_tenant(beta):
        shipment = _receipt("IN-1", date(2026, 9, 28), ["SEVPE75N3A0001R190000011", "SEVPE75N3A0001R190000012"])
        _receipt("IN-DRAFT", date(2026, 9, 29), [], status="dispatched")
        lot = MaterialLot.objects.create(code="BM-1", kind="black_mass", mass_kg=Decimal("400"),
                                         produced_on=date(2026, 10, 30))
        lot.source_shipments.add(shipment)
        MaterialLot.objects.create(code="BM-NOSOURCE", kind="black_mass", mass_kg=Decimal("1"),
                                   produced_on=date(2026, 10, 30))
        result = services.reporting_events_sync(actor=Actor.system("test"))
        assert result == {"created": 2, "deadlines_recounted": 0}
        receipt = ReportingEvent.objects.get(kind="recycler_receipt")
        assert (receipt.occurred_on, receipt.deadline, receipt.deadline_provisional) == (
            date(2026, 9, 28), date(2026, 11, 13), False)
        assert receipt.unit_codes == ["SEVPE75N3A0001R190000011", "SEVPE75N3A0001R190000012"]
        assert receipt.mass_kg == Decimal("455.5") and receipt.counterparty == "Alpha Battery Export"
        assert receipt.related_shipment_ids == [shipment.pk]
        completed = ReportingEvent.objects.get(kind="recycling_completed")
        assert completed.source_reference == "BM-1" and completed.deadline == date(2026, 12, 11)
        assert services.reporting_events_sync(actor=Actor.system("test")) == {"created": 0, "deadlines_recounted": 0}
        assert ReportingEvent.objects.count() == 2
        assert ActivityEntry.objects.filter(verb="reporting.synced").count() == 1


def test_an_exporter_gets_no_receipt_events_but_cascade_products_leaving(alpha, in_tenant):
    with in_tenant(alpha):
        _receipt("IN-X", date(2026, 9, 28), [])
        model = make_model()
        unit = make_unit(model, code=REPURPOSED, serial="ESS1", status="repurposed")
        other = make_unit(model, serial="S2")
        outbound = Shipment.objects.create(reference="OUT-1", direction="outbound", status="dispatched",
                                           counterparty_name="VoltPack", dispatch_date=date(2026, 11, 23))
        ShipmentUnit.objects.create(shipment=outbound, unit=unit)
        ShipmentUnit.objects.create(shipment=outbound, unit=other)
        services.reporting_events_sync(actor=Actor.system("test"))
        event = ReportingEvent.objects.get()
        assert event.kind == "cascade_product_out" and event.unit_codes == [REPURPOSED]
        assert event.deadline == date(2026, 12, 14)  # 15 working days


def test_receipt_whose_deadline_runs_into_an_uncovered_year_is_provisional(beta, in_tenant):
    with in_tenant(beta):
        _receipt("IN-LATE", date(2026, 11, 20), [])
        services.reporting_events_sync(actor=Actor.system("test"))
        event = ReportingEvent.objects.get()
        assert event.deadline_provisional and event.deadline.year == 2027


def test_custody_receipt_hook_records_an_event_once(beta, in_tenant):
    import uuid

    transfer = uuid.uuid4()
    with in_tenant(beta):
        for _ in range(2):
            event = services.reporting_event_from_custody_receipt(
                actor=Actor.system("custody"), transfer_id=transfer, received_on=date(2026, 9, 28),
                counterparty="Alpha", mass_kg=Decimal("10"), unit_codes=["B", "A"])
        assert ReportingEvent.objects.count() == 1
        assert event.source_type == "custody" and event.unit_codes == ["A", "B"]
        assert event.deadline == date(2026, 11, 13)


def test_recording_a_submission(beta, in_tenant, member_access):
    _user, staff = member_access(beta, Role.STAFF)
    _user, viewer = member_access(beta, Role.VIEWER)
    with in_tenant(beta):
        _receipt("IN-1", date(2026, 9, 28), [])
        services.reporting_events_sync(actor=Actor.system("test"))
        event = ReportingEvent.objects.get()
        with pytest.raises(PermissionDeniedError):
            services.reporting_event_submit(access=viewer, event=event, platform_reference="X",
                                            reported_on=date(2026, 10, 1))
        for reference, reported_on, code in (("  ", date(2026, 10, 1), "reference_required"),
                                              ("X" * 101, date(2026, 10, 1), "reference_too_long"),
                                              ("GJ-1", date(2026, 9, 1), "reported_before_event"),
                                              ("GJ-1", timezone.localdate() + timedelta(days=1), "reported_in_future")):
            with pytest.raises(ApplicationError) as error:
                services.reporting_event_submit(access=staff, event=event, platform_reference=reference,
                                                reported_on=reported_on)
            assert error.value.code == code
        event.refresh_from_db()
        assert event.platform_reference == ""
        services.reporting_event_submit(access=staff, event=event, platform_reference=" GJ-1 ",
                                        reported_on=date(2026, 10, 20))
        event.refresh_from_db()
        assert (event.platform_reference, event.reported_on, event.reported_by_label) == (
            "GJ-1", date(2026, 10, 20), staff.label)
        entry = ActivityEntry.objects.get(verb="reporting.submitted")
        assert entry.data["late"] is False and entry.data["reference"] == "GJ-1"


def test_a_restricted_access_sees_only_what_hangs_off_its_shipments(beta, in_tenant):
    from apps.accounts.access import Access

    with in_tenant(beta):
        granted = _receipt("IN-GRANTED", date(2026, 9, 28), ["SEVPE75N3A0001R190000011"])
        _receipt("IN-OTHER", date(2026, 9, 29), ["SEVPE75N3A0001R190000012"])
        services.reporting_events_sync(actor=Actor.system("test"))
        auditor = Access(organisation_id=beta.pk, role=Role.AUDITOR, shipment_scope=frozenset({granted.pk}))
        assert [e.source_reference for e in selectors.reporting_event_list(access=auditor)] == ["IN-GRANTED"]
        assert [u.code for u in selectors.passport_unit_list(access=auditor)] == []
        model = make_model()
        unit = granted.units.get()
        unit.model = model
        unit.save()
        assert [u.code for u in selectors.passport_unit_list(access=auditor)] == ["SEVPE75N3A0001R190000011"]
        assert selectors.unit_get(access=auditor, unit_id=unit.pk) == unit
        other = Shipment.objects.get(reference="IN-OTHER").units.get()
        assert selectors.unit_get(access=auditor, unit_id=other.pk) is None
