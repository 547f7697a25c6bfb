"""The custody API: a recycler's WMS confirms receipts with an API key, replays are conflicts, a third
organisation gets 404 for every transfer endpoint, roles and sides are enforced, the ledger verifies."""
import re
from datetime import date

import pytest
from django.db import connection

from apps.accounts import services as account_services
from apps.accounts.roles import Role
from apps.custody import services
from apps.custody.models import Discrepancy, LedgerEntry, Receipt, Transfer
from tests.evidence.files import make_pdf, multipart

from .conftest import pdf

TODAY = date.today().isoformat()
TRANSFER_ENDPOINTS = [("get", ""), ("get", "ledger/"), ("get", "verify/"), ("post", "receipt/"), ("post", "dispute/"),
                      ("post", "paper-receipt/"), ("post", "processing/"), ("post", "certificate/")]


@pytest.fixture
def api(people, client_for):
    """`api(org, role)`: a client authenticated with a fresh API key of that organisation and role."""

    def make(organisation, role=Role.STAFF):
        owner, owner_access = people(organisation, Role.OWNER)
        _key, plaintext = account_services.apikey_create(access=owner_access, organisation=organisation,
                                                         name="WMS", role=role, creator=owner)
        return client_for(None, organisation, HTTP_AUTHORIZATION=f"Api-Key {plaintext}")

    return make


def receipt(mass="1000", units=3, **extra):
    return {"received_on": TODAY, "net_mass_kg": mass, "unit_count": units, "gross_kg": "15010", "tare_kg": "14000",
            "ticket": pdf(), **extra}


def test_wms_confirms_a_receipt_and_a_replay_is_a_conflict(dispatched, beta, api):
    wms = api(beta, Role.STAFF)
    response = wms.post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/", receipt(mass="940", ticket_number="W1"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received" and body["receipt"]["net_mass_kg"] == "940.000"
    assert body["open_discrepancies"] == 1 and body["discrepancies"][0]["kind"] == "tolerance"
    assert body["shipment_id"] == str(Transfer.objects.get().inbound_shipment_id)  # the WMS's own inbound shipment
    replay = wms.post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/", receipt(mass="940"))
    assert replay.status_code == 409
    assert replay.json()["code"] == "already_received"
    assert replay.json()["message"] == "Receipt of this transfer was already confirmed."
    assert Receipt.objects.count() == 1
    entry = LedgerEntry.objects.get(transfer=dispatched, kind="received")
    assert entry.channel == "api" and entry.actor_label == "API key WMS"


@pytest.mark.parametrize("method,endpoint", TRANSFER_ENDPOINTS)
@pytest.mark.parametrize("via", ["api_key", "session"])
def test_third_organisation_gets_not_found_for_every_transfer_endpoint(dispatched, gamma, api, people, client_for,
                                                                       method, endpoint, via):
    if via == "api_key":
        client = api(gamma, Role.COMPLIANCE_MANAGER)
    else:
        user, _access = people(gamma, Role.OWNER)
        client = client_for(user, gamma)
    path = f"/api/v1/custody/transfers/{dispatched.pk}/{endpoint}"
    response = client.get(path) if method == "get" else client.post(path, receipt(reason="x", number="C-1",
                                                                                    processed_on=TODAY))
    assert response.status_code == 404
    assert response.json()["code"] in ("not_found",)
    assert not Receipt.objects.exists() and not Discrepancy.objects.exists()


@pytest.mark.parametrize("endpoint", ["comments/", "resolve/"])
def test_third_organisation_gets_not_found_for_discrepancy_endpoints(dispatched, beta, gamma, people, api, endpoint):
    _u, recycler = people(beta)
    discrepancy = services.transfer_dispute(access=recycler, transfer_id=dispatched.pk, reason="Wet")
    response = api(gamma, Role.COMPLIANCE_MANAGER).post(f"/api/v1/custody/discrepancies/{discrepancy.pk}/{endpoint}",
                                                        {"body": "x", "resolution": "y"})
    assert response.status_code == 404
    assert not discrepancy.comments.exists()


def test_the_sender_cannot_confirm_and_a_viewer_key_cannot_act(dispatched, alpha, beta, api):
    response = api(alpha, Role.COMPLIANCE_MANAGER).post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/",
                                                        receipt())
    assert response.status_code == 403 and response.json()["code"] == "not_receiver"
    viewer = api(beta, Role.VIEWER)
    assert viewer.get(f"/api/v1/custody/transfers/{dispatched.pk}/").status_code == 200
    response = viewer.post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/", receipt())
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Receipt.objects.exists()


def test_session_posts_need_the_csrf_token(dispatched, beta, people, client_for):
    user, _access = people(beta)
    client = client_for(user, beta, enforce_csrf_checks=True)
    response = client.post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/", receipt())
    assert response.status_code == 403
    assert not Receipt.objects.exists()


def test_bad_input_gets_field_messages(dispatched, beta, api):
    wms = api(beta)
    response = wms.post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/",
                        {"received_on": "yesterday", "net_mass_kg": "-1", "unit_count": "many"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"received_on", "net_mass_kg", "unit_count", "ticket",
                                                                 "gross_kg", "tare_kg"}
    response = wms.post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/", receipt(received_on="2099-01-01"),
                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and response.json()["fields"] == {"received_on": ["日期不能晚于今天。"]}


@pytest.mark.parametrize("filename,code", [("../../ticket.pdf", "filename_path"), ("ticket\u202egpj.pdf",
                                                                                     "filename_control")])
def test_ticket_names_are_checked_as_sent_by_the_vault(dispatched, beta, api, filename, code):
    """The WMS's file name reaches the vault's checks unchanged (its raw-name parser), as for any upload."""
    fields = {k: v for k, v in receipt().items() if k != "ticket"}
    body, content_type = multipart(fields, [("ticket", filename, make_pdf("ticket"), "application/pdf")])
    response = api(beta).post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/", body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and list(response.json()["fields"]) == ["ticket"]
    assert not Receipt.objects.exists()


def test_a_ticket_over_the_vault_limit_is_refused_while_streaming(dispatched, beta, api, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 200
    response = api(beta).post(f"/api/v1/custody/transfers/{dispatched.pk}/receipt/", receipt())
    assert response.status_code == 400
    assert response.json()["code"] == "too_large" and list(response.json()["fields"]) == ["ticket"]
    assert not Receipt.objects.exists()


def test_dispatch_list_and_detail_through_the_api(alpha, beta, make_shipment, api, django_assert_max_num_queries):
    exporter = api(alpha, Role.STAFF)
    shipments = [make_shipment(alpha) for _ in range(3)]
    recyclers = exporter.get("/api/v1/custody/recyclers/").json()
    assert {r["slug"] for r in recyclers} >= {"beta", "gamma"} and "alpha" not in {r["slug"] for r in recyclers}
    for shipment in shipments:
        response = exporter.post("/api/v1/custody/transfers/dispatch/",
                                 {"shipment": str(shipment.pk), "receiver": str(beta.pk)},
                                 content_type="application/json")
        assert response.status_code == 201, response.content
    again = exporter.post("/api/v1/custody/transfers/dispatch/",
                          {"shipment": str(shipments[0].pk), "receiver": str(beta.pk)}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_dispatched"
    exporter.get("/api/v1/custody/transfers/")
    with django_assert_max_num_queries(14):
        outgoing = exporter.get("/api/v1/custody/transfers/").json()
    assert len(outgoing["results"]) == 3 and outgoing["results"][0]["declared_net_mass_kg"] == "1000.000"
    recycler = api(beta)
    with django_assert_max_num_queries(14):
        incoming = recycler.get("/api/v1/custody/transfers/?direction=incoming").json()
    assert {t["id"] for t in incoming["results"]} == {t["id"] for t in outgoing["results"]}
    assert recycler.get("/api/v1/custody/transfers/").json()["results"] == []
    assert recycler.get("/api/v1/custody/transfers/?direction=sideways").status_code == 400


def test_processing_certificate_and_ledger_through_the_api(received, alpha, beta, api):
    wms = api(beta)
    response = wms.post(f"/api/v1/custody/transfers/{received.pk}/processing/", {
        "processed_on": TODAY, "lots": [
            {"code": "BM-9", "kind": "black_mass", "mass_kg": "400.5", "elements": {"Co": "8.1", "Li": "4"}},
            {"code": "CoS-9", "kind": "cobalt_sulfate", "mass_kg": "60"}]}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["processing"]["black_mass_kg"] == "400.500"
    bad = wms.post(f"/api/v1/custody/transfers/{received.pk}/certificate/", {"number": "", "issued_on": TODAY},
                   content_type="application/json")
    assert bad.status_code == 400
    response = wms.post(f"/api/v1/custody/transfers/{received.pk}/certificate/",
                        {"number": "CR-9", "issued_on": TODAY, "statement": "Done", "signed_file": pdf("c.pdf")})
    assert response.status_code == 201 and response.json()["certificate"]["number"] == "CR-9"
    exporter = api(alpha, Role.VIEWER)
    ledger = exporter.get(f"/api/v1/custody/transfers/{received.pk}/ledger/").json()
    assert [e["kind"] for e in ledger] == ["dispatched", "received", "processed", "certified"]
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(ledger, ledger[1:], strict=False))
    assert exporter.get(f"/api/v1/custody/transfers/{received.pk}/verify/").json() == {
        "intact": True, "entries": 4, "transfers": 1, "first_broken_entry": None}


def test_processing_accepts_multipart_with_lots_as_json_text(received, beta, api):
    response = api(beta).post(f"/api/v1/custody/transfers/{received.pk}/processing/", {
        "processed_on": TODAY,
        "lots": '[{"code": "BM-M", "kind": "black_mass", "mass_kg": "100", "elements": {"Co": "6"}}]',
        "assay_report": pdf("assay.pdf"), "assay_laboratory": "SGS", "assay_sample_date": TODAY})
    assert response.status_code == 201, response.content
    assert response.json()["processing"]["assay_sha256"]


def test_processing_refuses_lots_that_are_not_json_on_the_lots_field_in_the_callers_language(received, beta, api):
    client = api(beta)
    response = client.post(f"/api/v1/custody/transfers/{received.pk}/processing/", {
        "processed_on": TODAY, "lots": "BM-M black_mass 100 kg", "assay_report": pdf("assay.pdf"),
        "assay_laboratory": "SGS", "assay_sample_date": TODAY}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400, response.content
    body = response.json()
    assert "lots" in body["fields"] and re.search(r"[\u4e00-\u9fff]", " ".join(body["fields"]["lots"]))


def test_verify_endpoint_names_the_first_tampered_entry(received, alpha, api):
    entry = LedgerEntry.objects.get(transfer=received, seq=1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE public.custody_ledgerentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE public.custody_ledgerentry SET actor_label = 'somebody else' WHERE id = %s", [entry.pk])
        cursor.execute("ALTER TABLE public.custody_ledgerentry ENABLE TRIGGER USER")
    body = api(alpha).get("/api/v1/custody/ledger/verify/").json()
    assert body["intact"] is False
    assert body["first_broken_entry"] == {"id": entry.pk, "transfer": str(received.pk), "seq": 1, "reason": "hash"}


def test_discrepancy_thread_through_the_api(dispatched, alpha, beta, api):
    recycler, exporter = api(beta), api(alpha)
    response = recycler.post(f"/api/v1/custody/transfers/{dispatched.pk}/dispute/",
                             {"reason": "Seal broken", "unit_count": 2}, content_type="application/json")
    assert response.status_code == 201
    discrepancy_id = response.json()["discrepancies"][0]["id"]
    comment = exporter.post(f"/api/v1/custody/discrepancies/{discrepancy_id}/comments/", {"body": "Seal photo?"},
                            content_type="application/json")
    assert comment.status_code == 201 and comment.json()["body"] == "Seal photo?"
    resolved = recycler.post(f"/api/v1/custody/discrepancies/{discrepancy_id}/resolve/",
                             {"resolution": "Seal replaced at the border"}, content_type="application/json")
    assert resolved.status_code == 200
    assert resolved.json()["discrepancies"][0]["status"] == "resolved"
    assert resolved.json()["discrepancies"][0]["comments"][0]["body"] == "Seal photo?"


def test_paper_receipt_and_invitation_through_the_api(dispatched, alpha, api):
    exporter = api(alpha)
    response = exporter.post(f"/api/v1/custody/transfers/{dispatched.pk}/paper-receipt/",
                             {"received_on": TODAY, "document": pdf("paper.pdf"), "net_mass_kg": "1000"})
    assert response.status_code == 201 and response.json()["paper_receipt"]["net_mass_kg"] == "1000.000"
    response = exporter.post("/api/v1/custody/recyclers/invite/", {
        "name_en": "Baltic Cell Recovery", "country": "lt", "email": "ops@baltic.example"},
        content_type="application/json")
    assert response.status_code == 201
    assert response.json()["organisation"]["slug"] == "baltic-cell-recovery"


def test_openapi_schema_lists_the_custody_endpoints(alpha, client_for):
    schema = client_for(None, alpha).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/custody/transfers/", "/api/v1/custody/transfers/{transfer_id}/receipt/",
                 "/api/v1/custody/transfers/dispatch/", "/api/v1/custody/ledger/verify/",
                 "/api/v1/custody/discrepancies/{discrepancy_id}/comments/"):
        assert path in schema["paths"], path
    receipt_body = schema["paths"]["/api/v1/custody/transfers/{transfer_id}/receipt/"]["post"]["requestBody"]
    assert "multipart/form-data" in receipt_body["content"]
