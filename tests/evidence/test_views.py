"""The vault's pages: upload through Django's real multipart handling, list, detail, review, download,
isolation between organisations and within one (auditor scope), and query budgets."""
import hashlib
import io
import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.accounts import access as access_module
from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.evidence import services
from apps.evidence.models import Evidence, EvidenceRevision, RevisionStatus
from apps.traceability.models import BatteryUnit, MaterialLot, Shipment, ShipmentUnit
from tests.evidence.files import MANIFEST_FIELDS, make_pdf, multipart

MANIFEST_FORM = {"doc_type": "transport_manifest", "title": "CMR 2026-0415", "reference": "CMR-2026-0415",
                 "kf_document_number": "CMR-2026-0415", "kf_carrier": "Trans-Eurasia", "kf_net_mass_kg": "18640",
                 "kf_gross_mass_kg": "21310", "kf_un_number": "UN3480"}


def post_upload(client, filename: str, data: bytes, fields: dict | None = None, path: str = "/evidence/upload/"):
    body, content_type = multipart(fields or MANIFEST_FORM, [("file", filename, data, "application/pdf")])
    return client.post(path, data=body, content_type=content_type)


@pytest.fixture
def staff_client(alpha, people, client_for, vault):
    return client_for(people.staff, alpha)


# --- upload page ----------------------------------------------------------------------------------

def test_staff_uploads_through_the_page_and_lands_on_the_document(alpha, staff_client, vault):
    data = make_pdf("page upload")
    response = post_upload(staff_client, "运输单 CMR.pdf", data)
    assert response.status_code == 302
    with schema_context("alpha"):
        revision = EvidenceRevision.objects.select_related("evidence").get()
    assert response["Location"] == f"/evidence/{revision.evidence_id}/"
    assert revision.sha256 == hashlib.sha256(data).hexdigest() and revision.size == len(data)
    assert revision.original_filename == "运输单 CMR.pdf" and revision.key_fields["net_mass_kg"] == "18640"
    assert vault.stored() == [revision.storage_name] and vault.in_flight() == []
    page = staff_client.get(response["Location"]).content.decode()
    assert revision.sha256 in page and "18640" in page and "UN3480" in page


@pytest.mark.parametrize("filename,code_text", [
    ("../../etc/manifest.pdf", "may not contain"),
    ("C:\\\\fakepath\\\\manifest.pdf", "may not contain"),
    ("mani\x1bfest.pdf", "control characters"),
    ("m" * 296 + ".pdf", "longer than 255"),
])
def test_unsafe_file_names_sent_over_http_are_refused_not_rewritten(alpha, staff_client, vault, filename, code_text):
    response = post_upload(staff_client, filename, make_pdf())
    assert response.status_code == 400
    assert code_text in response.content.decode()
    vault.assert_empty(alpha)


@pytest.mark.parametrize("data,filename,text", [
    (b"", "manifest.pdf", "The file is empty."),
    (b"MZ\x90\x00" + b"\x00" * 64, "manifest.pdf", "is a program"),
    (b"<html><script>alert(1)</script></html>", "manifest.pdf", "can run scripts"),
    (make_pdf(javascript="app.alert(1)"), "manifest.pdf", "contains JavaScript"),
])
def test_bad_files_over_http_show_the_message_and_store_nothing(alpha, staff_client, vault, data, filename, text):
    response = post_upload(staff_client, filename, data)
    assert response.status_code == 400 and text in response.content.decode()
    vault.assert_empty(alpha)


def test_a_file_over_the_limit_is_cut_off_while_streaming(alpha, staff_client, settings, vault):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 50_000
    response = post_upload(staff_client, "big.pdf", make_pdf() + b"%" + b"0" * 200_000)
    assert response.status_code == 400
    assert "larger than the limit of 50000 bytes" in response.content.decode()
    vault.assert_empty(alpha)


def test_key_field_problems_are_shown_on_their_fields(alpha, staff_client, vault):
    fields = {**MANIFEST_FORM, "kf_net_mass_kg": "lots", "kf_un_number": "34800"}
    response = post_upload(staff_client, "m.pdf", make_pdf(), fields)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-kf_net_mass_kg"' in page and 'data-testid="error-kf_un_number"' in page
    vault.assert_empty(alpha)


def test_upload_page_preselects_the_register_object_and_offers_its_type_fields(alpha, people, client_for, vault):
    with schema_context("alpha"):
        shipment = Shipment.objects.create(reference="SE-2026-0007", direction="outbound", counterparty_name="Eco")
    client = client_for(people.staff, alpha)
    page = client.get(f"/evidence/upload/?shipment={shipment.pk}&doc_type=assay_report").content.decode()
    assert "SE-2026-0007" in page and 'name="kf_elements__Co"' in page and 'name="kf_lot_code"' in page
    partial = client.get("/evidence/key-fields/?doc_type=recycled_content_declaration").content.decode()
    assert 'name="kf_shares__Pb__post_consumer_pct"' in partial
    assert client.get("/evidence/key-fields/?doc_type=nope").status_code == 404


def test_upload_links_by_reference_and_refuses_unknown_codes(alpha, staff_client, vault):
    with schema_context("alpha"):
        shipment = Shipment.objects.create(reference="SE-9", direction="outbound", counterparty_name="Eco")
    response = post_upload(staff_client, "m.pdf", make_pdf(), {**MANIFEST_FORM, "shipments": "SE-9\nSE-404"})
    assert response.status_code == 400 and "SE-404" in response.content.decode()
    vault.assert_empty(alpha)
    assert post_upload(staff_client, "m.pdf", make_pdf(), {**MANIFEST_FORM, "shipments": "SE-9"}).status_code == 302
    with schema_context("alpha"):
        assert list(Evidence.objects.get().shipments.all()) == [shipment]


def test_the_upload_page_still_checks_csrf(alpha, people, client_for, vault):
    client = client_for(people.staff, alpha, enforce_csrf_checks=True)
    assert post_upload(client, "m.pdf", make_pdf()).status_code == 403
    vault.assert_empty(alpha)
    token = client.get("/evidence/upload/").cookies["csrftoken"].value
    assert post_upload(client, "m.pdf", make_pdf(), {**MANIFEST_FORM, "csrfmiddlewaretoken": token}).status_code == 302


@pytest.mark.parametrize("role,status", [(Role.VIEWER, 403), (Role.STAFF, 200), (Role.OWNER, 200)])
def test_upload_page_follows_the_role_matrix(alpha, make_member, client_for, vault, role, status):
    assert client_for(make_member(alpha, role), alpha).get("/evidence/upload/").status_code == status


# --- list, detail, review -------------------------------------------------------------------------

def test_list_filters_and_searches(alpha, people, client_for, upload):
    with schema_context("alpha"):
        shipment = Shipment.objects.create(reference="SE-1", direction="outbound", counterparty_name="Eco")
    first = upload(title="CMR for SE-1", links=services.Links(shipments=[shipment]))
    upload(title="Other manifest")
    upload(title="Permit", doc_type="recycler_permit", key_fields={"holder": "Eco", "authority": "RP",
                                                                   "permit_number": "P-1"},
           effective_date=date(2026, 1, 1), expiry_date=date(2030, 1, 1))
    with schema_context("alpha"):
        services.revision_accept(access=people.manager_access, revision=first)
    client = client_for(people.viewer, alpha)

    def titles(query: str) -> set[str]:
        page = client.get(f"/evidence/?{query}").content.decode()
        return {t for t in ("CMR for SE-1", "Other manifest", "Permit") if t in page}

    assert titles("") == {"CMR for SE-1", "Other manifest", "Permit"}
    assert titles("doc_type=recycler_permit") == {"Permit"}
    assert titles("status=accepted") == {"CMR for SE-1"}
    assert titles("q=other") == {"Other manifest"}
    assert titles("linked=SE-1") == {"CMR for SE-1"}
    assert titles(f"shipment={shipment.pk}") == {"CMR for SE-1"}
    assert client.get(f"/evidence/?shipment={uuid.uuid4()}").status_code == 404


def test_list_and_review_queue_cost_the_same_queries_for_3_or_30_documents(alpha, people, client_for, upload):
    client = client_for(people.manager, alpha)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        upload(title=f"doc {i}")
    small = (count("/evidence/"), count("/evidence/review/"))
    for i in range(27):
        upload(title=f"more {i}")
    assert (count("/evidence/"), count("/evidence/review/")) == small
    # 8 statements and django-tenants' SET search_path before each
    assert small[0] <= 17 and small[1] <= 17


def test_detail_shows_revisions_key_fields_flags_and_review_history(alpha, people, client_for, upload):
    revision = upload(make_pdf(attachment=b"<x/>"), "with-attachment.pdf")
    with schema_context("alpha"):
        services.revision_reject(access=people.manager_access, revision=revision, reason="Carrier stamp missing")
    page = client_for(people.viewer, alpha).get(f"/evidence/{revision.evidence_id}/").content.decode()
    assert "Carrier stamp missing" in page and "invoice.xml" in page and "Rejected" in page
    assert revision.sha256 in page and f"/evidence/revisions/{revision.pk}/download/" in page
    assert 'data-testid="accept-1"' not in page  # viewers do not review


def test_a_manager_accepts_from_the_queue_but_not_their_own_upload(alpha, people, client_for, upload):
    theirs = upload(title="by staff")
    mine = upload(title="by manager", access=people.manager_access)
    client = client_for(people.manager, alpha)
    queue = client.get("/evidence/review/").content.decode()
    assert queue.count('data-testid="queue-accept"') == 1 and "Your upload" in queue
    response = client.post(f"/evidence/revisions/{theirs.pk}/accept/", {"next": "queue"})
    assert response.status_code == 302 and response["Location"] == "/evidence/review/"
    own = client.post(f"/evidence/revisions/{mine.pk}/accept/", follow=True)
    assert "another compliance manager or owner must review it" in own.content.decode()
    with schema_context("alpha"):
        assert dict(EvidenceRevision.objects.values_list("evidence__title", "status")) == {
            "by staff": "accepted", "by manager": "submitted"}


def test_reject_without_reason_changes_nothing(alpha, people, client_for, upload):
    revision = upload()
    client = client_for(people.owner, alpha)
    response = client.post(f"/evidence/revisions/{revision.pk}/reject/", {"reason": ""}, follow=True)
    assert "Give the reason" in response.content.decode()
    client.post(f"/evidence/revisions/{revision.pk}/reject/", {"reason": "Wrong shipment"})
    with schema_context("alpha"):
        revision.refresh_from_db()
        assert revision.status == RevisionStatus.REJECTED and revision.rejection_reason == "Wrong shipment"


@pytest.mark.parametrize("role", [Role.STAFF, Role.VIEWER])
def test_staff_and_viewers_cannot_post_reviews(alpha, people, make_member, client_for, upload, role):
    revision = upload(access=people.owner_access)
    assert client_for(make_member(alpha, role), alpha).post(
        f"/evidence/revisions/{revision.pk}/accept/").status_code == 403


def test_new_revision_page_supersedes_and_prefills_key_fields(alpha, people, client_for, upload, vault):
    first = upload()
    client = client_for(people.staff, alpha)
    form = client.get(f"/evidence/{first.evidence_id}/revise/").content.decode()
    assert 'value="Trans-Eurasia Logistics"' in form
    fields = {"kf_document_number": "CMR-1", "kf_carrier": "Trans-Eurasia Logistics", "kf_net_mass_kg": "18000"}
    response = post_upload(client, "v2.pdf", make_pdf("v2"), fields, path=f"/evidence/{first.evidence_id}/revise/")
    assert response.status_code == 302
    with schema_context("alpha"):
        assert list(EvidenceRevision.objects.order_by("number").values_list("status", "key_fields__net_mass_kg")) == [
            ("superseded", "18640"), ("submitted", "18000")]


def test_dashboard_panel_counts_what_awaits_review(alpha, people, client_for, upload):
    upload()
    page = client_for(people.manager, alpha).get("/").content.decode()
    assert "Evidence vault" in page and "await review" in page and "/evidence/review/" in page


# --- download and isolation -----------------------------------------------------------------------

def test_download_streams_the_file_as_an_attachment_with_its_recorded_type(alpha, people, client_for, upload):
    data = make_pdf("download me")
    revision = upload(data, "运输单 \"final\".pdf")
    response = client_for(people.viewer, alpha).get(f"/evidence/revisions/{revision.pk}/download/")
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "%22final%22.pdf" in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]
    assert response["Content-Length"] == str(len(data))
    with schema_context("alpha"):
        assert ActivityEntry.objects.filter(verb="evidence.downloaded", object_id=str(revision.pk)).count() == 1


def test_another_organisations_ids_are_not_found(alpha, beta, people, member_access, client_for, vault):
    _user, beta_access = member_access(beta, Role.STAFF)
    with schema_context("beta"):
        theirs = services.evidence_upload(access=beta_access, doc_type="transport_manifest", title="Beta CMR",
                                          upload=io.BytesIO(make_pdf("beta")), filename="b.pdf",
                                          key_fields=MANIFEST_FIELDS)
    client = client_for(people.owner, alpha)
    for path in (f"/evidence/{theirs.evidence_id}/", f"/evidence/{theirs.evidence_id}/revise/",
                 f"/evidence/revisions/{theirs.pk}/download/"):
        assert client.get(path).status_code == 404, path
    for path in (f"/evidence/revisions/{theirs.pk}/accept/", f"/evidence/revisions/{theirs.pk}/reject/"):
        assert client.post(path, {"reason": "x"}).status_code == 404, path
    with schema_context("beta"):
        assert EvidenceRevision.objects.get(pk=theirs.pk).status == "submitted"


# --- auditor scope --------------------------------------------------------------------------------

SCOPES: dict = {}


def scoped_auditor(*, user, organisation):
    scope = SCOPES.get(user.pk)
    if scope is None:
        return None
    return Access(organisation_id=organisation.pk, role=Role.AUDITOR, user_id=user.pk, label=user.email,
                  shipment_scope=frozenset(scope))


@pytest.fixture
def auditor_scope(settings, make_member):
    settings.ACCESS_RESOLVERS = ["tests.evidence.test_views.scoped_auditor", *settings.ACCESS_RESOLVERS]
    access_module._resolvers.cache_clear()
    yield SCOPES
    SCOPES.clear()
    access_module._resolvers.cache_clear()


def test_a_restricted_auditor_sees_only_evidence_of_the_granted_shipments(alpha, people, client_for, upload,
                                                                          auditor_scope):
    from tests.accounts.factories import UserFactory

    with schema_context("alpha"):
        granted = Shipment.objects.create(reference="GRANTED", direction="outbound", counterparty_name="Eco")
        other = Shipment.objects.create(reference="OTHER", direction="outbound", counterparty_name="Eco")
        unit = BatteryUnit.objects.create(code="U-1", scheme="gs1", level="pack")
        ShipmentUnit.objects.create(shipment=granted, unit=unit)
        lot = MaterialLot.objects.create(code="BM-1", kind="black_mass", mass_kg=1000)
        lot.source_shipments.add(granted)
    on_shipment = upload(title="on granted shipment", links=services.Links(shipments=[granted]))
    upload(title="on unit", links=services.Links(units=[unit]))
    upload(title="on lot", links=services.Links(lots=[lot]))
    hidden = upload(title="on other shipment", links=services.Links(shipments=[other]))
    upload(title="unlinked")
    auditor = UserFactory()
    auditor_scope[auditor.pk] = {granted.pk}
    client = client_for(auditor, alpha)
    page = client.get("/evidence/").content.decode()
    for title in ("on granted shipment", "on unit", "on lot"):
        assert title in page
    assert "on other shipment" not in page and "unlinked" not in page
    assert client.get(f"/evidence/{hidden.evidence_id}/").status_code == 404
    assert client.get(f"/evidence/revisions/{hidden.pk}/download/").status_code == 404
    assert client.get(f"/evidence/revisions/{on_shipment.pk}/download/").status_code == 200
    assert client.get("/evidence/upload/").status_code == 403


def test_register_pages_can_list_and_attach_evidence_with_the_include(alpha, people, upload):
    from django.template.loader import render_to_string

    from apps.evidence.selectors import evidence_for

    with schema_context("alpha"):
        shipment = Shipment.objects.create(reference="SE-77", direction="outbound", counterparty_name="Eco")
        other = Shipment.objects.create(reference="SE-78", direction="outbound", counterparty_name="Eco")
    upload(title="Linked CMR", links=services.Links(shipments=[shipment]))
    upload(title="Elsewhere", links=services.Links(shipments=[other]))
    with schema_context("alpha"):
        evidence = list(evidence_for(shipment, access=people.staff_access))

        def render(access):
            return render_to_string("evidence/_linked_list.html", {
                "evidence_list": evidence, "link_kind": "shipment", "link_id": shipment.pk, "access": access})

        html = render(people.staff_access)
        assert "Linked CMR" in html and "Elsewhere" not in html
        assert f'href="/evidence/upload/?shipment={shipment.pk}"' in html
        assert "attach-evidence" not in render(people.viewer_access)
