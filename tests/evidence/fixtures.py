"""Fixtures and file builders of the vault tests, loaded by tests/evidence/conftest.py and, as a plugin, by
the API and browser tests: a private storage root per test (so "nothing stored" can be asserted exactly),
people of every role, and `upload` (a manifest through the service)."""
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from apps.accounts.roles import Role
from apps.evidence import services
from apps.evidence.models import Evidence, EvidenceRevision, EvidenceType
from tests.conftest import access_for
from tests.evidence.files import MANIFEST_FIELDS, make_pdf


@dataclass
class Vault:
    root: Path
    incoming: Path

    def stored(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def in_flight(self) -> list[str]:
        return sorted(p.name for p in self.incoming.rglob("*") if p.is_file()) if self.incoming.exists() else []

    def assert_empty(self, organisation) -> None:
        """Nothing was stored: no row in the organisation's vault, no file in storage, no temp file."""
        with schema_context(organisation.schema_name):
            assert Evidence.objects.count() == 0
            assert EvidenceRevision.objects.count() == 0
        assert self.stored() == []
        assert self.in_flight() == []


@pytest.fixture
def vault(settings, tmp_path) -> Vault:
    root, incoming = tmp_path / "private", tmp_path / "incoming"
    root.mkdir()
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root), "base_url": None}}}
    settings.EVIDENCE_UPLOAD_TEMP_DIR = str(incoming)
    return Vault(root, incoming)


@pytest.fixture
def people(alpha, make_member):
    """alpha's owner, compliance managers (two), staff and viewer, each with their Access."""

    class People:
        def __init__(self):
            for name, role in [("owner", Role.OWNER), ("manager", Role.COMPLIANCE_MANAGER),
                               ("manager2", Role.COMPLIANCE_MANAGER), ("staff", Role.STAFF),
                               ("viewer", Role.VIEWER)]:
                user = make_member(alpha, role)
                setattr(self, name, user)
                setattr(self, f"{name}_access", access_for(user, alpha, role))

    return People()


@pytest.fixture
def upload(alpha, people, vault):
    """`upload(data, filename)` -> the first revision of a new transport manifest, by alpha's staff."""

    def do(data: bytes | None = None, filename: str = "manifest.pdf", *, access=None,
           doc_type=EvidenceType.TRANSPORT_MANIFEST, key_fields=None, **kwargs):
        with schema_context(alpha.schema_name):
            return services.evidence_upload(
                access=access or people.staff_access, doc_type=doc_type, title=kwargs.pop("title", "CMR 1"),
                upload=io.BytesIO(make_pdf(uuid.uuid4().hex) if data is None else data), filename=filename,
                key_fields=MANIFEST_FIELDS if key_fields is None else key_fields, **kwargs)

    return do
