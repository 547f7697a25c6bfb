"""The steps of a transfer and every refusal, through the services (real PostgreSQL, both schemas)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from apps.accounts.models import Invitation, Membership
from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.core.errors import ApplicationError
from apps.custody import services
from apps.custody.models import (
    Discrepancy,
    LedgerEntry,
    Receipt,
    RecyclingCertificate,
    Transfer,
    TransferStatus,
)
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from apps.tenants.models import Organisation
from apps.traceability.models import LotElement, MaterialLot, Shipment, ShipmentStatus

from .conftest import WEIGHED, pdf

TODAY = date.today()


def confirm(transfer, access, *, mass="1000.000", units=3, received_on=TODAY, ticket=None, **weighed):
    return services.transfer_confirm_receipt(access=access, transfer_id=transfer.pk, received_on=received_on,
                                             net_mass_kg=Decimal(mass), unit_count=units, ticket=ticket or pdf(),
                                             **{**WEIGHED, **weighed})


def files_under(prefix: str) -> set[str]:
    try:
        return set(default_storage.listdir(prefix)[1])
    except FileNotFoundError:
        return set()


# --- dispatch -----------------------------------------------------------------------------------

def test_dispatch_copies_the_declaration_and_marks_the_shipment_dispatched(alpha, beta, people, make_shipment,
                                                                           in_tenant):
    shipment = make_shipment(alpha, masses={"ncm": Decimal("600.5"), "lfp": Decimal("400")}, units=2)
    _user, access = people(alpha)
    transfer = services.shipment_dispatch(access=access, shipment_id=shipment.pk, receiver_id=beta.pk)

    assert transfer.status == TransferStatus.DISPATCHED
    assert transfer.declared_net_mass_kg == Decimal("1000.500")
    assert transfer.declared_masses == {"lfp": "400.000", "ncm": "600.500"}
    assert transfer.declared_unit_count == 2
    import hashlib
    codes = sorted([f"{shipment.reference}-U000".ljust(24, "0"), f"{shipment.reference}-U001".ljust(24, "0")])
    assert transfer.unit_codes_sha256 == hashlib.sha256("\n".join(codes).encode()).hexdigest()
    assert transfer.manifest_sha256 == hashlib.sha256(shipment.reference.encode()).hexdigest()
    with in_tenant(alpha):
        shipment.refresh_from_db()
        assert shipment.status == ShipmentStatus.DISPATCHED
        assert shipment.counterparty_organisation_id == beta.pk
        assert ActivityEntry.objects.filter(verb="custody.dispatched", object_id=str(transfer.pk)).count() == 1
    with in_tenant(beta):
        assert ActivityEntry.objects.filter(verb="custody.dispatched", object_id=str(transfer.pk)).count() == 1
    entry = LedgerEntry.objects.get(transfer=transfer)
    assert entry.seq == 1 and entry.kind == "dispatched" and entry.organisation_id == alpha.pk
    assert entry.payload["declaration"]["declared_net_mass_kg"] == "1000.500"
    assert transfer.ledger_head == entry.hash and transfer.ledger_length == 1


def test_dispatch_binds_the_accepted_manifest_before_a_newer_one_waiting_for_review(alpha, beta, people,
                                                                                    make_shipment, in_tenant):
    import hashlib

    from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType, RevisionStatus

    shipment = make_shipment(alpha, manifest=False)
    with in_tenant(alpha):
        revisions = {}
        for label, status in (("accepted", RevisionStatus.ACCEPTED), ("newer", RevisionStatus.SUBMITTED),
                              ("rejected", RevisionStatus.REJECTED)):
            evidence = Evidence.objects.create(doc_type=EvidenceType.TRANSPORT_MANIFEST, title=f"CMR {label}")
            evidence.shipments.add(shipment)
            revisions[label] = EvidenceRevision.objects.create(
                evidence=evidence, number=1, storage_name=f"test/{label}.pdf", original_filename="cmr.pdf",
                sha256=hashlib.sha256(label.encode()).hexdigest(), size=10, content_type="application/pdf",
                status=status, rejection_reason="Illegible" if status == RevisionStatus.REJECTED else "")
    _user, access = people(alpha)
    transfer = services.shipment_dispatch(access=access, shipment_id=shipment.pk, receiver_id=beta.pk)
    assert transfer.manifest_revision_id == revisions["accepted"].pk
    assert transfer.manifest_sha256 == hashlib.sha256(b"accepted").hexdigest()


@pytest.mark.parametrize("case,code", [
    ("inbound", "shipment_not_outbound"),
    ("no_manifest", "manifest_missing"),
    ("nothing", "nothing_declared"),
    ("other_counterparty", "receiver_mismatch"),
])
def test_dispatch_refusals(alpha, beta, gamma, people, make_shipment, in_tenant, case, code):
    kwargs = {"inbound": {"direction": "inbound"}, "no_manifest": {"manifest": False},
              "nothing": {"masses": {}, "units": 0}, "other_counterparty": {"counterparty": gamma}}[case]
    shipment = make_shipment(alpha, **kwargs)
    _user, access = people(alpha)
    with pytest.raises(ApplicationError) as error:
        services.shipment_dispatch(access=access, shipment_id=shipment.pk, receiver_id=beta.pk)
    assert error.value.code == code
    assert not Transfer.objects.exists()
    with in_tenant(alpha):
        assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.DRAFT


def test_dispatch_only_to_an_active_recycler_other_than_oneself(alpha, beta, people, make_shipment):
    shipment = make_shipment(alpha)
    _user, access = people(alpha)
    for receiver in (alpha.pk, None, "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(ApplicationError) as error:
            services.shipment_dispatch(access=access, shipment_id=shipment.pk, receiver_id=receiver)
        assert error.value.code == "receiver_invalid"
    Organisation.objects.filter(pk=beta.pk).update(is_active=False)
    with pytest.raises(ApplicationError) as error:
        services.shipment_dispatch(access=access, shipment_id=shipment.pk, receiver_id=beta.pk)
    assert error.value.code == "receiver_invalid"


def test_a_shipment_is_dispatched_once(dispatched, beta, people):
    _user, access = people(dispatched.sender)
    with pytest.raises(ApplicationError) as error:
        services.shipment_dispatch(access=access, shipment_id=dispatched.shipment_id, receiver_id=beta.pk)
    assert error.value.code == "already_dispatched" and error.value.status == 409


def test_another_organisations_shipment_id_is_not_found(alpha, beta, gamma, people, make_shipment):
    shipment = make_shipment(alpha)
    _user, gamma_access = people(gamma)
    with pytest.raises(ApplicationError) as error:
        services.shipment_dispatch(access=gamma_access, shipment_id=shipment.pk, receiver_id=beta.pk)
    assert error.value.status == 404


def test_viewers_cannot_dispatch(alpha, beta, people, make_shipment):
    shipment = make_shipment(alpha)
    _user, access = people(alpha, Role.VIEWER)
    with pytest.raises(ApplicationError) as error:
        services.shipment_dispatch(access=access, shipment_id=shipment.pk, receiver_id=beta.pk)
    assert error.value.code == "not_allowed" and error.value.status == 403


# --- receipt ------------------------------------------------------------------------------------

def test_receipt_within_tolerance_stores_the_ticket_in_the_recyclers_vault(dispatched, alpha, beta, people,
                                                                           in_tenant):
    _user, access = people(beta)
    receipt = confirm(dispatched, access, mass="996.000")  # -0.4 %: within 0.5 %
    dispatched.refresh_from_db()
    assert dispatched.status == TransferStatus.RECEIVED
    assert not Discrepancy.objects.filter(transfer=dispatched).exists()
    with in_tenant(beta):
        revision = EvidenceRevision.objects.select_related("evidence").get(pk=receipt.ticket_revision_id)
        assert revision.evidence.doc_type == EvidenceType.WEIGHBRIDGE_TICKET
        assert revision.sha256 == receipt.ticket_sha256 and revision.content_type == "application/pdf"
        inbound = Shipment.objects.get(pk=dispatched.inbound_shipment_id)
        assert inbound.direction == "inbound" and inbound.counterparty_organisation_id == alpha.pk
        assert list(revision.evidence.shipments.all()) == [inbound]
        with default_storage.open(revision.storage_name) as stored:
            import hashlib
            assert hashlib.sha256(stored.read()).hexdigest() == revision.sha256
    with in_tenant(alpha):
        assert not Evidence.objects.filter(doc_type=EvidenceType.WEIGHBRIDGE_TICKET).exists()
        assert Shipment.objects.get(pk=dispatched.shipment_id).status == ShipmentStatus.RECEIVED
        assert ActivityEntry.objects.filter(verb="custody.received").count() == 1
    entry = LedgerEntry.objects.get(transfer=dispatched, seq=2)
    assert entry.kind == "received" and entry.payload["deviation"]["outside_tolerance"] is False


def test_receipt_beyond_tolerance_opens_a_discrepancy(dispatched, beta, people):
    _user, access = people(beta)
    confirm(dispatched, access, mass="980.000", units=2)
    discrepancy = Discrepancy.objects.get(transfer=dispatched)
    assert discrepancy.kind == "tolerance" and discrepancy.status == "open"
    assert discrepancy.mass_difference_kg == Decimal("-20.000") and discrepancy.unit_difference == -1
    entry = LedgerEntry.objects.get(transfer=dispatched, seq=2)
    assert entry.payload["deviation"] == {"mass_difference_kg": "-20.000", "mass_difference_percent": "-2.00",
                                          "unit_difference": -1, "outside_tolerance": True}
    assert entry.payload["discrepancy_id"] == str(discrepancy.pk)


def test_the_sender_cannot_confirm_its_own_dispatch(dispatched, alpha, people):
    _user, access = people(alpha)
    with pytest.raises(ApplicationError) as error:
        confirm(dispatched, access)
    assert error.value.code == "not_receiver" and error.value.status == 403
    assert not Receipt.objects.exists()


def test_a_third_organisation_cannot_see_confirm_or_dispute(dispatched, gamma, people):
    _user, access = people(gamma)
    for call in (lambda: confirm(dispatched, access),
                 lambda: services.transfer_dispute(access=access, transfer_id=dispatched.pk, reason="x")):
        with pytest.raises(ApplicationError) as error:
            call()
        assert error.value.status == 404 and error.value.code == "not_found"


def test_a_receipt_cannot_be_confirmed_twice_and_the_second_ticket_is_not_kept(dispatched, beta, people):
    _user, access = people(beta)
    confirm(dispatched, access)
    before = files_under(f"{beta.schema_name}/evidence")
    with pytest.raises(ApplicationError) as error:
        confirm(dispatched, access, ticket=pdf(extra=b"second"))
    assert error.value.code == "already_received" and error.value.status == 409
    assert Receipt.objects.filter(transfer=dispatched).count() == 1
    assert files_under(f"{beta.schema_name}/evidence") == before


@pytest.mark.parametrize("kwargs,code,field", [
    ({"received_on": TODAY + timedelta(days=1)}, "date_future", "received_on"),
    ({"received_on": TODAY - timedelta(days=30)}, "received_before_dispatch", "received_on"),
    ({"mass": "-1"}, "mass_invalid", "net_mass_kg"),
    ({"units": -2}, "units_invalid", "unit_count"),
])
def test_bad_receipt_figures_are_refused_and_nothing_is_stored(dispatched, beta, people, in_tenant, kwargs, code,
                                                               field):
    _user, access = people(beta)
    with pytest.raises(ApplicationError) as error:
        confirm(dispatched, access, **kwargs)
    assert (error.value.code, error.value.field) == (code, field)
    with in_tenant(beta):
        assert not Evidence.objects.exists() and not Shipment.objects.exists()


@pytest.mark.parametrize("name,content,code", [
    ("ticket.pdf", b"", "empty"),
    ("ticket.pdf", b"MZ\x90\x00 not a document", "executable"),
    ("ticket.pdf", b"<html><script>alert(1)</script></html>", "active_content"),
    ("ticket.pdf", b"%PDF-1.4 broken", "pdf_malformed"),
    ("ticket.exe", None, "type_not_allowed"),
])
def test_a_bad_ticket_file_is_refused_by_the_vault_checks(dispatched, beta, people, in_tenant, name, content, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _user, access = people(beta)
    before = files_under(f"{beta.schema_name}/evidence")
    ticket = pdf(name) if content is None else SimpleUploadedFile(name, content)
    with pytest.raises(ApplicationError) as error:
        confirm(dispatched, access, ticket=ticket)
    assert error.value.code == code and error.value.field == "ticket"
    assert not Receipt.objects.exists()
    with in_tenant(beta):
        assert not Evidence.objects.exists() and not Shipment.objects.exists()
    assert files_under(f"{beta.schema_name}/evidence") == before


def test_a_file_over_the_vault_limit_is_refused(dispatched, beta, people, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 100
    _user, access = people(beta)
    with pytest.raises(ApplicationError) as error:
        confirm(dispatched, access)
    assert (error.value.code, error.value.field) == ("too_large", "ticket")
    assert not Receipt.objects.exists()


@pytest.mark.parametrize("weighed,field,code", [
    ({"gross_kg": None}, "gross_kg", "required"),
    ({"tare_kg": None}, "tare_kg", "required"),
    ({"gross_kg": Decimal("100"), "tare_kg": Decimal("200")}, "tare_kg", "tare_above_gross"),
])
def test_the_ticket_key_fields_follow_the_vault(dispatched, beta, people, weighed, field, code):
    _user, access = people(beta)
    with pytest.raises(ApplicationError) as error:
        confirm(dispatched, access, **weighed)
    assert (error.value.code, error.value.field) == ("key_fields_invalid", field)
    assert error.value.extra["errors"][0]["code"] == code
    assert not Receipt.objects.exists()


def test_the_ticket_is_a_vault_revision_with_the_vaults_key_fields(dispatched, beta, people, in_tenant):
    _user, access = people(beta)
    receipt = confirm(dispatched, access, mass="998.5", ticket_number="WB-77", vehicle_registration="MD EC 42")
    with in_tenant(beta):
        revision = EvidenceRevision.objects.select_related("evidence").get(pk=receipt.ticket_revision_id)
        assert revision.key_fields == {"ticket_number": "WB-77", "gross_kg": "15010", "tare_kg": "14000",
                                       "net_kg": "1010", "weighed_on": TODAY.isoformat(),
                                       "vehicle_registration": "MD EC 42"}
        assert revision.status == "submitted" and revision.evidence.current_revision_id == revision.pk
        assert revision.storage_name == f"{beta.schema_name}/evidence/{revision.pk}"
        assert ActivityEntry.objects.filter(verb="evidence.uploaded", object_id=str(revision.pk)).count() == 1
        inbound_id = Transfer.objects.get(pk=dispatched.pk).inbound_shipment_id
        assert ActivityEntry.objects.filter(verb="shipment.created", object_id=str(inbound_id)).count() == 1


def test_a_failure_after_the_file_was_stored_leaves_no_row_and_no_file(dispatched, beta, people, monkeypatch,
                                                                      in_tenant):
    _user, access = people(beta)
    before = files_under(f"{beta.schema_name}/evidence")
    stored = []
    from apps.custody.services import receipt as receipt_services

    real_upload = receipt_services.vault_upload

    def upload_then_remember(**kwargs):
        revision = real_upload(**kwargs)
        stored.append(revision.storage_name)
        return revision

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(receipt_services, "vault_upload", upload_then_remember)
    monkeypatch.setattr(receipt_services, "activity_both", broken)
    with pytest.raises(RuntimeError):
        confirm(dispatched, access)
    assert len(stored) == 1  # the ticket had been stored before the step failed
    assert files_under(f"{beta.schema_name}/evidence") == before
    assert not Receipt.objects.exists()
    with in_tenant(beta):
        assert not Evidence.objects.exists() and not Shipment.objects.exists()


def test_viewer_of_the_recycler_cannot_confirm(dispatched, beta, people):
    _user, access = people(beta, Role.VIEWER)
    with pytest.raises(ApplicationError) as error:
        confirm(dispatched, access)
    assert error.value.code == "not_allowed"


# --- dispute and the discrepancy thread ---------------------------------------------------------

def test_dispute_then_thread_then_resolution(dispatched, alpha, beta, people, in_tenant):
    _u, recycler = people(beta)
    _u, exporter = people(alpha)
    discrepancy = services.transfer_dispute(access=recycler, transfer_id=dispatched.pk, reason="Two packs damaged",
                                            net_mass_kg=Decimal("700"), unit_count=2)
    dispatched.refresh_from_db()
    assert dispatched.status == TransferStatus.DISPUTED
    with in_tenant(alpha):
        assert Shipment.objects.get(pk=dispatched.shipment_id).status == ShipmentStatus.DISPUTED
    with pytest.raises(ApplicationError) as error:
        services.transfer_dispute(access=recycler, transfer_id=dispatched.pk, reason="again")
    assert error.value.code == "already_disputed"

    services.discrepancy_comment(access=exporter, discrepancy_id=discrepancy.pk, body="Photos of loading attached")
    services.discrepancy_comment(access=recycler, discrepancy_id=discrepancy.pk, body="Agreed: transport damage")
    services.discrepancy_resolve(access=exporter, discrepancy_id=discrepancy.pk, resolution="Insurance claim filed")
    discrepancy.refresh_from_db()
    assert discrepancy.status == "resolved" and discrepancy.resolved_by_id == alpha.pk
    assert [c.body for c in discrepancy.comments.order_by("created_at")] == [
        "Photos of loading attached", "Agreed: transport damage"]
    with pytest.raises(ApplicationError) as error:
        services.discrepancy_comment(access=exporter, discrepancy_id=discrepancy.pk, body="late")
    assert error.value.code == "discrepancy_resolved"

    # after a dispute, the recycler may still confirm what it finally accepted
    confirm(dispatched, recycler, mass="700", units=2)
    kinds = list(LedgerEntry.objects.filter(transfer=dispatched).order_by("seq").values_list("kind", flat=True))
    assert kinds == ["dispatched", "disputed", "discrepancy_comment", "discrepancy_comment", "discrepancy_resolved",
                     "received"]
    with in_tenant(alpha):
        assert Shipment.objects.get(pk=dispatched.shipment_id).status == ShipmentStatus.RECEIVED


def test_dispute_needs_a_reason_and_third_parties_cannot_comment(dispatched, beta, gamma, people):
    _u, recycler = people(beta)
    with pytest.raises(ApplicationError) as error:
        services.transfer_dispute(access=recycler, transfer_id=dispatched.pk, reason="  ")
    assert error.value.code == "reason_required"
    discrepancy = services.transfer_dispute(access=recycler, transfer_id=dispatched.pk, reason="Wet pallets")
    _u, outsider = people(gamma)
    with pytest.raises(ApplicationError) as error:
        services.discrepancy_comment(access=outsider, discrepancy_id=discrepancy.pk, body="hello")
    assert error.value.status == 404
    _u, viewer = people(beta, Role.VIEWER)
    with pytest.raises(ApplicationError) as error:
        services.discrepancy_resolve(access=viewer, discrepancy_id=discrepancy.pk, resolution="fine")
    assert error.value.code == "not_allowed"


# --- processing and certificate -----------------------------------------------------------------

def test_processing_creates_lots_with_assays_in_the_recyclers_register(processed, beta, in_tenant):
    record = processed.processing
    assert processed.status == TransferStatus.PROCESSED
    assert record.black_mass_kg == Decimal("420.000") and record.recovered_mass_kg == Decimal("300.000")
    assert [lot["code"] for lot in record.lots] == ["BM-001", "NiSO4-001"]
    with in_tenant(beta):
        black = MaterialLot.objects.get(code="BM-001")
        nickel = MaterialLot.objects.get(code="NiSO4-001")
        assert list(black.source_shipments.values_list("pk", flat=True)) == [processed.inbound_shipment_id]
        assert list(nickel.source_lots.all()) == [black]
        assert dict(LotElement.objects.filter(lot=black).values_list("element", "percent")) == {
            "Co": Decimal("8.2000"), "Ni": Decimal("21.5000"), "Li": Decimal("4.1000")}


def test_processing_refusals(received, dispatched, beta, alpha, people, in_tenant):
    _u, recycler = people(beta)

    def record(lots, processed_on=TODAY):
        return services.transfer_record_processing(access=recycler, transfer_id=received.pk,
                                                   processed_on=processed_on, lots=lots)

    lot = services.LotInput
    cases = [
        ([], "lots_required"),
        ([lot("A", "black_mass", Decimal("1")), lot("A", "black_mass", Decimal("1"))], "lot_code_duplicate"),
        ([lot("A", "gold", Decimal("1"))], "lot_kind_invalid"),
        ([lot("A", "black_mass", Decimal("0"))], "lot_mass_invalid"),
        ([lot("A", "black_mass", Decimal("1"), {"Xx": Decimal("1")})], "lot_element_invalid"),
        ([lot("A", "black_mass", Decimal("1"), {"Co": Decimal("60"), "Ni": Decimal("50")})], "lot_percent_invalid"),
        ([lot("A", "black_mass", Decimal("5000"))], "black_mass_exceeds_receipt"),
    ]
    for lots, code in cases:
        with pytest.raises(ApplicationError) as error:
            record(lots)
        assert error.value.code == code, code
    with in_tenant(beta):
        MaterialLot.objects.create(code="TAKEN", kind="black_mass", mass_kg=1)
    with pytest.raises(ApplicationError) as error:
        record([lot("TAKEN", "black_mass", Decimal("1"))])
    assert error.value.code == "lot_code_taken"
    with pytest.raises(ApplicationError) as error:
        record([lot("B", "black_mass", Decimal("1"))], processed_on=TODAY - timedelta(days=30))
    assert error.value.code == "processed_before_receipt"
    _u, exporter = people(alpha)
    with pytest.raises(ApplicationError) as error:
        services.transfer_record_processing(access=exporter, transfer_id=received.pk, processed_on=TODAY,
                                            lots=[lot("C", "black_mass", Decimal("1"))])
    assert error.value.code == "not_receiver"
    received.refresh_from_db()
    assert received.status == TransferStatus.RECEIVED
    with in_tenant(beta):
        assert MaterialLot.objects.count() == 1  # only the one the test registered


def test_the_assay_report_goes_into_the_vault_for_one_lot_and_the_lots_refer_to_it(received, beta, people,
                                                                                    in_tenant):
    _u, recycler = people(beta)
    lot = services.LotInput
    lots = [lot("NS-1", "nickel_sulfate", Decimal("300"), {"Ni": Decimal("22")}),
            lot("BM-1", "black_mass", Decimal("420"), {"Co": Decimal("8.2"), "Ni": Decimal("21.5")})]
    with pytest.raises(ApplicationError) as error:  # a report needs its laboratory and sample date
        services.transfer_record_processing(access=recycler, transfer_id=received.pk, processed_on=TODAY, lots=lots,
                                            assay_report=pdf("assay.pdf"))
    assert (error.value.code, error.value.field) == ("key_fields_invalid", "assay_laboratory")
    assert {p["field"] for p in error.value.extra["errors"]} == {"laboratory", "sample_date"}
    with pytest.raises(ApplicationError) as error:
        services.transfer_record_processing(access=recycler, transfer_id=received.pk, processed_on=TODAY, lots=lots,
                                            assay_report=pdf("assay.pdf"), assay_laboratory="SGS",
                                            assay_sample_date=TODAY, assay_lot="XX-9")
    assert (error.value.code, error.value.field) == ("assay_lot_unknown", "assay_lot")
    record = services.transfer_record_processing(
        access=recycler, transfer_id=received.pk, processed_on=TODAY, lots=lots, assay_report=pdf("assay.pdf"),
        assay_laboratory="SGS Germany", assay_sample_date=TODAY, assay_report_number="SGS-1")
    with in_tenant(beta):
        revision = EvidenceRevision.objects.select_related("evidence").get(pk=record.assay_revision_id)
        assert revision.evidence.doc_type == EvidenceType.ASSAY_REPORT
        assert revision.key_fields == {"report_number": "SGS-1", "lot_code": "BM-1", "laboratory": "SGS Germany",
                                       "sample_date": TODAY.isoformat(), "elements": {"Co": "8.2", "Ni": "21.5"}}
        assert list(revision.evidence.shipments.values_list("pk", flat=True)) == [received.inbound_shipment_id]
        assert set(LotElement.objects.values_list("assay_revision_id", flat=True)) == {revision.pk}
        assert ActivityEntry.objects.filter(verb="lot.created").count() == 2


def test_processing_needs_a_receipt(dispatched, beta, people):
    _u, recycler = people(beta)
    with pytest.raises(ApplicationError) as error:
        services.transfer_record_processing(access=recycler, transfer_id=dispatched.pk, processed_on=TODAY,
                                            lots=[services.LotInput("A", "black_mass", Decimal("1"))])
    assert error.value.code == "not_received" and error.value.status == 409


def test_certificate_references_the_transfer_and_is_issued_once(processed, beta, people, in_tenant):
    _u, recycler = people(beta)
    certificate = services.transfer_issue_certificate(
        access=recycler, transfer_id=processed.pk, number="CR-2026-001", issued_on=TODAY,
        statement="Recycled in accordance with Annex XII", signed_file=pdf("certificate.pdf"))
    processed.refresh_from_db()
    assert processed.status == TransferStatus.CERTIFIED
    entry = LedgerEntry.objects.get(transfer=processed, kind="certified")
    assert entry.payload["content"]["transfer"] == str(processed.pk)
    assert entry.payload["content"]["lots_sha256"] == processed.processing.lots_sha256
    assert entry.payload["content_sha256"] == certificate.content_sha256
    with in_tenant(beta):
        revision = EvidenceRevision.objects.get(pk=certificate.file_revision_id)
        assert revision.evidence.doc_type == EvidenceType.RECYCLING_CERTIFICATE
        assert revision.evidence.lots.count() == 2
        assert revision.key_fields == {"certificate_number": "CR-2026-001",
                                       "shipment_reference": processed.shipment_reference, "recycler": beta.name_en,
                                       "treated_mass_kg": "998", "treated_on": TODAY.isoformat()}
    with pytest.raises(ApplicationError) as error:
        services.transfer_issue_certificate(access=recycler, transfer_id=processed.pk, number="CR-2026-002",
                                            issued_on=TODAY)
    assert error.value.code == "already_certified"
    assert RecyclingCertificate.objects.count() == 1


def test_certificate_numbers_are_unique_per_issuer(processed, received, beta, alpha, people, make_shipment):
    _u, recycler = people(beta)
    services.transfer_issue_certificate(access=recycler, transfer_id=processed.pk, number="CR-1", issued_on=TODAY)
    other = make_shipment(alpha)
    _u, exporter = people(alpha)
    second = services.shipment_dispatch(access=exporter, shipment_id=other.pk, receiver_id=beta.pk)
    confirm(second, recycler)
    services.transfer_record_processing(access=recycler, transfer_id=second.pk, processed_on=TODAY,
                                        lots=[services.LotInput("BM-2", "black_mass", Decimal("400"))])
    with pytest.raises(ApplicationError) as error:
        services.transfer_issue_certificate(access=recycler, transfer_id=second.pk, number="CR-1", issued_on=TODAY)
    assert error.value.code == "certificate_number_taken"


# --- off-platform recyclers ---------------------------------------------------------------------

def test_invited_recycler_gets_an_organisation_and_sees_the_pending_transfer_when_it_joins(
        alpha, people, make_shipment, mailoutbox, django_capture_on_commit_callbacks):
    from apps.accounts import services as account_services
    from apps.accounts.models import User
    from apps.custody.selectors import transfer_list

    user, exporter = people(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        invited = services.recycler_invite(access=exporter, name_en="Nordic Battery Recovery AB", country="SE",
                                           email="Ops@NBR.example", inviter=user)
    recycler = invited.organisation
    assert recycler.kind == "recycler" and recycler.slug == "nordic-battery-recovery-ab"
    assert not Membership.objects.filter(organisation=recycler).exists()
    assert Invitation.objects.get(organisation=recycler).email == "ops@nbr.example"
    shipment = make_shipment(alpha)
    transfer = services.shipment_dispatch(access=exporter, shipment_id=shipment.pk, receiver_id=recycler.pk)
    connection.set_schema_to_public()
    with pytest.raises(ApplicationError) as error:
        services.recycler_invite(access=exporter, name_en="Nordic Battery Recovery AB", country="SE",
                                 email="ops@nbr.example", inviter=user)
    assert error.value.code == "already_invited"

    # the invitation e-mail carries a link with the token; accepting it makes the person an owner
    token = mailoutbox[-1].body.split("/invitations/")[1].split("/")[0]
    person = User.objects.create_user(email="ops@nbr.example", password="x" * 12)
    account_services.invitation_accept(token=token, user=person)
    assert [t.pk for t in transfer_list(organisation=recycler, direction="incoming")] == [transfer.pk]


def test_paper_receipt_is_evidence_of_the_sender_unconfirmed_by_the_counterparty(dispatched, alpha, beta, people,
                                                                                 in_tenant):
    from apps.custody.selectors import custody_facts_for_shipments

    _u, exporter = people(alpha)
    paper = services.transfer_attach_paper_receipt(access=exporter, transfer_id=dispatched.pk, received_on=TODAY,
                                                   document=pdf("receipt.pdf"), net_mass_kg=Decimal("1000"))
    with in_tenant(alpha):
        revision = EvidenceRevision.objects.select_related("evidence").get(pk=paper.revision_id)
        assert revision.evidence.doc_type == EvidenceType.RECEIPT
        assert revision.key_fields == {"received_on": TODAY.isoformat(), "received_net_mass_kg": "1000",
                                       "receiver": beta.name_en}
        assert list(revision.evidence.shipments.values_list("pk", flat=True)) == [dispatched.shipment_id]
    facts = custody_facts_for_shipments(organisation=alpha, shipment_ids=[dispatched.shipment_id])
    fact = facts[dispatched.shipment_id]
    assert fact.receipt_source == "paper" and fact.confirmed_by_counterparty is False
    assert fact.receipt_document_sha256 == paper.sha256
    with pytest.raises(ApplicationError) as error:
        services.transfer_attach_paper_receipt(access=exporter, transfer_id=dispatched.pk, received_on=TODAY,
                                               document=pdf("receipt2.pdf"))
    assert error.value.code == "paper_receipt_exists"
    _u, recycler = people(beta)
    with pytest.raises(ApplicationError) as error:
        services.transfer_attach_paper_receipt(access=recycler, transfer_id=dispatched.pk, received_on=TODAY,
                                               document=pdf("receipt3.pdf"))
    assert error.value.code == "not_sender"
