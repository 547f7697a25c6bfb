"""/api/v1/evidence/: every endpoint per role, against another organisation, and its bad inputs."""
import hashlib
import io
import json
import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.accounts import services as account_services
from apps.accounts.roles import Role
from apps.evidence import services
from apps.evidence.models import EvidenceRevision
from apps.traceability.models import Shipment
from tests.evidence.files import MANIFEST_FIELDS, make_pdf, multipart

pytest_plugins = ["tests.evidence.fixtures"]  # vault, people, upload


@pytest.fixture
def key_client(alpha, member_access, client_for, vault):
    """`key_client(role)`: a client of alpha's API with a key of that role."""

    def make(role=Role.STAFF, organisation=None):
        owner, access = member_access(alpha, Role.OWNER)
        _key, plaintext = account_services.apikey_create(access=access, organisation=alpha, name="ERP", role=role,
                                                         creator=owner)
        return client_for(None, organisation or alpha, HTTP_AUTHORIZATION=f"Api-Key {plaintext}")

    return make


def create(client, data: bytes | None = None, part_name: str = "cmr.pdf", **fields):
    body = {"doc_type": "transport_manifest", "title": "CMR via API", "key_fields": json.dumps(MANIFEST_FIELDS),
            **fields}
    payload, content_type = multipart(body, [("file", part_name, make_pdf(uuid.uuid4().hex) if data is None else data,
                                              "application/pdf")])
    return client.post("/api/v1/evidence/", data=payload, content_type=content_type)


def test_an_erp_key_uploads_a_manifest_and_gets_the_recorded_facts(alpha, key_client, vault):
    with schema_context("alpha"):
        shipment = Shipment.objects.create(reference="SE-1", direction="outbound", counterparty_name="Eco")
    data = make_pdf("api upload")
    response = create(key_client(Role.STAFF), data, "CMR-2026.pdf", shipments=str(shipment.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    revision = body["current_revision"]
    assert revision["sha256"] == hashlib.sha256(data).hexdigest() and revision["size"] == len(data)
    assert revision["content_type"] == "application/pdf" and revision["status"] == "submitted"
    assert revision["key_fields"]["un_number"] == "UN3480" and body["source"] == "api"
    assert body["shipments"] == [str(shipment.pk)] and revision["uploaded_by_label"] == "API key ERP"
    assert vault.stored() == [f"alpha/evidence/{revision['id']}"]


@pytest.mark.parametrize("role,status", [(Role.VIEWER, 403), (Role.STAFF, 201), (Role.COMPLIANCE_MANAGER, 201)])
def test_creating_follows_the_role_matrix(alpha, key_client, vault, role, status):
    response = create(key_client(role))
    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "permission_denied"
        vault.assert_empty(alpha)


@pytest.mark.parametrize("data,filename,fields,code", [
    (b"MZ\x90\x00" + b"\x00" * 64, "cmr.pdf", {}, "executable"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "cmr.pdf", {}, "active_content"),
    (b"", "cmr.pdf", {}, "empty"),
    (None, "../../cmr.pdf", {}, "filename_path"),
    (None, "cmr.pdf", {"filename": "evil\u202efdp.exe"}, "filename_control"),
    (None, "cmr.pdf", {"key_fields": json.dumps({"document_number": "1"})}, "key_fields_invalid"),
    (None, "cmr.pdf", {"shipments": str(uuid.uuid4())}, "unknown_link"),
    (None, "cmr.pdf", {"doc_type": "poem"}, "invalid"),
])
def test_bad_uploads_get_their_code_and_store_nothing(alpha, key_client, vault, data, filename, fields, code):
    response = create(key_client(), data, filename, **fields)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["message"]
    vault.assert_empty(alpha)


def test_key_field_problems_are_listed_one_by_one(alpha, key_client, vault):
    fields = {"lot_code": "BM-1", "laboratory": "SGS", "sample_date": "2026-05-01", "elements": {"Co": 80, "Ni": 30}}
    response = create(key_client(), doc_type="assay_report", key_fields=json.dumps(fields))
    body = response.json()
    assert body["code"] == "key_fields_invalid"
    assert body["details"]["errors"] == [{"field": "elements", "code": "percent_sum_over_100",
                                          "message": "The percentages add up to 110 %; together they cannot exceed "
                                                     "100 %."}]


def test_an_upload_over_the_limit_is_refused(alpha, key_client, settings, vault):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 20_000
    response = create(key_client(), make_pdf() + b"%" + b"1" * 50_000)
    assert response.status_code == 400 and response.json()["code"] == "too_large"
    vault.assert_empty(alpha)


def test_messages_follow_the_callers_language(alpha, key_client, vault):
    client = key_client()
    payload, content_type = multipart({"doc_type": "transport_manifest", "title": "x",
                                       "key_fields": json.dumps(MANIFEST_FIELDS)},
                                      [("file", "a.pdf", b"MZ" + b"\x00" * 80, "application/pdf")])
    response = client.post("/api/v1/evidence/", data=payload, content_type=content_type,
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["code"] == "executable" and "程序" in response.json()["message"]


def test_list_retrieve_and_filters(alpha, key_client, upload, people):
    first = upload(title="First CMR")
    upload(title="Permit", doc_type="recycler_permit",
           key_fields={"holder": "Eco", "authority": "RP", "permit_number": "1"},
           effective_date=date(2026, 1, 1), expiry_date=date(2030, 1, 1))
    with schema_context("alpha"):
        services.revision_reject(access=people.manager_access, revision=first, reason="Unsigned")
    client = key_client(Role.VIEWER)
    listing = client.get("/api/v1/evidence/").json()
    assert {d["title"] for d in listing["results"]} == {"First CMR", "Permit"}
    assert [d["title"] for d in client.get("/api/v1/evidence/?status=rejected").json()["results"]] == ["First CMR"]
    assert [d["title"] for d in client.get("/api/v1/evidence/?doc_type=recycler_permit").json()["results"]] == [
        "Permit"]
    assert client.get("/api/v1/evidence/?shipment=nope").json()["code"] == "invalid"
    detail = client.get(f"/api/v1/evidence/{first.evidence_id}/").json()
    (revision,) = detail["revisions"]
    assert revision["status"] == "rejected" and revision["rejection_reason"] == "Unsigned"
    assert revision["reviews"][0]["decision"] == "rejected"


def test_the_list_costs_the_same_queries_for_3_and_30_documents(alpha, key_client, upload):
    client = key_client(Role.VIEWER)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/evidence/").status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        upload(title=f"a{i}")
    count()  # the key's first use records its last-use time
    small = count()
    for i in range(27):
        upload(title=f"b{i}")
    assert count() == small <= 14


def test_new_revision_through_the_api_supersedes_and_keeps_key_fields(alpha, key_client, upload):
    first = upload()
    payload, content_type = multipart({}, [("file", "v2.pdf", make_pdf("v2"), "application/pdf")])
    response = key_client().post(f"/api/v1/evidence/{first.evidence_id}/revisions/", data=payload,
                                 content_type=content_type)
    assert response.status_code == 201
    revisions = response.json()["revisions"]
    assert [(r["number"], r["status"]) for r in revisions] == [(2, "submitted"), (1, "superseded")]
    assert revisions[0]["key_fields"] == revisions[1]["key_fields"]
    denied = key_client(Role.VIEWER).post(f"/api/v1/evidence/{first.evidence_id}/revisions/", data=payload,
                                          content_type=content_type)
    assert denied.status_code == 403


def test_download_returns_the_exact_bytes(alpha, key_client, upload):
    data = make_pdf("exact")
    revision = upload(data, "exact.pdf")
    response = key_client(Role.VIEWER).get(f"/api/v1/evidence/revisions/{revision.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    assert response["Content-Disposition"] == 'attachment; filename="exact.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_reviews_need_a_signed_in_manager_who_is_not_the_uploader(alpha, key_client, upload, people, client_for):
    revision = upload()
    path = f"/api/v1/evidence/revisions/{revision.pk}/accept/"
    assert key_client(Role.STAFF).post(path).json()["code"] == "permission_denied"
    by_key = key_client(Role.COMPLIANCE_MANAGER).post(path)
    assert by_key.status_code == 403 and by_key.json()["code"] == "review_by_api_key"
    own = upload(access=people.manager_access)
    manager = client_for(people.manager, alpha)
    assert manager.post(f"/api/v1/evidence/revisions/{own.pk}/accept/").json()["code"] == "own_upload"
    accepted = manager.post(path)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["reviews"][0]["reviewer_label"] == people.manager.email
    again = manager.post(path)
    assert again.status_code == 409 and again.json()["code"] == "not_submitted"


def test_reject_needs_a_reason(alpha, upload, people, client_for):
    revision = upload()
    client = client_for(people.owner, alpha)
    path = f"/api/v1/evidence/revisions/{revision.pk}/reject/"
    assert client.post(path, {"reason": ""}).json()["code"] == "reason_required"
    response = client.post(path, {"reason": "Wrong consignee"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["rejection_reason"] == "Wrong consignee"


def test_another_organisations_evidence_is_not_found(alpha, beta, key_client, member_access, client_for, people):
    _user, beta_access = member_access(beta, Role.STAFF)
    with schema_context("beta"):
        theirs = services.evidence_upload(access=beta_access, doc_type="transport_manifest", title="Beta CMR",
                                          upload=io.BytesIO(make_pdf("beta")), filename="b.pdf",
                                          key_fields=MANIFEST_FIELDS)
    client = key_client(Role.COMPLIANCE_MANAGER)
    manager = client_for(people.manager, alpha)
    assert client.get(f"/api/v1/evidence/{theirs.evidence_id}/").status_code == 404
    assert client.get(f"/api/v1/evidence/revisions/{theirs.pk}/download/").status_code == 404
    assert manager.post(f"/api/v1/evidence/revisions/{theirs.pk}/accept/").status_code == 404
    payload, content_type = multipart({}, [("file", "v2.pdf", make_pdf(), "application/pdf")])
    assert client.post(f"/api/v1/evidence/{theirs.evidence_id}/revisions/", data=payload,
                       content_type=content_type).status_code == 404
    assert client.get("/api/v1/evidence/").json()["results"] == []
    with schema_context("beta"):
        assert EvidenceRevision.objects.get(pk=theirs.pk).status == "submitted"


def test_the_type_registry_endpoint_and_the_schema(alpha, key_client, client_for):
    client = key_client(Role.VIEWER)
    types = {t["code"]: t for t in client.get("/api/v1/evidence/types/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()}
    assay = types["assay_report"]
    assert assay["name_en"] == "Assay report" and assay["name"] == assay["name_zh"] == "化验报告"
    elements = next(f for f in assay["fields"] if f["name"] == "elements")
    assert elements["kind"] == "percent_map" and {"value": "Co", "label": "钴"} in elements["keys"]
    schema = client_for(None, alpha).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/evidence/", "/api/v1/evidence/{evidence_id}/", "/api/v1/evidence/{evidence_id}/revisions/",
                 "/api/v1/evidence/revisions/{revision_id}/download/",
                 "/api/v1/evidence/revisions/{revision_id}/accept/",
                 "/api/v1/evidence/revisions/{revision_id}/reject/", "/api/v1/evidence/types/"):
        assert path in schema["paths"], path
    assert "multipart/form-data" in schema["paths"]["/api/v1/evidence/"]["post"]["requestBody"]["content"]
