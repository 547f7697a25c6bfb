"""The vault works with any Django storage backend (object storage in production): uploads, downloads and
the clean-up on failure go through the Storage API only. Django's in-memory storage stands in for S3."""
import io

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django_tenants.utils import schema_context

from apps.evidence import services
from apps.evidence.models import EvidenceRevision
from tests.evidence.files import MANIFEST_FIELDS, make_pdf


@pytest.fixture
def object_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.EVIDENCE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    return default_storage


def _upload(people, data: bytes):
    return services.evidence_upload(access=people.staff_access, doc_type="transport_manifest", title="CMR",
                                    upload=io.BytesIO(data), filename="cmr.pdf", key_fields=MANIFEST_FIELDS)


def test_upload_and_download_through_a_non_filesystem_storage(alpha, people, object_storage, client_for, tmp_path):
    data = make_pdf("object storage")
    with schema_context("alpha"):
        revision = _upload(people, data)
    assert object_storage.exists(revision.storage_name)
    with object_storage.open(revision.storage_name) as stored:
        assert stored.read() == data
    assert list((tmp_path / "incoming").iterdir()) == []  # the staged copy is gone
    response = client_for(people.viewer, alpha).get(f"/evidence/revisions/{revision.pk}/download/")
    assert b"".join(response.streaming_content) == data


def test_a_database_failure_removes_the_object_again(alpha, people, object_storage):
    with schema_context("alpha"), connection.cursor() as cursor:
        cursor.execute("""CREATE FUNCTION test_refuse_insert() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'replica unavailable'; END; $$ LANGUAGE plpgsql;""")
        cursor.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON evidence_evidencerevision "
                       "FOR EACH ROW EXECUTE FUNCTION test_refuse_insert()")
    with schema_context("alpha"), pytest.raises(DatabaseError, match="replica unavailable"):
        _upload(people, make_pdf("doomed"))
    assert object_storage.listdir("alpha/evidence") == ([], [])
    with schema_context("alpha"):
        assert EvidenceRevision.objects.count() == 0
