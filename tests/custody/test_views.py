"""Pages: each party sees the transfer on its own host, a third organisation gets 404 for everything, roles
decide who may act, forms refuse bad input with a clear message, forged and replayed posts are refused."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.custody import services
from apps.custody.models import Discrepancy, Receipt, Transfer, TransferStatus
from apps.traceability.models import MaterialLot

from .conftest import WEIGHED, pdf

TODAY = date.today().isoformat()
TRANSFER_PAGES = ["", "confirm/", "dispute/", "paper-receipt/", "processing/", "certificate/"]
DISCREPANCY_PAGES = ["comment/", "resolve/"]


@pytest.fixture
def browse(client_for, people):
    def make(organisation, role=Role.STAFF, **extra):
        user, _access = people(organisation, role)
        return client_for(user, organisation, **extra)

    return make


def receipt_form(mass="1000", units=3, **extra):
    return {"received_on": TODAY, "net_mass_kg": mass, "unit_count": units, "ticket_number": "WB-7",
            "gross_kg": "15010", "tare_kg": "14000", "ticket": pdf(), **extra}


# --- isolation --------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", TRANSFER_PAGES)
@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_third_organisation_gets_not_found_for_every_transfer_page(dispatched, gamma, browse, page, role):
    client = browse(gamma, role)
    path = f"/custody/transfers/{dispatched.pk}/{page}"
    assert client.get(path).status_code == 404
    assert client.post(path, receipt_form()).status_code == 404
    assert not Receipt.objects.exists()


@pytest.mark.parametrize("page", DISCREPANCY_PAGES)
def test_third_organisation_gets_not_found_for_discrepancy_actions(dispatched, beta, gamma, people, browse, page):
    _u, recycler = people(beta)
    discrepancy = services.transfer_dispute(access=recycler, transfer_id=dispatched.pk, reason="Wet")
    response = browse(gamma, Role.OWNER).post(f"/custody/discrepancies/{discrepancy.pk}/{page}",
                                              {"body": "hi", "resolution": "done"})
    assert response.status_code == 404
    assert Discrepancy.objects.get().status == "open" and not discrepancy.comments.exists()


def test_third_organisation_lists_show_nothing(dispatched, gamma, browse):
    client = browse(gamma, Role.OWNER)
    for path in ("/custody/outgoing/", "/custody/incoming/"):
        response = client.get(path)
        assert response.status_code == 200
        assert dispatched.shipment_reference not in response.content.decode()


def test_a_party_using_its_own_host_only(dispatched, alpha, beta, people, client_for):
    """The sender's member asking the receiver's host is not a member there: 404 (foundation guard)."""
    user, _access = people(alpha, Role.OWNER)
    assert client_for(user, alpha).get(f"/custody/transfers/{dispatched.pk}/").status_code == 200
    assert client_for(user, beta).get(f"/custody/transfers/{dispatched.pk}/").status_code == 404


# --- roles and sides --------------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", [(Role.OWNER, 200), (Role.COMPLIANCE_MANAGER, 200), (Role.STAFF, 200),
                                         (Role.VIEWER, 403)])
def test_receiver_roles_on_the_confirm_page(dispatched, beta, browse, role, status):
    client = browse(beta, role)
    assert client.get(f"/custody/transfers/{dispatched.pk}/").status_code == 200
    assert client.get(f"/custody/transfers/{dispatched.pk}/confirm/").status_code == status
    response = client.post(f"/custody/transfers/{dispatched.pk}/confirm/", receipt_form())
    assert response.status_code == (302 if status == 200 else 403)


@pytest.mark.parametrize("page", ["confirm/", "dispute/", "processing/", "certificate/"])
def test_the_sender_cannot_take_the_receivers_steps(dispatched, alpha, browse, page):
    client = browse(alpha, Role.OWNER)
    assert client.get(f"/custody/transfers/{dispatched.pk}/{page}").status_code == 403
    assert client.post(f"/custody/transfers/{dispatched.pk}/{page}", receipt_form()).status_code == 403
    assert not Receipt.objects.exists()


def test_the_receiver_cannot_attach_the_senders_paper_receipt(dispatched, beta, browse):
    assert browse(beta, Role.OWNER).get(f"/custody/transfers/{dispatched.pk}/paper-receipt/").status_code == 403


def test_viewer_cannot_dispatch_or_comment(dispatched, alpha, beta, people, browse):
    _u, recycler = people(beta)
    discrepancy = services.transfer_dispute(access=recycler, transfer_id=dispatched.pk, reason="Wet")
    viewer = browse(alpha, Role.VIEWER)
    assert viewer.get("/custody/dispatch/").status_code == 403
    assert viewer.post(f"/custody/discrepancies/{discrepancy.pk}/comment/", {"body": "x"}).status_code == 403
    assert not discrepancy.comments.exists()


# --- the journey through the pages ------------------------------------------------------------------

def test_dispatch_from_the_outgoing_page(alpha, beta, make_shipment, browse, in_tenant):
    shipment = make_shipment(alpha, reference="EXP-2026-0042")
    client = browse(alpha)
    listing = client.get("/custody/outgoing/").content.decode()
    assert f"/custody/dispatch/?shipment={shipment.pk}" in listing
    form = client.get(f"/custody/dispatch/?shipment={shipment.pk}")
    assert "Beta Recycling GmbH" in form.content.decode() and f"CMR {shipment.reference}" in form.content.decode()
    response = client.post("/custody/dispatch/", {"shipment": str(shipment.pk), "receiver": str(beta.pk)})
    transfer = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/custody/transfers/{transfer.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "EXP-2026-0042" in page and "Dispatched" in page


def test_dispatch_form_explains_a_missing_manifest(alpha, beta, make_shipment, browse):
    shipment = make_shipment(alpha, manifest=False)
    response = browse(alpha).post("/custody/dispatch/", {"shipment": str(shipment.pk), "receiver": str(beta.pk)})
    assert response.status_code == 400
    assert "Attach the transport manifest to the shipment before dispatching it." in response.content.decode()
    assert not Transfer.objects.exists()


def test_confirm_beyond_tolerance_shows_the_discrepancy_to_both_parties(dispatched, alpha, beta, browse):
    recycler = browse(beta)
    response = recycler.post(f"/custody/transfers/{dispatched.pk}/confirm/", receipt_form(mass="950"), follow=True)
    page = response.content.decode()
    assert "a discrepancy was opened" in page and 'data-testid="discrepancy"' in page
    sender_page = browse(alpha).get(f"/custody/transfers/{dispatched.pk}/").content.decode()
    assert "Received figures outside the tolerance" in sender_page and "950.000" in sender_page
    assert "Confirmed by the receiving organisation on the platform" in sender_page


def test_a_replayed_confirmation_is_refused_with_a_clear_message(dispatched, beta, browse):
    client = browse(beta)
    assert client.post(f"/custody/transfers/{dispatched.pk}/confirm/", receipt_form()).status_code == 302
    replay = client.post(f"/custody/transfers/{dispatched.pk}/confirm/", receipt_form())
    assert replay.status_code == 409
    assert "Receipt of this transfer was already confirmed." in replay.content.decode()
    assert Receipt.objects.count() == 1


def test_a_forged_post_without_csrf_token_is_refused(dispatched, beta, browse):
    client = browse(beta, enforce_csrf_checks=True)
    response = client.post(f"/custody/transfers/{dispatched.pk}/confirm/", receipt_form())
    assert response.status_code == 403
    assert not Receipt.objects.exists()


@pytest.mark.parametrize("data,message", [
    ({"net_mass_kg": "-5"}, "Ensure this value is greater than or equal to 0."),
    ({"net_mass_kg": "lots"}, "Enter a number."),
    ({"received_on": "2099-01-01"}, "The date cannot be in the future."),
    ({"ticket": pdf("virus.exe", b"")}, None),
])
def test_bad_receipt_input_gets_a_clear_message(dispatched, beta, browse, data, message):
    form = receipt_form(**data)
    if message is None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        form["ticket"] = SimpleUploadedFile("virus.exe", b"MZ\x90\x00\x03 binary")
        message = "Programs are never accepted."  # the vault's own check
    response = browse(beta).post(f"/custody/transfers/{dispatched.pk}/confirm/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Receipt.objects.exists()


def test_a_ticket_over_the_vault_limit_is_refused_on_its_field(dispatched, beta, browse, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 200
    response = browse(beta).post(f"/custody/transfers/{dispatched.pk}/confirm/", receipt_form())
    assert response.status_code == 400
    assert "The file is larger than the limit of 200 bytes." in response.content.decode()
    assert not Receipt.objects.exists()


def test_messages_follow_the_users_language(dispatched, beta, browse):
    client = browse(beta, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies["cellpass_language"] = "zh-hans"
    response = client.post(f"/custody/transfers/{dispatched.pk}/confirm/", receipt_form(received_on="2099-01-01"))
    assert "日期不能晚于今天。" in response.content.decode()


def test_dispute_comment_and_resolve_through_the_pages(dispatched, alpha, beta, browse):
    recycler, exporter = browse(beta), browse(alpha)
    response = recycler.post(f"/custody/transfers/{dispatched.pk}/dispute/",
                             {"reason": "Pallet 3 missing", "unit_count": 2})
    assert response.status_code == 302
    discrepancy = Discrepancy.objects.get()
    assert exporter.post(f"/custody/discrepancies/{discrepancy.pk}/comment/",
                         {"body": "Checking with the carrier"}).status_code == 302
    empty = exporter.post(f"/custody/discrepancies/{discrepancy.pk}/resolve/", {"resolution": ""}, follow=True)
    assert "This field is required." in empty.content.decode()
    assert recycler.post(f"/custody/discrepancies/{discrepancy.pk}/resolve/",
                         {"resolution": "Pallet found at the depot"}).status_code == 302
    page = exporter.get(f"/custody/transfers/{dispatched.pk}/").content.decode()
    assert "Checking with the carrier" in page and "Pallet found at the depot" in page and "Resolved" in page


def test_processing_and_certificate_through_the_pages(received, beta, alpha, browse, in_tenant):
    client = browse(beta)
    lots = {"lots-TOTAL_FORMS": "4", "lots-INITIAL_FORMS": "0", "lots-MIN_NUM_FORMS": "0",
            "lots-MAX_NUM_FORMS": "20",
            "lots-0-code": "BM-77", "lots-0-kind": "black_mass", "lots-0-mass_kg": "410", "lots-0-Co": "7.5",
            "lots-0-Li": "3.9",
            "lots-1-code": "LC-77", "lots-1-kind": "lithium_carbonate", "lots-1-mass_kg": "25"}
    half = client.post(f"/custody/transfers/{received.pk}/processing/",
                       {"processed_on": TODAY, **lots, "lots-2-code": "orphan"})
    assert half.status_code == 400 and "Give each lot a code, a kind and a mass." in half.content.decode()
    response = client.post(f"/custody/transfers/{received.pk}/processing/",
                           {"processed_on": TODAY, "assay_report": pdf("assay.pdf"), "assay_laboratory": "SGS",
                            "assay_sample_date": TODAY, **lots})
    assert response.status_code == 302
    with in_tenant(beta):
        assert set(MaterialLot.objects.values_list("code", flat=True)) == {"BM-77", "LC-77"}
    response = client.post(f"/custody/transfers/{received.pk}/certificate/",
                           {"number": "EC-CR-77", "issued_on": TODAY, "statement": "Recycled"})
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.status == TransferStatus.CERTIFIED
    page = browse(alpha).get(f"/custody/transfers/{received.pk}/").content.decode()
    assert "EC-CR-77" in page and "Lithium carbonate" in page and "410.000" in page


def test_paper_receipt_through_the_page(dispatched, alpha, browse):
    client = browse(alpha)
    response = client.post(f"/custody/transfers/{dispatched.pk}/paper-receipt/",
                           {"received_on": TODAY, "document": pdf("signed.pdf")}, follow=True)
    assert "not confirmed by the counterparty" in response.content.decode()


def test_invite_a_recycler_through_the_page(alpha, browse):
    client = browse(alpha)
    response = client.post("/custody/recyclers/invite/", {"name_en": "Iberia Reciclaje S.L.", "country": "es",
                                                          "email": "planta@iberia.example"})
    assert response.status_code == 302
    form = client.get("/custody/dispatch/").content.decode()
    assert "Iberia Reciclaje S.L. (invited, not joined yet)" in form
    bad = client.post("/custody/recyclers/invite/", {"name_en": "X Recycling", "country": "12",
                                                     "email": "x@x.example"})
    assert bad.status_code == 400 and "Enter the two-letter ISO country code" in bad.content.decode()


# --- verification and query budgets -----------------------------------------------------------------

def test_verify_button_reports_an_intact_chain(received, alpha, browse):
    page = browse(alpha).get(f"/custody/transfers/{received.pk}/?verify=1").content.decode()
    assert "The chain is intact (2 entries)." in page


def test_list_and_detail_pages_keep_a_query_budget(alpha, beta, people, make_shipment, browse,
                                                   django_assert_max_num_queries):
    _u, exporter = people(alpha)
    _u, recycler = people(beta)
    for _ in range(4):
        shipment = make_shipment(alpha)
        transfer = services.shipment_dispatch(access=exporter, shipment_id=shipment.pk, receiver_id=beta.pk)
        services.transfer_confirm_receipt(access=recycler, transfer_id=transfer.pk, received_on=date.today(),
                                          net_mass_kg=Decimal("900"), unit_count=3, ticket=pdf(), **WEIGHED)
    services.discrepancy_comment(access=exporter, discrepancy_id=Discrepancy.objects.first().pk, body="?")
    client, recycler_client = browse(alpha), browse(beta)
    client.get("/custody/outgoing/")  # warm the sessions
    recycler_client.get("/custody/incoming/")
    with django_assert_max_num_queries(16):
        assert client.get("/custody/outgoing/").status_code == 200
    with django_assert_max_num_queries(16):
        assert recycler_client.get("/custody/incoming/").status_code == 200
    with django_assert_max_num_queries(18):  # each query is preceded by its SET search_path
        assert client.get(f"/custody/transfers/{transfer.pk}/").status_code == 200


def test_dashboard_panel_counts_what_waits(dispatched, beta, browse):
    page = browse(beta).get("/").content.decode()
    assert "incoming transfers to confirm" in page


# --- cross-links from the register ---------------------------------------------------------------

def test_register_shipment_page_shows_the_transfer_status_and_links_to_its_timeline(
        dispatched, alpha, beta, people, browse, make_shipment):
    sender = browse(alpha, Role.VIEWER)
    plain = make_shipment(alpha)
    with CaptureQueriesContext(connection) as without_transfer:
        sender.get(f"/register/shipments/{plain.pk}/")
    with CaptureQueriesContext(connection) as with_transfer:
        page = sender.get(f"/register/shipments/{dispatched.shipment_id}/").content.decode()
    def custody(captured):
        return [q for q in captured.captured_queries if 'FROM "custody_' in q["sql"]]

    # The section costs one query on a shipment without a transfer, two with one (transfer, discrepancies).
    assert len(custody(without_transfer)) == 1 and len(custody(with_transfer)) == 2
    section = page.split('data-testid="custody-section"', 1)[1].split("</section>", 1)[0]
    assert "Dispatched" in section and beta.name_en in section
    assert f'href="/custody/transfers/{dispatched.pk}/#timeline"' in section
    assert sender.get(f"/custody/transfers/{dispatched.pk}/").status_code == 200

    _user, access = people(beta)
    services.transfer_confirm_receipt(access=access, transfer_id=dispatched.pk, received_on=date.today(),
                                      net_mass_kg=Decimal("900.000"), unit_count=3, ticket=pdf(), **WEIGHED)
    dispatched.refresh_from_db()
    section = sender.get(f"/register/shipments/{dispatched.shipment_id}/").content.decode() \
        .split('data-testid="custody-section"', 1)[1].split("</section>", 1)[0]
    assert "Received" in section and "1 discrepancy" in section
    # The recycler's own inbound shipment (made by the receipt) links to the same transfer.
    receiver_page = browse(beta, Role.VIEWER).get(f"/register/shipments/{dispatched.inbound_shipment_id}/")
    section = receiver_page.content.decode().split('data-testid="custody-section"', 1)[1]
    assert alpha.name_en in section and f"/custody/transfers/{dispatched.pk}/#timeline" in section


def test_register_shipment_page_without_a_transfer_has_no_custody_section(alpha, make_shipment, browse):
    shipment = make_shipment(alpha)
    page = browse(alpha, Role.VIEWER).get(f"/register/shipments/{shipment.pk}/").content.decode()
    assert 'data-testid="custody-section"' not in page
