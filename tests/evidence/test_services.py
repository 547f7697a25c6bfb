"""Upload, revisions, review and expiry through the services, against the real database and storage."""
import hashlib
import io
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from apps.accounts.access import Access
from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.core.errors import ApplicationError
from apps.evidence import services
from apps.evidence.models import Evidence, EvidenceRevision, Review, RevisionStatus
from apps.traceability.models import Shipment
from tests.evidence.files import MANIFEST_FIELDS, make_pdf, make_zip


def refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


# --- upload -------------------------------------------------------------------------------------

def test_upload_stores_the_file_privately_with_hash_size_and_sniffed_type(alpha, people, vault, upload):
    data = make_pdf("CMR 2026-0415")
    revision = upload(data, "运输单 CMR.pdf")
    assert revision.sha256 == hashlib.sha256(data).hexdigest()
    assert revision.size == len(data) and revision.content_type == "application/pdf"
    assert revision.storage_name == f"alpha/evidence/{revision.pk}"
    assert vault.stored() == [revision.storage_name]
    assert (vault.root / revision.storage_name).read_bytes() == data
    assert vault.in_flight() == []
    with schema_context("alpha"):
        revision = EvidenceRevision.objects.select_related("evidence").get(pk=revision.pk)
        assert revision.status == RevisionStatus.SUBMITTED and revision.number == 1
        assert revision.original_filename == "运输单 CMR.pdf"
        assert revision.key_fields["un_number"] == "UN3480" and revision.key_fields["special_provision"] == "377"
        assert revision.evidence.current_revision_id == revision.pk
        assert revision.uploaded_by_id == people.staff.pk
        entry = ActivityEntry.objects.get(verb="evidence.uploaded")
        assert entry.data["sha256"] == revision.sha256 and entry.actor_id == people.staff.pk


def test_upload_links_register_objects(alpha, people, vault, upload):
    with schema_context("alpha"):
        shipment = Shipment.objects.create(reference="S-1", direction="outbound", counterparty_name="EcoCycle")
    revision = upload(links=services.Links(shipments=[shipment]))
    with schema_context("alpha"):
        assert list(Evidence.objects.get(pk=revision.evidence_id).shipments.all()) == [shipment]


@pytest.mark.parametrize("data,filename,code", [
    (b"", "manifest.pdf", "empty"),
    (b"MZ\x90\x00" + b"\x00" * 200, "manifest.pdf", "executable"),
    (b"<html><script>alert(document.cookie)</script></html>", "manifest.pdf", "active_content"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "manifest.pdf", "active_content"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "manifest.pdf", "type_mismatch"),
    (None, "manifest.docx", "type_mismatch"),
    (None, "manifest.exe", "type_not_allowed"),
    (None, "../manifest.pdf", "filename_path"),
    (None, "a\\b.pdf", "filename_path"),
    (None, "manifest\x00.pdf", "filename_nul"),
    (None, "mani\x07fest.pdf", "filename_control"),
    (None, "m" * 296 + ".pdf", "filename_too_long"),
    ("js", "manifest.pdf", "pdf_javascript"),
    ("launch", "manifest.pdf", "pdf_launch"),
    ("bomb", "bundle.zip", "archive_bomb"),
    ("nested", "bundle.zip", "archive_nested"),
])
def test_every_bad_file_is_refused_with_its_code_and_nothing_is_stored(alpha, vault, upload, data, filename, code):
    data = {"js": lambda: make_pdf(javascript="app.launchURL('http://evil')"),
            "launch": lambda: make_pdf(launch=True),
            "bomb": lambda: make_zip({"zeros": b"\x00" * (30 * 1024 * 1024)}),
            "nested": lambda: make_zip({"a.zip": make_zip({"b.zip": make_zip({"c.txt": b"x"})})}),
            }.get(data, lambda: data)()
    error = refusal(lambda: upload(data, filename))
    assert error.code == code and error.field == "file"
    assert str(error.message)
    vault.assert_empty(alpha)


def test_a_file_over_the_configured_limit_is_refused_while_streaming(alpha, settings, vault, upload):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 10_000
    error = refusal(lambda: upload(make_pdf() + b"%" + b"0" * 20_000))
    assert error.code == "too_large" and "limit" in str(error.message)
    vault.assert_empty(alpha)


def test_refusals_are_in_the_users_language(alpha, vault, upload):
    from django.utils import translation

    with translation.override("zh-hans"):
        error = refusal(lambda: upload(b"MZ" + b"\x00" * 100, "manifest.pdf"))
        assert "程序" in str(error.message)
    vault.assert_empty(alpha)


def test_invalid_key_fields_are_refused_before_anything_is_stored(alpha, vault, upload):
    error = refusal(lambda: upload(doc_type="assay_report", key_fields={
        "lot_code": "BM-7", "laboratory": "SGS", "sample_date": "2026-05-01", "elements": {"Co": "70", "Ni": "40"}}))
    assert error.code == "key_fields_invalid"
    assert error.extra["errors"][0]["code"] == "percent_sum_over_100"
    assert "110" in str(error.message)
    vault.assert_empty(alpha)


def test_missing_validity_dates_and_reversed_windows_are_refused(alpha, vault, upload):
    permit = {"holder": "EcoCycle", "authority": "RP Darmstadt", "permit_number": "DA-1"}
    assert refusal(lambda: upload(doc_type="recycler_permit", key_fields=permit)).code == "effective_date_required"
    assert refusal(lambda: upload(doc_type="recycler_permit", key_fields=permit, effective_date=date(2026, 1, 1),
                                  expiry_date=date(2025, 1, 1))).code == "dates_reversed"
    assert refusal(lambda: upload(title="  ")).code == "title_required"
    assert refusal(lambda: upload(doc_type="nonsense")).code == "doc_type_invalid"
    vault.assert_empty(alpha)


def test_a_database_error_after_the_file_was_written_leaves_no_file(alpha, vault, upload):
    """A real failure of the database (a trigger refusing the insert) after storage: rolled back, file gone."""
    with schema_context("alpha"), connection.cursor() as cursor:
        cursor.execute("""CREATE FUNCTION test_refuse_insert() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full'; END; $$ LANGUAGE plpgsql;""")
        cursor.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON evidence_evidencerevision "
                       "FOR EACH ROW EXECUTE FUNCTION test_refuse_insert()")
    with pytest.raises(DatabaseError, match="disk full"):
        upload()
    vault.assert_empty(alpha)


def test_a_caller_failing_after_the_upload_leaves_neither_rows_nor_files(alpha, vault, upload):
    """An upload that is one part of a larger change (a custody step): when the change fails after the
    upload returned, `atomic_with_uploads` rolls the rows back and deletes the stored files."""
    with pytest.raises(RuntimeError, match="later step"), services.atomic_with_uploads():
        first = upload()
        with services.atomic_with_uploads():  # a nested block hands its files to the enclosing one
            upload(title="CMR 2")
        assert len(vault.stored()) == 2 and first.storage_name in vault.stored()
        raise RuntimeError("later step failed")
    vault.assert_empty(alpha)

    with services.atomic_with_uploads():
        kept = upload()
    assert vault.stored() == [kept.storage_name]


def test_viewers_and_restricted_auditors_cannot_upload(alpha, people, vault, upload):
    assert refusal(lambda: upload(access=people.viewer_access)).code == "not_allowed"
    auditor = Access(organisation_id=alpha.pk, role=Role.AUDITOR, user_id=people.viewer.pk, label="auditor",
                     shipment_scope=frozenset())
    assert refusal(lambda: upload(access=auditor)).code == "not_allowed"
    vault.assert_empty(alpha)


def test_a_second_upload_of_the_same_file_is_flagged_as_duplicate(alpha, vault, upload):
    data = make_pdf("same")
    first = upload(data)
    second = upload(data, "copy.pdf", title="again")
    assert first.flags == []
    assert second.flags == [{"code": "duplicate", "evidence_id": str(first.evidence_id), "revision_id": str(first.pk)}]


def test_pdf_with_embedded_files_is_stored_and_flagged(alpha, vault, upload):
    revision = upload(make_pdf(attachment=b"<Invoice/>"), "e-invoice.pdf")
    assert revision.flags == [{"code": "pdf_embedded_files", "files": ["invoice.xml"]}]


# --- immutability ----------------------------------------------------------------------------

@pytest.mark.parametrize("column,value", [("sha256", "0" * 64), ("size", 1), ("content_type", "text/html"),
                                          ("storage_name", "beta/evidence/x"), ("key_fields", {}),
                                          ("original_filename", "other.pdf")])
def test_the_database_refuses_to_change_recorded_file_facts(alpha, upload, column, value):
    revision = upload()
    with schema_context("alpha"):
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            EvidenceRevision.objects.filter(pk=revision.pk).update(**{column: value})
        with pytest.raises(IntegrityError, match="never deleted"), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM evidence_evidencerevision WHERE id = %s", [revision.pk])
        with pytest.raises(IntegrityError, match="cannot become"), transaction.atomic():
            EvidenceRevision.objects.filter(pk=revision.pk).update(status=RevisionStatus.SUPERSEDED)
            EvidenceRevision.objects.filter(pk=revision.pk).update(status=RevisionStatus.ACCEPTED)
        assert EvidenceRevision.objects.get(pk=revision.pk).sha256 == revision.sha256


def test_reviews_are_append_only(alpha, people, upload):
    revision = upload()
    with schema_context("alpha"):
        services.revision_accept(access=people.manager_access, revision=revision)
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            Review.objects.update(reason="edited")


# --- revisions -----------------------------------------------------------------------------

def test_a_new_revision_supersedes_the_current_one_and_keeps_key_fields(alpha, people, vault, upload):
    first = upload()
    with schema_context("alpha"):
        services.revision_accept(access=people.manager_access, revision=first)
        evidence = Evidence.objects.select_related("current_revision").get(pk=first.evidence_id)
        second = services.evidence_revise(access=people.staff_access, evidence=evidence,
                                          upload=io.BytesIO(make_pdf("v2")), filename="manifest-v2.pdf")
        first.refresh_from_db()
        evidence.refresh_from_db()
        assert first.status == RevisionStatus.SUPERSEDED and first.reviewed_by_id == people.manager.pk
        assert second.number == 2 and second.status == RevisionStatus.SUBMITTED
        assert second.key_fields == first.key_fields and evidence.current_revision_id == second.pk
        verbs = list(ActivityEntry.objects.order_by("id").values_list("verb", flat=True))
        assert verbs[-3:] == ["evidence.accepted", "evidence.superseded", "evidence.revised"]
    assert len(vault.stored()) == 2


def test_a_refused_new_revision_changes_nothing(alpha, people, vault, upload):
    first = upload()
    with schema_context("alpha"):
        evidence = Evidence.objects.select_related("current_revision").get(pk=first.evidence_id)
        error = refusal(lambda: services.evidence_revise(access=people.staff_access, evidence=evidence,
                                                         upload=io.BytesIO(b"<html></html>"), filename="v2.pdf"))
        assert error.code == "active_content"
        first.refresh_from_db()
        assert first.status == RevisionStatus.SUBMITTED and EvidenceRevision.objects.count() == 1
    assert vault.stored() == [first.storage_name]


# --- review --------------------------------------------------------------------------------

def test_a_manager_accepts_and_the_review_is_kept(alpha, people, upload):
    revision = upload()
    with schema_context("alpha"):
        accepted = services.revision_accept(access=people.manager_access, revision=revision)
        assert accepted.status == RevisionStatus.ACCEPTED and accepted.reviewed_by_label == people.manager.email
        review = Review.objects.get(revision=revision)
        assert review.decision == "accepted" and review.reviewer_id == people.manager.pk
        assert ActivityEntry.objects.filter(verb="evidence.accepted", object_id=str(revision.pk)).exists()


def test_rejection_needs_a_reason_and_keeps_it(alpha, people, upload):
    revision = upload()
    with schema_context("alpha"):
        assert refusal(lambda: services.revision_reject(access=people.owner_access, revision=revision,
                                                        reason="  ")).code == "reason_required"
        rejected = services.revision_reject(access=people.owner_access, revision=revision,
                                            reason="Not signed by the carrier")
        assert rejected.status == RevisionStatus.REJECTED and rejected.rejection_reason == "Not signed by the carrier"
        assert refusal(lambda: services.revision_accept(access=people.manager_access,
                                                        revision=revision)).code == "not_submitted"


def test_four_eyes_nobody_reviews_their_own_upload(alpha, people, upload):
    revision = upload(access=people.manager_access)
    with schema_context("alpha"):
        error = refusal(lambda: services.revision_accept(access=people.manager_access, revision=revision))
        assert error.code == "own_upload" and error.status == 403
        assert services.revision_accept(access=people.manager2_access, revision=revision).status == "accepted"


@pytest.mark.parametrize("who", ["staff", "viewer"])
def test_staff_and_viewers_cannot_review(alpha, people, upload, who):
    revision = upload(access=people.owner_access)
    with schema_context("alpha"):
        assert refusal(lambda: services.revision_accept(access=getattr(people, f"{who}_access"),
                                                        revision=revision)).code == "not_allowed"


def test_api_keys_cannot_review(alpha, people, upload):
    revision = upload()
    key = Access(organisation_id=alpha.pk, role=Role.COMPLIANCE_MANAGER, label="API key ERP",
                 api_key_id=people.owner.pk)
    with schema_context("alpha"):
        assert refusal(lambda: services.revision_accept(access=key, revision=revision)).code == "review_by_api_key"


# --- expiry ---------------------------------------------------------------------------------

def test_expiry_marks_submitted_and_accepted_revisions_whose_date_passed_once(alpha, people, upload):
    today = date.today()
    due = upload(expiry_date=today - timedelta(days=1), title="due")
    accepted_due = upload(expiry_date=today - timedelta(days=10), title="accepted due")
    current = upload(expiry_date=today, title="valid today")
    with schema_context("alpha"):
        services.revision_accept(access=people.manager_access, revision=accepted_due)
        assert services.revisions_expire_due(today=today) == 2
        assert services.revisions_expire_due(today=today) == 0
        statuses = dict(EvidenceRevision.objects.values_list("evidence__title", "status"))
        assert statuses == {"due": "expired", "accepted due": "expired", "valid today": "submitted"}
        assert ActivityEntry.objects.filter(verb="evidence.expired").count() == 2
    assert due.flags == [{"code": "expired_at_upload"}] and current.flags == []


def test_orphan_sweep_removes_only_unreferenced_old_files(alpha, vault, upload):
    revision = upload()
    orphan = vault.root / "alpha" / "evidence" / "00000000-0000-0000-0000-000000000000"
    orphan.write_bytes(b"left behind")
    with schema_context("alpha"):
        assert services.evidence_orphans_sweep(older_than=timedelta(days=1)) == 0
        assert services.evidence_orphans_sweep(older_than=timedelta(seconds=-1)) == 1
    assert vault.stored() == [revision.storage_name]


def test_uploads_in_two_organisations_use_their_own_prefix(alpha, beta, people, vault, upload, member_access):
    mine = upload()
    _user, beta_access = member_access(beta, Role.STAFF)
    with schema_context("beta"):
        theirs = services.evidence_upload(access=beta_access, doc_type="transport_manifest", title="B",
                                          upload=io.BytesIO(make_pdf("beta")), filename="b.pdf",
                                          key_fields=MANIFEST_FIELDS)
    assert mine.storage_name.startswith("alpha/evidence/") and theirs.storage_name.startswith("beta/evidence/")
    with schema_context("alpha"):
        assert not EvidenceRevision.objects.filter(pk=theirs.pk).exists()
